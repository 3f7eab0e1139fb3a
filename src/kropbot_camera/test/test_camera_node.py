import math
import signal
import time

import cv2
from kropbot_camera.sim_view import make_transform
from kropbot_testing.frames import read_counter_strip
from nav_msgs.msg import Odometry
import numpy as np
import pytest
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage

pytestmark = pytest.mark.dds

TOPIC = 'camera/image_raw/compressed'


def _decode(msg):
    return cv2.imdecode(np.frombuffer(bytes(msg.data), np.uint8), cv2.IMREAD_COLOR)


def _stamp(msg):
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


def _exit_code(proc, timeout=10.0):
    proc.proc.wait(timeout)
    return proc.proc.returncode


def test_test_pattern_frames_and_sigterm(start_node, ros, wait_for):
    reliable = ros.collect(CompressedImage, TOPIC)
    best_effort = ros.collect(CompressedImage, TOPIC, qos_profile_sensor_data)
    node = start_node('kropbot_camera', 'camera_node', 'camera', params={
        'source': 'test_pattern', 'width': 160, 'height': 120, 'fps': 20.0,
        'jpeg_quality': 80, 'frame_id': 'test_cam'})
    wait_for(lambda: len(reliable) >= 8 and len(best_effort) >= 3, 20, message='frames')
    msgs = [m for _, m in reliable]
    for msg in msgs:
        assert msg.format == 'bgr8; jpeg compressed bgr8'
        assert msg.header.frame_id == 'test_cam'
        assert _decode(msg).shape == (120, 160, 3)
    stamps = [_stamp(m) for m in msgs]
    assert all(b > a for a, b in zip(stamps, stamps[1:]))
    counters = [read_counter_strip(_decode(m)) for m in msgs]
    assert all(b > a for a, b in zip(counters, counters[1:]))
    assert _decode(best_effort[-1][1]).shape == (120, 160, 3)
    node.signal(signal.SIGTERM)
    assert _exit_code(node) == 0
    assert 'Traceback' not in node.log()


def _odom(x, y, yaw):
    msg = Odometry()
    msg.header.frame_id = 'odom'
    msg.child_frame_id = 'base_link'
    msg.pose.pose.position.x = x
    msg.pose.pose.position.y = y
    msg.pose.pose.orientation.z = math.sin(yaw / 2)
    msg.pose.pose.orientation.w = math.cos(yaw / 2)
    return msg


def _robot_centre(img):
    b, g, r = (img[:, :, i].astype(int) for i in range(3))
    mask = (b < 90) & (g > 90) & (g < 190) & (r > 200)  # the orange body
    v, u = np.nonzero(mask)
    return (u.mean(), v.mean()) if len(u) > 10 else None


def test_sim_view_follows_odom(start_node, ros, wait_for):
    frames = ros.collect(CompressedImage, TOPIC)
    odom = ros.node.create_publisher(Odometry, 'odom', 10)
    start_node('kropbot_camera', 'camera_node', 'camera', params={
        'source': 'sim', 'width': 320, 'height': 240, 'fps': 20.0, 'jpeg_quality': 95})
    transform = make_transform(4.0, 320, 240)
    for x, y in [(-1.0, 0.5), (1.2, -0.8)]:
        expected = transform.to_pixel(x, y)

        def robot_there(x=x, y=y, expected=expected):
            odom.publish(_odom(x, y, 0.3))
            if not frames:
                return False
            centre = _robot_centre(_decode(frames[-1][1]))
            return centre is not None and math.dist(centre, expected) < 4.0

        wait_for(robot_there, 20, period=0.1, message=f'robot drawn at {expected}')


def test_missing_camera_logs_one_clear_error_and_keeps_running(start_node, ros, wait_for):
    frames = ros.collect(CompressedImage, TOPIC)
    node = start_node('kropbot_camera', 'camera_node', 'camera', params={
        'source': '/dev/video99', 'retry_period': 0.2})
    wait_for(lambda: '/dev/video99 does not exist' in node.log(), 20, message='error line')
    time.sleep(1.5)  # several retries happen meanwhile
    assert node.alive()
    assert node.log().count('does not exist') == 1
    assert frames == []
    node.signal(signal.SIGTERM)
    assert _exit_code(node) == 0
    assert 'Traceback' not in node.log()


@pytest.mark.parametrize('params, words', [
    ({'width': -5}, 'width'),
    ({'jpeg_quality': 0}, 'jpeg_quality'),
    ({'source': ' '}, 'source'),
])
def test_bad_parameter_exits_non_zero(start_node, params, words):
    node = start_node('kropbot_camera', 'camera_node', 'camera', params=params)
    assert _exit_code(node, 20) != 0
    log = node.log()
    assert 'cannot start' in log and words in log
    assert 'Traceback' not in log


def _set(ros, wait_for, name, value):
    from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
    from rcl_interfaces.srv import SetParameters

    client = ros.node.create_client(SetParameters, 'camera/set_parameters')
    wait_for(lambda: client.service_is_ready(), 20, message='set_parameters service')
    value_msg = ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=value)
    future = client.call_async(SetParameters.Request(
        parameters=[Parameter(name=name, value=value_msg)]))
    wait_for(future.done, 10, message='set_parameters answer')
    return future.result().results[0]


def test_run_time_parameter_changes_are_validated(start_node, ros, wait_for):
    frames = ros.collect(CompressedImage, TOPIC)
    node = start_node('kropbot_camera', 'camera_node', 'camera', params={
        'source': 'test_pattern', 'fps': 20.0, 'jpeg_quality': 95})
    wait_for(lambda: len(frames) >= 3, 20, message='frames')
    big = len(frames[-1][1].data)
    result = _set(ros, wait_for, 'jpeg_quality', 0)
    assert not result.successful and 'jpeg_quality' in result.reason
    assert _set(ros, wait_for, 'width', 100).successful is False  # read-only
    assert _set(ros, wait_for, 'jpeg_quality', 5).successful
    wait_for(lambda: len(frames[-1][1].data) < big / 2, 10, message='smaller frames')
    assert _decode(frames[-1][1]).shape == (240, 320, 3)
    assert node.alive()
