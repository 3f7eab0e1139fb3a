import math
from pathlib import Path

from kropbot_sim.fpv import PIT_RGB, FpvRenderer
from kropbot_sim.kinematics import Pose2D
from kropbot_sim.world import load_world, parse_world
import numpy as np
import pytest

DEFAULT_WORLD = (Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
                 / 'sim_world.yaml')


@pytest.fixture(scope='module')
def world():
    return load_world(DEFAULT_WORLD)


def dark_fraction(img):
    return float((img.max(axis=2) < 40).mean())


def test_frame_shape_and_content_changes_with_pose(world):
    renderer = FpvRenderer(world, 160, 120)
    a = renderer.render(Pose2D(0.0, 0.0, 0.0))
    b = renderer.render(Pose2D(0.0, 0.0, 1.0))
    c = renderer.render(Pose2D(-0.5, 0.0, 0.0))
    assert a.shape == (120, 160, 3) and a.dtype == np.uint8
    assert np.abs(a.astype(int) - b).mean() > 10
    assert np.abs(a.astype(int) - c).mean() > 3
    assert np.array_equal(a, renderer.render(Pose2D(0.0, 0.0, 0.0)))   # deterministic


def test_pit_ahead_looks_dark(world):
    renderer = FpvRenderer(world, 160, 120)
    facing = renderer.render(world.starts[3])          # 0.7 m west of the stairwell, facing it
    away = renderer.render(Pose2D(0.0, 1.0, math.pi))
    band = slice(int(0.4 * 120), int(0.6 * 120))       # just below the horizon
    assert dark_fraction(facing[band]) > 0.4
    assert dark_fraction(away[band]) < 0.05
    pit_bgr = np.array(PIT_RGB[::-1])
    assert (np.abs(facing[band].astype(int) - pit_bgr).max(axis=2) <= 12).mean() > 0.3


def test_box_colour_and_position():
    world = parse_world({'kropbot_sim_world': 1,
                         'boxes': [{'name': 'red', 'center': [1.0, 0.0], 'size': [0.2, 0.4],
                                    'height': 0.4, 'color': '#ff0000'}]})
    renderer = FpvRenderer(world, 200, 100)
    img = renderer.render(Pose2D(0.0, 0.0, 0.0)).astype(int)
    b, g, r = img[..., 0], img[..., 1], img[..., 2]
    red = (r > 150) & (g < 60) & (b < 60)
    cols = np.nonzero(red.any(axis=0))[0]
    # the box face spans y in [-0.2, 0.2] at x = 0.9 - camera.forward: centred, ~symmetric
    assert abs((cols.min() + cols.max()) / 2 - 100) < 2
    half_width = renderer.focal * 0.2 / (0.9 - world.robot.camera.forward)
    assert (cols.max() - cols.min() + 1) == pytest.approx(2 * half_width, abs=2)
    # turning left moves the box to the right of the image
    turned = renderer.render(Pose2D(0.0, 0.0, 0.2)).astype(int)
    red2 = (turned[..., 2] > 150) & (turned[..., 1] < 60)
    assert np.nonzero(red2.any(axis=0))[0].mean() > cols.mean() + 10


def test_low_box_shows_its_top_and_fallen_robot_sees_darkness(world):
    low = parse_world({'kropbot_sim_world': 1,
                       'boxes': [{'center': [0.6, 0.0], 'size': [0.3, 0.3], 'height': 0.05,
                                  'color': '#00ff00'}],
                       'pits': [{'center': [-1.5, -1.5], 'size': [0.6, 0.6]}]})
    renderer = FpvRenderer(low, 160, 120)
    img = renderer.render(Pose2D())
    green = (img[..., 1] > 150) & (img[..., 2] < 80)
    rows = np.nonzero(green.any(axis=1))[0]
    assert rows.min() >= renderer.horizon                 # below the horizon: lower than the lens
    assert len(rows) > 3
    fallen = renderer.render(Pose2D(-1.5, -1.5, 0.0))
    assert dark_fraction(fallen) == 1.0


def test_too_small_is_refused(world):
    with pytest.raises(ValueError, match='at least 16x16'):
        FpvRenderer(world, 8, 120)
