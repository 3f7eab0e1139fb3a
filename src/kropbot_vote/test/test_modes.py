"""The mode controller, its status keys and its parameter schema (pure, no ROS)."""

import json
import math
from pathlib import Path
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from kropbot_common.params import by_name, check, check_values, markdown_table
from kropbot_common.voter_token import voter_token
from kropbot_vote.bins import CANONICAL_FACTORS, canonical_command
from kropbot_vote.fusion import ACCEPTED, VoteBook
from kropbot_vote.mode_params import MODE_PARAMETERS
from kropbot_vote.mode_status import MODE_STATUS_KEYS, extend_status, mode_status
from kropbot_vote.modes import MODES, ModeController
from kropbot_vote.params import FUSION_PARAMETERS, PARAMETERS
from kropbot_vote.status import status_dict
import pytest

MAX_V = 0.3
MAX_W = 1.5
ROOT = Path(__file__).resolve().parents[3]
README = Path(__file__).resolve().parents[1] / 'README.md'


def controller(mode='vote', now=0.0, **kwargs):
    book = VoteBook(max_voters=1000, vote_timeout=3.0, max_linear=MAX_V, max_angular=MAX_W)
    return ModeController(book, now, mode=mode, **kwargs)


def three_voters(c, t=0.0):
    """Two voters forward (one slower), one left, arriving in that order."""
    assert c.add_vote('ws-a', 0.3, 0.0, t) == ACCEPTED
    assert c.add_vote('ws-b', 0.2, 0.0, t + 0.1) == ACCEPTED
    assert c.add_vote('ws-c', 0.0, 1.5, t + 0.2) == ACCEPTED


# --- each mode with three voters -------------------------------------------------------------

def test_vote_mode_is_todays_fusion():
    c = controller('vote', strategy='mean')
    three_voters(c)
    out = c.tick(0.5)
    assert out.mode == 'vote' and out.fused.voters == 3
    assert (out.linear, out.angular) == pytest.approx((0.5 / 3, 0.5))
    c.apply({'strategy': 'plurality'}, 0.6)
    out = c.tick(0.6)
    assert out.fused.winner == 'forward' and (out.linear, out.angular) == pytest.approx((0.25, 0))


def test_anarchy_mode_follows_the_last_voter():
    c = controller('anarchy')
    three_voters(c)
    assert (c.tick(0.5).linear, c.tick(0.5).angular) == (0.0, 1.5)
    c.withdraw('ws-c', 0.6)
    assert (c.tick(0.6).linear, c.tick(0.6).angular) == (0.2, 0.0)


def test_democracy_mode_executes_the_plurality_direction_in_the_next_window():
    c = controller('democracy', democracy_window=2.0)
    three_voters(c)
    assert (c.tick(1.9).linear, c.tick(1.9).angular) == (0.0, 0.0)
    out = c.tick(2.0)
    assert (out.linear, out.angular) == canonical_command('forward', MAX_V, MAX_W)


def test_queue_mode_lets_the_first_voter_drive():
    c = controller('queue', turn_duration=30.0, turn_idle_timeout=5.0)
    three_voters(c)
    out = c.tick(0.5)
    assert (out.linear, out.angular) == (0.3, 0.0)
    c.withdraw('ws-a', 0.6)  # disconnect: b drives at once with its fresh vote
    out = c.tick(0.6)
    assert (out.linear, out.angular) == (0.2, 0.0)
    assert c.core.waiting() == ['ws-c']


# --- mode changes ---------------------------------------------------------------------------

def test_operator_mode_change_starts_afresh_and_keeps_the_book():
    c = controller('vote')
    three_voters(c)
    assert c.set_mode('queue', 1.0)
    assert not c.set_mode('queue', 1.5)  # same mode: nothing changes
    assert c.mode == 'queue' and c.source == 'operator' and c.since == 1.0
    assert c.tick(1.0).linear == 0.0  # the queue forms from the next votes
    assert c.book.fuse(1.0).voters == 3
    c.add_vote('ws-b', 0.2, 0.0, 1.1)
    assert c.tick(1.1).linear == 0.2
    with pytest.raises(ValueError):
        c.set_mode('chaos', 2.0)
    assert c.mode == 'queue'


def test_crowd_switch_moves_between_anarchy_and_democracy_only():
    c = controller('anarchy', crowd_switch=True, switch_threshold=0.75, switch_cooldown=10.0)
    for i in range(3):
        c.mode_vote(f'ws-{i}', 'democracy', 1.0)
    c.mode_vote('ws-3', 'anarchy', 1.0)
    assert c.tick(9.9).mode == 'anarchy'  # cool-down from the start
    out = c.tick(10.0)
    assert out.mode == 'democracy' and out.switched_to == 'democracy'
    assert c.source == 'crowd'
    c.withdraw('ws-0', 10.5)  # a disconnect also ends its mode vote
    assert c.switch.counts(10.5) == {'anarchy': 1, 'democracy': 2}
    c.apply({'mode': 'queue'}, 11.0)  # the operator decides; the crowd cannot leave queue
    for i in range(6):
        c.mode_vote(f'ws-{i}', 'anarchy', 12.0)
    assert c.tick(100.0).mode == 'queue'
    c.apply({'mode': 'democracy'}, 100.0)
    for i in range(6):
        c.mode_vote(f'ws-{i}', 'anarchy', 101.0)  # the old ones expired (60 s)
    assert c.tick(109.9).mode == 'democracy'  # operator change: cool-down again
    assert c.tick(110.0).mode == 'anarchy'


def test_crowd_switch_off_counts_but_never_switches():
    c = controller('anarchy', crowd_switch=False, switch_cooldown=0.0)
    c.mode_vote('ws-1', 'democracy', 0.0)
    assert c.tick(1.0).mode == 'anarchy'
    status = mode_status(c, 1.0)['switch']
    assert status['enabled'] is False and status['active'] is False
    assert status['democracy'] == 1
    c.apply({'crowd_switch': True}, 1.0)
    assert c.tick(1.0).mode == 'democracy'


def test_apply_reaches_the_running_core():
    c = controller('queue')
    c.apply({'turn_duration': 5.0, 'turn_idle_timeout': 1.0, 'vote_timeout': 1.0,
             'stop_threshold': 0.5}, 0.0)
    assert (c.core.turn_duration, c.core.idle_timeout, c.core.vote_timeout) == (5.0, 1.0, 1.0)
    assert c.book.vote_timeout == 1.0 and c.core.stop_threshold == 0.5
    c.apply({'mode': 'democracy', 'democracy_window': 4.0}, 1.0)
    assert c.core.window == 4.0
    c.apply({'switch_threshold': 0.9, 'switch_cooldown': 3.0, 'mode_vote_timeout': 7.0}, 1.0)
    assert (c.switch.threshold, c.switch.cooldown, c.switch.vote_timeout) == (0.9, 3.0, 7.0)
    c.apply({'mode': 'anarchy'}, 2.0)
    assert c.core.vote_timeout == 1.0  # a new core takes the current settings
    with pytest.raises(ValueError):
        c.apply({'switch_threshold': 0.4}, 2.0)


def test_bad_configuration_is_refused():
    for kwargs in ({'mode': 'chaos'}, {'strategy': 'sum'}, {'democracy_window': 0.0},
                   {'turn_duration': math.nan}, {'switch_threshold': 0.5}):
        with pytest.raises(ValueError):
            controller(**kwargs)


# --- safety over any stream, any mode ---------------------------------------------------------

events = st.lists(st.tuples(
    st.sampled_from(['vote', 'vote', 'vote', 'withdraw', 'mode', 'set_mode', 'tick']),
    st.sampled_from(['ws-1', 'ws-2', 'gw/ws-3', 'gw/ws-4', 'gw/*']),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(0.0, 5.0),
    st.sampled_from(MODES + ('democracy', 'anarchy'))), max_size=60)


@settings(max_examples=150)
@given(events, st.sampled_from(MODES))
def test_any_stream_in_any_mode_stays_within_limits_and_hides_voter_ids(stream, mode):
    c = controller(mode, crowd_switch=True, switch_cooldown=2.0)
    now = 0.0
    for kind, voter, v, w, gap, target in stream:
        now += gap
        if kind == 'vote':
            c.add_vote(voter, v, w, now)
        elif kind == 'withdraw':
            c.withdraw(voter, now)
        elif kind == 'mode':
            c.mode_vote(voter, target if target in ('anarchy', 'democracy') else '', now)
        elif kind == 'set_mode':
            c.set_mode(target, now)
        out = c.tick(now)
        assert abs(out.linear) <= MAX_V and abs(out.angular) <= MAX_W
        assert math.isfinite(out.linear) and math.isfinite(out.angular)
        text = json.dumps(mode_status(c, now), allow_nan=False)
        assert 'ws-' not in text and 'gw/' not in text


# --- pause and sender loss --------------------------------------------------------------------

@pytest.mark.parametrize('mode', MODES)
def test_pause_stops_every_mode_and_resume_drives_again(mode):
    c = controller(mode, democracy_window=1.0, crowd_switch=True, switch_cooldown=0.0)
    three_voters(c)
    driving = c.tick(1.0)  # democracy: the first window's winner executes from 1.0
    assert (driving.linear, driving.angular) != (0.0, 0.0) and not driving.paused
    assert c.pause(True, 1.1) and not c.pause(True, 1.2)
    for _ in range(3):  # mode votes for the other mode: no switch while paused
        c.mode_vote(f'ws-m{_}', 'democracy' if mode == 'anarchy' else 'anarchy', 1.2)
    c.add_vote('ws-a', 0.3, 0.0, 1.3)
    out = c.tick(1.4)
    assert (out.linear, out.angular, out.paused, out.switched_to) == (0.0, 0.0, True, None)
    status = mode_status(c, 1.5)
    assert status['paused'] is True and status['paused_for'] == pytest.approx(0.4)
    assert c.mode == mode
    assert c.pause(False, 1.5) and not c.paused
    assert mode_status(c, 1.5)['paused'] is False and mode_status(c, 1.5)['paused_for'] is None
    out = c.tick(1.6)
    assert (out.linear, out.angular) != (0.0, 0.0) or out.switched_to is not None


def test_clear_drops_votes_core_state_and_mode_votes():
    c = controller('anarchy')
    three_voters(c)
    c.mode_vote('ws-a', 'democracy', 0.3)
    assert c.clear(0.4) == 3
    assert (c.tick(0.5).linear, c.tick(0.5).angular) == (0.0, 0.0)  # no stale anarchy input
    assert len(c.book) == 0 and c.switch.counts(0.5) == {'anarchy': 0, 'democracy': 0}
    assert c.mode == 'anarchy' and c.source == 'operator'
    q = controller('queue')
    three_voters(q)
    q.clear(0.4)
    assert q.core.status(0.5)['driver'] is None and q.core.waiting() == []


# --- crowd/status ---------------------------------------------------------------------------

def test_status_extension_keeps_every_existing_key():
    c = controller('democracy')
    three_voters(c)
    out = c.tick(0.5)
    base = status_dict(c.crowd_summary(0.5), strategy=c.strategy, operator=False,
                       command=(out.linear, out.angular), book=c.book, stamp=12.5)
    status = extend_status(base, mode_status(c, 0.5))
    assert {k: status[k] for k in base} == base
    assert status['voters'] == 3 and status['winner'] is None
    assert status['mode'] == 'democracy' and status['mode_source'] == 'operator'
    assert set(status) - set(base) <= set(MODE_STATUS_KEYS)
    demo = status['democracy']
    assert demo['votes'] == 3 and demo['leading'] == 'forward'
    assert demo['time_left'] == pytest.approx(1.5)
    json.dumps(status, allow_nan=False)
    with pytest.raises(ValueError, match='redefined'):
        extend_status(base, {'voters': 1})


@pytest.mark.parametrize(('mode', 'section'), [('vote', None), ('anarchy', 'anarchy'),
                                              ('democracy', 'democracy'), ('queue', 'queue')])
def test_status_has_the_section_of_the_mode_in_force(mode, section):
    c = controller(mode)
    three_voters(c)
    c.tick(0.5)
    status = mode_status(c, 0.5)
    sections = {'anarchy', 'democracy', 'queue'} & set(status)
    assert sections == ({section} if section else set())
    assert set(status['switch']) == {'enabled', 'active', 'anarchy', 'democracy', 'threshold',
                                     'cooldown_left', 'vote_timeout'}
    if mode == 'queue':
        assert status['queue']['driver'] == voter_token('ws-a')
        assert status['queue']['waiting'] == [voter_token('ws-b'), voter_token('ws-c')]
    if mode == 'anarchy':
        assert status['anarchy']['driver'] == voter_token('ws-c')


def test_crowd_summary_is_the_full_fusion_and_the_tick_skips_the_histogram():
    c = controller('vote', strategy='plurality')
    three_voters(c)
    fused = c.tick(0.5).fused
    assert fused.winner == 'forward'  # plurality needs the bins, so they were computed
    summary = c.crowd_summary(0.6)
    assert summary.winner == 'forward' and summary.histogram['forward'] == 2
    c.apply({'strategy': 'mean'}, 0.6)
    fast = c.tick(0.6).fused
    assert sum(fast.histogram.values()) == 0 and fast.voters == 3  # fast path: no histogram
    assert sum(c.crowd_summary(0.6).histogram.values()) == 3
    c.set_mode('anarchy', 0.7)
    summary = c.crowd_summary(0.7)
    assert summary.voters == 3 and summary.winner is None


# --- parameters -----------------------------------------------------------------------------

SPECS = by_name(MODE_PARAMETERS)


def test_mode_parameters_extend_the_vote_node_schema():
    assert not set(SPECS) & {p.name for p in FUSION_PARAMETERS}
    assert PARAMETERS == FUSION_PARAMETERS + MODE_PARAMETERS  # the node declares one schema
    assert all(not p.read_only for p in MODE_PARAMETERS)  # the controller applies them all
    assert SPECS['mode'].choices == MODES and SPECS['mode'].default == 'vote'
    assert SPECS['democracy_window'].default == 2.0 and SPECS['turn_duration'].default == 30.0
    assert SPECS['turn_idle_timeout'].default == 5.0 and SPECS['crowd_switch'].default is False
    assert SPECS['switch_threshold'].default == 0.75 and SPECS['switch_threshold'].low > 0.5
    values = check_values(PARAMETERS, {})
    c = ModeController.from_params(VoteBook(values['max_voters'], values['vote_timeout'],
                                            values['max_linear'], values['max_angular']),
                                   values, now=0.0)
    assert c.mode == 'vote' and c.switch.threshold == 0.75


@pytest.mark.parametrize(('name', 'value'), [
    ('mode', 'chaos'), ('mode', ''), ('democracy_window', 0.1), ('turn_duration', 0.0),
    ('turn_idle_timeout', math.inf), ('crowd_switch', 1), ('switch_threshold', 0.5),
    ('switch_threshold', 1.5), ('switch_cooldown', -1.0), ('mode_vote_timeout', 1.0),
])
def test_bad_mode_parameter_values_are_refused_with_the_name(name, value):
    message = check(SPECS[name], value)
    assert message and name in message


def test_every_valid_parameter_value_builds_a_controller():
    for param in MODE_PARAMETERS:
        for value in [param.default, *param.choices, param.low, param.high]:
            if value is None or check(param, value):
                continue
            values = check_values(PARAMETERS, {param.name: value})
            book = VoteBook(10, 3.0, MAX_V, MAX_W)
            ModeController.from_params(book, values, now=0.0).apply({param.name: value}, 1.0)


def test_readme_documents_the_mode_parameters():
    table = markdown_table(PARAMETERS)  # the generated table (test_params.py checks its place)
    for row in markdown_table(MODE_PARAMETERS).splitlines()[2:]:
        assert row in table and row in README.read_text()


# --- the page's copy of the canonical commands ----------------------------------------------

def test_page_buttons_are_the_canonical_commands():
    source = (ROOT / 'web' / 'src' / 'logic' / 'commands.js').read_text()
    scale = float(re.search(r'DIAGONAL_SCALE\s*=\s*([0-9.]+)', source).group(1))
    page = {}
    for name, v, w in re.findall(
            r"\{\s*name:\s*'(\w+)'.*?v:\s*(-?[\w.]+),\s*w:\s*(-?[\w.]+)\s*\}", source):
        def num(text):
            sign = -1.0 if text.startswith('-') else 1.0
            text = text.lstrip('-')
            return sign * (scale if text == 'DIAGONAL_SCALE' else float(text))
        page[name] = (num(v), num(w))
    from kropbot_common.directions import DIRECTIONS

    assert page == dict(zip(DIRECTIONS, CANONICAL_FACTORS))
