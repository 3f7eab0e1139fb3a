"""The camera node with ``source: sim_fpv`` as a process over DDS: size, pose, the dark pit."""
import math
import signal

import cv2
from nav_msgs.msg import Odometry
import numpy as np
import pytest
from sensor_msgs.msg import CompressedImage

pytestmark = pytest.mark.dds

TOPIC = 'camera/image_raw/compressed'
DEFAULT_WORLD = 'package://kropbot_bringup/config/sim_world.yaml'


def _decode(msg):
    return cv2.imdecode(np.frombuffer(bytes(msg.data), np.uint8), cv2.IMREAD_COLOR)


def _odom(x, y, yaw):
    msg = Odometry()
    msg.header.frame_id = 'odom'
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    msg.pose.pose.orientation.z, msg.pose.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
    return msg


def _dark(img):
    """Fraction of near-black pixels in the band just below the horizon (rows 40-60 %)."""
    h = img.shape[0]
    return float((img[int(0.4 * h):int(0.6 * h)].max(axis=2) < 45).mean())


def test_sim_fpv_follows_odom_and_shows_the_pit_dark(start_node, ros, wait_for):
    frames = ros.collect(CompressedImage, TOPIC)
    odom = ros.node.create_publisher(Odometry, 'odom', 10)
    node = start_node('kropbot_camera', 'camera_node', 'camera', params={
        'source': 'sim_fpv', 'width': 192, 'height': 144, 'fps': 20.0, 'jpeg_quality': 90,
        'sim_world': DEFAULT_WORLD})
    wait_for(lambda: frames, 20, message='first frame')
    assert _decode(frames[-1][1]).shape == (144, 192, 3)

    def latest_after_odom(pose, predicate):
        def check():
            odom.publish(_odom(*pose))
            return frames and predicate(_decode(frames[-1][1]))
        return check

    # 0.7 m west of the stairwell, facing it: a dark band below the horizon
    wait_for(latest_after_odom((0.0, 1.0, 0.0), lambda img: _dark(img) > 0.4), 20,
             period=0.1, message='the pit ahead looks dark')
    facing = _decode(frames[-1][1]).astype(int)
    # turned around: no pit in view, and the picture changed
    wait_for(latest_after_odom((0.0, 1.0, math.pi), lambda img: _dark(img) < 0.05), 20,
             period=0.1, message='no pit when facing away')
    away = _decode(frames[-1][1]).astype(int)
    assert np.abs(facing - away).mean() > 10
    node.signal(signal.SIGTERM)
    assert node.proc.wait(10) == 0
    assert 'Traceback' not in node.log()


def test_bad_sim_world_exits_1_with_one_fatal_line(start_node, tmp_path):
    world = tmp_path / 'w.yaml'
    world.write_text('kropbot_sim_world: 1\npits: [{center: [0, 0], size: [1, 1]}]\n')
    node = start_node('kropbot_camera', 'camera_node', 'camera', params={
        'source': 'sim_fpv', 'sim_world': str(world)})
    assert node.proc.wait(20) == 1
    log = node.log()
    assert log.count('FATAL') == 1 and 'cannot start: sim_world: w.yaml' in log
    assert "starts[0]: (0, 0) is inside pit 'pit 1'" in log and 'Traceback' not in log
