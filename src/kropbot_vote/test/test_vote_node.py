"""The vote node as a separate process over real DDS (``start_node`` + ``ros`` fixtures)."""

import json
import math
import signal
import time

from geometry_msgs.msg import Twist, TwistStamped
from kropbot_testing.bins import direction_bin
import numpy as np
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

pytestmark = pytest.mark.dds

MAX_V = 0.3  # robot.yaml
MAX_W = 1.5


def qos(depth):
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


class Crowd:
    """Test-side publishers and collectors around one running vote node."""

    def __init__(self, ros):
        self.ros = ros
        self.cmd_vel = ros.collect(Twist, 'cmd_vel', qos(10))
        self.status_msgs = ros.collect(String, 'crowd/status', qos(10))
        self.votes = ros.node.create_publisher(TwistStamped, 'crowd/vote', qos(100))
        self.teleop = ros.node.create_publisher(Twist, 'teleop/cmd_vel', qos(10))

    def vote(self, voter, linear, angular=0.0):
        msg = TwistStamped()
        msg.header.frame_id = voter
        msg.twist.linear.x = linear
        msg.twist.angular.z = angular
        self.votes.publish(msg)

    def operate(self, linear, angular):
        msg = Twist()
        msg.linear.x = linear
        msg.angular.z = angular
        self.teleop.publish(msg)

    def status(self):
        return json.loads(self.status_msgs[-1][1].data) if self.status_msgs else None

    def cmd(self):
        return (self.cmd_vel[-1][1].linear.x, self.cmd_vel[-1][1].angular.z) \
            if self.cmd_vel else None


def start_vote(start_node, **params):
    return start_node('kropbot_vote', 'vote_node', 'vote', params=params)


def test_three_voters_forward(start_node, ros, wait_for):
    node = start_vote(start_node)
    crowd = Crowd(ros)

    def voting():
        for voter in ('alice', 'bob', 'carol'):
            crowd.vote(voter, MAX_V)
        s, c = crowd.status(), crowd.cmd()
        return s and c and s['voters'] == 3 and c[0] > 0.0

    wait_for(voting, 15, period=0.1, message='3 voters and cmd_vel.linear.x > 0')
    status = crowd.status()
    assert {'voters', 'histogram', 'command', 'strategy', 'operator', 'max_linear',
            'max_angular', 'stamp'} <= set(status)
    assert status['histogram']['forward'] == 3
    assert sum(status['histogram'].values()) == 3
    assert status['strategy'] == 'mean' and status['operator'] is False
    assert (status['max_linear'], status['max_angular']) == (MAX_V, MAX_W)
    assert crowd.cmd() == (pytest.approx(MAX_V), 0.0)
    assert node.alive()


# A mixed crowd on which the three strategies all disagree.
MIXED = {'a': (0.3, 0.0), 'b': (0.3, 0.0), 'c': (0.1, 1.5), 'd': (0.2, 1.0), 'e': (-0.3, 0.0)}


def expected(strategy):
    v = np.array([lv for lv, _ in MIXED.values()])
    w = np.array([aw for _, aw in MIXED.values()])
    if strategy == 'mean':
        return v.mean(), w.mean()
    if strategy == 'median':
        return np.median(v), np.median(w)
    bins = [direction_bin(lv, aw, MAX_V, MAX_W) for lv, aw in MIXED.values()]
    winner = max(set(bins), key=bins.count)
    assert sorted(bins.count(b) for b in set(bins))[-2:] == [1, 2]  # a clear winner
    chosen = [i for i, b in enumerate(bins) if b == winner]
    return v[chosen].mean(), w[chosen].mean()


@pytest.mark.parametrize('strategy', ['mean', 'median', 'plurality'])
def test_mixed_crowd_follows_strategy(start_node, ros, wait_for, strategy):
    start_vote(start_node, strategy=strategy)
    crowd = Crowd(ros)
    want = expected(strategy)

    def voting():
        for voter, (v, w) in MIXED.items():
            crowd.vote(voter, v, w)
        s, c = crowd.status(), crowd.cmd()
        return (s and c and s['voters'] == len(MIXED)
                and c == (pytest.approx(want[0]), pytest.approx(want[1])))

    wait_for(voting, 15, period=0.1, message=f'{strategy} result {want} on cmd_vel')
    status = crowd.status()
    assert status['strategy'] == strategy
    assert status['histogram']['forward'] == 2
    assert status['command'] == {'linear': pytest.approx(want[0]),
                                 'angular': pytest.approx(want[1])}


def test_teleop_overrides_then_hands_back(start_node, ros, wait_for):
    start_vote(start_node, teleop_timeout=0.5)
    crowd = Crowd(ros)

    def crowd_drives():
        crowd.vote('alice', 0.2)
        s, c = crowd.status(), crowd.cmd()
        return s and c and c == (pytest.approx(0.2), 0.0) and s['operator'] is False

    wait_for(crowd_drives, 15, period=0.1, message='crowd command on cmd_vel')

    def operator_drives():
        crowd.vote('alice', 0.2)
        crowd.operate(0.0, -5.0)  # clamped to -max_angular
        s, c = crowd.status(), crowd.cmd()
        return s and c and c == (0.0, -MAX_W) and s['operator'] is True

    wait_for(operator_drives, 10, period=0.1, message='operator command on cmd_vel')
    stopped_operating = time.monotonic()
    wait_for(crowd_drives, 10, period=0.1, message='crowd back in control')
    assert time.monotonic() - stopped_operating > 0.2  # the override outlived the last command


def test_votes_expire_to_zero(start_node, ros, wait_for):
    start_vote(start_node, vote_timeout=1.0)
    crowd = Crowd(ros)

    def voting():
        for voter in ('alice', 'bob', 'carol'):
            crowd.vote(voter, 0.2, 0.5)
        s, c = crowd.status(), crowd.cmd()
        return s and c and s['voters'] == 3 and c[0] > 0.0

    wait_for(voting, 15, period=0.1, message='crowd driving')
    last_vote = time.monotonic()
    wait_for(lambda: crowd.cmd() == (0.0, 0.0), 10, message='zero cmd_vel after vote_timeout')
    assert time.monotonic() - last_vote > 0.5  # not before the (1.0 s) timeout, generously
    wait_for(lambda: crowd.status()['voters'] == 0, 5, message='status voters == 0')
    assert crowd.status()['command'] == {'linear': 0.0, 'angular': 0.0}


def test_malformed_votes_counted_others_unaffected(start_node, ros, wait_for):
    node = start_vote(start_node)
    crowd = Crowd(ros)

    def voting():
        crowd.vote('alice', 0.2)
        crowd.vote('mallory', math.nan, 0.0)
        crowd.vote('trudy', 0.1, math.inf)
        crowd.vote('', 0.3)
        crowd.vote('bob', 5.0)  # clamped to max_linear
        s, c = crowd.status(), crowd.cmd()
        return (s and c and s['voters'] == 2 and s['rejected']['non_finite'] >= 2
                and s['rejected']['no_voter_id'] >= 1 and s['clamped'] >= 1
                and c == (pytest.approx((0.2 + MAX_V) / 2), 0.0))

    wait_for(voting, 15, period=0.1, message='rejections counted, good votes fused')
    assert node.alive()
    assert 'Traceback' not in node.log()


@pytest.mark.parametrize('executor', ['events', 'single'])
def test_each_executor_fuses_and_exits_cleanly_on_sigterm(start_node, ros, wait_for, executor):
    node = start_vote(start_node, executor=executor)
    crowd = Crowd(ros)

    def voting():
        crowd.vote('alice', MAX_V)
        c = crowd.cmd()
        return c and c[0] > 0.0

    wait_for(voting, 15, period=0.1, message=f'cmd_vel.linear.x > 0 with executor {executor}')
    node.signal(signal.SIGTERM)
    assert node.proc.wait(10) == 0
    assert 'Traceback' not in node.log()


@pytest.mark.parametrize(('params', 'name'), [
    ({'strategy': 'sum'}, 'strategy'),
    ({'max_linear': -1.0}, 'max_linear'),
    ({'status_rate': 1.0}, 'status_rate'),
    ({'executor': 'multi'}, 'executor'),
    ({'max_rate': 5.0}, 'max_rate'),  # below the heartbeat rate (10 Hz)
])
def test_bad_parameter_exits_non_zero(start_node, params, name):
    node = start_vote(start_node, **params)
    assert node.proc.wait(15) != 0
    log = node.log()
    assert 'cannot start' in log and name in log
    assert 'Traceback' not in log


def test_changes_are_published_at_once_not_on_the_heartbeat(start_node, ros, wait_for):
    """With a 1 Hz heartbeat, ten crowd changes and ten operator changes 0.1 s apart each
    reach cmd_vel: the fast loop publishes on change (counted, not timed)."""
    start_vote(start_node, rate=1.0, teleop_timeout=0.5)
    crowd = Crowd(ros)
    wait_for(crowd.status, 15, message='first crowd/status')
    wait_for(lambda: crowd.cmd() is not None, 5, message='the first heartbeat')
    time.sleep(0.5)  # DDS matched both ways
    crowd_values = [round(0.02 * (k + 1), 3) for k in range(10)]
    start = len(crowd.cmd_vel)
    for v in crowd_values:
        crowd.vote('alice', v)
        time.sleep(0.1)
    seen = {round(m.linear.x, 3) for _, m in list(crowd.cmd_vel)[start:]}
    assert len(seen & set(crowd_values)) >= 8, seen  # a 1 Hz tick would show one or two
    turns = [round(-0.1 * (k + 1), 3) for k in range(10)]
    start = len(crowd.cmd_vel)
    for w in turns:
        crowd.operate(0.0, w)
        time.sleep(0.1)
    seen = {round(m.angular.z, 3) for _, m in list(crowd.cmd_vel)[start:]}
    assert len(seen & set(turns)) >= 8, seen


def test_bots_are_counted_apart(start_node, ros, wait_for):
    start_vote(start_node)
    crowd = Crowd(ros)

    def voting():
        for voter in ('ws-1', 'ws-2', 'bot-pilot1', 'gw1/bot-x'):
            crowd.vote(voter, 0.2)
        s = crowd.status()
        return s and s['voters'] == 4 and s['bots'] == 2

    wait_for(voting, 15, period=0.1, message='4 voters of which 2 bots')
    assert crowd.status()['histogram']['forward'] == 4


def set_parameter(ros, wait_for, name, value):
    client = ros.node.create_client(SetParameters, 'vote/set_parameters')
    wait_for(lambda: client.wait_for_service(timeout_sec=0.1), 15, message='parameter service')
    if isinstance(value, str):
        pv = ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value)
    else:
        pv = ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=value)
    future = client.call_async(SetParameters.Request(parameters=[Parameter(name=name, value=pv)]))
    wait_for(future.done, 10, message=f'set {name}')
    ros.node.destroy_client(client)
    return future.result().results[0]


def test_run_time_parameter_changes(start_node, ros, wait_for):
    start_vote(start_node)
    crowd = Crowd(ros)
    wait_for(crowd.status, 15, message='first crowd/status')
    assert not set_parameter(ros, wait_for, 'strategy', 'sum').successful
    assert not set_parameter(ros, wait_for, 'max_linear', 1.0).successful  # read-only
    assert not set_parameter(ros, wait_for, 'rate', 20.0).successful  # read-only
    assert not set_parameter(ros, wait_for, 'vote_timeout', -1.0).successful
    assert set_parameter(ros, wait_for, 'strategy', 'plurality').successful
    assert set_parameter(ros, wait_for, 'vote_timeout', 1.5).successful
    assert set_parameter(ros, wait_for, 'stop_threshold', 0.5).successful

    def applied():
        crowd.vote('alice', 0.1, 1.5)
        s = crowd.status()
        return (s['strategy'] == 'plurality' and s['vote_timeout'] == 1.5
                and s['stop_threshold'] == 0.5 and s['voters'] == 1)

    wait_for(applied, 10, period=0.1, message='new strategy and vote_timeout in status')
    assert crowd.status()['max_linear'] == MAX_V


def call_pause(ros, wait_for, paused):
    from std_srvs.srv import SetBool

    client = ros.node.create_client(SetBool, 'crowd/pause')
    wait_for(lambda: client.wait_for_service(timeout_sec=0.1), 15, message='crowd/pause')
    sent = time.monotonic()
    future = client.call_async(SetBool.Request(data=paused))
    wait_for(future.done, 10, message='crowd/pause answer')
    ros.node.destroy_client(client)
    return sent, future.result()


def test_modes_mode_votes_and_pause_over_dds(start_node, ros, wait_for):
    """Anarchy follows the newest voter; three mode votes switch to democracy (crowd switch,
    no cool-down); crowd/pause zeroes cmd_vel within one control period and resume drives
    again; ``mode`` set at run time, validated; a malformed mode vote changes nothing."""
    start_vote(start_node, mode='anarchy', crowd_switch=True, switch_cooldown=0.0,
               democracy_window=0.5)
    crowd = Crowd(ros)
    mode_votes = ros.node.create_publisher(String, 'crowd/mode_vote', qos(100))

    def anarchy_follows_carol():
        for voter, linear, angular in (('alice', MAX_V, 0.0), ('bob', 0.0, -MAX_W),
                                       ('carol', 0.0, MAX_W)):
            crowd.vote(voter, linear, angular)
            time.sleep(0.01)
        s = crowd.status()
        return s and s['mode'] == 'anarchy' and s['voters'] == 3 and crowd.cmd() == (0.0, MAX_W)

    wait_for(anarchy_follows_carol, 15, period=0.2, message='anarchy: the newest vote drives')
    mode_votes.publish(String(data='{"voter": "alice", "mode": "chaos"}'))  # refused
    mode_votes.publish(String(data='not json'))
    for voter in ('alice', 'bob', 'carol'):
        mode_votes.publish(String(data=json.dumps({'voter': voter, 'mode': 'democracy'})))

    def democracy():
        for voter in ('alice', 'bob', 'carol'):
            crowd.vote(voter, MAX_V, 0.0)
        s = crowd.status()
        return s['mode'] == 'democracy' and s['mode_source'] == 'crowd' and \
            crowd.cmd() == (MAX_V, 0.0)

    wait_for(democracy, 10, period=0.1, message='the crowd switched to democracy, forward won')
    assert crowd.status()['switch']['democracy'] == 3
    assert call_pause(ros, wait_for, False)[1].message == 'crowd already resumed'  # warm-up
    sent, answer = call_pause(ros, wait_for, True)
    assert answer.success and answer.message == 'crowd paused'
    stopped = wait_for(lambda: next((t for t, m in list(crowd.cmd_vel) if t > sent
                                     and (m.linear.x, m.angular.z) == (0.0, 0.0)), None),
                       5, message='cmd_vel zero after the pause')
    print(f'pause -> cmd_vel zero in {stopped - sent:.3f} s')
    assert stopped - sent <= 0.1
    wait_for(lambda: crowd.status()['paused'] is True, 5, message='paused in crowd/status')
    crowd.vote('alice', MAX_V)
    time.sleep(0.3)
    assert crowd.cmd() == (0.0, 0.0)
    assert call_pause(ros, wait_for, True)[1].message == 'crowd already paused'
    assert call_pause(ros, wait_for, False)[1].message == 'crowd resumed'
    assert not set_parameter(ros, wait_for, 'mode', 'chaos').successful
    assert set_parameter(ros, wait_for, 'mode', 'queue').successful

    def queue_driver():
        crowd.vote('bob', 0.0, MAX_W)
        s = crowd.status()
        return s['mode'] == 'queue' and s['mode_source'] == 'operator' and \
            not s['paused'] and s['queue']['driver'] is not None and crowd.cmd() == (0.0, MAX_W)

    wait_for(queue_driver, 10, period=0.1, message='queue mode: the first voter drives')


def test_vote_batches_count_as_votes_withdraw_and_refuse_malformed(start_node, ros, wait_for):
    """crowd/vote_batch (kropbot_common.vote_batch): each entry as on crowd/vote, one message."""
    from kropbot_common import vote_batch

    node = start_vote(start_node)
    crowd = Crowd(ros)
    batches = ros.node.create_publisher(String, 'crowd/vote_batch', qos(100))

    def batch(votes=(), withdrawals=()):
        batches.publish(String(data=vote_batch.encode(votes, withdrawals)))

    def mixed():  # two relayed voters in one message, a local one on crowd/vote, one clamped
        batch([('gw1/a', MAX_V, 0.0), ('gw1/b', 5.0, 0.0)])
        crowd.vote('local', 0.0)
        s, c = crowd.status(), crowd.cmd()
        return s and c and s['voters'] == 3 and c == (pytest.approx(2 * MAX_V / 3), 0.0)

    wait_for(mixed, 15, period=0.1, message='batch voters fused with the local voter')
    assert crowd.status()['clamped'] >= 1
    # refused whole: a non-finite number, a wrong type (gw1/d would otherwise count)
    batch([('gw1/d', -MAX_V, 0.0), ('gw1/c', math.nan, 0.0)])
    batch([('gw1/d', -MAX_V, 0.0), ('gw1/e', 'x', 0.0)])
    batch([('gw1/b', 0.0, MAX_W)], withdrawals=['gw1/*'])  # withdraw gw1, then b votes again
    wait_for(lambda: crowd.status()['voters'] == 2 and crowd.cmd()
             == (0.0, pytest.approx(MAX_W / 2)), 10, period=0.1,
             message='gw1/* withdrawn, gw1/b voting again, gw1/d never counted')
    assert 'rejected vote batch' in node.log()
    assert node.alive() and 'Traceback' not in node.log()
