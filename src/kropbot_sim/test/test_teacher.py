"""The camera teacher acts on what the camera sees, turns left when blocked, drives well; DART."""

import math
from pathlib import Path

from kropbot_sim.kinematics import Pose2D
from kropbot_sim.rollout import rollout
from kropbot_sim.teacher import (
    Dart,
    TeacherParams,
    make_teacher,
    ray_angles,
    teacher_command,
    teacher_policy,
    view_depths,
)
from kropbot_sim.world import load_world, parse_world
import numpy as np
import pytest

DEFAULT_WORLD = (Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
                 / 'sim_world.yaml')
P = TeacherParams()
RADIUS = 0.08


@pytest.fixture(scope='module')
def world():
    return load_world(DEFAULT_WORLD)


def scan(depth=math.inf):
    angles = np.linspace(-0.54, 0.54, P.rays)
    return angles, np.full(P.rays, depth)


def test_open_view_full_speed_straight_and_blocked_view_turns_left():
    assert teacher_command(*scan(), RADIUS) == (P.max_linear, 0.0)
    v, w = teacher_command(*scan(0.05), RADIUS)          # a wall 5 cm from the lens
    assert v == 0.0 and w == P.blocked_turn > 0
    v, w = teacher_command(*scan(P.slow_distance / 2 + P.stop_distance / 2), RADIUS)
    assert 0.0 < v < P.max_linear and w > 0.0            # closing in: slower, turning left


def test_steers_away_from_the_nearer_side_and_is_mirror_symmetric_while_driving():
    angles, depths = scan()
    right = depths.copy()
    right[angles < -0.45] = 0.3                           # something near on the right only
    v, w = teacher_command(angles, right, RADIUS)
    assert v == P.max_linear and w > 0.1                  # out of the corridor: turns left
    v_m, w_m = teacher_command(angles, right[::-1], RADIUS)
    assert v_m == v and w_m == pytest.approx(-w)


def test_view_depths_see_only_the_cameras_field_of_view(world):
    angles = ray_angles(world)
    assert angles[0] == pytest.approx(-world.robot.camera.hfov / 2) and len(angles) == P.rays
    empty = parse_world({'kropbot_sim_world': 1, 'arena': {'size': [4.0, 4.0]},
                         'boxes': [{'name': 'behind', 'center': [-0.5, 0.0], 'size': [0.2, 0.2]}],
                         'pits': [{'name': 'hole', 'center': [1.5, 0.0], 'size': [0.4, 2.0]}]})
    _, depths = view_depths(empty, Pose2D(0.0, 0.0, 0.0))
    # the box behind is not seen; straight ahead the pit's edge (x = 1.3) from the lens
    # (x = 0.06), counted pit_margin nearer
    middle = depths[P.rays // 2]
    assert middle == pytest.approx(1.3 - 0.06 - P.pit_margin)
    _, turned = view_depths(empty, Pose2D(0.0, 0.0, math.pi))
    assert turned[P.rays // 2] == pytest.approx(0.5 - 0.1 - 0.06)   # now it sees the box


@pytest.mark.parametrize('index', range(6))
def test_teacher_drives_from_every_start_without_incident(world, index):
    result = rollout(world, make_teacher(), world.starts[index], duration=60.0, seed=index)
    assert (result.collisions, result.falls) == (0, 0)
    assert result.distance > 10.0                         # it really drives (0.25 m/s top)


def test_teacher_is_deterministic(world):
    pose = Pose2D(0.3, -0.4, 0.5)
    assert teacher_policy(pose, world) == teacher_policy(pose, world, np.random.default_rng(5))


def test_dart_executes_noise_and_labels_the_teachers_command(world):
    pose = Pose2D(0.0, 0.0, 0.0)
    dart = Dart(make_teacher(), angular_std=0.5, tau=1.0, dt=0.05)
    rng = np.random.default_rng(0)
    executed = [dart(pose, world, rng) for _ in range(400)]
    assert dart.label == teacher_policy(pose, world)
    noise = np.array([w for _, w in executed]) - dart.label[1]
    assert 0.2 < noise.std() < 0.8                      # ~angular_std, and slow: correlated
    assert np.corrcoef(noise[:-1], noise[1:])[0, 1] > 0.9
    quiet = Dart(make_teacher(), angular_std=0.0)
    assert quiet(pose, world, rng) == quiet.label
    with pytest.raises(ValueError):
        Dart(make_teacher(), angular_std=-1.0)
    with pytest.raises(ValueError):
        Dart(make_teacher(), tau=0.0)
