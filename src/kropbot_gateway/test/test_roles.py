"""Operator access in the protocol core: the auth op, roles, the role table (no rclpy).

The session is fed raw rosbridge JSON with an injected monotonic ``now`` and a Verifier with an
injected wall clock, so windows, ends and rate budgets are checked without sleeping.
"""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from kropbot_common.params import ParameterError
from kropbot_gateway.auth import Verifier, auth_op
from kropbot_gateway.config import config_from_params, defaults
from kropbot_gateway.names import parse_allow_entries
from kropbot_gateway.roles import (
    BOT,
    CROWD,
    OPERATOR,
    RoleTable,
    build_role_table,
    role_for,
)
from kropbot_gateway.session import (
    SESSION_ENDED,
    Close,
    PublishTeleop,
    PublishVote,
    Reply,
    RoleChanged,
    Session,
    SessionLimits,
    Subscribe,
    Unsubscribe,
)
import pytest

SECRET = 'operator-secret-0123456789'
BOT_SECRET = 'pilot-secret-0123456789ab'
WALL = 1_700_000_000.0
PUB = parse_allow_entries(defaults()['allow_publish'])
SUB = parse_allow_entries(defaults()['allow_subscribe'])
ROLES = build_role_table(PUB, SUB, parse_allow_entries(defaults()['operator_publish']),
                         parse_allow_entries(defaults()['operator_subscribe']))


class Clock:
    def __init__(self, now=WALL):
        self.now = now

    def __call__(self):
        return self.now


def make(clock=None, limits=None, bot_names=(), verifier=True, stats=None):
    clock = clock or Clock()
    v = Verifier({'alice': SECRET, 'pilot': BOT_SECRET}, clock=clock) if verifier else None
    return Session(PUB, SUB, '/', limits or SessionLimits(), 0.0,
                   {} if stats is None else stats, roles=ROLES, verifier=v,
                   bot_names=frozenset(bot_names))


def send(s, obj, now=0.0):
    return s.handle_text(json.dumps(obj), now)


def op(secret=SECRET, level='admin', now=WALL, lifetime=60.0, rand=None, **changes):
    return {**auth_op(secret, 'laptop', 'robot', level, now=now, lifetime=lifetime, rand=rand),
            **changes}


def teleop(x=0.2, z=-0.5, **extra):
    return {'op': 'publish', 'topic': 'teleop/cmd_vel',
            'msg': {'linear': {'x': x, 'y': 0, 'z': 0}, 'angular': {'x': 0, 'y': 0, 'z': z}},
            **extra}


def vote(x=0.2, z=0.0):
    return {'op': 'publish', 'topic': 'crowd/vote',
            'msg': {'twist': {'linear': {'x': x}, 'angular': {'z': z}}}}


def error_text(actions):
    replies = [a.payload for a in actions if isinstance(a, Reply)]
    assert len(replies) == 1 and replies[0]['level'] == 'error', actions
    return replies[0]['msg']


def test_auth_makes_the_session_an_operator_that_may_publish_teleop():
    s = make()
    assert s.role == CROWD
    assert 'needs the operator role' in error_text(send(s, teleop()))
    actions = send(s, op(), now=1.0)
    reply, changed = actions
    assert reply.payload == {'op': 'status', 'level': 'info',
                             'msg': 'auth: authenticated as operator'}
    assert changed == RoleChanged(OPERATOR, s.client_id, 'alice', 1.0 + 60.0)
    assert s.role == OPERATOR and s.client_id.startswith('ws-')
    assert send(s, teleop(0.25, -0.5), now=1.1) == [
        PublishTeleop('/teleop/cmd_vel', s.client_id, 0.25, -0.5)]
    # the operator is a crowd member too: it may still vote
    assert isinstance(send(s, vote(), now=1.2)[0], PublishVote)


def test_operator_may_subscribe_odom_and_diagnostics_the_crowd_may_not():
    crowd = make()
    for topic in ('odom', 'diagnostics'):
        assert 'needs the operator role' in error_text(
            send(crowd, {'op': 'subscribe', 'topic': topic}))
    s = make()
    send(s, op())
    (sub,) = send(s, {'op': 'subscribe', 'id': 'o', 'topic': 'odom', 'type': 'nav_msgs/Odometry'})
    assert sub == Subscribe('/odom', 'nav_msgs/msg/Odometry', 'odom', 'none', 0, 0)
    assert isinstance(send(s, {'op': 'subscribe', 'topic': '/diagnostics'})[0], Subscribe)
    assert 'not allowed' in error_text(send(s, {'op': 'subscribe', 'topic': 'cmd_vel'}))


@pytest.mark.parametrize('msg', [
    {'linear': {'x': math.nan}}, {'angular': {'z': 'fast'}}, {'linear': {'x': True}},
    {'linear': {'x': 1e400}}, {'linear': {'w': 1}}, {'twist': {}}, [], {'angular': 3},
])
def test_bad_operator_commands_are_refused_and_publish_nothing(msg):
    s = make()
    send(s, op())
    text = json.dumps({'op': 'publish', 'topic': 'teleop/cmd_vel', 'msg': msg})
    actions = s.handle_text(text.replace('NaN', 'NaN'), 0.5)
    error_text(actions)
    assert not any(isinstance(a, PublishTeleop) for a in actions)


def test_teleop_keeps_only_linear_x_and_angular_z_and_type_must_match():
    s = make()
    send(s, op())
    (cmd,) = send(s, {'op': 'publish', 'topic': '/teleop/cmd_vel',
                      'msg': {'linear': {'x': 1.0, 'y': 7.0, 'z': 8.0},
                              'angular': {'x': 9.0, 'y': 9.0, 'z': 2.0}}})
    assert (cmd.linear_x, cmd.angular_z) == (1.0, 2.0)
    assert 'does not match' in error_text(send(s, {'op': 'advertise', 'topic': 'teleop/cmd_vel',
                                                   'type': 'geometry_msgs/TwistStamped'}))
    assert send(s, {'op': 'advertise', 'topic': 'teleop/cmd_vel',
                    'type': 'geometry_msgs/Twist'}) == []


@pytest.mark.parametrize('change, reason', [
    ({'mac': '0' * 128}, 'wrong MAC'),
    ({'t': WALL - 10}, '"t" is not within 5 s'),
    ({'end': WALL - 1}, '"end" is in the past'),
    ({'level': 'root'}, 'wrong MAC'),  # the level is bound into the MAC
    ({'rand': 7}, 'malformed auth op'),
])
def test_refused_auth_ops_say_why_and_change_nothing(change, reason):
    s = make()
    base = op()
    actions = send(s, {**base, **change})
    assert error_text(actions).startswith(f'auth: {reason}')
    assert s.role == CROWD and not any(isinstance(a, RoleChanged) for a in actions)
    assert 'needs the operator role' in error_text(send(s, teleop()))


def test_expired_t_fails_when_the_op_is_late_and_end_in_the_past_fails_too():
    clock = Clock()
    s = make(clock)
    late = op(now=WALL)
    clock.now = WALL + 5.0  # |t - now| must be < 5 s
    assert 'not within' in error_text(send(s, late))
    clock.now = WALL
    assert 'in the past' in error_text(send(s, op(lifetime=-1.0)))


def test_a_reused_rand_is_refused_even_on_another_connection():
    clock = Clock()
    verifier = Verifier({'alice': SECRET}, clock=clock)
    first = Session(PUB, SUB, roles=ROLES, verifier=verifier)
    second = Session(PUB, SUB, roles=ROLES, verifier=verifier)
    the_op = op(rand='once')
    assert first.handle_text(json.dumps(the_op), 0.0)[0].payload['level'] == 'info'
    assert error_text(second.handle_text(json.dumps(the_op), 0.0)) == 'auth: reused "rand"'
    assert second.role == CROWD


def test_without_a_verifier_auth_is_refused_and_teleop_is_not_even_known():
    s = Session(PUB, SUB)  # a gateway without auth_secret_file: crowd-only table
    assert 'auth_secret_file is empty' in error_text(send(s, op()))
    assert error_text(send(s, teleop())).endswith("publishing to 'teleop/cmd_vel' is not allowed")


def test_brute_force_closes_the_connection_at_max_auth_failures():
    stats = {}
    s = make(limits=SessionLimits(max_auth_failures=3), stats=stats)
    for i in range(2):
        actions = send(s, op(mac=f'{i:0128x}'), now=i * 0.1)
        error_text(actions)
        assert not any(isinstance(a, Close) for a in actions)
    actions = send(s, op(mac='f' * 128), now=0.3)
    assert actions[-1] == Close(1008, 'too many failed auth attempts')
    assert stats['auth_refused'] == 3 and stats['auth_closed'] == 1


def test_a_successful_auth_never_ends_by_a_later_failure():
    s = make()
    send(s, op())
    error_text(send(s, op(mac='0' * 128)))
    assert s.role == OPERATOR


def test_the_session_ends_at_end():
    s = make()
    (_, changed) = send(s, op(lifetime=30.0), now=100.0)
    assert changed.until == pytest.approx(130.0)
    assert isinstance(send(s, teleop(), now=129.9)[0], PublishTeleop)
    assert send(s, teleop(), now=130.0) == [Close(*SESSION_ENDED)]


def test_level_bot_or_a_bot_secret_gives_a_labelled_bot_voter():
    s = make()
    old = s.client_id
    (reply, changed) = send(s, op(level='bot'))
    assert reply.payload['msg'] == 'auth: authenticated as bot' and s.role == BOT
    assert s.client_id.startswith('bot-') and s.client_id != old
    assert changed.voter_id == s.client_id
    (v,) = send(s, vote())
    assert v.voter_id == s.client_id
    assert 'needs the operator role' in error_text(send(s, teleop()))
    # a secret listed in auth_bot_names never becomes an operator, whatever the level says
    s = make(bot_names={'pilot'})
    send(s, op(secret=BOT_SECRET, level='admin'))
    assert s.role == BOT and s.client_id.startswith('bot-')
    assert role_for(OPERATOR, 'admin') == OPERATOR and role_for(BOT, 'admin') == BOT


def test_losing_the_operator_role_drops_operator_subscriptions():
    s = make()
    send(s, op())
    send(s, {'op': 'subscribe', 'topic': 'odom'})
    send(s, {'op': 'subscribe', 'topic': 'crowd/status'})
    actions = send(s, op(level='bot'))
    assert Unsubscribe('/odom') in actions and s.role == BOT
    assert set(s.subscriptions) == {'/crowd/status'}


def test_operator_rate_budget_is_its_own_and_above_the_crowds():
    s = make()
    send(s, op())
    # the desktop client: 30 changes/s + a 0.1 s heartbeat for 3 s, all pass
    sent, t = 0, 0.0
    for i in range(120):
        t = i / 40.0
        actions = send(s, teleop(x=0.01 * (i % 7)), now=t)
        sent += isinstance(actions[0], PublishTeleop)
    assert sent == 120
    # a burst beyond operator_commands_per_second is cut down to the bucket (20 + 50/s)
    passed = sum(isinstance(a, PublishTeleop) for i in range(200)
                 for a in send(s, teleop(), now=4.0 + i / 1000.0))
    assert 20 <= passed <= 20 + 10 + 1
    # votes keep the crowd's budget (burst 10)
    votes = sum(isinstance(a, PublishVote) for i in range(40)
                for a in send(s, vote(), now=6.0 + i / 1000.0))
    assert votes == 10


def test_operator_flood_limit_is_raised_but_still_applies():
    s = make()
    send(s, op())
    # 60 messages/s for 5 s is a flood for a crowd connection (limit 50/s), fine for an operator
    actions = [a for i in range(300) for a in send(s, teleop(), now=i / 60.0)]
    assert not any(isinstance(a, Close) for a in actions)
    # ... but 1000/s is not
    closed = [a for i in range(3000) for a in send(s, teleop(), now=10.0 + i / 1000.0)
              if isinstance(a, Close)]
    assert closed and closed[0].code == 1008


@settings(max_examples=200, deadline=None)
@given(fields=st.dictionaries(
    st.sampled_from(['mac', 'client', 'dest', 'rand', 't', 'level', 'end', 'id']),
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)))
def test_any_malformed_auth_op_is_one_error_and_never_a_role(fields):
    s = make(limits=SessionLimits(max_auth_failures=1000, max_errors=10 ** 6))
    actions = s.handle_text(json.dumps({'op': 'auth', **fields}), 0.0)
    assert s.role == CROWD
    error_text(actions)


def test_role_table_validation_and_config():
    assert ROLES.teleop_topics() == ('/teleop/cmd_vel',)
    assert RoleTable.crowd_only(PUB, SUB).teleop_topics() == ()
    twist = {'/teleop/cmd_vel': 'geometry_msgs/msg/Twist'}
    for bad in ({'/cmd_vel': 'geometry_msgs/msg/Twist'},
                {'/teleop/cmd_vel': 'geometry_msgs/msg/TwistStamped'},
                {'/crowd/vote': 'geometry_msgs/msg/Twist'}):
        with pytest.raises(ValueError):
            build_role_table(PUB, SUB, bad, {})
    with pytest.raises(ValueError):
        build_role_table(PUB, SUB, twist, {'/crowd/status': 'std_msgs/msg/Int32'})
    # in a namespace, cmd_vel is the namespaced one
    build_role_table(PUB, SUB, {'/cmd_vel': 'geometry_msgs/msg/Twist'}, {}, '/bot')
    with pytest.raises(ValueError):
        build_role_table(PUB, SUB, {'/bot/cmd_vel': 'geometry_msgs/msg/Twist'}, {}, '/bot')
    with pytest.raises(ParameterError, match='operator_publish'):
        config_from_params({'operator_publish': ['cmd_vel:geometry_msgs/msg/Twist']})
    # operator access off: the role table is crowd-only
    assert config_from_params({}).roles.teleop_topics() == ()


def test_secrets_file_errors_are_clear_and_never_hold_the_secret(tmp_path):
    short = tmp_path / 'short'
    short.write_text('tooshort-secret\n')  # 15 characters
    with pytest.raises(ParameterError) as err:
        config_from_params({'auth_secret_file': str(short)})
    assert 'auth_secret_file' in str(err.value) and 'tooshort' not in str(err.value)
    with pytest.raises(ParameterError, match='cannot read secrets file'):
        config_from_params({'auth_secret_file': str(tmp_path / 'missing')})
    good = tmp_path / 'secrets'
    good.write_text(f'alice: {SECRET}\npilot: {BOT_SECRET}\n')
    config = config_from_params({'auth_secret_file': str(good), 'auth_bot_names': ['pilot']})
    assert config.bot_names == {'pilot'} and config.roles.teleop_topics() == ('/teleop/cmd_vel',)
    assert SECRET not in repr(config) and BOT_SECRET not in repr(config)
    with pytest.raises(ParameterError, match='auth_bot_names'):
        config_from_params({'auth_secret_file': str(good), 'auth_bot_names': ['mallory']})
