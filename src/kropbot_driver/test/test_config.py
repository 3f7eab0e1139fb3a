from pathlib import Path

from kropbot_common.params import readme_table_errors
from kropbot_driver.config import ConfigError, check_config, check_parameter
from kropbot_driver.params import PARAMETERS
import pytest

README = Path(__file__).resolve().parents[1] / 'README.md'
SPECS = {s.name: s for s in PARAMETERS}

DEFAULTS = {s.name: s.default for s in PARAMETERS}


def test_defaults_are_valid():
    assert check_config(DEFAULTS) == DEFAULTS


@pytest.mark.parametrize('name,value,fragment', [
    ('stop_mode', 'banana', 'brake, coast'),
    ('backend', 'gpio', 'motorkit, sim'),
    ('max_wheel_speed', -1.0, '[0.01, 10.0]'),
    ('max_wheel_speed', float('nan'), 'finite'),
    ('cmd_vel_timeout', 0.0, 'cmd_vel_timeout'),
    ('left_motor', 5, '[1, 4]'),
    ('i2c_address', 0x80, 'i2c_address'),
    ('trim_left', 1.5, 'trim_left'),
    ('invert_left', 'yes', 'true or false'),
    ('odom_frame_id', '', 'frame id'),
    ('pwm_frequency', 5000.0, 'pwm_frequency'),
])
def test_bad_values_are_named(name, value, fragment):
    error = check_parameter(name, value)
    assert error and fragment in error and name in error
    with pytest.raises(ConfigError, match=name):
        check_config({**DEFAULTS, name: value})


def test_cross_parameter_rules():
    with pytest.raises(ConfigError, match='must differ'):
        check_config({**DEFAULTS, 'left_motor': 2, 'right_motor': 2})
    with pytest.raises(ConfigError, match='update_rate'):
        check_config({**DEFAULTS, 'update_rate': 2.0, 'cmd_vel_timeout': 0.5})


def test_sim_start_of_the_empty_arena():
    sim = {**DEFAULTS, 'backend': 'sim'}
    with pytest.raises(ConfigError, match="sim_start .3. must be 0 when sim_world is ''"):
        check_config({**sim, 'sim_start': 3})
    # a world file may have more start poses (checked when the backend loads it) ...
    assert check_config({**sim, 'sim_world': 'w.yaml', 'sim_start': 3})['sim_start'] == 3
    # ... and the motorkit backend ignores the sim parameters
    assert check_config({**DEFAULTS, 'sim_start': 3})['sim_start'] == 3
    assert check_parameter('sim_start', 1000) and check_parameter('sim_start', -1)
    assert check_parameter('sim_world', 3)


def test_safety_limits_are_read_only():
    for name in ('max_wheel_speed', 'cmd_vel_timeout', 'wheel_separation', 'watchdog',
                 'watchdog_timeout', 'i2c_bus', 'i2c_address', 'backend'):
        assert SPECS[name].read_only


def test_only_what_the_node_applies_at_run_time_is_writable():
    # calibration (mix config) and stop mode are applied by DriverNode._apply_parameters
    assert {p.name for p in PARAMETERS if not p.read_only} == {
        'invert_left', 'invert_right', 'trim_left', 'trim_right', 'stop_mode'}


def test_readme_table_is_generated_from_the_schema():
    assert readme_table_errors(README.read_text(), PARAMETERS) == []


def test_int_accepted_for_float():
    assert check_parameter('max_wheel_speed', 1) is None
    assert check_config({**DEFAULTS, 'max_wheel_speed': 1})['max_wheel_speed'] == 1.0


def test_robot_and_sim_yaml_sections_match_the_schema():
    import yaml

    config = Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config'
    robot = yaml.safe_load((config / 'robot.yaml').read_text())['driver']['ros__parameters']
    sim = yaml.safe_load((config / 'sim.yaml').read_text())['driver']['ros__parameters']
    assert set(robot) == set(SPECS) and set(sim) <= set(robot)
    assert check_config(robot)['backend'] == 'motorkit'
    assert check_config({**robot, **sim})['backend'] == 'sim'
