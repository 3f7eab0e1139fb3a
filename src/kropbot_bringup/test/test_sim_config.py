"""The sim parameter files: one world for every sim node, and the first-person view without
sim.yaml (a parameter file that sets ``driver.backend: sim`` and ``camera.source: sim_fpv``)."""
import math
from pathlib import Path

import cv2
from geometry_msgs.msg import PoseWithCovarianceStamped
from kropbot_sim.world import load_world
from nav_msgs.msg import Odometry
import numpy as np
import pytest
from sensor_msgs.msg import CompressedImage
import yaml

CONFIG = Path(__file__).resolve().parents[1] / 'config'
WORLD_URL = 'package://kropbot_bringup/config/sim_world.yaml'
NODES = {'camera', 'vote', 'gateway', 'driver', 'range_sensors', 'guard'}


def _load(name):
    return yaml.safe_load((CONFIG / name).read_text())


def test_every_sim_node_reads_the_same_installed_world():
    for name in ('robot.yaml', 'sim_fpv.yaml'):
        params = _load(name)
        assert set(params) <= NODES
        assert params['camera']['ros__parameters']['sim_world'] == WORLD_URL, name
        assert params['driver']['ros__parameters']['sim_world'] == WORLD_URL, name
    fpv = _load('sim_fpv.yaml')
    assert fpv['driver']['ros__parameters']['backend'] == 'sim'
    assert fpv['camera']['ros__parameters']['source'] == 'sim_fpv'
    assert load_world(CONFIG / 'sim_world.yaml').pits      # the file the URL names, valid


def _pose(x, y, yaw):
    msg = PoseWithCovarianceStamped()
    msg.header.frame_id = 'odom'
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    msg.pose.pose.orientation.z, msg.pose.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
    return msg


def _dark_band(msg):
    img = cv2.imdecode(np.frombuffer(bytes(msg.data), np.uint8), cv2.IMREAD_COLOR)
    h = img.shape[0]
    return img.shape, float((img[int(0.4 * h):int(0.6 * h)].max(axis=2) < 45).mean())


@pytest.mark.dds
@pytest.mark.parametrize('kind', ['edited robot.yaml', 'sim_fpv.yaml alone'])
def test_fpv_parameter_file_works_without_the_sim_overlay(kind, start_node, ros, wait_for,
                                                           tmp_path):
    if kind == 'edited robot.yaml':
        params = _load('robot.yaml')
        params['driver']['ros__parameters']['backend'] = 'sim'
        params['camera']['ros__parameters']['source'] = 'sim_fpv'
        path = tmp_path / 'my_robot.yaml'
        path.write_text(yaml.safe_dump(params))
        size = (params['camera']['ros__parameters']['height'],
                params['camera']['ros__parameters']['width'], 3)
    else:
        path, size = CONFIG / 'sim_fpv.yaml', (240, 320, 3)   # the camera's defaults
    frames = ros.collect(CompressedImage, 'camera/image_raw/compressed')
    odom = ros.collect(Odometry, 'odom')
    set_pose = ros.node.create_publisher(PoseWithCovarianceStamped, 'sim/set_pose', 10)
    for package, executable, name in (('kropbot_driver', 'driver_node', 'driver'),
                                      ('kropbot_camera', 'camera_node', 'camera')):
        start_node(package, executable, name, params_files=(path,))
    wait_for(lambda: odom and frames, 20, message='odom and frames')

    def facing_the_stairwell():
        set_pose.publish(_pose(0.0, 1.0, 0.0))
        shape, dark = _dark_band(frames[-1][1])
        return shape == size and dark > 0.4
    wait_for(facing_the_stairwell, 20, period=0.1, message='the stairwell in the fpv view')
