"""The sim fall count read from ``diagnostics`` for ``crowd/status`` (pure, no DDS)."""
from types import SimpleNamespace

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from hypothesis import given
from hypothesis import strategies as st
from kropbot_vote.falls import FALLS_TIMEOUT, FallsTracker, falls_in
from kropbot_vote.fusion import VoteBook
from kropbot_vote.status import status_dict
import pytest


def status(hardware_id='sim', name='driver: motors', **values):
    return DiagnosticStatus(name=name, hardware_id=hardware_id,
                            values=[KeyValue(key=k, value=v) for k, v in values.items()])


def test_the_sim_status_gives_the_count():
    assert falls_in([status(backend='sim', falls='3', collisions='7')]) == 3
    assert falls_in([status(falls='0')]) == 0
    # the first sim status with a count wins; other hardware and other keys are ignored
    assert falls_in([status('pca9685@0x60', falls='9'), status(collisions='1'),
                     status(falls='4'), status(falls='5')]) == 4


@pytest.mark.parametrize('statuses', [
    [],
    [status('pca9685@0x60', backend='motorkit')],      # the MotorHAT driver: no sim
    [status(collisions='2')],                          # no falls key
    [status(falls='')], [status(falls='-1')], [status(falls='1.5')], [status(falls=' 2')],
    [status(falls='٣')],                                # a non-ASCII digit
    [status(falls='1' * 13)],                          # absurdly long
    [SimpleNamespace()], [SimpleNamespace(hardware_id='sim', values=None)],
    [SimpleNamespace(hardware_id='sim', values=[SimpleNamespace(key='falls', value=3)])],
])
def test_no_or_malformed_count_is_none(statuses):
    assert falls_in(statuses) is None


@given(st.lists(st.tuples(st.sampled_from(['sim', 'pca9685@0x60', '']),
                          st.sampled_from(['falls', 'collisions', 'FALLS']),
                          st.text(max_size=15)), max_size=6))
def test_never_raises_and_is_a_count_or_none(items):
    got = falls_in([status(hw, **{key: value}) for hw, key, value in items])
    assert got is None or (isinstance(got, int) and got >= 0)


def test_tracker_keeps_the_count_while_fresh_and_ignores_other_arrays():
    tracker = FallsTracker(timeout=5.0)
    assert tracker.value(0.0) is None                  # nothing heard: no sim
    assert tracker.update([status(falls='1')], 10.0)
    assert not tracker.update([status('pca9685@0x60')], 11.0)   # another node's array
    assert tracker.value(14.9) == 1
    assert tracker.value(15.0) is None                 # the shared rule: stale at the timeout
    assert tracker.update([status(falls='2')], 15.5) and tracker.value(16.0) == 2
    assert FallsTracker().timeout == FALLS_TIMEOUT
    with pytest.raises(ValueError):
        FallsTracker(timeout=0.0)


def test_status_dict_carries_falls():
    book = VoteBook(max_voters=10, vote_timeout=3.0, max_linear=0.3, max_angular=1.5)
    fused = book.fuse(0.0)                              # a real (empty) Fused
    common = dict(strategy='mean', operator=False, command=(0.0, 0.0), book=book, stamp=1.0)
    assert status_dict(fused, **common)['falls'] is None
    assert status_dict(fused, falls=2, **common)['falls'] == 2
