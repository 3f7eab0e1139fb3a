"""Property-based fuzzing of the gateway protocol entry point ``Session.handle_text`` (no rclpy).

Properties, for about 11,000 generated messages per run:

* no exception ever escapes ``handle_text``;
* its result is a list of known actions, and every reply is valid JSON text;
* a malformed message (not JSON, not an object, wrong op, wrong field types, forbidden topic,
  bad vote) yields exactly one ``status`` error reply or a ``Close``, and no ROS side effect:
  no :class:`PublishVote`, :class:`Subscribe` or :class:`Unsubscribe` action, which are the only
  way the server reaches its ROS bridge (publish/subscribe callbacks);
* any vote that does get through is finite, carries the server's voter id and an allow-listed
  topic.
"""

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kropbot_gateway.config import defaults
from kropbot_gateway.encoding import MAX_JSON_DEPTH, encode_json
from kropbot_gateway.names import parse_allow_entries
from kropbot_gateway.session import (
    Close,
    PublishVote,
    Reply,
    Session,
    SessionLimits,
    Subscribe,
    Unsubscribe,
)

# The gateway's default allow-lists (config.PARAMETERS), resolved in namespace '/'.
PUB = parse_allow_entries(defaults()['allow_publish'])
SUB = parse_allow_entries(defaults()['allow_subscribe'])
OPS = ('advertise', 'unadvertise', 'publish', 'subscribe', 'unsubscribe', 'call_service',
       'set_param', 'fragment', 'auth', 'status', '')
SIDE_EFFECTS = (PublishVote, Subscribe, Unsubscribe)
# Generous limits: the fuzz exercises parsing and validation, not the flood policy.
LIMITS = SessionLimits(votes_per_second=100.0, vote_burst=1000, abuse_factor=1000.0,
                       abuse_window=1, abuse_bytes_per_second=16 * 1024 * 1024,
                       max_errors=10 ** 9)
FUZZ = settings(max_examples=3000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_JSON = settings(FUZZ, max_examples=2000)
FUZZ_FIELDS = settings(FUZZ, max_examples=600)  # structured: fewer, each slower to generate

json_scalars = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8)
wrong_for_number = st.none() | st.booleans() | st.text(max_size=5) | st.lists(
    st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
wrong_for_dict = json_scalars | st.lists(json_scalars, max_size=3)


def new_session():
    return Session(PUB, SUB, '/', LIMITS, 0.0, {})


def check_actions(session, actions):
    """Invariants of every result; return the list of side-effect actions."""
    assert isinstance(actions, list)
    for action in actions:
        assert isinstance(action, (Reply, Close) + SIDE_EFFECTS), action
        if isinstance(action, Reply):
            text = encode_json(action.payload)  # must be encodable, as the server sends it
            assert json.loads(text)['op'] == 'status'
            assert len(action.payload['msg']) <= 200
        if isinstance(action, PublishVote):
            assert action.voter_id == session.client_id and action.topic in PUB
            assert math.isfinite(action.linear_x) and math.isfinite(action.angular_z)
        if isinstance(action, Subscribe):
            assert action.topic in SUB
    return [a for a in actions if isinstance(a, SIDE_EFFECTS)]


def assert_refused(session, text):
    """``text`` is malformed: one status error (or a close) and no side effect."""
    actions = session.handle_text(text, 0.0)
    assert not check_actions(session, actions), (text[:200], actions)
    assert len(actions) == 1, actions
    action = actions[0]
    assert isinstance(action, Close) or action.payload['level'] == 'error', action


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_as_text_never_raise(data):
    session = new_session()
    text = data.decode('utf-8', errors='surrogateescape')  # includes lone surrogates
    check_actions(session, session.handle_text(text, 0.0))


@FUZZ
@given(st.text(max_size=200))
def test_random_text_never_raises(text):
    session = new_session()
    actions = session.handle_text(text, 0.0)
    check_actions(session, actions)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
        assert len(actions) == 1 and actions[0].payload['level'] == 'error'
    if not isinstance(value, dict):
        assert not check_actions(session, actions)


@FUZZ_JSON
@given(json_values)
def test_random_json_values(value):
    session = new_session()
    text = json.dumps(value)
    actions = session.handle_text(text, 0.0)
    effects = check_actions(session, actions)
    if not isinstance(value, dict) or value.get('op') not in (
            'advertise', 'unadvertise', 'publish', 'subscribe', 'unsubscribe'):
        assert not effects and len(actions) == 1 and actions[0].payload['level'] == 'error'


@FUZZ_FIELDS
@given(st.sampled_from(OPS) | json_values,
       st.dictionaries(st.sampled_from(['topic', 'type', 'msg', 'id', 'compression',
                                        'throttle_rate', 'queue_length']),
                       json_values, max_size=6))
def test_random_dicts_with_op_fields(op, fields):
    session = new_session()
    check_actions(session, session.handle_text(json.dumps({'op': op, **fields}), 0.0))


@FUZZ_FIELDS
@given(st.sampled_from(['crowd/vote', '/crowd/vote']),
       st.sampled_from(['linear', 'angular']), st.sampled_from(['x', 'y', 'z']),
       wrong_for_number, json_values)
def test_votes_with_a_wrong_component_are_refused(topic, part, axis, bad, op_id):
    msg = {'twist': {'linear': {'x': 0.1}, 'angular': {'z': 0.2}}}
    msg['twist'].setdefault(part, {})[axis] = bad
    assert_refused(new_session(), json.dumps({'op': 'publish', 'topic': topic, 'msg': msg,
                                              'id': op_id}))


@FUZZ_FIELDS
@given(st.sampled_from(['msg', 'twist', 'linear', 'angular', 'header']), wrong_for_dict)
def test_votes_with_a_wrong_structure_are_refused(where, bad):
    msg = {'header': {}, 'twist': {'linear': {'x': 0.1}, 'angular': {'z': 0.2}}}
    if where == 'msg':
        msg = bad
    elif where in ('twist', 'header'):
        msg[where] = bad
    else:
        msg['twist'][where] = bad
    assert_refused(new_session(), json.dumps({'op': 'publish', 'topic': 'crowd/vote',
                                              'msg': msg}))


@FUZZ_FIELDS
@given(st.sampled_from(['publish', 'advertise', 'subscribe']),
       st.text(max_size=30) | json_scalars | st.lists(st.text(max_size=3), max_size=2))
def test_forbidden_or_invalid_topics_are_refused(op, topic):
    if isinstance(topic, str) and topic.strip().strip('/') in (
            'crowd/vote', 'camera/image_raw/compressed', 'crowd/status'):
        topic = topic + 'x'
    assert_refused(new_session(), json.dumps({'op': op, 'topic': topic,
                                              'type': 'geometry_msgs/TwistStamped',
                                              'msg': {}}))


@FUZZ_FIELDS
@given(st.sampled_from(['throttle_rate', 'queue_length', 'compression', 'type']),
       st.integers(max_value=-1) | st.floats(allow_nan=False) | st.text(max_size=5)
       | st.lists(st.integers(), min_size=1, max_size=2) | st.booleans())
def test_subscribe_with_wrong_option_types_is_refused(key, bad):
    if key == 'compression' and bad in ('', 'none', 'cbor'):
        bad = 'png'
    if key in ('throttle_rate', 'queue_length') and (
            bad in (0, 0.0, '', False) or isinstance(bad, bool)):
        bad = -1
    if key == 'type' and bad in ('', None):
        bad = 'x/y'
    if key == 'type' and isinstance(bad, str) and bad.strip() in (
            'sensor_msgs/CompressedImage', 'sensor_msgs/msg/CompressedImage'):
        bad = 'std_msgs/String'
    assert_refused(new_session(), json.dumps({'op': 'subscribe',
                                              'topic': 'camera/image_raw/compressed',
                                              key: bad}))


@settings(max_examples=200, deadline=None)
@given(st.integers(MAX_JSON_DEPTH + 1, 100_000), st.sampled_from('[{'),
       st.booleans())
def test_deep_nesting_is_refused_cheaply(depth, opener, closed):
    if opener == '[':
        text = '[' * depth + (']' * depth if closed else '')
    else:
        text = '{"a":' * depth + '1' + ('}' * depth if closed else '')
    assert_refused(new_session(), text)


def test_depth_inside_strings_does_not_count_and_limit_is_exact():
    session = new_session()
    ok = {'op': 'publish', 'topic': 'crowd/vote', 'id': '[' * 1000,
          'msg': {'header': {'frame_id': '{{{{' * 100}, 'twist': {'linear': {'x': 0.1}}}}
    assert isinstance(session.handle_text(json.dumps(ok), 0.0)[0], PublishVote)
    assert_refused(session, '[' * (MAX_JSON_DEPTH + 1) + ']' * (MAX_JSON_DEPTH + 1))
    nested = '[' * MAX_JSON_DEPTH + ']' * MAX_JSON_DEPTH  # at the limit: parsed, not an object
    actions = session.handle_text(nested, 0.0)
    assert 'JSON object' in actions[0].payload['msg']


def test_huge_integers_are_refused():
    session = new_session()
    for text in ('{"op":"publish","topic":"crowd/vote","msg":{"twist":{"linear":{"x":1%s}}}}'
                 % ('0' * 400), '1' * 5000):
        assert_refused(session, text)


def test_garbage_and_byte_floods_close_with_1008():
    session = Session(PUB, SUB, '/', SessionLimits(abuse_bytes_per_second=1024, max_errors=5,
                                                   abuse_window=5), 0.0, {})
    actions = [session.handle_text('{}' * 100, 0.0) for _ in range(6)]
    assert all(len(a) == 1 for a in actions)
    assert isinstance(actions[-1][0], Close) and actions[-1][0].code == 1008  # 6th error
    session = Session(PUB, SUB, '/', SessionLimits(abuse_bytes_per_second=1024,
                                                   abuse_window=5), 0.0, {})
    padding = json.dumps({'op': 'unsubscribe_x', 'pad': 'x' * 3000})
    closes = [session.handle_text(padding, 0.0)[0] for _ in range(2)]
    assert isinstance(closes[1], Close) and closes[1].reason == 'byte flood'  # 6000 > 5120
