"""Relay tier, pure parts: key space, payloads, credentials and the Zenoh configurations."""

import math
import os
import stat

import cbor2
from kropbot_gateway.relay_wire import (
    Batch,
    WireError,
    decode_batch,
    decode_frame,
    decode_status,
    encode_batch,
    encode_frame,
    encode_frame_fields,
)
from kropbot_gateway.zenoh_bridge import offline_status
import pytest

from kropbot_gateway import keys, relay_auth, relay_config


def test_key_space_under_the_robot_prefix():
    ks = keys.KeySpace('bot1')
    assert ks.camera == 'kropbot/bot1/camera'
    assert ks.status == 'kropbot/bot1/status'
    assert ks.votes('gw-a') == 'kropbot/bot1/votes/gw-a'
    assert ks.votes_all == 'kropbot/bot1/votes/*'
    assert ks.alive_robot == 'kropbot/bot1/alive/robot'
    assert ks.alive_gateway('gw-a') == 'kropbot/bot1/alive/gateway/gw-a'
    assert ks.last_chunk('kropbot/bot1/votes/gw-a', 'votes') == 'gw-a'
    assert ks.last_chunk('kropbot/bot2/votes/gw-a', 'votes') is None
    assert ks.last_chunk('kropbot/bot1/votes/a/b', 'votes') is None


@pytest.mark.parametrize('name', ['', 'a/b', '*', '**', 'a$b', '@x', 'x' * 65, 'é', None])
def test_bad_names_refused(name):
    with pytest.raises(ValueError):
        keys.KeySpace(name)
    with pytest.raises(ValueError):
        keys.KeySpace('ok').votes(name)


def test_frame_round_trip_keeps_the_jpeg_bytes():
    jpeg = bytes(range(256)) * 40
    msg = {'header': {'stamp': {'sec': 12, 'nanosec': 345}, 'frame_id': 'camera_optical_frame'},
           'format': 'jpeg', 'data': jpeg}
    assert decode_frame(encode_frame(msg)) == msg
    assert decode_frame(encode_frame_fields(12, 345, 'camera_optical_frame', 'jpeg', jpeg)) == msg


@pytest.mark.parametrize('payload', [b'', b'\xff\xff', cbor2.dumps([1, 2]),
                                     cbor2.dumps({'sec': 1}),
                                     cbor2.dumps({'sec': 'x', 'nanosec': 0, 'frame_id': '',
                                                  'format': 'jpeg', 'data': b''})])
def test_bad_frames_refused(payload):
    with pytest.raises(WireError):
        decode_frame(payload)


def test_status_is_utf8_json_text():
    assert decode_status(b'{"voters": 1}') == {'data': '{"voters": 1}'}
    with pytest.raises(WireError):
        decode_status(b'\xff')


def test_batch_round_trip():
    batch = Batch('b00t', 7, 123.25, (('ws-abc', 0.2, -1.0), ('ws-def', 0.0, 0.5)), ('ws-x',))
    assert decode_batch(encode_batch(batch)) == batch


def _raw(**over):
    body = {'v': 1, 'boot': 'b', 'seq': 1, 'sent': 1.0, 'votes': [['ws-a', 0.1, 0.2]],
            'left': []}
    body.update(over)
    return cbor2.dumps(body)


@pytest.mark.parametrize('over', [
    {'v': 2}, {'boot': ''}, {'boot': 5}, {'seq': 0}, {'seq': True}, {'sent': math.nan},
    {'sent': 'x'}, {'votes': 'x'}, {'votes': [['ws-a', 0.1]]},
    {'votes': [['ws-a', math.nan, 0.0]]}, {'votes': [['ws-a', math.inf, 0.0]]},
    {'votes': [['a/b', 0.1, 0.0]]}, {'votes': [['', 0.1, 0.0]]},
    {'votes': [['ws-a', True, 0.0]]}, {'left': ['a b']}, {'left': 'ws-a'},
])
def test_bad_batches_refused_whole(over):
    with pytest.raises(WireError):
        decode_batch(_raw(**over))


def test_batch_size_is_bounded():
    with pytest.raises(WireError):
        decode_batch(_raw(votes=[['ws-a', 0.0, 0.0]] * 11), max_votes=10)
    assert len(decode_batch(_raw(votes=[['ws-a', 0.0, 0.0]] * 10), max_votes=10).votes) == 10


def test_offline_status_keeps_the_last_and_zeroes_the_crowd():
    last = {'voters': 5, 'strategy': 'median', 'command': {'linear': 0.3, 'angular': 0.0},
            'histogram': {'forward': 5}}
    out = offline_status(last, stamp=1.0)
    assert out['robot'] == 'offline' and out['voters'] == 0 and out['strategy'] == 'median'
    assert out['command'] == {'linear': 0.0, 'angular': 0.0}
    assert sum(out['histogram'].values()) == 0 and len(out['histogram']) == 9
    assert last['voters'] == 5  # not modified
    assert offline_status()['robot'] == 'offline'


def test_demo_credentials_made_once_private_and_parsable(tmp_path):
    demo = relay_auth.ensure_demo_credentials(tmp_path / 'relay')
    robot = relay_auth.read_credentials(demo.robot)
    gateway = relay_auth.read_credentials(demo.gateway)
    assert robot[0] == 'robot' and gateway[0] == 'gateway' and robot[1] != gateway[1]
    assert relay_auth.read_users(demo.users) == ['robot', 'gateway']
    for path in (demo.users, demo.robot, demo.gateway):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(demo.folder).st_mode) == 0o700
    again = relay_auth.ensure_demo_credentials(tmp_path / 'relay')
    assert relay_auth.read_credentials(again.robot) == robot  # never regenerated


def test_default_relay_dir_is_in_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv(relay_auth.ENV_DIR, raising=False)
    root = relay_auth.find_checkout(__file__)
    assert (root / 'src' / 'kropbot_gateway' / 'package.xml').is_file()
    monkeypatch.chdir(tmp_path)
    assert relay_auth.default_relay_dir() == root / '.kropbot' / 'relay'
    monkeypatch.setenv(relay_auth.ENV_DIR, str(tmp_path / 'x'))
    assert relay_auth.default_relay_dir() == tmp_path / 'x'


@pytest.mark.parametrize('text', ['', 's3cret', ':s3cret', 'user:', 'a:s3cret\nc:d'])
def test_bad_credentials_files_refused_without_echoing(tmp_path, text):
    path = tmp_path / 'c'
    path.write_text(text)
    with pytest.raises(relay_auth.CredentialsError) as err:
        relay_auth.read_credentials(path)
    assert 's3cret' not in str(err.value)
    with pytest.raises(relay_auth.CredentialsError):
        relay_auth.read_credentials(tmp_path / 'missing')


def test_client_config():
    cfg = relay_config.client_config(['tcp/h:7447'], ('robot', 's3cret'), 'ca.pem', 'c.pem',
                                     'k.pem')
    assert cfg['mode'] == 'client' and cfg['connect/endpoints'] == ['tcp/h:7447']
    assert cfg['connect/timeout_ms'] == -1
    assert cfg['transport/auth/usrpwd/user'] == 'robot'
    assert cfg['transport/link/tls/root_ca_certificate'] == 'ca.pem'
    assert 's3cret' not in str(relay_config.redacted(cfg))
    with pytest.raises(ValueError):
        relay_config.client_config([], ('a', 'b'))
    with pytest.raises(ValueError):
        relay_config.client_config(['tcp/h:1'], ('a', 'b'), tls_cert='c.pem')


def test_acl_allows_only_the_roles_keys():
    acl = relay_config.acl_config(['robot'], ['gateway'])
    assert acl['enabled'] and acl['default_permission'] == 'deny'
    rules = {r['id']: r for r in acl['rules']}
    policies = {p['id']: p for p in acl['policies']}

    def allowed(policy, message, flow):
        return {k for rid in policies[policy]['rules'] for k in rules[rid]['key_exprs']
                if message in rules[rid]['messages'] and flow in rules[rid]['flows']}
    assert allowed('robots', 'put', 'ingress') == {keys.CAMERA_ANY, keys.STATUS_ANY}
    assert allowed('gateways', 'put', 'ingress') == {keys.VOTES_ANY}
    assert allowed('robots', 'liveliness_token', 'ingress') == {keys.ALIVE_ROBOT_ANY}
    assert allowed('gateways', 'liveliness_token', 'ingress') == {keys.ALIVE_GATEWAY_ANY}
    assert allowed('gateways', 'declare_subscriber', 'ingress') == {keys.CAMERA_ANY,
                                                                     keys.STATUS_ANY}
    with pytest.raises(ValueError):
        relay_config.acl_config(['x'], ['x'])
    with pytest.raises(ValueError):
        relay_config.acl_config([], ['gateway'])


def test_router_config_and_zenohd_document():
    cfg = relay_config.router_config(['tcp/0.0.0.0:7447'], '/etc/users', ['robot'],
                                     ['gateway'])
    doc = relay_config.nested(cfg)
    assert doc['mode'] == 'router'
    assert doc['transport']['auth']['usrpwd']['dictionary_file'] == '/etc/users'
    assert doc['access_control']['default_permission'] == 'deny'
    with pytest.raises(ValueError):
        relay_config.router_config(['tls/0.0.0.0:7447'], 'u', ['r'], ['g'])
    tls = relay_config.router_config(['tls/0.0.0.0:7447'], 'u', ['r'], ['g'], tls_cert='c',
                                     tls_key='k', tls_client_ca='ca')
    assert tls['transport/link/tls/enable_mtls'] is True


def test_configs_are_accepted_by_zenoh():
    zenoh = pytest.importorskip('zenoh')
    relay_config.to_zenoh(relay_config.client_config(['tcp/127.0.0.1:1'], ('a', 'b'), 'ca'))
    config = relay_config.to_zenoh(relay_config.router_config(
        ['tcp/127.0.0.1:0'], 'u', ['robot'], ['gateway']))
    assert isinstance(config, zenoh.Config)
