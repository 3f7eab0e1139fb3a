import importlib.util
import math
from pathlib import Path

from kropbot_sim.world import (
    WorldError,
    empty_world,
    load_world,
    parse_world,
    resolve_path,
    world_from_parameter,
)
import pytest
import yaml

DEFAULT_WORLD = (Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
                 / 'sim_world.yaml')


def minimal(**extra):
    data = {'kropbot_sim_world': 1}
    data.update(extra)
    return data


def test_default_world_loads():
    world = load_world(DEFAULT_WORLD)
    assert world.size == (4.0, 4.0)
    assert [b.name for b in world.boxes][-1] == 'partition'   # walls become boxes
    assert [p.name for p in world.pits] == ['stairwell']
    assert world.starts[0].x == 0.0 and world.starts[0].yaw == 0.0
    assert len(world.starts) >= 4
    assert world.source.endswith('sim_world.yaml')


def test_defaults_and_colours():
    world = parse_world(minimal(boxes=[{'center': [1, 1], 'size': [0.2, 0.2],
                                        'color': [10, 20, 30]}],
                                arena={'wall_color': '#FF8000'}))
    assert world.size == (4.0, 4.0) and world.robot.radius == 0.08
    assert world.boxes[0].name == 'box 1' and world.boxes[0].color == (10, 20, 30)
    assert world.wall_color == (255, 128, 0)
    assert world.starts[0].x == 0.0


def test_wall_segment_becomes_a_rotated_box():
    world = parse_world(minimal(walls=[{'from': [0.0, 1.0], 'to': [1.0, 2.0],
                                        'thickness': 0.1}]))
    wall = world.boxes[0]
    assert wall.center == pytest.approx((0.5, 1.5))
    assert wall.size == pytest.approx((math.sqrt(2.0), 0.1))
    assert wall.yaw == pytest.approx(math.pi / 4)
    assert wall.height == world.wall_height


@pytest.mark.parametrize('data, fragment', [
    ({'name': 'x'}, 'not a KropBot sim world'),
    ([1, 2], 'not a KropBot sim world'),
    (minimal(kropbot_sim_world=2), 'reads format 1'),
    (minimal(bxoes=[]), 'unknown key(s) bxoes'),
    (minimal(arena={'size': [4.0]}), 'arena.size: must be a list of 2 numbers'),
    (minimal(arena={'size': [4.0, 0.1]}), 'arena.size: must be in [0.5, 100]'),
    (minimal(arena={'wall_height': float('nan')}), 'arena.wall_height: must be a finite'),
    (minimal(arena={'wall_color': 'red'}), 'arena.wall_color: must be "#rrggbb"'),
    (minimal(floor={'colors': ['#000000']}), 'floor.colors: must be a list of 2'),
    (minimal(boxes=[{'size': [1, 1]}]), 'boxes[0]: missing center'),
    (minimal(boxes=[{'center': [1, 1], 'size': [1, -1]}]), 'boxes[0].size'),
    (minimal(boxes=[{'center': [1, 1], 'size': [1, 1], 'height': True}]), 'boxes[0].height'),
    (minimal(boxes=[{'center': [1, 1], 'size': [1, 1], 'colour': '#000000'}]),
     'boxes[0]: unknown key(s) colour'),
    (minimal(walls=[{'from': [0, 0], 'to': [0, 0]}]), 'walls[0]: from and to must differ'),
    (minimal(pits=[{'center': [1, 1], 'size': [1, 1], 'depth': 0}]), 'pits[0].depth'),
    (minimal(starts=[]), 'starts: must be a non-empty list'),
    (minimal(starts=[[0, 0]]), 'starts[0]: must be [x, y, yaw]'),
    (minimal(starts=[[1.97, 0, 0]]), 'starts[0]: the robot (radius 0.08 m) at (1.97, 0) '
                                     'overlaps the arena wall'),
    (minimal(boxes=[{'name': 'crate', 'center': [0.15, 0], 'size': [0.2, 0.2]}]),
     "overlaps box 'crate'"),
    (minimal(pits=[{'name': 'hole', 'center': [0, 0], 'size': [0.5, 0.5]}]),
     "starts[0]: (0, 0) is inside pit 'hole'"),
    (minimal(robot={'camera': {'hfov': 4.0}}), 'robot.camera.hfov: must be in'),
    (minimal(robot={'radius': 'big'}), 'robot.radius: must be a finite number'),
])
def test_invalid_worlds_are_refused_with_the_key_path(data, fragment):
    with pytest.raises(WorldError) as err:
        parse_world(data)
    assert fragment in str(err.value)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(WorldError, match='cannot read sim world .*nope.yaml'):
        load_world(tmp_path / 'nope.yaml')
    bad = tmp_path / 'bad.yaml'
    bad.write_text('kropbot_sim_world: 1\narena: {size: [4, 4]\n')
    with pytest.raises(WorldError, match=r'bad.yaml: line \d+ not valid YAML'):
        load_world(bad)
    wrong = tmp_path / 'wrong.yaml'
    wrong.write_text(yaml.safe_dump(minimal(arena={'size': [1, 2, 3]})))
    with pytest.raises(WorldError, match='wrong.yaml: arena.size'):
        load_world(wrong)


def test_world_from_parameter(tmp_path):
    assert world_from_parameter('', 6.0).size == (6.0, 6.0)
    assert world_from_parameter('  ', 4.0).boxes == ()
    assert world_from_parameter(str(DEFAULT_WORLD)).pits
    with pytest.raises(WorldError, match='arena.size'):
        empty_world(0.1)
    # package:// is resolved with ament_index_python: with ROS a missing package is named; in the
    # ROS-free noble job (tests/test_noble.py) the error says what package:// needs instead
    if importlib.util.find_spec('ament_index_python') is not None:
        expected = "package 'no_such_package_xyz' is not installed"
    else:
        expected = r"package:// needs ament_index_python \(No module named 'ament_index_python'\)"
    with pytest.raises(WorldError, match=expected):
        world_from_parameter('package://no_such_package_xyz/w.yaml')
    with pytest.raises(WorldError, match='expected package://<package>/<path>'):
        resolve_path('package://only_a_package')
    assert resolve_path('~/w.yaml').endswith('/w.yaml') and not resolve_path('~/w.yaml')[0] == '~'
