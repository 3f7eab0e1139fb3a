"""Integration of the robot core over real DDS, every node a separate process.

Crowd votes → vote node → ``cmd_vel`` → sim driver → ``odom``; the safety chain when the vote
node dies; and the ROS-less runner (``tools/run``: supervisord configured from the Procfile)
starting and stopping the whole stack (its supervision: ``tests/test_runner.py``).
"""

import math
import os
from pathlib import Path
import signal
import subprocess
import time
import urllib.request

from geometry_msgs.msg import Twist, TwistStamped
from kropbot_testing.processes import ROBOT_YAML, free_port
from nav_msgs.msg import Odometry
import psutil
import pytest
from std_msgs.msg import String
import yaml

ROOT = Path(__file__).resolve().parents[1]
CMD_VEL_TIMEOUT = yaml.safe_load(ROBOT_YAML.read_text())['driver']['ros__parameters'][
    'cmd_vel_timeout']  # s


def vote(pub, voter, linear, angular=0.0):
    msg = TwistStamped()
    msg.header.frame_id = voter
    msg.twist.linear.x = linear
    msg.twist.angular.z = angular
    pub.publish(msg)


@pytest.fixture
def core(start_node):
    """Vote node and sim driver as processes."""
    return {
        'vote': start_node('kropbot_vote', 'vote_node', 'vote'),
        'driver': start_node('kropbot_driver', 'driver_node', 'driver'),
    }


def test_three_voters_forward_drive_the_sim_robot(core, ros, wait_for):
    cmd_vel = ros.collect(Twist, 'cmd_vel')
    odom = ros.collect(Odometry, 'odom')
    pub = ros.node.create_publisher(TwistStamped, 'crowd/vote', 100)
    wait_for(lambda: odom, 15, message='first odom from the sim driver')
    x0 = odom[-1][1].pose.pose.position.x

    def keep_voting():
        for voter in ('alice', 'bob', 'carol'):
            vote(pub, voter, 0.2)
        return cmd_vel and cmd_vel[-1][1].linear.x > 0.0

    wait_for(keep_voting, 15, period=0.2, message='cmd_vel.linear.x > 0')
    for _ in range(10):
        keep_voting()
        time.sleep(0.1)
    x1 = odom[-1][1].pose.pose.position.x
    assert x1 > x0 + 0.05, (x0, x1)
    assert abs(odom[-1][1].pose.pose.position.y) < 0.01  # straight ahead: no sideways drift


def test_kill_9_of_vote_node_stops_the_robot_within_timeout(core, ros, wait_for):
    odom = ros.collect(Odometry, 'odom')
    pub = ros.node.create_publisher(TwistStamped, 'crowd/vote', 100)

    def moving():
        vote(pub, 'alice', 0.3)
        return odom and odom[-1][1].twist.twist.linear.x > 0.1

    wait_for(moving, 15, period=0.1, message='robot moving forward')
    vote(pub, 'alice', 0.3)
    killed_at = time.monotonic()
    core['vote'].signal(signal.SIGKILL)
    stopped = wait_for(
        lambda: next((t for t, m in odom if t > killed_at and m.twist.twist.linear.x == 0.0),
                     None),
        5, message='odom twist zero after the vote node died')
    assert stopped - killed_at <= CMD_VEL_TIMEOUT + 0.1, stopped - killed_at
    assert core['driver'].alive()


def test_runner_starts_the_whole_stack_and_ctrl_c_stops_it(ros, wait_for, tmp_path):
    """``tools/run`` (the README's run command) brings every node up on this test's DDS domain."""
    port = free_port()
    env = dict(os.environ, KROPBOT_PORT=str(port))
    log = open(tmp_path / 'run.log', 'wb')
    status = ros.collect(String, 'crowd/status')
    odom = ros.collect(Odometry, 'odom')
    runner = subprocess.Popen([str(ROOT / 'tools' / 'run')], env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    children = []
    try:
        wait_for(lambda: status and odom, 90, message='crowd/status and odom from the runner')
        page = wait_for(lambda: _get(f'http://127.0.0.1:{port}/'), 20, period=0.5,
                        message='gateway page')
        assert b'<html' in page.lower()
        children = psutil.Process(runner.pid).children(recursive=True)
        assert len([c for c in children if 'node' in ' '.join(c.cmdline())]) >= 4
    finally:
        runner.send_signal(signal.SIGINT)
        rc = runner.wait(20)
        log.close()
        text = (tmp_path / 'run.log').read_text(errors='replace')
        print(text)
    assert f'http://127.0.0.1:{port}/' in text
    assert 'Traceback' not in text, text
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    assert rc == 0, text  # Ctrl-C is a normal stop


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read()
    except OSError:
        return None


def test_status_is_valid_json_at_2_hz(core, ros, wait_for):
    import json
    status = ros.collect(String, 'crowd/status')
    wait_for(lambda: len(status) >= 5, 15, message='five crowd/status messages')
    span = status[-1][0] - status[-5][0]
    assert span <= 4 * 0.5 + 0.3, span
    body = json.loads(status[-1][1].data)
    assert body['voters'] == 0 and not body['operator']
    assert math.isclose(body['command']['linear'], 0.0)


def test_falls_reach_crowd_status(start_node, ros, wait_for, tmp_path):
    """Issue 11: the crowd drives into the stairwell; crowd/status counts the fall."""
    import json
    world = tmp_path / 'world.yaml'
    world.write_text(yaml.safe_dump({
        'kropbot_sim_world': 1, 'name': 'pit ahead',
        'pits': [{'name': 'stairwell', 'center': [0.5, 0.0], 'size': [0.4, 1.0]}],
        'starts': [[0.0, 0.0, 0.0]]}))   # facing the pit, 0.3 m to its edge
    status = ros.collect(String, 'crowd/status')
    pub = ros.node.create_publisher(TwistStamped, 'crowd/vote', 100)

    def falls():
        return json.loads(status[-1][1].data).get('falls', 'missing') if status else 'missing'

    start_node('kropbot_vote', 'vote_node', 'vote')
    wait_for(lambda: status, 15, message='crowd/status')
    assert falls() is None                          # no sim driver yet: null
    start_node('kropbot_driver', 'driver_node', 'driver', params={'sim_world': str(world)})
    wait_for(lambda: falls() == 0, 15, message='falls 0 from the sim driver')

    def crowd_forward():
        vote(pub, 'alice', 0.3)
        return falls() == 1
    wait_for(crowd_forward, 15, period=0.1, message='the fall counted in crowd/status')
