import math
from pathlib import Path

from kropbot_driver.backends import SimBackend
from kropbot_driver.kinematics import body_twist
from kropbot_sim.kinematics import Pose2D
from kropbot_sim.world import load_world
import pytest

DEFAULT_WORLD = (Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
                 / 'sim_world.yaml')


def test_sim_robot_never_leaves_the_empty_arena():
    sim = SimBackend(wheel_separation=0.12, max_wheel_speed=0.5, arena_size=4.0)
    sim.set_throttles(1.0, 0.9)   # a 1.14 m radius circle centred on (0, -1.14): crosses y=-2
    blocked = 0
    for _ in range(2000):
        sim.step(0.05)
        r = sim.world.robot.radius
        assert abs(sim.pose.x) <= 2.0 - r + 1e-9 and abs(sim.pose.y) <= 2.0 - r + 1e-9
        blocked += sim.blocked
    assert blocked > 0 and sim.state.collisions >= 1


def test_sim_drives_forward_and_stops():
    sim = SimBackend(wheel_separation=0.12, max_wheel_speed=0.5)
    sim.set_throttles(0.5, 0.5)
    sim.step(1.0)
    assert sim.pose.x == pytest.approx(0.25) and sim.linear == pytest.approx(0.25)
    sim.stop()
    sim.step(1.0)
    assert sim.pose.x == pytest.approx(0.25) and sim.linear == 0.0
    sim.set_throttles(float('nan'), 0.5)      # NaN is a stop for that wheel
    assert sim.throttles == (0.0, 0.5)


def test_default_world_fall_reset_and_refused_poses():
    world = load_world(DEFAULT_WORLD)
    sim = SimBackend(world=world, start=2)    # facing the stairwell, 1 m away
    assert sim.pose == world.starts[2]
    sim.set_throttles(0.6, 0.6)
    for _ in range(200):
        sim.step(0.05)
    assert sim.state.fallen and sim.state.falls == 1 and sim.linear == 0.0
    where = sim.pose
    sim.step(0.5)
    assert sim.pose == where                  # ignores its throttles while fallen
    assert sim.reset() == world.starts[2] and not sim.state.fallen
    assert sim.state.falls == 1               # counts since start
    with pytest.raises(ValueError, match="inside pit 'stairwell'"):
        sim.reset(Pose2D(1.35, 0.95, 0.0))
    with pytest.raises(ValueError, match="overlaps box 'red crate'"):
        sim.reset(Pose2D(-1.1, 1.0, 0.0))
    with pytest.raises(ValueError, match='finite'):
        sim.reset(Pose2D(math.nan, 0.0, 0.0))
    assert sim.pose == world.starts[2]
    assert sim.reset(Pose2D(-1.0, 0.0, 1.0)) == Pose2D(-1.0, 0.0, 1.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match='has 1 start pose'):
        SimBackend(start=1)
    with pytest.raises(ValueError, match='stop_mode'):
        SimBackend(stop_mode='drift')
    with pytest.raises(ValueError, match='> 0'):
        SimBackend(max_wheel_speed=0.0)


def test_body_twist():
    assert body_twist(-0.06, 0.06, 0.12) == pytest.approx((0.0, 1.0))
