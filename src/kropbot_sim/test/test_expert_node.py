"""The expert executable drives the driver's sim backend over DDS without incidents."""
import math
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import pytest

pytestmark = pytest.mark.dds

WORLD = 'package://kropbot_bringup/config/sim_world.yaml'


@pytest.mark.parametrize('policy', ['wander', 'camera'])
def test_expert_drives_the_sim_robot(start_node, ros, wait_for, policy):
    odom = ros.collect(Odometry, 'odom')
    diags = ros.collect(DiagnosticArray, 'diagnostics')
    commands = ros.collect(Twist, 'teleop/cmd_vel')
    start_node('kropbot_driver', 'driver_node', 'driver',
               params={'backend': 'sim', 'sim_world': WORLD, 'sim_start': 2})
    expert = start_node('kropbot_sim', 'expert', 'expert',
                        params={'sim_world': WORLD, 'seed': 3, 'policy': policy},
                        extra_args=['-r', 'teleop/cmd_vel:=cmd_vel'])
    remapped = ros.collect(Twist, 'cmd_vel')
    wait_for(lambda: odom, 15, message='odom')
    start = odom[-1][1].pose.pose.position

    def travelled():
        p = odom[-1][1].pose.pose.position
        return math.hypot(p.x - start.x, p.y - start.y) > 0.6
    wait_for(travelled, 20, period=0.1, message='the expert drives the robot 0.6 m')
    wait_for(lambda: len(diags) >= 2, 5, message='diagnostics')
    pairs = {kv.key: kv.value for kv in diags[-1][1].status[0].values}
    assert (pairs['collisions'], pairs['falls']) == ('0', '0')
    assert remapped and not commands          # it published on the remapped topic only
    assert all(abs(m.linear.x) <= 0.25 + 1e-9 and abs(m.angular.z) <= 1.5 + 1e-9
               for _, m in remapped)
    assert f'expert ({policy}) driving in' in expert.log() and 'Traceback' not in expert.log()


def test_expert_stops_publishing_without_odom_and_refuses_bad_parameters(start_node, ros,
                                                                        wait_for):
    commands = ros.collect(Twist, 'teleop/cmd_vel')
    expert = start_node('kropbot_sim', 'expert', 'expert', params={'sim_world': WORLD})
    wait_for(lambda: 'driving in' in expert.log(), 15, message='expert up')
    odom = ros.node.create_publisher(Odometry, 'odom', 10)
    msg = Odometry()
    msg.pose.pose.orientation.w = 1.0

    def commanded():
        odom.publish(msg)
        return commands
    wait_for(commanded, 10, period=0.05, message='commands while odom arrives')
    wait_for(lambda: 'odom is stale' in expert.log(), 5, message='stale odom warning')
    time.sleep(0.2)                            # let the last commands arrive
    count = len(commands)
    time.sleep(0.5)
    assert len(commands) == count              # nothing published while odom is stale
    bad = start_node('kropbot_sim', 'expert', 'expert_bad', params={'rate': 0.0})
    assert bad.proc.wait(15) == 1
    assert "parameter 'rate'" in bad.log() and 'Traceback' not in bad.log()
