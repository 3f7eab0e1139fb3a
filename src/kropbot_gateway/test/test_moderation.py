"""Moderation core (ROS-free): commands, bans in a file, vote slots, mode votes, sessions."""

import json
import math
import os
import stat

from hypothesis import given, settings
from hypothesis import strategies as st
from kropbot_gateway.admission import VoteSlots
from kropbot_gateway.config import config_from_params
from kropbot_gateway.errors import ProtocolError
from kropbot_gateway.moderation import (
    MAX_BAN_DURATION,
    BanList,
    Moderation,
    canonical_address,
    default_ban_file,
    log_line,
    parse_moderation,
)
from kropbot_gateway.sanitize import sanitize_mode_vote
from kropbot_gateway.session import (
    Moderate,
    PublishModeVote,
    PublishVote,
    Reply,
    Session,
    Subscribe,
)
import pytest

TOKEN = '0a1b2c3d'


def cmd(**obj):
    return json.dumps(obj)


# --- commands ---------------------------------------------------------------------------------

@pytest.mark.parametrize(('obj', 'want'), [
    ({'action': 'pause'}, Moderation('pause')),
    ({'action': 'resume'}, Moderation('resume')),
    ({'action': 'mode', 'mode': 'queue'}, Moderation('mode', mode='queue')),
    ({'action': 'kick', 'token': TOKEN}, Moderation('kick', token=TOKEN)),
    ({'action': 'ban', 'token': TOKEN, 'duration': 90}, Moderation('ban', token=TOKEN,
                                                                    duration=90.0)),
    ({'action': 'ban', 'address': '::ffff:203.0.113.5'},
     Moderation('ban', address='203.0.113.5')),
    ({'action': 'unban', 'address': '2001:db8::1'}, Moderation('unban', address='2001:db8::1')),
])
def test_valid_commands(obj, want):
    assert parse_moderation(json.dumps(obj)) == want


@pytest.mark.parametrize(('data', 'says'), [
    ('nope', 'not JSON'), ('[]', 'JSON object'), ('x' * 2000, 'at most'),
    (cmd(action='dance'), '"action" must be one of'),
    (cmd(action='pause', mode='queue'), 'unknown key'),
    (cmd(action='mode', mode='chaos'), '"mode" must be one of'),
    (cmd(action='mode'), '"mode" must be one of'),
    (cmd(action='kick'), '"token"'), (cmd(action='kick', token='ABCDEF12'), '"token"'),
    (cmd(action='kick', token='ws-0123456789ab'), '"token"'),
    (cmd(action='ban'), 'needs "token" or "address"'),
    (cmd(action='ban', token=TOKEN, address='1.2.3.4'), 'one of them'),
    (cmd(action='ban', address='example.org'), '"address"'),
    (cmd(action='ban', token=TOKEN, duration=0), '"duration"'),
    (cmd(action='ban', token=TOKEN, duration=MAX_BAN_DURATION + 1), '"duration"'),
    (cmd(action='ban', token=TOKEN, duration=True), '"duration"'),
    (cmd(action='unban'), '"address"'),
    (cmd(action='pause', operator='alice'), 'unknown key'),  # the WebSocket: the gateway names
])
def test_bad_commands_say_why(data, says):
    with pytest.raises(ProtocolError, match=says):
        parse_moderation(data)


def test_ros_commands_may_name_the_operator():
    assert parse_moderation(cmd(action='pause', operator='alice'), from_ros=True).operator == \
        'alice'
    with pytest.raises(ProtocolError, match='operator'):
        parse_moderation(cmd(action='pause', operator='x\ny'), from_ros=True)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(['action', 'mode', 'token', 'address', 'duration', 'x']), inner,
        max_size=4), max_leaves=8).map(lambda v: json.dumps(v))))
def test_any_text_parses_or_is_refused_with_a_protocol_error(data):
    try:
        parse_moderation(data)
    except ProtocolError:
        pass


def test_log_line_has_time_action_target_operator():
    line = log_line(Moderation('ban', token=TOKEN), 'alice', 'banned', wall=0.0)
    assert line == (f"moderation: 1970-01-01T00:00:00Z action=ban target={TOKEN} "
                    "operator='alice': banned")


def test_default_ban_file_follows_xdg_state_home():
    assert default_ban_file({'XDG_STATE_HOME': '/s'}) == '/s/kropbot/bans.json'
    assert default_ban_file({}).endswith('/.local/state/kropbot/bans.json')


def test_canonical_address():
    assert canonical_address('::ffff:127.0.0.2') == '127.0.0.2'
    assert canonical_address('2001:DB8:0::1') == '2001:db8::1'
    with pytest.raises(ValueError):
        canonical_address('localhost')


# --- bans -------------------------------------------------------------------------------------

class Clock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def test_bans_expire_and_survive_a_restart(tmp_path):
    path = tmp_path / 'state' / 'kropbot' / 'bans.json'
    clock = Clock()
    bans = BanList(path, clock)
    bans.add('127.0.0.2', 60, 'ban', 'alice')
    bans.add('::ffff:127.0.0.3', 10, 'kick', 'bob')
    assert bans.add('127.0.0.2', 5, 'kick', 'bob').action == 'ban'  # a kick never shortens
    bans.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = BanList(path, clock)  # a restarted gateway
    assert again.banned('127.0.0.2').operator == 'alice'
    assert again.banned('127.0.0.3').action == 'kick'
    clock.now += 10
    assert again.banned('127.0.0.3') is None and [b.address for b in again.active()] == \
        ['127.0.0.2']
    assert again.remove('127.0.0.2') and not again.remove('127.0.0.2')
    again.save()
    assert json.loads(path.read_text())['bans'] == []
    assert not [p for p in path.parent.iterdir() if p.name.startswith('.bans-')]  # no leftovers


def test_a_malformed_ban_file_is_moved_aside_and_never_stops_the_gateway(tmp_path):
    path = tmp_path / 'bans.json'
    path.write_text('{"version": 1, "bans": [{"address": "nope"}]}')
    bans = BanList(path, Clock())
    assert len(bans) == 0 and 'malformed' in bans.warnings[0]
    assert (tmp_path / 'bans.json.corrupt').exists() and not path.exists()
    assert BanList(tmp_path / 'missing.json').warnings == []
    memory = BanList(None)
    memory.add('10.0.0.1', 5, 'ban', 'x')
    memory.save()  # in memory only: nothing written
    assert memory.banned('10.0.0.1') is not None and os.listdir(tmp_path) == ['bans.json.corrupt']


# --- vote slots -------------------------------------------------------------------------------

def test_vote_slots_watchers_take_freed_slots_in_order():
    slots = VoteSlots(2)
    assert [slots.join(k, 'a') for k in 'pqrs'] == [True, True, False, False]
    assert slots.join('t', 'b')  # another address has its own slots
    assert slots.leave('r') is None  # a watcher leaves: nothing changes
    assert slots.leave('p') == 's'  # the oldest remaining watcher takes the slot
    assert slots.voting('s') and slots.counts() == ({'a': 2, 'b': 1}, {})
    assert slots.exempt('q') is None  # authenticated: votes without a slot
    assert slots.voting('q') and slots.counts()[0]['a'] == 1
    assert slots.join('u', 'a') and not slots.join('v', 'a')
    unlimited = VoteSlots(0)
    assert all(unlimited.join(k, 'a') for k in range(100))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3), st.lists(st.tuples(st.sampled_from(['join', 'leave', 'exempt']),
                                             st.integers(0, 9), st.sampled_from('ab')),
                                   max_size=60))
def test_vote_slots_never_exceed_the_limit_and_never_strand_a_watcher(limit, steps):
    slots = VoteSlots(limit)
    present = {}
    exempt = set()
    for op, key, address in steps:
        if op == 'join' and key not in present:
            present[key] = address
            slots.join(key, address)
        elif op == 'leave' and key in present:
            del present[key]
            exempt.discard(key)
            slots.leave(key)
        elif op == 'exempt' and key in present and key not in exempt:
            exempt.add(key)
            slots.exempt(key)
        for addr in 'ab':
            members = [k for k, a in present.items() if a == addr and k not in exempt]
            voting = [k for k in members if slots.voting(k)]
            assert len(voting) == min(limit, len(members))


# --- mode votes and sessions ------------------------------------------------------------------

def mode_vote(mode, voter=''):
    return {'data': json.dumps({'voter': voter, 'mode': mode})}


def test_mode_votes_are_sanitised():
    for mode in ('anarchy', 'democracy', ''):
        assert sanitize_mode_vote(mode_vote(mode)) == mode
    assert sanitize_mode_vote({'data': '{"mode": "anarchy"}'}) == 'anarchy'
    for bad in (mode_vote('queue'), mode_vote('vote'), mode_vote('anarchy', 'ws-someone'),
                {'data': '{"mode": "anarchy", "x": 1}'}, {'data': 5}, {'data': '[]'},
                {'data': '{"mode": "anarchy"}', 'x': 1}, 'anarchy', {'data': 'x' * 300}):
        with pytest.raises(ProtocolError):
            sanitize_mode_vote(bad)


def session(**params):
    config = config_from_params({'port': 0, **params})
    return Session(config.publish_allow, config.subscribe_allow, '/', config.limits, 0.0,
                   roles=config.roles, client_id='ws-000000000001')


def publish(topic, msg, op_id=None):
    return json.dumps({'op': 'publish', 'topic': topic, 'msg': msg, 'id': op_id})


VOTE = {'twist': {'linear': {'x': 0.2}}}


def test_session_mode_votes_have_their_own_rate_and_end_with_the_connection():
    s = session(mode_votes_per_second=0.1, mode_vote_burst=2)
    out = s.handle_text(publish('crowd/mode_vote', mode_vote('anarchy')), 1.0)
    assert out == [PublishModeVote('/crowd/mode_vote', 'ws-000000000001', 'anarchy')]
    assert isinstance(s.handle_text(publish('crowd/mode_vote', mode_vote('')), 1.1)[0],
                      PublishModeVote)
    refused = s.handle_text(publish('crowd/mode_vote', mode_vote('democracy')), 1.2)
    assert refused[0].payload['level'] == 'warning' and 'mode vote rate' in \
        refused[0].payload['msg']
    assert isinstance(s.handle_text(publish('crowd/vote', VOTE), 1.3)[0], PublishVote)
    bad = s.handle_text(publish('crowd/mode_vote', mode_vote('anarchy', 'ws-other')), 1.4)
    assert bad[0].payload['level'] == 'error'
    assert sorted(e.topic for e in s.closed()) == ['/crowd/mode_vote', '/crowd/vote']


def test_a_watching_session_is_told_once_in_a_while_and_publishes_nothing():
    s = session()
    s.counted, s.watch_reason = False, 'too many voters from your network'
    first = s.handle_text(publish('crowd/vote', VOTE, 'v1'), 1.0)
    assert first == [Reply({'op': 'status', 'level': 'warning', 'id': 'v1',
                            'msg': 'vote not counted: you are watching (too many voters from '
                                   'your network)'})]
    assert s.handle_text(publish('crowd/vote', VOTE), 2.0) == []
    assert s.handle_text(publish('crowd/mode_vote', mode_vote('anarchy')), 3.0) == []
    assert s.handle_text(publish('crowd/vote', VOTE), 6.5)[0].payload['level'] == 'warning'
    assert s.closed() == [] and s.stats['votes_not_counted'] == 4
    s.counted = True
    assert isinstance(s.handle_text(publish('crowd/vote', VOTE), 7.0)[0], PublishVote)
    assert s.votes == 1 and s.last_vote == (0.2, 0.0, 7.0)


def test_moderation_needs_the_operator_role_and_crowd_you_is_for_everyone():
    s = session()
    refused = s.handle_text(publish('crowd/moderation', {'data': cmd(action='pause')}), 1.0)
    assert refused[0].payload['level'] == 'error'
    you = s.handle_text(json.dumps({'op': 'subscribe', 'topic': 'crowd/you'}), 1.0)
    assert you == [Subscribe('/crowd/you', 'std_msgs/msg/String', 'crowd/you', 'none', 0, 0,
                             True)]
    listed = s.handle_text(json.dumps({'op': 'subscribe', 'topic': 'crowd/connections'}), 1.0)
    assert listed[0].payload['level'] == 'error'


def test_an_operator_session_moderates(tmp_path):
    from kropbot_gateway.auth import auth_op

    secrets = tmp_path / 'ops'
    secrets.write_text('alice: alice-secret-0123456789\n')
    config = config_from_params({'port': 0, 'auth_secret_file': str(secrets)})
    s = Session(config.publish_allow, config.subscribe_allow, '/', config.limits, 0.0,
                roles=config.roles, verifier=config.verifier)
    s.handle_text(json.dumps(auth_op('alice-secret-0123456789', 'c', 'd')), 1.0)
    assert s.role == 'operator' and s.operator_name == 'alice'
    out = s.handle_text(publish('crowd/moderation', {'data': cmd(action='kick', token=TOKEN)},
                                'm1'), 1.1)
    assert out == [Moderate(Moderation('kick', token=TOKEN), 'alice', 'm1')]
    bad = s.handle_text(publish('crowd/moderation', {'data': cmd(action='kick')}), 1.2)
    assert '"token"' in bad[0].payload['msg']
    sub = s.handle_text(json.dumps({'op': 'subscribe', 'topic': 'crowd/connections'}), 1.3)
    assert sub[0].local and sub[0].topic == '/crowd/connections'
    floods = [s.handle_text(publish('crowd/moderation', {'data': cmd(action='pause')}), 1.4)
              for _ in range(12)]
    assert any(o and isinstance(o[0], Reply) and 'rate limit' in o[0].payload['msg']
               for o in floods)
    assert math.isfinite(s.limits.mode_votes_per_second)
