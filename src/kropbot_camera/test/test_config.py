import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from kropbot_camera.config import CameraConfig, ConfigError, validate_config
from kropbot_camera.params import PARAMETERS
from kropbot_common.params import readme_table_errors
import pytest

README = Path(__file__).resolve().parents[1] / 'README.md'


def test_readme_table_is_generated_from_the_schema():
    assert readme_table_errors(README.read_text(), PARAMETERS) == []


def test_only_what_the_node_applies_at_run_time_is_writable():
    # fps, jpeg_quality and frame_id are read per frame; the rest is held by the source.
    assert {p.name for p in PARAMETERS if not p.read_only} == {'fps', 'jpeg_quality',
                                                               'frame_id'}


def test_defaults_are_valid():
    cfg = validate_config({})
    assert cfg == CameraConfig(source='0', width=320, height=240, fps=10.0, jpeg_quality=60,
                               frame_id='camera_optical_frame', retry_period=2.0,
                               sim_arena_size=4.0, sim_world='')


def test_every_default_lies_in_its_range():
    for spec in PARAMETERS:
        if spec.low is not None:
            assert spec.low <= spec.default <= spec.high, spec.name


@pytest.mark.parametrize('name, value, words', [
    ('width', -5, 'out of range'),
    ('height', 0, 'out of range'),
    ('jpeg_quality', 0, 'out of range'),
    ('jpeg_quality', 101, 'out of range'),
    ('jpeg_quality', 50.5, 'integer'),
    ('fps', 0.0, 'out of range'),
    ('fps', math.nan, 'finite'),
    ('fps', 'fast', 'number'),
    ('retry_period', -1.0, 'out of range'),
    ('sim_arena_size', 0.0, 'out of range'),
    ('width', True, 'integer'),
    ('source', '', 'non-empty'),
    ('frame_id', '   ', 'non-empty'),
    ('frame_id', 5, 'non-empty'),
])
def test_bad_values_name_the_parameter(name, value, words):
    with pytest.raises(ConfigError) as err:
        validate_config({name: value})
    assert repr(name) in str(err.value) and words in str(err.value)


def test_ints_are_accepted_for_float_parameters():
    cfg = validate_config({'fps': 5, 'retry_period': 1})
    assert cfg.fps == 5.0 and isinstance(cfg.fps, float)


@given(st.integers(1, 100), st.floats(0.1, 120.0), st.integers(16, 4096))
def test_in_range_values_are_kept(quality, fps, width):
    cfg = validate_config({'jpeg_quality': quality, 'fps': fps, 'width': width})
    assert (cfg.jpeg_quality, cfg.fps, cfg.width) == (quality, fps, width)


@given(st.integers().filter(lambda q: not 1 <= q <= 100))
def test_out_of_range_quality_is_always_rejected(quality):
    with pytest.raises(ConfigError):
        validate_config({'jpeg_quality': quality})


def test_robot_and_sim_yaml_sections_match_the_schema():
    import yaml

    config = Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
    robot = yaml.safe_load((config / 'robot.yaml').read_text())['camera']['ros__parameters']
    sim = yaml.safe_load((config / 'sim.yaml').read_text())['camera']['ros__parameters']
    assert set(robot) == {p.name for p in PARAMETERS} and set(sim) <= set(robot)
    assert validate_config(robot).source == '0'
    assert validate_config({**robot, **sim}).source == 'sim'
