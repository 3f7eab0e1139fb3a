"""Unit and property tests of the crowd modes' pure cores: anarchy, democracy, queue, switch."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from kropbot_common.directions import DIRECTIONS, HISTOGRAM_KEYS
from kropbot_common.voter_token import voter_token
from kropbot_testing.bins import direction_bin
from kropbot_vote.anarchy import Anarchy
from kropbot_vote.bins import canonical_command
from kropbot_vote.democracy import Democracy, plurality_winner
from kropbot_vote.driver_queue import DriverQueue
from kropbot_vote.mode_switch import (
    ACCEPTED,
    NO_VOTER_ID,
    UNKNOWN_MODE,
    ModeSwitch,
    parse_mode_vote,
)
import pytest

MAX_V = 0.3
MAX_W = 1.5
TIMEOUT = 3.0

any_v = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)
any_w = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False)
voter_ids = st.sampled_from([f'v{i}' for i in range(6)])
gaps = st.floats(0.0, 2.0, allow_nan=False)
DIRS = list(DIRECTIONS)


def clamp(v, w):
    return min(max(v, -MAX_V), MAX_V), min(max(w, -MAX_W), MAX_W)


def within_limits(cmd):
    return abs(cmd[0]) <= MAX_V and abs(cmd[1]) <= MAX_W and all(map(math.isfinite, cmd))


# --- anarchy -------------------------------------------------------------------------------

anarchy_events = st.lists(st.tuples(st.sampled_from(['vote', 'vote', 'vote', 'withdraw',
                                                      'tick']),
                                    voter_ids, any_v, any_w, gaps), max_size=60)


@settings(max_examples=200)
@given(anarchy_events)
def test_anarchy_follows_the_newest_fresh_input_and_stays_within_limits(events):
    core = Anarchy(TIMEOUT, MAX_V, MAX_W)
    latest = {}  # reference: voter -> (command, arrival, sequence number)
    now = 0.0
    for seq, (kind, voter, v, w, gap) in enumerate(events):
        now += gap
        if kind == 'vote':
            assert core.add(voter, v, w, now)
            latest[voter] = (clamp(v, w), now, seq)
        elif kind == 'withdraw':
            core.withdraw(voter, now)
            latest.pop(voter, None)
        fresh = [x for x in latest.values() if now - x[1] < TIMEOUT]
        expected = max(fresh, key=lambda x: x[2])[0] if fresh else (0.0, 0.0)
        cmd = core.command(now)
        assert cmd == expected
        assert within_limits(cmd)


def test_anarchy_input_expires_and_withdrawal_hands_back_to_the_previous_input():
    core = Anarchy(TIMEOUT, MAX_V, MAX_W)
    core.add('a', 0.3, 0.0, 0.0)
    core.add('b', 0.0, 1.5, 1.0)
    assert core.command(1.0) == (0.0, 1.5)
    assert core.status(1.5)['driver'] == voter_token('b')
    core.withdraw('b', 1.5)
    assert core.command(1.5) == (0.3, 0.0)  # a's input is still fresh
    assert core.command(3.0) == (0.0, 0.0)  # exactly vote_timeout after a's input: expired
    assert core.status(3.0) == {'driver': None, 'input_age': None, 'inputs': 0}
    assert not core.add('c', math.nan, 0.0, 4.0) and core.command(4.0) == (0.0, 0.0)


def test_anarchy_pattern_withdrawal():
    core = Anarchy(TIMEOUT, MAX_V, MAX_W)
    core.add('gw1/a', 0.1, 0.0, 0.0)
    core.add('gw2/b', 0.2, 0.0, 0.1)
    core.add('gw1/c', 0.3, 0.0, 0.2)
    assert core.withdraw('gw1/*', 0.3) == 2
    assert core.command(0.3) == (0.2, 0.0)


# --- democracy -----------------------------------------------------------------------------

WINDOW = 2.0
BUTTON = {d: canonical_command(d, MAX_V, MAX_W) for d in DIRECTIONS}


def test_canonical_commands_bin_to_their_own_direction():
    for name, (v, w) in BUTTON.items():
        assert direction_bin(v, w, MAX_V, MAX_W) == name
    assert BUTTON['forward'] == (MAX_V, 0.0) and BUTTON['left'] == (0.0, MAX_W)
    assert BUTTON['back_left'] == pytest.approx((-0.7 * MAX_V, -0.7 * MAX_W))
    with pytest.raises(ValueError, match='unknown direction'):
        canonical_command('up', MAX_V, MAX_W)


def test_plurality_winner_rule():
    counts = [0] * 9
    assert plurality_winner(counts) == 'stop'
    counts[DIRECTIONS.index('left')] = 3
    assert plurality_winner(counts) == 'left'
    counts[DIRECTIONS.index('back')] = 3
    assert plurality_winner(counts) == 'stop'  # tie
    counts[DIRECTIONS.index('stop')] = 4
    assert plurality_winner(counts) == 'stop'


# One window's votes: (voter, direction, offset in the window as a fraction of it).
window_votes = st.lists(st.tuples(voter_ids, st.sampled_from(DIRS),
                                  st.floats(0.0, 0.999)), max_size=25)


def reference_winner(votes):
    """Plurality of each voter's latest vote (by offset, then by order) in one window."""
    latest = {}
    for order, (voter, direction, offset) in enumerate(votes):
        if voter not in latest or (offset, order) >= latest[voter][0]:
            latest[voter] = ((offset, order), direction)
    counts = {d: 0 for d in DIRECTIONS}
    for _, direction in latest.values():
        counts[direction] += 1
    best = max(counts.values())
    leaders = [d for d, c in counts.items() if c == best]
    return 'stop' if best == 0 or len(leaders) > 1 else leaders[0], counts, len(latest)


@settings(max_examples=150)
@given(st.lists(window_votes, min_size=1, max_size=4))
def test_democracy_executes_each_windows_plurality_in_the_next_window(windows):
    core = Democracy(WINDOW, MAX_V, MAX_W, now=10.0)
    expected_exec = 'stop'  # the first window of the mode executes stop
    for k, votes in enumerate(windows):
        start = 10.0 + k * WINDOW
        for voter, direction, offset in sorted(votes, key=lambda x: x[2]):
            now = start + offset * WINDOW
            v, w = BUTTON[direction]
            assert core.add(voter, v, w, now)
            # while a window runs, the previous window's winner is executed
            assert core.command(now) == BUTTON[expected_exec]
        winner, counts, voters = reference_winner(sorted(votes, key=lambda x: x[2]))
        status = core.status(start + 0.999 * WINDOW)
        assert status['votes'] == voters  # each voter counted once per window
        assert status['tally'] == {key: counts[key] for key in HISTOGRAM_KEYS}
        assert status['leading'] == winner and status['executing'] == expected_exec
        assert sum(status['tally'].values()) == voters
        expected_exec = winner
        cmd = core.command(start + WINDOW)  # the boundary: the next window starts
        assert cmd == BUTTON[winner]
        assert within_limits(cmd)


def test_democracy_ties_and_silence_stop_and_boundary_votes_count_in_the_next_window():
    core = Democracy(WINDOW, MAX_V, MAX_W, now=0.0)
    core.add('a', *BUTTON['forward'], 0.1)
    core.add('b', *BUTTON['left'], 0.2)
    core.add('c', *BUTTON['left'], 2.0)  # at the boundary: the second window
    assert core.command(2.0) == (0.0, 0.0)  # first window tied 1:1
    assert core.status(2.0)['tally']['left'] == 1
    assert core.command(4.0) == BUTTON['left']
    assert core.command(6.0) == (0.0, 0.0)  # third window had no votes
    core.add('a', *BUTTON['back'], 6.5)
    assert core.command(10.1) == (0.0, 0.0)  # two windows passed: the empty one decides
    assert core.decisions == 5


def test_democracy_revote_replaces_and_withdrawal_removes_from_the_tally():
    core = Democracy(WINDOW, MAX_V, MAX_W, now=0.0)
    for i in range(5):
        core.add('a', *BUTTON['forward'], 0.1 * i)  # one voter, many votes: counted once
    core.add('a', *BUTTON['right'], 0.6)
    core.add('b', *BUTTON['back'], 0.7)
    core.add('c', *BUTTON['back'], 0.8)
    tally = core.tally(0.9)
    assert tally['forward'] == 0 and tally['right'] == 1 and tally['back'] == 2
    assert core.withdraw('c', 1.0) == 1
    assert core.status(1.0)['leading'] == 'stop'  # right 1 : back 1
    assert core.command(2.0) == (0.0, 0.0)


def test_democracy_capacity_and_bad_votes():
    core = Democracy(WINDOW, MAX_V, MAX_W, now=0.0, max_voters=2)
    assert core.add('a', 0.3, 0.0, 0.0) and core.add('b', 0.3, 0.0, 0.1)
    assert not core.add('c', 0.3, 0.0, 0.2) and core.dropped == 1
    assert core.add('a', 0.0, 1.5, 0.3)  # a known voter still re-votes
    assert not core.add('a', math.inf, 0.0, 0.4)
    assert core.add('c', 0.3, 0.0, 2.1)  # a new window has room again
    with pytest.raises(ValueError):
        Democracy(0.0, MAX_V, MAX_W, now=0.0)


def test_democracy_window_change_applies_to_the_running_window():
    core = Democracy(WINDOW, MAX_V, MAX_W, now=0.0)
    core.add('a', *BUTTON['forward'], 0.5)
    core.window = 1.0
    assert core.command(1.0) == BUTTON['forward']
    assert core.status(1.2)['time_left'] == pytest.approx(0.8)


# --- queue ---------------------------------------------------------------------------------

TURN = 30.0
IDLE = 5.0

queue_events = st.lists(
    st.tuples(st.sampled_from(['move', 'move', 'stop', 'withdraw', 'tick']),
              voter_ids, st.floats(0.0, 8.0, allow_nan=False)),
    max_size=80)


def new_queue(**kwargs):
    args = dict(turn_duration=TURN, idle_timeout=IDLE, vote_timeout=TIMEOUT, max_linear=MAX_V,
                max_angular=MAX_W)
    args.update(kwargs)
    return DriverQueue(**args)


def check_step(q, line, now, prev, history):
    """Check one step against the test's own line bookkeeping; return (driver, turn_start)."""
    current = (q.driver, q.turn_start)
    if q.driver is not None and current != prev:
        # a new turn: it must go to the first in line, nobody skipped
        assert line and q.driver == line.pop(0)
        history.append(q.driver)
    assert q.waiting() == line  # FIFO: the queue's order is the order of joining
    if q.driver is not None:
        assert now - q.turn_start < q.turn_duration  # a turn never exceeds turn_duration
    return current


@settings(max_examples=200)
@given(queue_events, st.floats(1.0, 40.0), st.floats(0.5, 10.0))
def test_queue_is_fifo_turns_are_bounded_and_nobody_is_skipped(events, turn, idle):
    q = new_queue(turn_duration=turn, idle_timeout=idle)
    line, history = [], []
    prev = (None, None)
    now = 0.0
    last_vote = {}
    for kind, voter, gap in events:
        now += gap
        q.command(now)  # the tick that would run at this time (ends due turns)
        prev = check_step(q, line, now, prev, history)
        if kind in ('move', 'stop'):
            v, w = (0.3, 0.5) if kind == 'move' else (0.0, 0.0)
            if voter != q.driver and voter not in line:
                line.append(voter)  # joining by voting, at the back
            assert q.add(voter, v, w, now)
            last_vote[voter] = ((v, w), now)
        elif kind == 'withdraw':
            if voter in line:
                line.remove(voter)
            q.withdraw(voter, now)
        prev = check_step(q, line, now, prev, history)
        cmd = q.command(now)
        assert within_limits(cmd)
        if q.driver is None:
            assert cmd == (0.0, 0.0) and not line
        elif cmd != (0.0, 0.0):  # only the driver's own fresh vote drives
            (v, w), t = last_vote[q.driver]
            assert cmd == (v, w) and now - t < TIMEOUT
    # Without more votes every turn ends by idleness: all waiting voters drive, in order.
    waiting, before = list(line), len(history)
    end = now + (len(line) + 1) * (idle + TIMEOUT) + 1.0
    while now < end:
        now += 0.1
        q.command(now)
        prev = check_step(q, line, now, prev, history)
    assert q.driver is None and len(q) == 0
    assert history[before:] == waiting


def test_queue_turn_ends_exactly_at_turn_duration_for_a_busy_driver():
    q = new_queue()
    q.add('a', 0.3, 0.0, 0.0)
    q.add('b', 0.0, 1.5, 0.5)
    t = 0.0
    while t < TURN - 1.0:  # a holds a control, re-sent every second
        t += 1.0
        q.add('a', 0.3, 0.0, t)
        assert q.command(t) == (0.3, 0.0) and q.driver == 'a'
    assert q.command(TURN - 1e-9) == (0.3, 0.0)
    assert q.command(TURN) == (0.0, 0.0)  # b drives; its joining vote is long stale
    assert q.driver == 'b' and q.turn_start == TURN and q.handovers['duration'] == 1
    q.add('a', 0.3, 0.0, TURN + 0.5)  # a, still holding, joins again at the back
    assert q.waiting() == ['a']


def test_queue_next_driver_holding_a_control_drives_at_once():
    q = new_queue()
    q.add('a', 0.3, 0.0, 0.0)  # fresh until 3.0, then idle: hand-over at 8.0
    q.add('b', 0.0, 1.5, 0.5)
    q.add('c', 0.0, -1.5, 1.0)
    q.add('b', 0.0, 1.5, 7.5)  # b holds a control while waiting
    assert q.command(8.0 - 1e-9) == (0.0, 0.0) and q.driver == 'a'
    assert q.command(8.0) == (0.0, 1.5) and q.driver == 'b'
    assert q.status(8.0)['waiting'] == [voter_token('c')]


def test_queue_idle_driver_hands_over_after_idle_timeout():
    q = new_queue()
    q.add('a', 0.3, 0.0, 0.0)
    q.add('b', 0.0, 1.5, 0.5)
    q.add('a', 0.0, 0.0, 2.0)  # a releases: a stop vote
    assert q.command(2.0 + IDLE - 1e-6) == (0.0, 0.0) and q.driver == 'a'
    assert q.status(6.0)['idle_left'] == pytest.approx(1.0)
    q.command(2.0 + IDLE)
    assert q.driver == 'b' and q.handovers['idle'] == 1
    # b is idle from the start of its turn until it votes
    assert q.status(7.0)['idle_left'] == pytest.approx(IDLE - 0.0)
    q.add('b', 0.0, 1.5, 7.1)
    assert q.command(7.2) == (0.0, 1.5) and q.status(7.2)['idle_left'] is None
    # a non-stop vote that expires counts as released from its expiry
    q.command(7.1 + TIMEOUT + IDLE - 1e-6)
    assert q.driver == 'b'
    q.command(7.1 + TIMEOUT + IDLE)
    assert q.driver is None and q.command(20.0) == (0.0, 0.0)


def test_queue_withdrawn_driver_hands_over_at_once():
    q = new_queue()
    q.add('gw1/a', 0.3, 0.0, 0.0)
    q.add('b', 0.0, 1.5, 0.2)
    q.add('gw1/c', 0.3, 0.0, 0.3)
    q.add('d', 0.0, -1.5, 0.4)
    assert q.withdraw('gw1/*', 1.0) == 2
    assert q.driver == 'b' and q.turn_start == 1.0 and q.waiting() == ['d']
    assert q.command(1.0) == (0.0, 1.5)  # b's kept vote is fresh: b drives at once
    assert q.handovers['withdrawn'] == 1
    assert q.withdraw('nobody', 1.1) == 0


def test_queue_status_lists_tokens_not_ids():
    q = new_queue()
    for i in range(5):
        q.add(f'ws-secret{i}', 0.3, 0.0, 0.1 * i)
    status = q.status(1.0, listed=3)
    assert status['driver'] == voter_token('ws-secret0')
    assert status['waiting'] == [voter_token(f'ws-secret{i}') for i in (1, 2, 3)]
    assert status['length'] == 4 and status['turn_left'] == pytest.approx(TURN - 1.0)
    assert 'secret' not in repr(status)


def test_queue_capacity_and_bad_votes():
    q = new_queue(max_voters=2)
    assert q.add('a', 0.3, 0.0, 0.0) and q.add('b', 0.3, 0.0, 0.0)
    assert not q.add('c', 0.3, 0.0, 0.0) and q.dropped == 1
    assert not q.add('a', math.nan, 0.0, 0.1) and q.command(0.1) == (0.3, 0.0)
    with pytest.raises(ValueError):
        new_queue(turn_duration=0.0)


# --- mode switch ---------------------------------------------------------------------------

THRESHOLD = 0.75
COOLDOWN = 10.0

switch_events = st.lists(
    st.tuples(st.sampled_from(['anarchy', 'democracy', '', 'tick', 'tick']), voter_ids,
              st.floats(0.0, 6.0, allow_nan=False)),
    max_size=80)


@settings(max_examples=200)
@given(switch_events, st.floats(0.51, 1.0), st.floats(0.0, 20.0),
       st.sampled_from(['anarchy', 'democracy']))
def test_switch_never_flips_below_the_threshold_and_respects_the_cooldown(
        events, threshold, cooldown, start):
    s = ModeSwitch(threshold, cooldown, vote_timeout=30.0, now=0.0)
    current, last_change, now, switches = start, 0.0, 0.0, 0
    for kind, voter, gap in events:
        now += gap
        if kind != 'tick':
            assert s.vote(voter, kind, now) == ACCEPTED
        counts = s.counts(now)
        new = s.decide(current, now)
        if new is None:
            continue
        assert new != current and new in ('anarchy', 'democracy')
        total = counts['anarchy'] + counts['democracy']
        assert total > 0 and counts[new] / total >= threshold
        assert now - last_change >= cooldown
        current, last_change = new, now
        switches += 1
    assert s.switches == switches


def test_switch_counts_live_votes_and_waits_for_the_cooldown():
    s = ModeSwitch(THRESHOLD, COOLDOWN, vote_timeout=30.0, now=0.0)
    for i in range(3):
        s.vote(f'v{i}', 'democracy', 1.0)
    s.vote('v3', 'anarchy', 1.0)
    assert s.decide('anarchy', 5.0) is None  # 3/4 = 0.75 but the cool-down runs until 10
    assert s.status(5.0, 'anarchy', True)['cooldown_left'] == pytest.approx(5.0)
    assert s.decide('anarchy', 10.0) == 'democracy' and s.switches == 1
    assert s.decide('democracy', 25.0) is None  # anarchy has 1/4
    s.vote('v0', '', 26.0)  # withdrawn: anarchy 1/3 still below
    s.vote('v1', 'anarchy', 26.0)  # anarchy 2/3 = 0.67 < 0.75
    assert s.decide('democracy', 27.0) is None
    assert s.counts(40.0) == {'anarchy': 1, 'democracy': 0}  # v2, v3 expired; v1 lives
    assert s.decide('democracy', 40.0) == 'anarchy'
    assert s.decide('queue', 100.0) is None  # the switch never leaves vote/queue


def test_switch_rejects_bad_mode_votes_and_withdraws_patterns():
    s = ModeSwitch(THRESHOLD, COOLDOWN, vote_timeout=30.0, now=0.0, max_voters=2)
    assert s.vote('', 'anarchy', 0.0) == NO_VOTER_ID
    assert s.vote('a', 'queue', 0.0) == UNKNOWN_MODE
    assert s.vote('gw1/a', 'anarchy', 0.0) == ACCEPTED
    assert s.vote('gw1/b', 'democracy', 0.0) == ACCEPTED
    assert s.vote('c', 'democracy', 0.0) == 'over_capacity'
    assert s.rejected == {'unknown_mode': 1, 'no_voter_id': 1, 'over_capacity': 1}
    assert s.withdraw('gw1/*') == 2 and s.counts(0.0) == {'anarchy': 0, 'democracy': 0}
    for bad in (0.5, 1.5, math.nan):
        with pytest.raises(ValueError):
            ModeSwitch(bad, COOLDOWN, 30.0, 0.0)


@pytest.mark.parametrize('data', ['', 'anarchy', '[]', '{"voter": 1, "mode": "anarchy"}',
                                  '{"mode": "anarchy"}', 'x' * 2000])
def test_parse_mode_vote_refuses_malformed_messages(data):
    with pytest.raises(ValueError):
        parse_mode_vote(data)


def test_parse_mode_vote():
    assert parse_mode_vote('{"voter": "ws-1", "mode": "democracy", "x": 1}') == (
        'ws-1', 'democracy')
