import math

from kropbot_sim.kinematics import Pose2D
from kropbot_sim.motion import SimState, advance, reset
from kropbot_sim.world import parse_world
import pytest

WORLD = parse_world({
    'kropbot_sim_world': 1,
    'arena': {'size': [4.0, 4.0]},
    'boxes': [{'name': 'thin', 'center': [0.0, 1.0], 'size': [2.0, 0.01]}],
    'pits': [{'name': 'hole', 'center': [-1.5, -1.0], 'size': [0.5, 0.5]}],
})
R = WORLD.robot.radius


def drive(state, v, w, seconds, dt=0.05):
    for _ in range(int(round(seconds / dt))):
        state = advance(WORLD, state, v, w, dt)
    return state


def test_free_driving_integrates_the_arc():
    state = drive(SimState(), 0.5, 0.0, 1.0)
    assert (state.pose.x, state.pose.y) == pytest.approx((0.5, 0.0))
    assert state.linear == pytest.approx(0.5) and state.distance == pytest.approx(0.5)
    assert state.collisions == 0 and not state.in_contact


def test_wall_stops_the_robot_in_contact_and_counts_one_collision():
    state = drive(SimState(), 0.5, 0.0, 6.0)
    assert state.pose.x == pytest.approx(2.0 - R, abs=1e-3)
    assert state.pose.x <= 2.0 - R
    assert state.in_contact and state.collisions == 1
    assert state.linear == pytest.approx(0, abs=1e-2)
    # still pushing: the same contact episode
    state = drive(state, 0.5, 0.0, 1.0)
    assert state.collisions == 1
    # turning in place while in contact is allowed; pushing and turning turns
    state = drive(state, 0.5, 1.0, 0.5)
    assert state.pose.yaw == pytest.approx(0.5, abs=1e-6)
    # backing away ends the episode; hitting again counts again
    state = drive(state, -0.3, 0.0, 1.0)
    assert not state.in_contact
    state = drive(state, 0.3, 0.0, 3.0)
    assert state.collisions == 2


def test_long_steps_do_not_tunnel_through_a_thin_wall():
    start = SimState(pose=Pose2D(0.0, 0.5, math.pi / 2))
    state = advance(WORLD, start, 2.0, 0.0, 0.5)   # 1 m in one call; the wall is 1 cm thick
    assert state.pose.y == pytest.approx(1.0 - 0.005 - R, abs=1e-3)
    assert state.collisions == 1


def test_falling_into_the_pit_stops_counts_and_reset_restores():
    start = SimState(pose=Pose2D(-1.5, -0.3, -math.pi / 2))
    state = drive(start, 0.3, 0.0, 2.0)
    assert state.fallen and state.falls == 1 and WORLD.geometry.pit_at(state.pose.x,
                                                                       state.pose.y) == 0
    where = state.pose
    state = drive(state, 0.3, 1.0, 1.0)       # ignores commands while fallen
    assert state.pose == where and state.linear == 0.0 and state.falls == 1
    state = reset(state, WORLD.starts[0])
    assert not state.fallen and state.pose == WORLD.starts[0] and state.falls == 1
    state = drive(state, 0.3, 0.0, 1.0)
    assert state.pose.x == pytest.approx(0.3)


def test_non_finite_commands_and_times_change_nothing():
    state = SimState()
    assert advance(WORLD, state, float('nan'), float('inf'), 0.05).pose == state.pose
    assert advance(WORLD, state, 0.3, 0.0, float('nan')) is state
    assert advance(WORLD, state, 0.3, 0.0, 0.0) is state
