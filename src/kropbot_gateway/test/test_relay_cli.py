"""The ROS-free runners' options: the gateway node's parameter schema, one source (no Zenoh).

``kropbot-gateway`` (relay_cli) and ``python -m kropbot_gateway.standalone`` share them
(kropbot_gateway.cli).
"""

from kropbot_common.params import ParameterError
from kropbot_gateway.config import config_from_params, defaults
from kropbot_gateway.relay_cli import build_parser, settings_from_args
from kropbot_gateway.standalone import parse_args
import pytest


@pytest.fixture
def parse(tmp_path):
    credentials = tmp_path / 'gateway.credentials'
    credentials.write_text('gw:secret\n')

    def _parse(*extra):
        args = build_parser().parse_args(['--zenoh', 'tcp/127.0.0.1:7447', '--web-root', '',
                                          '--credentials', str(credentials), *extra])
        return settings_from_args(args)
    return _parse


def test_defaults_are_the_gateway_nodes(parse):
    config, keyspace, name, zcfg = parse()
    node = config_from_params({**defaults(), 'port': 9090})
    for field in ('max_connections', 'max_connections_per_address', 'max_message_size',
                  'subscribe_allow', 'limits', 'handshake_timeout', 'ping_interval',
                  'ping_timeout', 'allowed_origins', 'address', 'max_votes_per_address'):
        assert getattr(config, field) == getattr(node, field), field
    # mode votes do not travel over the relay: the relay gateway refuses them
    assert config.publish_allow == {'/crowd/vote': 'geometry_msgs/msg/TwistStamped'}
    assert all('/crowd/mode_vote' not in allow for allow in config.roles.publish.values())
    assert node.mode_vote_topics() == ('/crowd/mode_vote',)
    assert (config.port, config.web_root, keyspace.robot) == (9090, None, 'kropbot')
    assert zcfg['transport/auth/usrpwd/user'] == 'gw'


def test_p_sets_any_gateway_parameter_with_its_checks(parse):
    config, *_ = parse('-p', 'max_connections=5000', '-p', 'votes_per_second=2.5',
                       '-p', 'allowed_origins=["https://bot.example"]', '--port', '0')
    assert config.max_connections == 5000 and config.limits.votes_per_second == 2.5
    assert config.allowed_origins == ('https://bot.example',) and config.port == 0
    with pytest.raises(ParameterError, match='votes_per_second'):
        parse('-p', 'votes_per_second=0')  # out of the schema's range
    with pytest.raises(ParameterError, match='max_connections'):
        parse('-p', 'max_connections="many"')


@pytest.mark.parametrize(('bad', 'says'), [
    ('nosuch=1', 'expected name=value with name one of: address, port'),
    ('novalue', 'expected name=value'),
    ('port=80', 'set port with --port'),
    ('address=0.0.0.0', 'set address with --address'),
])
def test_unknown_or_own_option_parameters_are_refused(bad, says, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(['--zenoh', 'tcp/h:7447', '-p', bad])
    assert says in capsys.readouterr().err


def test_the_standalone_runner_takes_parameters_the_same_way(capsys):
    values, namespace = parse_args(['--port', '0', '-p', 'votes_per_second=20.0',
                                    '-p', 'allowed_origins=["*"]', '--namespace', '/bot'])
    assert values == {'votes_per_second': 20.0, 'allowed_origins': ['*'], 'address': '127.0.0.1',
                      'port': 0, 'web_root': ''} and namespace == '/bot'
    assert config_from_params(values).limits.votes_per_second == 20.0
    for bad, says in (('nosuch=1', 'expected name=value'), ('port=80', 'set port with --port')):
        with pytest.raises(SystemExit):
            parse_args(['-p', bad])
        assert says in capsys.readouterr().err
