"""The clients' side of the protocol (kropbot_remote, kropbot_pilot): ops, decoding, back-off."""

import base64
import json
import random

import cbor2
from hypothesis import given
from hypothesis import strategies as st
from kropbot_gateway.client_protocol import (
    CROWD,
    OPERATOR,
    Backoff,
    Frame,
    ServerMessage,
    Status,
    check_url,
    command_op,
    connect_options,
    decode,
    encode,
    setup_ops,
)
import pytest


def test_setup_ops_per_role():
    crowd = setup_ops(CROWD)
    assert [(o['op'], o['topic']) for o in crowd] == [
        ('subscribe', 'camera/image_raw/compressed'), ('subscribe', 'crowd/status'),
        ('advertise', 'crowd/vote')]
    assert crowd[0]['compression'] == 'cbor' and crowd[0]['topic'] == 'camera/image_raw/compressed'
    assert crowd[0]['throttle_rate'] == 0 and setup_ops(CROWD, 250)[0]['throttle_rate'] == 250
    assert crowd[1]['topic'] == 'crowd/status'
    assert crowd[2] == {'op': 'advertise', 'id': 'command', 'topic': 'crowd/vote',
                        'type': 'geometry_msgs/msg/TwistStamped'}
    assert setup_ops(OPERATOR)[2]['topic'] == 'teleop/cmd_vel'


def test_command_ops():
    vote = command_op(CROWD, 0.2, -0.5)
    assert vote['topic'] == 'crowd/vote'
    assert vote['msg']['twist']['linear']['x'] == 0.2
    assert vote['msg']['twist']['angular']['z'] == -0.5
    teleop = command_op(OPERATOR, 0.1, 0.3)
    assert teleop == {'op': 'publish', 'topic': 'teleop/cmd_vel',
                      'msg': {'linear': {'x': 0.1, 'y': 0.0, 'z': 0.0},
                              'angular': {'x': 0.0, 'y': 0.0, 'z': 0.3}}}
    assert 'header' not in teleop['msg']
    for bad in (float('nan'), float('inf')):
        with pytest.raises(ValueError):
            command_op(CROWD, bad, 0.0)
    assert json.loads(encode(teleop)) == teleop


def test_decode_frames_status_and_errors():
    header = {'stamp': {'sec': 10, 'nanosec': 500_000_000}, 'frame_id': 'camera_optical_frame'}
    cbor = cbor2.dumps({'op': 'publish', 'topic': 'camera/image_raw/compressed',
                        'msg': {'header': header, 'format': 'jpeg', 'data': b'\xff\xd8xx'}})
    assert decode(cbor) == Frame(b'\xff\xd8xx', 10.5)
    absolute = cbor2.dumps({'op': 'publish', 'topic': '/camera/image_raw/compressed', 'msg': {
        'header': {'stamp': {'sec': 3, 'nanosec': 500000000}}, 'data': b'\xff\xd8jpeg'}})
    assert decode(absolute) == Frame(b'\xff\xd8jpeg', 3.5)
    as_json = json.dumps({'op': 'publish', 'topic': '/camera/image_raw/compressed',
                          'msg': {'header': header, 'data': base64.b64encode(b'ab').decode()}})
    assert decode(as_json) == Frame(b'ab', 10.5)
    status = json.dumps({'op': 'publish', 'topic': 'crowd/status',
                         'msg': {'data': json.dumps({'voters': 2})}})
    assert decode(status) == Status({'voters': 2})
    assert decode('{"op":"status","level":"error","msg":"no"}') == ServerMessage('error', 'no')
    for junk in (b'\xff', 'nope', '[1]', '{"op":"publish","topic":"other","msg":{}}'):
        assert decode(junk) is None


@given(st.one_of(st.binary(max_size=64), st.text(max_size=64),
                 st.builds(json.dumps, st.dictionaries(st.sampled_from(
                     ['op', 'topic', 'msg']), st.one_of(st.text(max_size=5), st.integers(),
                                                        st.dictionaries(st.text(max_size=4),
                                                                        st.integers()))))))
def test_decode_never_raises(frame):
    assert decode(frame) is None or isinstance(decode(frame), (Frame, Status, ServerMessage))


def test_backoff_doubles_to_the_cap_with_jitter_and_resets():
    b = Backoff(first=0.5, cap=8.0, jitter=0.2, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(7)]
    for delay, base in zip(delays, [0.5, 1, 2, 4, 8, 8, 8]):
        assert 0.8 * base <= delay <= 1.2 * base
    b.reset()
    assert b.next_delay() <= 0.6
    plain = Backoff(jitter=0.0)
    assert [plain.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_check_url_and_connect_options():
    assert check_url('ws://robot:9090/') == 'robot'
    assert check_url('wss://bot.example/crowd') == 'bot.example'
    for bad in ('http://robot:9090/', 'robot:9090', 'ws:///nohost'):
        with pytest.raises(ValueError, match='ws://host:port/'):
            check_url(bad)
    options = connect_options('kropbot-test')
    assert options['user_agent_header'] == 'kropbot-test' and options['compression'] is None
