import math

from hypothesis import example, given, settings
from hypothesis import strategies as st
from kropbot_sim.geometry import FACE_X, FACE_Y
from kropbot_sim.world import parse_world
import numpy as np
import pytest

WORLD = parse_world({
    'kropbot_sim_world': 1,
    'arena': {'size': [4.0, 2.0]},
    'boxes': [{'name': 'a', 'center': [1.0, 0.0], 'size': [0.4, 0.2]},
              {'name': 'r', 'center': [-1.0, 0.5], 'size': [0.4, 0.4], 'yaw': math.pi / 4}],
    'pits': [{'name': 'p', 'center': [-1.0, -0.6], 'size': [0.6, 0.4], 'depth': 1.0}],
})
G = WORLD.geometry


def test_disc_clearance():
    assert float(G.disc_clearance(0.0, 0.0)) == pytest.approx(0.8)       # box a: x 0.8..1.2
    assert float(G.disc_clearance(0.0, 0.9)) == pytest.approx(0.1)       # wall y = 1
    assert float(G.disc_clearance(1.0, 0.0)) == pytest.approx(-0.1)      # inside box a
    corner = math.sqrt(2) * 0.2                                          # rotated box r
    assert float(G.disc_clearance(-1.0 + corner + 0.3, 0.5)) == pytest.approx(0.3)
    assert G.disc_free(np.array([0.0, 0.75]), np.array([0.0, 0.0]), 0.08).tolist() == \
        [True, False]
    assert G.disc_blocker(0.0, 0.0, 0.08) is None
    assert G.disc_blocker(0.7, 0.0, 0.2) == "box 'a'"
    assert G.disc_blocker(1.95, 0.0, 0.08) == 'the arena wall'


def test_pits():
    assert G.pit_at(-1.0, -0.6) == 0 and G.pit_at(0.0, 0.0) is None
    assert G.pit_index(np.array([-1.29, -1.31]), np.array([-0.6, -0.6])).tolist() == [0, -1]
    assert G.pit_index(-1.35, -0.6, margin=0.1) == 0
    assert G.pit_entry((0.0, -0.6), [math.pi])[0] == pytest.approx(0.7)
    assert math.isinf(G.pit_entry((0.0, -0.6), [0.0])[0])


def test_rays_to_walls_and_boxes():
    d = G.ray_distance((0.0, 0.0), [0.0, math.pi / 2, -math.pi / 2, math.pi])
    assert d.tolist() == pytest.approx([0.8, 1.0, 1.0, 2.0])
    t, face = G.wall_hits((0.0, 0.0), [math.pi / 2, math.pi])
    assert face.tolist() == [FACE_Y, FACE_X]
    t_near, t_far, faces = G.box_hits((0.0, 0.0), [0.0])
    assert (t_near[0, 0], t_far[0, 0], faces[0, 0]) == pytest.approx((0.8, 1.2, FACE_X))
    assert G.ray_distance((0.0, 0.0), [0.0], max_range=0.5)[0] == math.inf
    # a disc of radius 0.1 travels 0.1 less towards a face
    assert G.ray_distance((0.0, 0.0), [0.0], inflate=0.1)[0] == pytest.approx(0.7)
    # from inside a box the distance is 0
    assert G.ray_distance((1.0, 0.0), [1.0])[0] == 0.0


@settings(max_examples=60, deadline=None)
@given(st.floats(-1.9, 1.9), st.floats(-0.9, 0.9), st.floats(-math.pi, math.pi))
@example(0.0, 0.1, 0.0)  # grazes box a's top edge
def test_ray_distance_matches_marching(x, y, angle):
    """The slab test agrees with marching along the ray until it touches a box or a wall.

    Boxes are closed (the slab test counts a ray grazing an edge as a hit, e.g. y = 0.1 along
    box a's top side), so touching (clearance <= 0) ends the march too.
    """
    if G.disc_clearance(x, y) <= 0.01:
        return
    d = G.ray_distance((x, y), [angle])[0]
    steps = np.arange(0.0, 5.0, 0.002)
    xs, ys = x + steps * math.cos(angle), y + steps * math.sin(angle)
    first = steps[np.argmax(G.disc_clearance(xs, ys) <= 0)]
    assert d == pytest.approx(first, abs=0.004)
