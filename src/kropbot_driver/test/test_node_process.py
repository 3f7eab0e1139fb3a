"""The installed driver_node executable (sim backend) as a separate process over DDS."""
import signal
import time

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import pytest

pytestmark = pytest.mark.dds


def twist(v, w):
    msg = Twist()
    msg.linear.x, msg.angular.z = v, w
    return msg


def test_sim_drives_publishes_odom_and_stops_on_sigterm(start_node, ros, wait_for):
    proc = start_node('kropbot_driver', 'driver_node', 'driver',
                      params={'backend': 'sim', 'max_wheel_speed': 0.5})
    odom = ros.collect(Odometry, 'odom')
    pub = ros.node.create_publisher(Twist, 'cmd_vel', 10)
    wait_for(lambda: odom, 15.0, message='first odom')
    first = odom[-1][1]
    assert (first.header.frame_id, first.child_frame_id) == ('odom', 'base_link')

    def moved():
        pub.publish(twist(0.3, 0.0))
        return odom[-1][1].pose.pose.position.x > first.pose.pose.position.x + 0.05
    wait_for(moved, 10.0, period=0.05, message='odom x to increase')
    assert odom[-1][1].twist.twist.linear.x == pytest.approx(0.3)
    assert abs(odom[-1][1].pose.pose.position.y) < 1e-6

    # NaN: stop with a warning, node keeps running
    def stopped():
        pub.publish(twist(float('nan'), 0.0))
        return odom[-1][1].twist.twist.linear.x == 0.0
    wait_for(stopped, 5.0, period=0.05, message='stop on NaN')
    wait_for(lambda: 'non-finite' in proc.log(), 5.0, message='warning in the log')
    assert proc.alive()

    start = time.monotonic()
    proc.signal(signal.SIGTERM)
    assert proc.proc.wait(5.0) == 0
    assert time.monotonic() - start < 3.0
    assert 'Traceback' not in proc.log()


@pytest.mark.parametrize('params,fragment', [
    ({'stop_mode': 'banana'}, "'stop_mode' must be one of brake, coast"),
    ({'max_wheel_speed': -1.0}, 'max_wheel_speed'),
    ({'left_motor': 2, 'right_motor': 2}, 'must differ'),
])
def test_bad_parameter_exits_non_zero_with_message(start_node, wait_for, params, fragment):
    proc = start_node('kropbot_driver', 'driver_node', 'driver', params=params)
    assert proc.proc.wait(15.0) != 0
    log = proc.log()
    assert 'cannot start' in log and fragment in log and 'Traceback' not in log
