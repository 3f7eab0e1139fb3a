"""The vote node's parameter schema: validation, README table, run-time changes applied."""

import math
from pathlib import Path

from kropbot_common.params import (
    ParameterError,
    by_name,
    check,
    check_values,
    readme_table_errors,
)
from kropbot_testing.ros_harness import node_factory
from kropbot_vote.params import PARAMETERS
import pytest
from rclpy.parameter import Parameter

README = Path(__file__).resolve().parents[1] / 'README.md'
SPECS = by_name(PARAMETERS)
#: What the node applies at run time; every other parameter must be read-only.
WRITABLE = {'strategy': 'plurality', 'vote_timeout': 1.5, 'teleop_timeout': 2.0,
            'stop_threshold': 0.5, 'mode': 'queue', 'democracy_window': 4.0,
            'turn_duration': 20.0, 'turn_idle_timeout': 3.0, 'crowd_switch': True,
            'switch_threshold': 0.8, 'switch_cooldown': 10.0, 'mode_vote_timeout': 90.0}


def test_readme_table_is_generated_from_the_schema():
    assert readme_table_errors(README.read_text(), PARAMETERS) == []


@pytest.mark.parametrize(('name', 'value'), [
    ('strategy', 'sum'), ('strategy', ''), ('vote_timeout', 0.0), ('vote_timeout', math.nan),
    ('rate', 0.5), ('status_rate', 1.0), ('max_linear', -0.3), ('max_angular', math.inf),
    ('teleop_timeout', 20.0), ('max_voters', 0), ('max_voters', 10.5), ('max_voters', True),
    ('stop_threshold', 1.5), ('rate', 'fast'), ('executor', 'multi'),
])
def test_bad_values_are_refused_with_the_name(name, value):
    message = check(SPECS[name], value)
    assert message and name in message


def test_defaults_and_valid_values_pass():
    for param in PARAMETERS:
        assert check(param, param.default) is None, param.name
    assert check(SPECS['strategy'], 'plurality') is None
    assert check(SPECS['vote_timeout'], 1) is None
    assert check(SPECS['max_voters'], 100000) is None


def test_read_only_flags_match_what_the_node_applies():
    assert {p.name for p in PARAMETERS if not p.read_only} == set(WRITABLE)
    assert SPECS['max_linear'].read_only and SPECS['max_angular'].read_only  # safety limits


@pytest.fixture
def vote_node():
    """A real VoteNode in its own rclpy context (not spun: parameters only)."""
    from kropbot_vote.vote_node import VoteNode

    with node_factory(VoteNode) as make:
        yield make


def test_writable_parameters_are_applied_and_read_only_ones_refused(vote_node):
    node = vote_node()
    for name, value in WRITABLE.items():
        assert node.set_parameters([Parameter(name, value=value)])[0].successful, name
    assert node._strategy == 'plurality'
    assert node._book.vote_timeout == 1.5 and node._book.stop_threshold == 0.5
    assert node._teleop.timeout == 2.0
    c = node._controller
    assert (c.mode, c.source, c.strategy) == ('queue', 'operator', 'plurality')
    assert (c.core.turn_duration, c.core.idle_timeout, c.core.vote_timeout) == (20.0, 3.0, 1.5)
    assert c.democracy_window == 4.0 and c.crowd_switch
    assert (c.switch.threshold, c.switch.cooldown, c.switch.vote_timeout) == (0.8, 10.0, 90.0)
    for bad in (Parameter('mode', value='chaos'), Parameter('switch_threshold', value=0.5)):
        result = node.set_parameters([bad])[0]
        assert not result.successful and bad.name in result.reason
    assert c.mode == 'queue' and c.switch.threshold == 0.8
    for param in PARAMETERS:
        if param.read_only:
            other = 0.02 if param.kind == 'float' else 2 if param.kind == 'int' else 'single'
            result = node.set_parameters([Parameter(param.name, value=other)])[0]
            assert not result.successful, param.name
            assert node.get_parameter(param.name).value == param.default, param.name
    refused = node.set_parameters([Parameter('teleop_timeout', value=-1.0)])[0]
    assert not refused.successful and node._teleop.timeout == 2.0


def test_bad_start_up_value_is_a_parameter_error(vote_node):
    with pytest.raises(ParameterError, match='executor'):
        vote_node(executor='multi')


def test_robot_yaml_section_matches_the_schema():
    import yaml

    config = Path(__file__).resolve().parents[2] / 'kropbot_bringup' / 'config' / 'robot.yaml'
    section = yaml.safe_load(config.read_text())['vote']['ros__parameters']
    assert set(section) == set(SPECS)
    assert check_values(PARAMETERS, section) == section
