import math
from pathlib import Path

from kropbot_camera.fpv_source import FpvSource
from kropbot_camera.sim_view import SimView, make_transform
from kropbot_camera.sources import SimSource, make_source
from kropbot_sim.world import load_world
import numpy as np
import pytest

WORLD = load_world(Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
                   / 'sim_world.yaml')


def test_make_source_builds_the_sim_views():
    fpv = make_source('sim_fpv', 64, 48, 5.0, pose_provider=lambda: None, world=WORLD)
    assert isinstance(fpv, FpvSource) and not fpv.live
    assert isinstance(make_source('sim', 64, 48, 5.0, pose_provider=lambda: None, world=WORLD),
                      SimSource)
    with pytest.raises(ValueError, match='needs a sim world'):
        make_source('sim_fpv', 64, 48, 5.0, pose_provider=lambda: None)
    with pytest.raises(ValueError, match='sim_fpv source needs a pose provider'):
        make_source('sim_fpv', 64, 48, 5.0, world=WORLD)


def test_fpv_source_waits_for_odom_then_renders_the_pose():
    pose = [None]
    src = FpvSource(lambda: pose[0], WORLD, 160, 120)
    assert src.grab()
    waiting = src.retrieve()
    assert waiting.shape == (120, 160, 3) and waiting.std() < 30     # flat grey with a label
    pose[0] = (0.0, 1.0, 0.0)                                        # facing the stairwell
    src.grab()
    facing = src.retrieve()
    pose[0] = (0.0, 1.0, math.pi)
    src.grab()
    away = src.retrieve()
    band = facing[50:70]
    assert (band.max(axis=2) < 40).mean() > 0.4                      # the pit is dark
    assert (away[50:70].max(axis=2) < 40).mean() < 0.05
    src.close()


def test_top_down_view_draws_boxes_and_pits():
    view = SimView(4.0, 320, 240, WORLD)
    img = view.draw(None)
    t = make_transform(4.0, 320, 240)
    for box in WORLD.boxes[:4]:
        u, v = (int(round(c)) for c in t.to_pixel(*box.center))
        assert tuple(img[v, u]) == tuple(box.color[::-1]), box.name
    u, v = (int(round(c)) for c in t.to_pixel(*WORLD.pits[0].center))
    assert tuple(img[v, u]) == (0, 0, 0)
    empty = SimView(4.0, 320, 240).draw(None)
    assert not np.array_equal(img, empty)
