import math

from kropbot_sim.kinematics import Pose2D
from kropbot_sim.ranges import CLIFF, FRONT, RangeSpec, cliff_range, front_range
from kropbot_sim.world import parse_world
import numpy as np
import pytest

WORLD = parse_world({
    'kropbot_sim_world': 1,
    'arena': {'size': [4.0, 4.0]},
    'boxes': [{'name': 'b', 'center': [0.0, 1.0], 'size': [0.4, 0.2]}],
    'pits': [{'name': 'shallow', 'center': [1.0, -1.0], 'size': [0.4, 0.4], 'depth': 0.05},
             {'name': 'stairs', 'center': [-1.0, -1.0], 'size': [0.4, 0.4], 'depth': 2.5}],
})
R = WORLD.robot.radius


def test_cliff_over_floor_and_pits():
    assert cliff_range(WORLD, Pose2D()) == pytest.approx(CLIFF.z)
    # the sensor is at the front edge: the centre is still on the floor, the sensor over the pit
    over_stairs = Pose2D(-1.0, -0.8 + R / 2, -math.pi / 2)
    assert WORLD.geometry.pit_at(over_stairs.x, over_stairs.y) is None
    assert cliff_range(WORLD, over_stairs) == math.inf              # REP 117: no floor in range
    over_shallow = Pose2D(1.0, -0.8 + R / 2, -math.pi / 2)
    assert cliff_range(WORLD, over_shallow) == pytest.approx(CLIFF.z + 0.05)
    # facing away from the pit from the same place: floor
    assert cliff_range(WORLD, Pose2D(-1.0, -0.8 + R / 2, math.pi / 2)) == pytest.approx(CLIFF.z)
    too_close = RangeSpec(z=0.003)
    assert cliff_range(WORLD, Pose2D(), too_close) == -math.inf     # REP 117: too close


def test_front_range_to_walls_and_boxes():
    assert front_range(WORLD, Pose2D()) == math.inf                  # wall 1.92 m > 1.2 m
    assert front_range(WORLD, Pose2D(1.2, 0.0, 0.0)) == pytest.approx(2.0 - 1.2 - R)
    # the box is 0.9 - 0.08 = 0.82 m ahead of the sensor when facing +y
    assert front_range(WORLD, Pose2D(0.0, 0.0, math.pi / 2)) == pytest.approx(0.9 - R)
    # off-axis: only a ray of the 25 deg cone sees the box
    off = Pose2D(0.32, 0.0, math.pi / 2)
    narrow = RangeSpec(z=0.05, min_range=0.03, max_range=1.2, field_of_view=0.0, rays=1)
    assert front_range(WORLD, off, narrow) == math.inf
    assert front_range(WORLD, off) < 1.2
    near_wall = Pose2D(2.0 - R - 0.01, 0.0, 0.0)
    assert front_range(WORLD, near_wall) == -math.inf               # 1 cm < min_range 3 cm


def test_noise():
    noisy = RangeSpec(z=0.05, min_range=0.03, max_range=1.2, noise_std=0.01)
    pose = Pose2D(1.2, 0.0, 0.0)
    with pytest.raises(ValueError, match='needs an rng'):
        front_range(WORLD, pose, noisy)
    rng = np.random.default_rng(1)
    readings = np.array([front_range(WORLD, pose, noisy, rng) for _ in range(400)])
    assert readings.mean() == pytest.approx(2.0 - 1.2 - R, abs=0.002)
    assert readings.std() == pytest.approx(0.01, rel=0.15)
    assert front_range(WORLD, Pose2D(), FRONT) == math.inf          # inf stays inf
