"""Unit tests of the gateway's pure protocol core (no rclpy)."""

import array
import base64
import json
import math

import cbor2
from hypothesis import given
from hypothesis import strategies as st
from kropbot_common.throttled_log import ThrottledLog
from kropbot_gateway.config import defaults
from kropbot_gateway.encoding import encode_publish
from kropbot_gateway.errors import ProtocolError
from kropbot_gateway.limits import AbuseMeter, TokenBucket
from kropbot_gateway.names import normalize_type, parse_allow_entries, resolve_topic
from kropbot_gateway.session import (
    Close,
    EndVote,
    PublishVote,
    Reply,
    Session,
    SessionLimits,
    Subscribe,
    Unsubscribe,
    sanitize_vote,
)
import pytest

# The gateway's default allow-lists (config.PARAMETERS), resolved in namespace '/'.
PUB = parse_allow_entries(defaults()['allow_publish'])
SUB = parse_allow_entries(defaults()['allow_subscribe'])


def session(**kw):
    return Session(PUB, SUB, '/', kw.pop('limits', SessionLimits()), 0.0, {}, **kw)


def send(s, obj, now=0.0):
    return s.handle_text(obj if isinstance(obj, str) else json.dumps(obj), now)


def only_error(actions, level='error'):
    assert len(actions) == 1 and isinstance(actions[0], Reply), actions
    payload = actions[0].payload
    assert payload['op'] == 'status' and payload['level'] == level
    return payload


def vote(x=0.2, z=0.5, **extra):
    return {'op': 'publish', 'topic': 'crowd/vote',
            'msg': {'header': {'frame_id': 'forged'},
                    'twist': {'linear': {'x': x, 'y': 0, 'z': 0},
                              'angular': {'x': 0, 'y': 0, 'z': z}}}, **extra}


def test_type_aliases():
    assert normalize_type('geometry_msgs/TwistStamped') == 'geometry_msgs/msg/TwistStamped'
    assert normalize_type('geometry_msgs/msg/TwistStamped') == 'geometry_msgs/msg/TwistStamped'
    for bad in ('TwistStamped', 'a/srv/B', 'a//B', 3, None, 'a/b/c/d'):
        with pytest.raises(ProtocolError):
            normalize_type(bad)


def test_resolve_topic():
    assert resolve_topic('crowd/vote', '/') == '/crowd/vote'
    assert resolve_topic('/crowd/vote', '/bot') == '/crowd/vote'
    assert resolve_topic('crowd/vote', '/bot') == '/bot/crowd/vote'
    for bad in ('', '//x', 'a//b', 'a b', '~/x', 'x/', 7, None, '1abc'):
        with pytest.raises(ProtocolError):
            resolve_topic(bad, '/')


def test_parse_allow_entries():
    assert parse_allow_entries(['crowd/vote:geometry_msgs/TwistStamped'], '/r') == {
        '/r/crowd/vote': 'geometry_msgs/msg/TwistStamped'}
    for bad in (['crowd/vote'], ['a b:std_msgs/String'], ['x:String']):
        with pytest.raises(ValueError):
            parse_allow_entries(bad)


def test_advertise_publish_with_alias_and_absolute_topic():
    s = session()
    assert send(s, {'op': 'advertise', 'id': 'a1', 'topic': '/crowd/vote',
                    'type': 'geometry_msgs/TwistStamped'}) == []
    assert s.advertised == {'/crowd/vote': 'geometry_msgs/msg/TwistStamped'}
    actions = send(s, vote(0.3, -1.0, id='p1'))
    assert actions == [PublishVote('/crowd/vote', s.client_id, 0.3, -1.0)]


def test_identity_is_server_side_and_unique():
    a, b = session(), session()
    assert a.client_id != b.client_id and a.client_id.startswith('ws-')
    assert len(a.client_id) == 3 + 12
    ids = {send(a, vote(), now=i)[0].voter_id for i in range(5)}
    assert ids == {a.client_id}  # forged frame_id ignored


def test_publish_auto_advertises_allow_listed_topic():
    s = session()
    assert isinstance(send(s, vote())[0], PublishVote)
    assert '/crowd/vote' in s.advertised


@pytest.mark.parametrize('request_', [
    {'op': 'advertise', 'id': 7, 'topic': 'cmd_vel', 'type': 'geometry_msgs/msg/Twist'},
    {'op': 'advertise', 'id': 7, 'topic': 'crowd/vote', 'type': 'geometry_msgs/msg/Twist'},
    {'op': 'advertise', 'id': 7, 'topic': 'crowd/vote'},
    {'op': 'publish', 'id': 7, 'topic': 'cmd_vel', 'msg': {'linear': {'x': 1.0}}},
    {'op': 'publish', 'id': 7, 'topic': 'crowd/status', 'msg': {'data': 'x'}},
    {'op': 'subscribe', 'id': 7, 'topic': 'cmd_vel'},
    {'op': 'subscribe', 'id': 7, 'topic': 'crowd/status', 'type': 'std_msgs/msg/Int32'},
    {'op': 'subscribe', 'id': 7, 'topic': 'crowd/status', 'compression': 'png'},
    {'op': 'subscribe', 'id': 7, 'topic': 'crowd/status', 'throttle_rate': -1},
    {'op': 'subscribe', 'id': 7, 'topic': 'crowd/status', 'queue_length': 'x'},
    {'op': 'unsubscribe', 'id': 7, 'topic': 'crowd/status'},
    {'op': 'unadvertise', 'id': 7, 'topic': 'crowd/vote'},
    {'op': 'subscribe', 'id': 7, 'topic': 42},
    {'op': 'call_service', 'id': 7, 'service': '/rosapi/topics'},
    {'op': 'advertise_service', 'id': 7, 'service': 'x', 'type': 'std_srvs/Empty'},
    {'op': 'unadvertise_service', 'id': 7, 'service': 'x'},
    {'op': 'service_response', 'id': 7, 'service': 'x'},
    {'op': 'send_action_goal', 'id': 7, 'action': 'x'},
    {'op': 'get_param', 'id': 7, 'name': 'x'},
    {'op': 'teleport', 'id': 7},
    {'id': 7},
])
def test_refused_requests_answer_error_and_change_nothing(request_):
    s = session()
    payload = only_error(send(s, request_))
    assert payload['id'] == 7 and payload['msg']
    assert s.advertised == {} and s.subscriptions == {}
    assert s.stats.get('votes', 0) == 0


@pytest.mark.parametrize('text', ['{', 'null', '[1, 2]', '"op"', '', 'NaN'])
def test_malformed_json(text):
    payload = only_error(send(session(), text))
    assert 'id' not in payload


@pytest.mark.parametrize('msg', [
    {'twist': {'linear': {'x': 'fast'}}},
    {'twist': {'linear': {'x': float('nan')}}},
    {'twist': {'angular': {'z': float('inf')}}},
    {'twist': {'linear': {'y': None}}},
    {'twist': {'linear': {'x': True}}},
    {'twist': {'linear': [1, 2, 3]}},
    {'twist': 5},
    {'header': 'x'},
    {'twist': {'linear': {'w': 1.0}}},
    {'linear': {'x': 1.0}},
    'forward',
])
def test_bad_votes_refused(msg):
    s = session()
    payload = only_error(send(s, {'op': 'publish', 'id': 'v', 'topic': 'crowd/vote', 'msg': msg}))
    assert payload['id'] == 'v'
    assert s.stats.get('votes', 0) == 0


def test_a_closed_connection_ends_the_votes_it_published_and_only_those():
    s = session()
    assert s.closed() == []  # never voted: nothing to end
    s = session()
    send(s, {'op': 'advertise', 'topic': 'crowd/vote', 'type': 'geometry_msgs/TwistStamped'})
    assert s.closed() == []  # advertised but no vote published
    send(s, vote())
    send(s, vote(0.1, 0.0))
    only_error(send(s, vote(float('inf'), 0.0)))  # refused: not a vote
    assert s.closed() == [EndVote('/crowd/vote', s.client_id)]
    assert s.closed() == []  # once


def test_clients_cannot_forge_a_withdrawal():
    # A withdrawal vote is an all-NaN twist (kropbot_common.withdrawal); JSON NaN, strings and
    # huge numbers are refused, so a client can end no vote but by closing its connection.
    s = session()
    text = ('{"op":"publish","topic":"crowd/vote","msg":{"header":{"frame_id":"ws-x/*"},'
            '"twist":{"linear":{"x":NaN,"y":NaN,"z":NaN},"angular":{"x":NaN,"y":NaN,"z":NaN}}}}')
    only_error(s.handle_text(text, 0.0))
    only_error(send(s, vote('NaN', 'NaN')))
    only_error(send(s, vote(10 ** 400, 0.0)))
    assert s.stats.get('votes', 0) == 0 and s.closed() == []


def test_nan_literal_in_json_is_refused():
    # Python's json accepts the NaN literal; the vote check must still refuse it.
    s = session()
    text = ('{"op":"publish","topic":"crowd/vote","msg":{"twist":{"linear":{"x":NaN}}}}')
    only_error(s.handle_text(text, 0.0))


def test_sanitize_vote_keeps_only_linear_x_and_angular_z():
    assert sanitize_vote({'twist': {'linear': {'x': 1, 'y': 5.0, 'z': 2.0},
                                    'angular': {'x': 3.0, 'y': 4.0, 'z': -0.5}}}) == (1.0, -0.5)
    assert sanitize_vote({}) == (0.0, 0.0)


@given(st.floats(allow_nan=False, allow_infinity=False),
       st.floats(allow_nan=False, allow_infinity=False))
def test_sanitize_vote_roundtrip(x, z):
    assert sanitize_vote({'twist': {'linear': {'x': x}, 'angular': {'z': z}}}) == (x, z)


def test_subscribe_unsubscribe_options():
    s = session()
    [sub] = send(s, {'op': 'subscribe', 'id': 's1', 'topic': 'camera/image_raw/compressed',
                     'type': 'sensor_msgs/CompressedImage', 'compression': 'cbor',
                     'throttle_rate': 100, 'queue_length': 1})
    assert sub == Subscribe('/camera/image_raw/compressed', 'sensor_msgs/msg/CompressedImage',
                            'camera/image_raw/compressed', 'cbor', 100, 1)
    [sub2] = send(s, {'op': 'subscribe', 'id': 's2', 'topic': '/camera/image_raw/compressed'})
    assert sub2.compression == 'none' and sub2.client_topic == '/camera/image_raw/compressed'
    # Dropping one of two subscription ids keeps the other one's options.
    assert send(s, {'op': 'unsubscribe', 'id': 's2', 'topic': 'camera/image_raw/compressed'}) \
        == [sub]
    assert send(s, {'op': 'unsubscribe', 'id': 's1', 'topic': 'camera/image_raw/compressed'}) \
        == [Unsubscribe('/camera/image_raw/compressed')]
    assert s.subscriptions == {}


def test_unadvertise():
    s = session()
    send(s, {'op': 'advertise', 'topic': 'crowd/vote', 'type': 'geometry_msgs/TwistStamped'})
    assert send(s, {'op': 'unadvertise', 'topic': 'crowd/vote'}) == []
    assert s.advertised == {}


def test_vote_rate_limit_token_bucket():
    s = session(limits=SessionLimits(votes_per_second=5, vote_burst=10))
    results = [a for _ in range(15) for a in send(s, vote(), now=0.0)]
    accepted = [r for r in results if isinstance(r, PublishVote)]
    assert len(accepted) == 10
    warnings = [r for r in results if isinstance(r, Reply)]
    assert len(warnings) == 1 and warnings[0].payload['level'] == 'warning'  # one per second
    assert s.stats['vote_rate_limited'] == 5
    # One second later 5 more tokens.
    later = [a for _ in range(8) for a in send(s, vote(), now=1.0)]
    assert sum(isinstance(r, PublishVote) for r in later) == 5


def test_flood_closes_with_1008():
    s = session(limits=SessionLimits(votes_per_second=2, vote_burst=2, abuse_factor=10,
                                     abuse_window=5))
    actions = []
    for i in range(200):  # 200 messages within 2 s, limit is 10 x 2/s x 5 s = 100
        actions += send(s, vote(), now=i / 100)
    closes = [a for a in actions if isinstance(a, Close)]
    assert closes and closes[0].code == 1008
    assert sum(isinstance(a, PublishVote) for a in actions) <= 2 + 2 * 2 + 1


def test_token_bucket_refill_is_capped():
    bucket = TokenBucket(rate=2, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(99.0)  # clock going backwards refills nothing
    with pytest.raises(ValueError):
        TokenBucket(0, 1, 0.0)
    with pytest.raises(ValueError):
        TokenBucket(1, 0, 0.0)


def test_abuse_meter_window_slides():
    meter = AbuseMeter(limit=10, window=5)
    assert not any(meter.hit(t) for t in range(10))  # 1/s never exceeds 10 per 5 s
    assert any(meter.hit(20.0) for _ in range(11))


def test_throttled_log():
    lines = []
    log = ThrottledLog(lines.append, period=5.0)
    assert log('k', 'a', 0.0) and not log('k', 'a', 1.0) and not log('k', 'a', 2.0)
    assert log('other', 'b', 2.0)
    assert log('k', 'a', 6.0)
    assert lines == ['a', 'b', 'a (2 similar suppressed)']


def test_encode_json_uint8_is_base64():
    data = bytes(range(256))
    msg = {'header': {'stamp': {'sec': 1, 'nanosec': 2}, 'frame_id': 'cam'},
           'format': 'jpeg', 'data': data}
    out = json.loads(encode_publish('camera/image_raw/compressed', msg, 'none'))
    assert out['op'] == 'publish' and out['topic'] == 'camera/image_raw/compressed'
    assert base64.b64decode(out['msg']['data']) == data
    assert out['msg']['header'] == {'stamp': {'sec': 1, 'nanosec': 2}, 'frame_id': 'cam'}
    arr = json.loads(encode_publish('t', {'data': array.array('B', b'\x01\x02')}, 'none'))
    assert base64.b64decode(arr['msg']['data']) == b'\x01\x02'


def test_encode_cbor_uint8_is_byte_string_and_arrays_tagged():
    data = b'\xff\xd8\x00jpeg'
    msg = {'format': 'jpeg', 'data': data, 'values': array.array('d', [1.5, -2.0]),
           'counts': array.array('H', [1, 65535]), 'stamp': {'sec': 3, 'nanosec': 4}}
    raw = encode_publish('/cam', msg, 'cbor')
    assert isinstance(raw, bytes)
    out = cbor2.loads(raw)
    assert out['op'] == 'publish' and out['topic'] == '/cam'
    assert out['msg']['data'] == data and isinstance(out['msg']['data'], bytes)
    assert out['msg']['values'].tag == 86
    assert array.array('d', out['msg']['values'].value).tolist() == [1.5, -2.0]
    assert out['msg']['counts'].tag == 69
    assert out['msg']['stamp'] == {'sec': 3, 'nanosec': 4}


def test_encode_rejects_unknown_compression_and_nan():
    with pytest.raises(ValueError):
        encode_publish('t', {}, 'png')
    with pytest.raises(ValueError):
        encode_publish('t', {'x': math.nan}, 'none')
