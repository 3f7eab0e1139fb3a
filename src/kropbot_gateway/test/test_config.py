"""The gateway's parameter schema: README table, robot.yaml, read-only flags, validation."""

from pathlib import Path

from kropbot_common.params import ParameterError, readme_table_errors
from kropbot_gateway.config import PARAMETERS, config_from_params, defaults
import pytest
import yaml

PKG = Path(__file__).resolve().parents[1]
ROBOT_YAML = PKG.parent / 'kropbot_bringup' / 'config' / 'robot.yaml'


def test_readme_parameter_table_matches_the_schema():
    assert readme_table_errors((PKG / 'README.md').read_text(), PARAMETERS) == []


def test_every_parameter_is_read_only():
    # The server reads its settings once at start-up; no run-time change is applied.
    assert [p.name for p in PARAMETERS if not p.read_only] == []


def test_robot_yaml_gateway_section_is_valid_and_known():
    values = yaml.safe_load(ROBOT_YAML.read_text())['gateway']['ros__parameters']
    assert set(values) <= {p.name for p in PARAMETERS}
    config = config_from_params(values)
    assert config.websocket and config.publish_allow == {
        '/crowd/vote': 'geometry_msgs/msg/TwistStamped', '/crowd/mode_vote': 'std_msgs/msg/String'}


def test_defaults_and_page_only_mode():
    config = config_from_params(defaults())
    assert (config.address, config.port, config.websocket, config.rosbridge_port) == (
        '127.0.0.1', 9090, True, 9090)
    page_only = config_from_params({'websocket': False, 'port': 8000, 'rosbridge_port': 9090})
    assert (page_only.websocket, page_only.port, page_only.rosbridge_port) == (False, 8000, 9090)


@pytest.mark.parametrize('bad, fragment', [
    ({'port': 70000}, "'port'"),
    ({'port': 9090.0}, 'integer'),
    ({'rosbridge_port': 0}, "'rosbridge_port'"),
    ({'websocket': 'no'}, 'true or false'),
    ({'votes_per_second': 0.0}, "'votes_per_second'"),
    ({'max_connections': 'many'}, "'max_connections'"),
    ({'allow_publish': ['cmd_vel:geometry_msgs/msg/Twist']}, 'only geometry_msgs'),
    ({'allow_subscribe': ['nocolon']}, "'allow_subscribe'"),
    ({'allowed_origins': ['evil.com']}, "'allowed_origins'"),
    ({'address': ''}, "'address'"),
])
def test_bad_values_name_the_parameter(bad, fragment):
    with pytest.raises(ParameterError, match=fragment):
        config_from_params(bad)
