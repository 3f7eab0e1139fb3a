"""Unit and property tests of the pure vote fusion core (no ROS)."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from kropbot_common.directions import DIRECTIONS, HISTOGRAM_KEYS
from kropbot_testing.bins import direction_bin
from kropbot_vote.bins import clamp_command, direction_bins
from kropbot_vote.fusion import (
    ACCEPTED,
    NO_VOTER_ID,
    NON_FINITE,
    OVER_CAPACITY,
    STRATEGIES,
    VoteBook,
)
from kropbot_vote.status import status_dict
from kropbot_vote.teleop import TeleopOverride
from kropbot_vote.voters import VoterSlots
import numpy as np
import pytest

MAX_V = 0.3
MAX_W = 1.5
TIMEOUT = 3.0

# Votes may exceed the limits (they get clamped) but are finite here.
finite_v = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)
finite_w = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)
votes = st.lists(st.tuples(finite_v, finite_w), min_size=0, max_size=40)
strategy_names = st.sampled_from(STRATEGIES)


def book(**kwargs):
    args = dict(max_voters=1000, vote_timeout=TIMEOUT, max_linear=MAX_V, max_angular=MAX_W)
    args.update(kwargs)
    return VoteBook(**args)


def fill(b, vote_list, now=0.0, prefix='v'):
    for i, (v, w) in enumerate(vote_list):
        assert b.add(f'{prefix}{i}', v, w, now) == ACCEPTED


def clamp(v, w):
    return min(max(v, -MAX_V), MAX_V), min(max(w, -MAX_W), MAX_W)


# --- direction bins -------------------------------------------------------------------------

# The table from the shared conventions: the page's button commands and their bins.
BUTTONS = {
    'forward': (MAX_V, 0.0),
    'forward_left': (0.7 * MAX_V, 0.7 * MAX_W),
    'left': (0.0, MAX_W),
    'back_left': (-0.7 * MAX_V, -0.7 * MAX_W),
    'back': (-MAX_V, 0.0),
    'back_right': (-0.7 * MAX_V, 0.7 * MAX_W),
    'right': (0.0, -MAX_W),
    'forward_right': (0.7 * MAX_V, -0.7 * MAX_W),
    'stop': (0.0, 0.0),
}


@pytest.mark.parametrize('name', list(BUTTONS))
def test_page_buttons_bin_to_their_direction(name):
    v, w = BUTTONS[name]
    assert direction_bin(v, w, MAX_V, MAX_W) == name


@pytest.mark.parametrize(('degrees', 'name'), [
    (0, 'forward'), (45, 'forward_left'), (90, 'left'), (135, 'back_right'), (180, 'back'),
    (-180, 'back'), (-135, 'back_left'), (-90, 'right'), (-45, 'forward_right'),
    (20, 'forward'), (25, 'forward_left'), (-20, 'forward'), (-25, 'forward_right'),
    (170, 'back'), (-170, 'back'), (110, 'left'), (115, 'back_right'),
])
def test_bin_sectors_by_normalised_angle(degrees, name):
    a = math.radians(degrees)
    assert direction_bin(MAX_V * math.cos(a), MAX_W * math.sin(a), MAX_V, MAX_W) == name


def test_stop_threshold_on_normalised_magnitude():
    # 0.19 of max_linear is stop, 0.21 is forward; same on the angular axis.
    assert direction_bin(0.19 * MAX_V, 0.0, MAX_V, MAX_W) == 'stop'
    assert direction_bin(0.21 * MAX_V, 0.0, MAX_V, MAX_W) == 'forward'
    assert direction_bin(0.0, -0.19 * MAX_W, MAX_V, MAX_W) == 'stop'
    assert direction_bin(0.0, -0.21 * MAX_W, MAX_V, MAX_W) == 'right'
    assert direction_bin(0.5 * MAX_V, 0.0, MAX_V, MAX_W, stop_threshold=0.6) == 'stop'


def test_reverse_uses_car_convention():
    # Reversing while turning clockwise (w < 0) is back_left, like KropBot's motor table.
    assert direction_bin(-MAX_V, -MAX_W, MAX_V, MAX_W) == 'back_left'
    assert direction_bin(-MAX_V, MAX_W, MAX_V, MAX_W) == 'back_right'


@given(finite_v, finite_w)
def test_scalar_and_vector_bins_agree(v, w):
    index = direction_bins(np.array([v, 0.0]), np.array([w, 0.0]), MAX_V, MAX_W)
    assert DIRECTIONS[index[0]] == direction_bin(v, w, MAX_V, MAX_W)
    assert DIRECTIONS[index[1]] == 'stop'


# --- clamping, rejection ---------------------------------------------------------------------

def test_clamp_command():
    assert clamp_command(1.0, -9.0, MAX_V, MAX_W) == (MAX_V, -MAX_W, True)
    assert clamp_command(0.1, 0.2, MAX_V, MAX_W) == (0.1, 0.2, False)
    assert clamp_command(math.nan, 0.0, MAX_V, MAX_W) is None
    assert clamp_command(0.0, -math.inf, MAX_V, MAX_W) is None


@pytest.mark.parametrize('bad', [math.nan, math.inf, -math.inf])
def test_non_finite_votes_dropped_and_counted(bad):
    b = book()
    assert b.add('good', 0.2, 0.0, 0.0) == ACCEPTED
    assert b.add('a', bad, 0.0, 0.0) == NON_FINITE
    assert b.add('good', 0.0, bad, 0.0) == NON_FINITE  # keeps the voter's previous vote
    assert b.rejected[NON_FINITE] == 2
    fused = b.fuse(1.0, 'mean')
    assert fused.voters == 1
    assert (fused.linear, fused.angular) == (0.2, 0.0)


def test_empty_voter_id_rejected_and_counted():
    b = book()
    assert b.add('', 0.2, 0.0, 0.0) == NO_VOTER_ID
    assert b.rejected[NO_VOTER_ID] == 1
    assert b.fuse(0.0, 'mean').voters == 0


def test_clamped_votes_counted():
    b = book()
    b.add('a', 5.0, 0.0, 0.0)
    b.add('b', 0.1, 0.0, 0.0)
    b.add('c', 0.0, -2.0, 0.0)
    assert b.clamped == 2
    assert b.live(0.0)[0].max() == MAX_V


@pytest.mark.parametrize('kwargs', [
    {'max_voters': 0}, {'vote_timeout': 0.0}, {'max_linear': -1.0}, {'max_angular': math.nan},
    {'stop_threshold': -0.1},
])
def test_book_rejects_bad_configuration(kwargs):
    with pytest.raises(ValueError):
        book(**kwargs)


def test_unknown_strategy_raises():
    with pytest.raises(ValueError, match='unknown strategy'):
        book().fuse(0.0, 'sum')


# --- properties ------------------------------------------------------------------------------

@settings(max_examples=150)
@given(votes, strategy_names, st.randoms(use_true_random=False))
def test_permutation_invariance(vote_list, strategy, rnd):
    a, b = book(), book()
    fill(a, vote_list)
    shuffled = list(enumerate(vote_list))
    rnd.shuffle(shuffled)
    for i, (v, w) in shuffled:
        b.add(f'v{i}', v, w, 0.0)
    fa, fb = a.fuse(1.0, strategy), b.fuse(1.0, strategy)
    assert (fa.linear, fa.angular, fa.voters, fa.histogram, fa.winner) == \
        (fb.linear, fb.angular, fb.voters, fb.histogram, fb.winner)


@given(votes, strategy_names, st.floats(0.01, 5.0), st.floats(0.01, 20.0))
def test_output_within_limits(vote_list, strategy, max_v, max_w):
    b = book(max_linear=max_v, max_angular=max_w)
    fill(b, vote_list)
    fused = b.fuse(0.5, strategy)
    assert -max_v <= fused.linear <= max_v
    assert -max_w <= fused.angular <= max_w


@given(finite_v, finite_w, st.integers(1, 30), strategy_names)
def test_unanimous_crowd_gets_its_command(v, w, n, strategy):
    b = book()
    fill(b, [(v, w)] * n)
    fused = b.fuse(0.0, strategy)
    expected = clamp(v, w)
    if strategy == 'plurality' and direction_bin(*expected, MAX_V, MAX_W) == 'stop':
        expected = (0.0, 0.0)  # a unanimous stop bin gives exactly zero
    assert (fused.linear, fused.angular) == expected
    assert fused.voters == n


@given(votes, strategy_names)
def test_histogram_sums_to_voter_count(vote_list, strategy):
    b = book()
    fill(b, vote_list)
    fused = b.fuse(0.0, strategy)
    assert list(fused.histogram) == list(HISTOGRAM_KEYS)
    assert sum(fused.histogram.values()) == fused.voters == len(vote_list)


@given(votes, votes, strategy_names, st.floats(0.0, 10.0))
def test_expired_votes_ignored(old, fresh, strategy, t_old):
    """Votes that arrived vote_timeout or more ago do not count; fresh ones do."""
    # The first instant at which the old votes are vote_timeout old (in floating point, as the
    # book computes now - arrival): exactly at the boundary they have expired.
    t_fresh = t_old + TIMEOUT
    while t_fresh - t_old < TIMEOUT:
        t_fresh = math.nextafter(t_fresh, math.inf)
    mixed = book()
    fill(mixed, old, now=t_old, prefix='old')
    fill(mixed, fresh, now=t_fresh, prefix='new')
    only_fresh = book()
    fill(only_fresh, fresh, now=t_fresh, prefix='new')
    for now in (t_fresh, t_fresh + 0.5 * TIMEOUT):
        fm, ff = mixed.fuse(now, strategy), only_fresh.fuse(now, strategy)
        assert (fm.linear, fm.angular, fm.histogram) == (ff.linear, ff.angular, ff.histogram)
        assert fm.voters == len(fresh)


def test_expiry_boundary_is_exclusive():
    b = book(vote_timeout=2.0)
    b.add('a', 0.2, 0.0, 1.0)
    assert b.fuse(2.999, 'mean').voters == 1
    assert b.fuse(3.0, 'mean').voters == 0  # exactly vote_timeout after arrival: expired
    assert b.fuse(3.0, 'mean').linear == 0.0


def test_vote_timeout_change_applies_to_stored_votes():
    b = book()
    b.add('a', 0.2, 0.0, 0.0)
    assert b.fuse(1.5, 'mean').voters == 1
    b.vote_timeout = 1.0
    assert b.fuse(1.5, 'mean').voters == 0


@given(st.lists(st.tuples(st.integers(0, 5), finite_v, finite_w), min_size=1, max_size=60),
       strategy_names)
def test_revote_replaces_never_double_counts(stream, strategy):
    b = book()
    last = {}
    for t, (voter, v, w) in enumerate(stream):
        b.add(f'voter{voter}', v, w, t * 0.01)
        last[voter] = (v, w)
    reference = book()
    fill(reference, list(last.values()))
    fb, fr = b.fuse(1.0, strategy), reference.fuse(0.0, strategy)
    assert fb.voters == len(last)
    assert (fb.linear, fb.angular, fb.histogram) == (fr.linear, fr.angular, fr.histogram)


def test_revote_refreshes_arrival():
    b = book(vote_timeout=1.0)
    b.add('a', 0.2, 0.0, 0.0)
    b.add('a', 0.1, 0.0, 0.9)
    fused = b.fuse(1.5, 'mean')
    assert (fused.voters, fused.linear) == (1, 0.1)


@given(st.integers(1, 20), st.integers(0, 20))
def test_cap_enforced_without_eviction(cap, extra):
    b = book(max_voters=cap)
    fill(b, [(0.2, 0.0)] * cap)
    for i in range(extra):
        assert b.add(f'intruder{i}', -0.3, 0.0, 0.1) == OVER_CAPACITY
    assert b.rejected[OVER_CAPACITY] == extra
    assert b.add('v0', 0.1, 0.0, 0.2) == ACCEPTED  # existing voters can still re-vote
    fused = b.fuse(0.2, 'median')
    assert fused.voters == cap
    assert fused.linear > 0


def test_cap_purges_expired_votes_first():
    b = book(max_voters=3, vote_timeout=1.0)
    b.add('a', 0.2, 0.0, 0.0)
    b.add('b', 0.2, 0.0, 0.5)
    b.add('c', 0.2, 0.0, 0.5)
    assert b.add('d', -0.2, 0.0, 0.9) == OVER_CAPACITY  # nobody expired yet
    assert b.add('d', -0.2, 0.0, 1.0) == ACCEPTED  # 'a' expired and was purged
    assert len(b) == 3
    assert b.fuse(1.0, 'mean').voters == 3


@given(st.lists(st.tuples(st.floats(0.0, 10.0), finite_v, finite_w), max_size=50),
       st.floats(0.0, 15.0))
def test_purge_keeps_exactly_the_live_votes(stream, now):
    b = book()
    for i, (t, v, w) in enumerate(stream):
        b.add(f'v{i}', v, w, t)
    before = b.fuse(now, 'mean')
    expected_removed = sum(1 for t, _, _ in stream if now - t >= TIMEOUT)
    assert b.purge(now) == expected_removed
    after = b.fuse(now, 'mean')
    assert len(b) == before.voters == after.voters
    assert (after.linear, after.histogram) == (before.linear, before.histogram)
    for i, (t, v, w) in enumerate(stream):  # purged voters can vote again
        if now - t >= TIMEOUT:
            assert b.add(f'v{i}', v, w, now) == ACCEPTED


# --- strategy definitions ---------------------------------------------------------------------

def test_no_voters_gives_zero():
    for strategy in STRATEGIES:
        fused = book().fuse(0.0, strategy)
        assert (fused.linear, fused.angular, fused.voters) == (0.0, 0.0, 0)
        assert sum(fused.histogram.values()) == 0


def test_mean_does_not_grow_with_crowd_size():
    b = book()
    fill(b, [(0.2, 0.5)] * 100)
    fused = b.fuse(0.0, 'mean')
    assert fused.linear == pytest.approx(0.2) and fused.angular == pytest.approx(0.5)


def test_mean_median_plurality_on_a_mixed_crowd():
    b = book()
    fill(b, [(0.3, 0.0), (0.3, 0.0), (0.3, 0.0), (-0.3, 0.0), (0.0, 1.5)])
    mean = b.fuse(0.0, 'mean')
    assert mean.linear == pytest.approx(0.6 / 5) and mean.angular == pytest.approx(0.3)
    median = b.fuse(0.0, 'median')
    assert (median.linear, median.angular) == (0.3, 0.0)
    plurality = b.fuse(0.0, 'plurality')
    assert (plurality.linear, plurality.angular, plurality.winner) == (0.3, 0.0, 'forward')
    assert plurality.histogram == {**dict.fromkeys(HISTOGRAM_KEYS, 0), 'forward': 3, 'back': 1,
                                   'left': 1}


def test_median_resists_a_griefer_minority():
    b = book()
    fill(b, [(0.2, 0.1)] * 6 + [(-0.3, -1.5)] * 5)
    assert (b.fuse(0.0, 'median').linear, b.fuse(0.0, 'median').angular) == (0.2, 0.1)


def test_plurality_winner_is_mean_of_its_bin():
    b = book()
    fill(b, [(0.3, 0.0), (0.25, 0.1), (0.0, 1.5)])
    fused = b.fuse(0.0, 'plurality')
    assert fused.winner == 'forward'
    assert fused.linear == pytest.approx(0.275) and fused.angular == pytest.approx(0.05)


@given(st.lists(st.sampled_from([d for d in BUTTONS if d != 'stop']), min_size=2, max_size=4,
                unique=True), st.integers(1, 5))
def test_plurality_tie_stops(directions, per_bin):
    b = book()
    fill(b, [BUTTONS[d] for d in directions for _ in range(per_bin)])
    fused = b.fuse(0.0, 'plurality')
    assert (fused.linear, fused.angular, fused.winner) == (0.0, 0.0, 'stop')


def test_plurality_stop_winning_gives_zero():
    b = book()
    fill(b, [(0.01, 0.0)] * 3 + [(0.3, 0.0)] * 2)
    fused = b.fuse(0.0, 'plurality')
    assert (fused.linear, fused.angular, fused.winner) == (0.0, 0.0, 'stop')


# --- teleop, status, parameters --------------------------------------------------------------

def test_teleop_override_fresh_then_stale():
    t = TeleopOverride(0.5, MAX_V, MAX_W)
    assert t.active(0.0) is None
    assert t.update(1.0, -0.5, 10.0)
    assert t.active(10.4) == (MAX_V, -0.5)
    assert t.active(10.5) is None
    assert not t.update(math.nan, 0.0, 10.6)
    assert t.rejected == 1 and t.active(10.6) is None


def test_teleop_override_ends_when_its_sender_is_gone():
    t = TeleopOverride(2.0, MAX_V, MAX_W)
    assert not t.end()  # nothing to end
    t.update(0.1, 0.3, 10.0)
    assert t.end() and t.active(10.1) is None  # fresh, but its publisher died
    assert not t.end()
    t.update(0.2, 0.0, 11.0)  # a new operator command starts a new override
    assert t.active(11.5) == (0.2, 0.0)


def test_status_dict_has_contract_keys():
    b = book()
    b.add('a', 0.3, 0.0, 0.0)
    b.add('', 0.3, 0.0, 0.0)
    fused = b.fuse(0.0, 'mean')
    status = status_dict(fused, strategy='mean', operator=False, command=(0.3, 0.0), book=b,
                         stamp=12.5)
    contract = {'voters', 'histogram', 'command', 'strategy', 'operator', 'max_linear',
                'max_angular', 'stamp'}
    assert contract <= set(status)
    assert set(status['histogram']) == set(HISTOGRAM_KEYS)
    assert status['voters'] == 1 and status['histogram']['forward'] == 1
    assert status['command'] == {'linear': 0.3, 'angular': 0.0}
    assert status['rejected'][NO_VOTER_ID] == 1
    assert (status['max_linear'], status['max_angular'], status['stamp']) == (MAX_V, MAX_W, 12.5)
    assert (status['withdrawn'], status['senders_lost']) == (0, 0)
    b.clear()
    status = status_dict(b.fuse(0.0), strategy='mean', operator=False, command=(0.0, 0.0),
                         book=b, stamp=13.0, senders_lost=1)
    assert (status['voters'], status['withdrawn'], status['senders_lost']) == (0, 1, 1)


def test_voter_slots_stay_dense_and_move_the_last_slot_into_a_freed_one():
    slots = VoterSlots(3, value=float, flag=bool)
    for i, vid in enumerate(('a', 'b', 'c')):
        slot = slots.add(vid)
        slots.columns['value'][slot], slots.columns['flag'][slot] = 10.0 + i, vid == 'c'
    assert slots.add('d') is None and len(slots) == 3  # full
    slots.remove('a')  # 'c' moves into slot 0, with its columns
    assert slots.ids == ['c', 'b', None] and slots.slot == {'b': 1, 'c': 0}
    assert list(slots.columns['value'][:slots.n]) == [12.0, 11.0]
    assert list(slots.columns['flag'][:slots.n]) == [True, False]
    slots.remove('b')  # the last slot: nothing moves
    assert slots.ids == ['c', None, None] and slots.n == 1
    assert slots.add('d') == 1 and slots.clear() == 2
    assert (slots.n, slots.slot, slots.ids) == (0, {}, [None, None, None])


@pytest.mark.parametrize(('kwargs', 'says'), [
    ({'max_voters': 0}, 'max_voters must be >= 1'),
    ({'vote_timeout': 0.0}, 'vote_timeout must be finite and > 0'),
    ({'max_linear': math.inf}, 'max_linear must be finite and > 0'),
    ({'stop_threshold': -0.1}, 'stop_threshold must be finite and >= 0'),
])
def test_bad_book_arguments_are_refused_by_name(kwargs, says):
    args = {'max_voters': 10, 'vote_timeout': TIMEOUT, 'max_linear': MAX_V,
            'max_angular': MAX_W, **kwargs}
    with pytest.raises(ValueError, match=says):
        VoteBook(**args)
