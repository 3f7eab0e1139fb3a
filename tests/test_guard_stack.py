"""Issue 14's proof over real DDS in the sim arena: the crowd cannot drive KropBot off the edge.

The whole command chain as `make run` starts it: three roslibpy voters → crowd gateway →
``crowd/vote`` → vote node → ``cmd_vel`` → guard → ``cmd_vel_safe`` → sim driver (remapped as
in the launch file and Procfile), with ``range_sensors`` computing ``cliff/range`` and
``front/range`` from the default world (the stairwell room) and the driver's ``odom``. The robot
is placed with ``sim/set_pose``; the crowd holds "forward" towards the stairwell from several
poses and speeds, and towards a wall; then the range sensor node is killed. Falls and
collisions are the sim driver's own counts (``diagnostics``).
"""

import json
import math
import signal
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseWithCovarianceStamped
from kropbot_sim.world import load_world
from kropbot_testing.processes import CONFIG, NodeProcess, free_port, wait_for
from nav_msgs.msg import Odometry
import pytest
import roslibpy
from std_msgs.msg import String

pytestmark = pytest.mark.dds

WORLD = load_world(CONFIG / 'sim_world.yaml')
PIT = WORLD.pits[0]
VOTERS = 3


def in_pit(x, y):
    return WORLD.geometry.pit_at(x, y) is not None


@pytest.fixture(scope='module')
def stack(tmp_path_factory):
    """vote, range_sensors, guard, driver (cmd_vel_safe) and gateway, with 3 roslibpy voters."""
    logs = tmp_path_factory.mktemp('guard_stack')
    port = free_port()
    procs = {
        'vote': NodeProcess('kropbot_vote', 'vote_node', 'vote', logs),
        'range_sensors': NodeProcess('kropbot_range', 'range_sensors', 'range_sensors', logs),
        'guard': NodeProcess('kropbot_guard', 'guard_node', 'guard', logs),
        'driver': NodeProcess('kropbot_driver', 'driver_node', 'driver', logs,
                              extra_args=['-r', 'cmd_vel:=cmd_vel_safe']),
        'gateway': NodeProcess('kropbot_gateway', 'gateway_node', 'gateway', logs,
                               params={'port': port}),
    }
    clients = []
    try:
        wait_for(lambda: 'crowd gateway on http://' in procs['gateway'].log()
                 or not procs['gateway'].alive(), 30, message='gateway start')
        for _ in range(VOTERS):
            client = roslibpy.Ros(host='127.0.0.1', port=port)
            client.run(timeout=10)
            clients.append(client)
        statuses = []
        roslibpy.Topic(clients[0], 'crowd/status', 'std_msgs/String').subscribe(
            lambda m: statuses.append(json.loads(m['data'])))
        votes = [roslibpy.Topic(c, 'crowd/vote', 'geometry_msgs/TwistStamped')
                 for c in clients]
        yield {'procs': procs, 'votes': votes, 'statuses': statuses}
    finally:
        for client in clients:
            client.close()
        for proc in procs.values():
            proc.interrupt()
        for proc in procs.values():
            proc.stop()
        for proc in procs.values():
            print(f'----- {proc.name} log -----\n{proc.log()[-3000:]}')


class Arena:
    """The test's view: odom, driver diagnostics, guard/state, and the crowd's votes."""

    def __init__(self, stack, ros):
        self.stack = stack
        self.odom = ros.collect(Odometry, 'odom')
        self.diag = ros.collect(DiagnosticArray, 'diagnostics')
        self.state = ros.collect(String, 'guard/state')
        self.set_pose_pub = ros.node.create_publisher(PoseWithCovarianceStamped, 'sim/set_pose',
                                                      10)

    def pose(self):
        p = self.odom[-1][1].pose.pose
        return p.position.x, p.position.y, 2.0 * math.atan2(p.orientation.z, p.orientation.w)

    def speed(self):
        return self.odom[-1][1].twist.twist.linear.x

    def sim_counts(self, since=None):
        """Return the sim driver's (collisions, falls) from its newest diagnostics.

        With ``since`` (monotonic s): only from diagnostics received after it, else None.
        """
        for t, arr in reversed(self.diag):
            if since is not None and t <= since:
                return None
            for status in arr.status:
                if status.hardware_id == 'sim':
                    values = {kv.key: kv.value for kv in status.values}
                    return int(values['collisions']), int(values['falls'])
        return None

    def fresh_counts(self):
        """Wait for the driver's next diagnostics (1 Hz); return its (collisions, falls)."""
        now = time.monotonic()
        return wait_for(lambda: self.sim_counts(since=now), 5,
                        message='the next sim diagnostics')

    def vote(self, linear, angular=0.0):
        for topic in self.stack['votes']:
            topic.publish(roslibpy.Message({
                'header': {'frame_id': ''},
                'twist': {'linear': {'x': linear, 'y': 0.0, 'z': 0.0},
                          'angular': {'x': 0.0, 'y': 0.0, 'z': angular}}}))

    def place(self, x, y, yaw):
        msg = PoseWithCovarianceStamped()
        msg.header.frame_id = 'odom'
        msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
        msg.pose.pose.orientation.z = math.sin(yaw / 2)
        msg.pose.pose.orientation.w = math.cos(yaw / 2)

        def there():
            self.set_pose_pub.publish(msg)
            time.sleep(0.1)
            px, py, _ = self.pose()
            return math.hypot(px - x, py - y) < 1e-3
        wait_for(there, 10, period=0.1, message=f'the robot at ({x}, {y})')

    def hold(self, linear, seconds, until=None):
        """The crowd holds ``linear`` (m/s) for ``seconds`` (or until ``until()``)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.vote(linear)
            time.sleep(0.25)                     # 4 votes/s each, within the gateway's limit
            if until is not None and until():
                return True
        return False

    def crowd_guard(self):
        statuses = self.stack['statuses']
        return statuses[-1].get('guard', 'missing') if statuses else 'missing'


@pytest.fixture
def arena(stack, ros):
    arena = Arena(stack, ros)
    wait_for(lambda: arena.odom and arena.sim_counts() is not None, 30,
             message='odom and sim diagnostics')
    return arena


def stopped_after_moving(arena, start):
    def check():
        x, y, _ = arena.pose()
        moved = math.hypot(x - start[0], y - start[1]) > 0.05
        recent = [m.twist.twist.linear.x for _, m in arena.odom[-8:]]
        return moved and all(v == 0.0 for v in recent)
    return check


@pytest.mark.parametrize('pose,speed', [
    ((0.0, 1.0, 0.0), 0.3),                 # 0.7 m west of the stairwell, facing it
    ((1.2, 0.0, math.pi / 2), 0.15),        # 0.5 m south of it, facing it, slowly
    ((0.2, 0.2, 0.6), 0.3),                 # diagonally at its south-west corner
])
def test_crowd_holding_forward_at_the_stairwell_stops_before_the_edge_and_backs_away(
        arena, pose, speed):
    falls_before = arena.sim_counts()[1]
    arena.place(*pose)
    assert arena.hold(speed, 12.0, until=stopped_after_moving(arena, pose)), \
        f'the robot did not stop: pose {arena.pose()}'
    x, y, yaw = arena.pose()
    assert not in_pit(x, y), (x, y)
    # stopped at the edge: the sensor's spot (8 cm ahead) is over the pit, within the budget
    ahead = [(x + d * math.cos(yaw), y + d * math.sin(yaw)) for d in (0.08, 0.16)]
    assert in_pit(*ahead[1]), f'stopped {(x, y)} too early'
    arena.hold(speed, 1.0)                   # the crowd insists: nothing moves
    assert arena.pose()[:2] == pytest.approx((x, y), abs=1e-3)
    wait_for(lambda: arena.crowd_guard() == 'cliff', 5, message='crowd/status guard: cliff')
    arena.hold(-speed, 1.5)                  # and backs away
    bx, by, _ = arena.pose()
    assert (x - bx) * math.cos(yaw) + (y - by) * math.sin(yaw) > 0.1
    wait_for(lambda: arena.crowd_guard() is None, 5, message='crowd/status guard: null')
    assert arena.fresh_counts()[1] == falls_before


def test_crowd_holding_forward_at_a_wall_slows_and_stops_without_touching_it(arena):
    collisions_before = arena.sim_counts()[0]
    pose = (1.3, -1.7, 0.0)                  # 0.62 m from the east wall (x = 2), facing it
    arena.place(*pose)
    assert arena.hold(0.3, 15.0, until=stopped_after_moving(arena, pose))
    x, _, _ = arena.pose()
    gap = WORLD.size[0] / 2 - x - WORLD.robot.radius
    assert 0.03 < gap <= 0.11, gap           # stop_distance 0.10 m, less what the latency adds
    wait_for(lambda: arena.crowd_guard() == 'obstacle', 5,
             message='crowd/status guard: obstacle')
    arena.hold(-0.3, 1.0)
    assert arena.pose()[0] < x - 0.1
    assert arena.fresh_counts()[0] == collisions_before


def test_range_sensor_node_killed_refuses_forward_but_not_reverse(arena, stack):
    falls_before = arena.sim_counts()[1]
    pose = (0.3, 1.0, 0.0)                   # 0.4 m from the stairwell, facing it
    arena.place(*pose)
    stack['procs']['range_sensors'].signal(signal.SIGKILL)
    wait_for(lambda: arena.state and arena.state[-1][1].data == 'stale', 5,
             message='guard/state stale')
    wait_for(lambda: arena.crowd_guard() == 'stale', 5, message='crowd/status guard: stale')
    arena.hold(0.3, 2.0)
    assert arena.pose()[:2] == pytest.approx(pose[:2], abs=1e-3)
    arena.hold(-0.3, 1.0)
    assert arena.pose()[0] < pose[0] - 0.1
    assert arena.fresh_counts()[1] == falls_before
