"""The fast cmd_vel loop's scheduler (kropbot_vote.schedule): simulated clocks, no sleeps.

A small simulation replays a node around the scheduler: inputs at given times, a timer that
ticks every ``min_interval`` (with lateness), and a command that changes with every input.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from kropbot_vote.fusion import VoteBook, is_bot
from kropbot_vote.schedule import PublishScheduler
import pytest

TICK = 0.02  # s, max_rate 50 Hz
HEARTBEAT = 0.1  # s, rate 10 Hz


def simulate(inputs, until, tick_lateness=0.0, changes=True, heartbeats=()):
    """Replay ``inputs`` [(time, operator)] with a ticking timer; return the evaluation log.

    Each evaluation publishes when the command changed (every input changes it if
    ``changes``) or a heartbeat is due. Returns (evaluations, publications, input times ->
    evaluation time).
    """
    sched = PublishScheduler(TICK, HEARTBEAT)
    events = [(t, 'input', op) for t, op in inputs]
    events += [(t, 'repeat', True) for t in heartbeats]  # unchanged operator commands
    k = 1
    while k * TICK <= until:
        events.append((k * TICK + tick_lateness * ((k * 7919) % 10) / 10, 'tick', False))
        k += 1
    events.sort(key=lambda e: (e[0], e[1] == 'tick'))
    evaluations, publications, served, pending = [], [], {}, []
    dirty_command = False
    for t, kind, operator in events:
        if kind == 'input':
            pending.append(t)
            dirty_command = dirty_command or changes
            go = sched.on_input(t, operator)
        elif kind == 'repeat':
            go = sched.on_input(t, True, changed=False)
        else:
            go = sched.on_tick(t)
        if go:
            publish = dirty_command or sched.heartbeat_due(t)
            sched.evaluated(t, publish)
            evaluations.append(t)
            if publish:
                publications.append(t)
            for p in pending:
                served[p] = t
            pending, dirty_command = [], False
    return evaluations, publications, served


def test_a_lone_input_is_evaluated_at_once():
    _, pubs, served = simulate([(0.505, False)], 1.0)
    assert served[0.505] == 0.505 and 0.505 in pubs


def test_operator_commands_at_30_hz_go_out_at_once_even_amid_a_crowd():
    crowd = [(0.0005 * i, False) for i in range(2000)]  # 2,000 votes/s
    operator = [(0.0333 * i + 0.0001, True) for i in range(30)]
    _, _, served = simulate(crowd + operator, 1.0)
    assert all(served[t] == t for t, _ in operator)


def test_the_operators_repeats_never_delay_its_next_change():
    repeats = [0.1 * k for k in range(1, 20)]  # the desktop client's 0.1 s heartbeat
    changes = [0.1 * k + 0.003 for k in range(1, 19)]  # each change 3 ms after a repeat
    _, _, served = simulate([(t, True) for t in changes], 2.0, heartbeats=repeats)
    assert all(served[t] == t for t in changes)


def test_a_dense_crowd_is_fused_at_most_max_rate_and_waits_at_most_a_tick():
    votes = [(0.0005 * i + 0.0001, False) for i in range(4000)]  # 1,000 voters x 2 Hz, 2 s
    evaluations, _, served = simulate(votes, 2.0)
    assert len(evaluations) <= 2.0 / TICK + 2  # ~50 fusions/s, not 2,000
    assert max(served[t] - t for t, _ in votes) <= TICK + 1e-9


def test_late_ticks_delay_by_at_most_their_lateness():
    votes = [(0.0005 * i + 0.0001, False) for i in range(2000)]
    _, _, served = simulate(votes, 1.0, tick_lateness=0.005)
    assert max(served[t] - t for t, _ in votes) <= TICK + 0.005 + 1e-9


def test_idle_node_publishes_the_heartbeat_at_the_rate():
    _, pubs, _ = simulate([], 2.0)
    gaps = [b - a for a, b in zip(pubs, pubs[1:])]
    assert pubs[0] == TICK and all(g == pytest.approx(HEARTBEAT) for g in gaps)


def test_a_heartbeat_does_not_delay_the_next_vote():
    votes = [0.1 * k + 0.005 for k in range(1, 10)]  # 5 ms after each heartbeat tick
    _, _, served = simulate([(t, False) for t in votes], 1.0)
    assert all(served[t] == t for t in votes)


def test_unchanged_input_is_evaluated_but_not_republished_before_the_heartbeat():
    votes = [(0.0005 * i + 0.0001, False) for i in range(2000)]
    evaluations, pubs, _ = simulate(votes, 1.0, changes=False)
    assert len(evaluations) > 40 and len(pubs) <= 1.0 / HEARTBEAT + 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), max_size=200),
       st.floats(0.0, 0.01))
def test_bounds_hold_for_any_input_pattern(inputs, lateness):
    evaluations, pubs, served = simulate(inputs, 1.2, tick_lateness=lateness)
    # every input is evaluated within a tick (plus the timer's lateness) ...
    for t, _ in inputs:
        assert served[t] - t <= TICK + lateness + 1e-9
    # ... an input evaluates at once only a full tick after the last evaluation, so the crowd
    # costs at most two evaluations (one input, one tick) per tick period
    ticks = int(1.2 / TICK)
    crowd_evals = [t for t in evaluations if not any(op and s == t for s, op in inputs)]
    assert len(crowd_evals) <= 2 * ticks + 1.2 / HEARTBEAT + 1
    # ... and the heartbeat never lapses (one period plus a tick of jitter)
    marks = [0.0, *pubs, 1.2]
    assert all(b - a <= HEARTBEAT + TICK + lateness + 1e-9 for a, b in zip(marks, marks[1:]))


def test_scheduler_arguments_are_checked():
    with pytest.raises(ValueError):
        PublishScheduler(0.0, 0.1)
    with pytest.raises(ValueError):
        PublishScheduler(0.1, 0.05)
    with pytest.raises(ValueError):
        PublishScheduler(math.nan, 0.1)


def test_bots_are_counted_apart_and_follow_their_slot():
    assert is_bot('bot-1a2b') and is_bot('gw1/bot-1a2b') and not is_bot('ws-1a2b')
    assert not is_bot('robot-1') and not is_bot('bot/ws-1')
    book = VoteBook(10, 3.0, 0.3, 1.5)
    for voter in ('ws-a', 'bot-b', 'gw2/bot-c', 'ws-d'):
        book.add(voter, 0.1, 0.0, 0.0)
    fused = book.fuse(1.0)
    assert (fused.voters, fused.bots) == (4, 2)
    book.withdraw('ws-a')  # the last slot (ws-d) moves into slot 0; the bot flags move along
    book.withdraw('bot-b')
    assert (book.fuse(1.0).voters, book.fuse(1.0).bots) == (2, 1)
    book.add('bot-e', 0.1, 0.0, 2.0)
    assert book.fuse(3.5).bots == 1  # the first votes expired: only bot-e is live
    assert book.fuse(3.5).voters == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.3, 0.3), st.floats(-1.5, 1.5)), min_size=1,
                max_size=50),
       st.sampled_from(['mean', 'median']))
def test_command_without_histogram_is_the_same_command(votes, strategy):
    book = VoteBook(100, 3.0, 0.3, 1.5)
    for i, (v, w) in enumerate(votes):
        book.add(f'ws-{i}', v, w, 0.0)
    full, fast = book.fuse(1.0, strategy), book.fuse(1.0, strategy, histogram=False)
    assert (fast.linear, fast.angular, fast.voters) == (full.linear, full.angular, full.voters)
    assert sum(full.histogram.values()) == len(votes) and sum(fast.histogram.values()) == 0
