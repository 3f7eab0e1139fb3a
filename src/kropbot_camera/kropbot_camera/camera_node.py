"""Camera node: publishes JPEG ``camera/image_raw/compressed`` from a capture thread.

Thin ROS wiring around the pure modules: parameters (:mod:`kropbot_camera.params`,
:mod:`kropbot_camera.config`), sources (:mod:`kropbot_camera.sources`), the capture thread
(:mod:`kropbot_camera.capture`); QoS profiles in :mod:`kropbot_camera.qos`.
"""

import array
from dataclasses import asdict
import sys

import cv2
from kropbot_common.errors import StartupError
from kropbot_common.ros import declare_parameters, run_node, set_parameters_callback
from kropbot_sim.world import WorldError, world_from_parameter
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import CompressedImage

from kropbot_camera.capture import CaptureLoop
from kropbot_camera.config import ConfigError, validate_config
from kropbot_camera.encode import JPEG_FORMAT
from kropbot_camera.params import PARAMETERS
from kropbot_camera.qos import IMAGE_QOS, ODOM_QOS
from kropbot_camera.sim_view import yaw_from_quaternion
from kropbot_camera.sources import SIM_SOURCES, make_source


class CameraNode(Node):
    """Publishes ``camera/image_raw/compressed`` (sensor_msgs/CompressedImage, JPEG).

    Subscribes to ``odom`` (nav_msgs/Odometry) only when ``source`` is ``sim`` or ``sim_fpv``.
    Capture and encoding run on a :class:`CaptureLoop` thread that also publishes.

    Args:
        **kwargs: passed to ``rclpy.node.Node`` (``context``, ``parameter_overrides``, ...).

    Raises:
        kropbot_common.params.ParameterError: a parameter is invalid (the message names it).
        kropbot_common.errors.StartupError: a sim source's world file (``sim_world``) cannot be
            read or is invalid (the message names the file, key and rule).

    """

    def __init__(self, **kwargs):
        super().__init__('camera', **kwargs)
        self._config = validate_config(declare_parameters(self, PARAMETERS))
        cfg = self._config
        world = None
        if cfg.source in SIM_SOURCES:
            try:
                world = world_from_parameter(cfg.sim_world, cfg.sim_arena_size)
            except WorldError as exc:
                raise StartupError(f'sim_world: {exc}') from None
        self._closing = False
        self._pose = None
        self._publisher = self.create_publisher(
            CompressedImage, 'camera/image_raw/compressed', IMAGE_QOS)
        if cfg.source in SIM_SOURCES:
            self.create_subscription(Odometry, 'odom', self._on_odom, ODOM_QOS)
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        source = make_source(cfg.source, cfg.width, cfg.height, cfg.fps, cfg.retry_period,
                             cfg.sim_arena_size, pose_provider=lambda: self._pose,
                             report=self._report, world=world)
        self.add_on_set_parameters_callback(set_parameters_callback(PARAMETERS, self._apply))
        self._capture = CaptureLoop(source, lambda: self._config, self._publish,
                                    stamp_clock=lambda: self.get_clock().now().to_msg(),
                                    report=self._report)
        self.get_logger().info(
            f'publishing camera/image_raw/compressed from {cfg.source!r}: '
            f'{cfg.width}x{cfg.height} at {cfg.fps:g} Hz, JPEG quality {cfg.jpeg_quality}')
        self._capture.start()

    def _report(self, level, message):
        getattr(self.get_logger(), level)(message)

    def _on_odom(self, msg):
        q = msg.pose.pose.orientation
        p = msg.pose.pose.position
        self._pose = (p.x, p.y, yaw_from_quaternion(q.x, q.y, q.z, q.w))

    def _publish(self, jpeg, stamp):
        if self._closing or not self.context.ok():
            return
        msg = CompressedImage()
        msg.header.stamp = stamp
        msg.header.frame_id = self._config.frame_id
        msg.format = JPEG_FORMAT
        msg.data = array.array('B', jpeg)
        try:
            self._publisher.publish(msg)
        except Exception:  # noqa: BLE001 - only tolerated while shutting down
            if self.context.ok() and not self._closing:
                raise

    def _apply(self, changes):
        """Apply run-time changes (``fps``, ``jpeg_quality``, ``frame_id``) from the next frame.

        Returns None, or the reason the change is refused (e.g. an empty ``frame_id``).
        """
        try:
            self._config = validate_config({**asdict(self._config), **changes})
        except ConfigError as exc:
            self.get_logger().warning(f'rejected parameter change: {exc}')
            return str(exc)
        return None

    def destroy_node(self):
        """Stop the capture thread (releasing the device), then destroy the node."""
        self._closing = True
        # getattr: rclpy also destroys a node whose __init__ failed (at context shutdown).
        capture = getattr(self, '_capture', None)
        if capture is not None and not capture.stop(2.0):
            self.get_logger().warning('capture thread still blocked in the source; leaving it')
        return super().destroy_node()


def main(args=None):
    """Run the camera node until SIGINT/SIGTERM; return 1 on a bad parameter or world file."""
    return run_node(CameraNode, args, name='camera')


if __name__ == '__main__':
    sys.exit(main())
