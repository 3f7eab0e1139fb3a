"""crowd/status "guard": the cliff guard's state as the vote node reports it."""
import json

from kropbot_vote.guard_state import GUARD_TIMEOUT, GuardTracker, parse_guard_state
import pytest
from std_msgs.msg import String


@pytest.mark.parametrize('text,state', [
    ('cliff', 'cliff'), ('stale', 'stale'), ('obstacle', 'obstacle'), (' cliff\n', 'cliff'),
    ('clear', None), ('', None), ('CLIFF', None), ('<script>', None), (None, None), (3, None)])
def test_parse(text, state):
    assert parse_guard_state(text) == state


def test_tracker_reports_while_fresh_and_null_after_silence():
    tracker = GuardTracker()
    assert tracker.value(0.0) is None                     # no guard heard
    tracker.update('cliff', 10.0)
    assert tracker.value(10.0 + GUARD_TIMEOUT - 0.01) == 'cliff'
    assert tracker.value(10.0 + GUARD_TIMEOUT) is None    # the guard went silent
    tracker.update('clear', 20.0)
    assert tracker.value(20.0) is None
    tracker.update('bogus', 21.0)                         # never passed on to the crowd
    assert tracker.value(21.0) is None
    with pytest.raises(ValueError):
        GuardTracker(0.0)


@pytest.mark.dds
def test_vote_node_puts_the_guard_state_in_crowd_status(start_node, ros, wait_for):
    status = ros.collect(String, 'crowd/status')
    pub = ros.node.create_publisher(String, 'guard/state', 10)
    start_node('kropbot_vote', 'vote_node', 'vote')
    wait_for(lambda: status, 15, message='crowd/status')
    assert json.loads(status[-1][1].data)['guard'] is None

    def guard_is(value, text):
        pub.publish(String(data=text))
        return status and json.loads(status[-1][1].data)['guard'] == value
    wait_for(lambda: guard_is('cliff', 'cliff'), 10, period=0.2, message='guard: cliff')
    wait_for(lambda: guard_is(None, 'clear'), 10, period=0.2, message='guard: null')
