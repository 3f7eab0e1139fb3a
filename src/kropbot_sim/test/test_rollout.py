import math

from kropbot_sim.kinematics import Pose2D
from kropbot_sim.rollout import rollout
from kropbot_sim.world import parse_world
import pytest

WORLD = parse_world({
    'kropbot_sim_world': 1,
    'pits': [{'name': 'hole', 'center': [1.0, 0.0], 'size': [0.4, 0.4]}],
    'starts': [[0.0, 0.0, 0.0], [0.0, -1.0, 0.0]],
})


def forward(pose, world, rng):
    return 0.5, 0.0


def test_stop_at_the_first_fall():
    result = rollout(WORLD, forward, duration=10.0, on_fall='stop')
    assert result.first_incident == 'fall' and result.falls == 1 and result.collisions == 0
    # the centre enters the pit at x = 0.8 (0.5 m/s is clamped to max_linear 0.3 m/s)
    assert result.distance_before_incident == pytest.approx(0.8, abs=0.02)
    assert result.time_before_incident == pytest.approx(0.8 / 0.3, abs=0.06)
    assert result.duration == pytest.approx(result.time_before_incident)
    assert result.final.fallen


def test_reset_after_each_fall_and_per_minute_rates():
    result = rollout(WORLD, forward, duration=30.0, on_fall='reset', record=True)
    assert result.falls == 11                      # one every 0.8 / 0.3 = 2.67 s
    assert result.falls_per_minute == pytest.approx(22.0)
    assert not result.final.fallen
    assert result.poses.shape == (601, 3)
    assert result.distance_before_incident == pytest.approx(0.8, abs=0.02)


def test_collisions_counted_and_commands_clamped():
    result = rollout(WORLD, lambda p, w, r: (float('nan'), 99.0), WORLD.starts[1], duration=2.0)
    assert result.distance == 0.0                  # NaN linear -> 0; spinning in place
    assert result.final.pose.yaw == pytest.approx(math.remainder(1.5 * 2.0, 2 * math.pi))
    result = rollout(WORLD, forward, WORLD.starts[1], duration=10.0, max_linear=0.5)
    assert result.first_incident == 'collision' and result.collisions == 1
    assert result.distance_before_incident == pytest.approx(2.0 - 0.08, abs=1e-3)
    assert result.collisions_per_minute == pytest.approx(6.0)


def test_bad_arguments():
    with pytest.raises(ValueError):
        rollout(WORLD, forward, duration=0.0)
    with pytest.raises(ValueError):
        rollout(WORLD, forward, on_fall='respawn')
    assert rollout(WORLD, forward, Pose2D(0.0, 1.0, 0.0), duration=0.1).duration > 0
