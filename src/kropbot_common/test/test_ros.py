"""The ROS adapter on a real rclpy node (in-process, own context)."""

from functools import partial

from kropbot_common.params import Param, ParameterError
from kropbot_common.ros import declare_parameters, descriptor, set_parameters_callback
from kropbot_common.ros_qos import best_effort_qos, reliable_qos
from kropbot_testing.ros_harness import node_factory
import pytest
import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, ReliabilityPolicy

SCHEMA = (
    Param('rate', 10.0, 'publish rate', 'Hz', 1.0, 100.0, read_only=False),
    Param('limit', 0.3, 'a safety limit', 'm/s', 0.01, 5.0),
    Param('mode', 'a', 'which mode', choices=('a', 'b'), read_only=False),
    Param('names', [], 'a list'),
)


@pytest.fixture
def make_node():
    with node_factory(partial(rclpy.create_node, 'kropbot_common_test')) as make:
        yield make


def test_descriptor_carries_range_choices_and_read_only():
    d = descriptor(SCHEMA[1])
    assert d.read_only and d.floating_point_range[0].to_value == 5.0 and 'm/s' in d.description
    assert descriptor(SCHEMA[2]).additional_constraints == 'one of: a, b'


def test_declare_and_run_time_changes(make_node):
    node = make_node(rate=20.0)
    values = declare_parameters(node, SCHEMA)
    assert values == {'rate': 20.0, 'limit': 0.3, 'mode': 'a', 'names': []}
    applied = []
    node.add_on_set_parameters_callback(
        set_parameters_callback(SCHEMA, lambda ch: applied.append(ch)))
    ok = node.set_parameters([Parameter('rate', value=50.0)])[0]
    assert ok.successful and applied == [{'rate': 50.0}]
    assert not node.set_parameters([Parameter('rate', value=500.0)])[0].successful
    assert not node.set_parameters([Parameter('mode', value='zzz')])[0].successful
    refused = node.set_parameters([Parameter('limit', value=1.0)])[0]
    assert not refused.successful and node.get_parameter('limit').value == 0.3
    assert applied == [{'rate': 50.0}]


def test_bad_override_is_a_parameter_error(make_node):
    with pytest.raises(ParameterError, match='limit'):
        declare_parameters(make_node(limit=9.0), SCHEMA)
    with pytest.raises(ParameterError, match='mode'):
        declare_parameters(make_node(mode='c'), SCHEMA)


def test_qos_helpers_build_the_shared_profiles():
    for make, reliability in ((reliable_qos, ReliabilityPolicy.RELIABLE),
                              (best_effort_qos, ReliabilityPolicy.BEST_EFFORT)):
        profile = make(7)
        assert (profile.reliability, profile.durability, profile.history, profile.depth) == (
            reliability, DurabilityPolicy.VOLATILE, HistoryPolicy.KEEP_LAST, 7)
    assert reliable_qos(10) == reliable_qos(10) and reliable_qos(10) != reliable_qos(100)
