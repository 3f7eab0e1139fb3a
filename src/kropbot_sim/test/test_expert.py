from pathlib import Path

from kropbot_sim.expert import ExpertParams, expert_policy, free_distances, make_expert
from kropbot_sim.kinematics import Pose2D
from kropbot_sim.rollout import rollout
from kropbot_sim.world import load_world
import numpy as np
import pytest

DEFAULT_WORLD = (Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
                 / 'sim_world.yaml')


@pytest.fixture(scope='module')
def world():
    return load_world(DEFAULT_WORLD)


def forward(pose, world, rng):
    return 0.3, 0.0


def test_newcomers_first_forward_drives_freely_for_1_5_m(world):
    result = rollout(world, forward, world.starts[0], duration=15.0)
    assert result.distance_before_incident >= 1.5
    assert result.first_incident == 'collision'           # it ends at the east wall, no fall
    assert result.falls == 0


@pytest.mark.parametrize('index', range(6))
def test_expert_avoids_walls_boxes_and_the_pit_from_every_start(world, index):
    result = rollout(world, make_expert(), world.starts[index], duration=60.0, seed=index)
    assert (result.collisions, result.falls) == (0, 0)
    assert result.distance > 5.0                          # it really drives


def test_expert_from_random_poses(world):
    rng = np.random.default_rng(7)
    geometry = world.geometry
    starts = []
    while len(starts) < 8:
        x, y = rng.uniform(-1.9, 1.9, 2)
        if geometry.disc_free(x, y, world.robot.radius + 0.01) and \
                geometry.pit_index(x, y, margin=0.05) < 0:
            starts.append(Pose2D(x, y, rng.uniform(-np.pi, np.pi)))
    for i, start in enumerate(starts):
        result = rollout(world, make_expert(), start, duration=30.0, seed=i)
        assert (result.collisions, result.falls) == (0, 0), start


def test_the_pit_is_what_the_expert_avoids(world):
    """Driving straight towards the stairwell falls in; the expert turns away in time."""
    facing = world.starts[2]
    assert rollout(world, forward, facing, duration=10.0, on_fall='stop').first_incident == 'fall'
    result = rollout(world, make_expert(), facing, duration=10.0, seed=3)
    assert result.falls == 0


def test_policy_is_pure_given_the_rng(world):
    pose = Pose2D(0.3, -0.4, 0.5)
    a = expert_policy(pose, world, np.random.default_rng(1))
    b = expert_policy(pose, world, np.random.default_rng(1))
    assert a == b
    v, w = a
    assert 0.0 <= v <= ExpertParams().max_linear and abs(w) <= ExpertParams().max_angular


def test_turns_in_place_facing_a_wall(world):
    pose = Pose2D(2.0 - world.robot.radius - 0.02, -1.5, 0.0)
    free = free_distances(world, pose, [0.0])
    assert free[0] == 0.0
    v, w = expert_policy(pose, world, np.random.default_rng(0))
    assert v == 0.0 and abs(w) == ExpertParams().max_angular


def test_random_policy_has_incidents(world):
    """The baseline: a random policy collides (so the expert's zero means something)."""
    def random_policy(pose, world, rng):
        return rng.uniform(0.0, 0.3), rng.uniform(-1.5, 1.5)

    results = [rollout(world, random_policy, s, duration=30.0, seed=i)
               for i, s in enumerate(world.starts)]
    assert sum(r.collisions + r.falls for r in results) > 0
