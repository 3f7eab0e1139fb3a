"""The driver_node process, sim backend in a world file, over DDS: walls, the pit, reset."""
import math
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import PoseWithCovarianceStamped, Twist
from nav_msgs.msg import Odometry
import pytest
from std_srvs.srv import Trigger
import yaml

pytestmark = pytest.mark.dds

WORLD = {
    'kropbot_sim_world': 1,
    'name': 'test room',
    'arena': {'size': [4.0, 4.0]},
    'boxes': [{'name': 'crate', 'center': [-1.0, 1.0], 'size': [0.4, 0.4]}],
    'pits': [{'name': 'stairwell', 'center': [1.0, -1.0], 'size': [0.6, 0.6], 'depth': 2.5}],
    'starts': [[1.5, 0.5, 0.0]],                 # 0.42 m from the east wall, facing it
}
RADIUS = 0.08


def twist(v, w=0.0):
    msg = Twist()
    msg.linear.x, msg.angular.z = v, w
    return msg


def pose_msg(x, y, yaw, frame_id='odom'):
    msg = PoseWithCovarianceStamped()
    msg.header.frame_id = frame_id
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    msg.pose.pose.orientation.z, msg.pose.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
    return msg


def values(diags):
    status = diags[-1][1].status[0]
    return status, {kv.key: kv.value for kv in status.values}


def test_wall_pit_and_reset(start_node, ros, wait_for, tmp_path):
    world = tmp_path / 'world.yaml'
    world.write_text(yaml.safe_dump(WORLD))
    proc = start_node('kropbot_driver', 'driver_node', 'driver',
                      params={'backend': 'sim', 'sim_world': str(world)})
    odom = ros.collect(Odometry, 'odom')
    diags = ros.collect(DiagnosticArray, 'diagnostics')
    cmd = ros.node.create_publisher(Twist, 'cmd_vel', 10)
    set_pose = ros.node.create_publisher(PoseWithCovarianceStamped, 'sim/set_pose', 10)
    reset = ros.node.create_client(Trigger, 'sim/reset')
    wait_for(lambda: odom, 15.0, message='first odom')
    assert odom[-1][1].pose.pose.position.x == pytest.approx(1.5)

    # forward into the east wall: stops in contact, one collision counted
    def at_wall():
        cmd.publish(twist(0.3))
        return odom[-1][1].pose.pose.position.x > 2.0 - RADIUS - 0.002
    wait_for(at_wall, 10.0, period=0.05, message='robot at the wall')
    for _ in range(10):                            # keep pushing for 0.5 s
        cmd.publish(twist(0.3))
        time.sleep(0.05)
    last = odom[-1][1]
    assert last.pose.pose.position.x <= 2.0 - RADIUS + 1e-6
    assert last.twist.twist.linear.x == pytest.approx(0.0, abs=0.01)

    def diag_has(**expected):
        return diags and all(values(diags)[1].get(k) == v for k, v in expected.items())
    wait_for(lambda: diag_has(collisions='1', in_contact='true', falls='0'), 5.0,
             message='collision in diagnostics')

    # put the robot north of the stairwell facing it and drive in: fallen, stays stopped
    def moved_there():
        set_pose.publish(pose_msg(1.0, -0.2, -math.pi / 2))
        return abs(odom[-1][1].pose.pose.position.y + 0.2) < 1e-6
    wait_for(moved_there, 10.0, period=0.1, message='sim/set_pose applied')

    def fallen():
        cmd.publish(twist(0.3))
        return diag_has(fallen='true', falls='1')
    wait_for(fallen, 10.0, period=0.05, message='fall in diagnostics')
    status, pairs = values(diags)
    assert status.level == DiagnosticStatus.WARN and 'sim/reset' in status.message
    where = odom[-1][1].pose.pose.position.y
    assert -1.3 < where < -0.7                      # inside the pit
    for _ in range(10):
        cmd.publish(twist(-0.3, 1.0))              # commands are ignored while fallen
        time.sleep(0.05)
    assert odom[-1][1].pose.pose.position.y == where
    assert odom[-1][1].twist.twist.linear.x == 0.0
    assert 'fell into' in proc.log() and 'stairwell' in proc.log()

    # a pose inside a box is refused; the reset service restores the start pose
    set_pose.publish(pose_msg(-1.0, 1.0, 0.0))
    wait_for(lambda: "overlaps box 'crate'" in proc.log(), 5.0, message='refused set_pose')
    wait_for(reset.service_is_ready, 10.0, message='sim/reset service')
    time.sleep(0.7)        # cmd_vel_timeout: the last command no longer applies after the reset
    future = reset.call_async(Trigger.Request())
    wait_for(future.done, 5.0, message='sim/reset answer')
    assert future.result().success and '1 fall(s)' in future.result().message

    def back_at_start():
        p = odom[-1][1].pose.pose.position
        return abs(p.x - 1.5) < 1e-9 and abs(p.y - 0.5) < 1e-9
    wait_for(back_at_start, 5.0, message='robot back at its start pose')
    wait_for(lambda: diag_has(fallen='false', falls='1'), 5.0, message='not fallen, 1 fall')

    def drives_again():
        cmd.publish(twist(-0.2))
        return odom[-1][1].pose.pose.position.x < 1.45
    wait_for(drives_again, 5.0, period=0.05, message='driving after the reset')
    assert proc.alive() and 'Traceback' not in proc.log()


@pytest.mark.parametrize('world_text, fragment', [
    ('kropbot_sim_world: 1\nboxes: [{center: [0, 0]}]\n', 'boxes[0]: missing size'),
    (None, 'cannot read sim world'),
])
def test_bad_world_exits_1_with_one_fatal_line(start_node, tmp_path, world_text, fragment):
    world = tmp_path / 'world.yaml'
    if world_text is not None:
        world.write_text(world_text)
    proc = start_node('kropbot_driver', 'driver_node', 'driver',
                      params={'backend': 'sim', 'sim_world': str(world)})
    assert proc.proc.wait(15.0) == 1
    log = proc.log()
    assert log.count('FATAL') == 1 and 'cannot start' in log and fragment in log
    assert 'Traceback' not in log
