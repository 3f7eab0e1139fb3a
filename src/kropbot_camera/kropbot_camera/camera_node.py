"""Camera node: publishes JPEG ``camera/image_raw/compressed`` from a capture thread.

Thin ROS wiring around the pure modules: parameters (:mod:`kropbot_camera.config`), sources
(:mod:`kropbot_camera.sources`), the capture thread (:mod:`kropbot_camera.capture`).
"""

import array

import cv2
from kropbot_sim.world import WorldError, world_from_parameter
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    ParameterType,
    SetParametersResult,
)
import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage

from kropbot_camera.capture import CaptureLoop
from kropbot_camera.config import PARAMETERS, SPECS, ConfigError, validate_config
from kropbot_camera.encode import JPEG_FORMAT
from kropbot_camera.sim_view import yaw_from_quaternion
from kropbot_camera.sources import make_source

#: Image publisher QoS (shared conventions): a RELIABLE publisher matches both reliable and
#: best-effort subscribers; depth 1 keeps only the newest frame for slow readers.
IMAGE_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.VOLATILE,
                       history=HistoryPolicy.KEEP_LAST, depth=1)
#: Odometry subscription QoS (shared conventions for ``odom``).
ODOM_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE,
                      history=HistoryPolicy.KEEP_LAST, depth=10)


#: Sources drawn from the sim world and ``odom``: top-down and first-person.
SIM_SOURCES = ('sim', 'sim_fpv')

#: Period (s) of the idle timer that lets the executor notice a shutdown it was not woken for.
SHUTDOWN_POLL_PERIOD = 0.5


class StartupError(Exception):
    """The node cannot start (invalid parameter); the message is already logged."""


def _descriptor(spec):
    kind = type(spec.default)
    desc = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
    if kind is int:
        desc.type = ParameterType.PARAMETER_INTEGER
        desc.integer_range = [IntegerRange(from_value=int(spec.low), to_value=int(spec.high),
                                           step=1)]
    elif kind is float:
        desc.type = ParameterType.PARAMETER_DOUBLE
        desc.floating_point_range = [FloatingPointRange(from_value=float(spec.low),
                                                        to_value=float(spec.high), step=0.0)]
    else:
        desc.type = ParameterType.PARAMETER_STRING
    return desc


def _explain(exc):
    """Return a one-line reason for a rejected parameter (rclpy or :class:`ConfigError`)."""
    if not isinstance(exc, ParameterException) or ': ' not in str(exc):
        return str(exc)
    # rclpy formats these as '<message>: <parameter name>'.
    text, name = str(exc).rsplit(': ', 1)
    text = text.split('Reason: ', 1)[-1]
    spec = SPECS.get(name)
    return f'parameter {name!r}: {text}' + (f' ({spec.description})' if spec else '')


class CameraNode(Node):
    """Publishes ``camera/image_raw/compressed`` (sensor_msgs/CompressedImage, JPEG).

    Subscribes to ``odom`` (nav_msgs/Odometry) only when ``source`` is ``sim`` or ``sim_fpv``.
    Capture and encoding run on a :class:`CaptureLoop` thread that also publishes.

    Raises:
        StartupError: if a parameter or the sim world file is invalid (the reason is logged
            first).

    """

    def __init__(self):
        super().__init__('camera')
        try:
            values = {}
            for spec in PARAMETERS:
                values[spec.name] = self.declare_parameter(
                    spec.name, spec.default, _descriptor(spec)).value
            self._config = validate_config(values)
            world = None
            if self._config.source in SIM_SOURCES:
                world = world_from_parameter(self._config.sim_world,
                                             self._config.sim_arena_size)
        except (ParameterException, ConfigError, WorldError) as exc:
            self.get_logger().fatal(f'invalid parameter, not starting: {_explain(exc)}')
            self.destroy_node()
            raise StartupError(str(exc)) from None
        cfg = self._config
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
        self.add_on_set_parameters_callback(self._on_set_parameters)
        # rclpy's signal handler may wake the executor just before it shuts the context down;
        # the executor then waits again with nothing left to wake it (a race seen under load
        # with SIGTERM). This idle timer bounds that wait, so SIGTERM always ends the spin.
        self.create_timer(SHUTDOWN_POLL_PERIOD, lambda: None)
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

    def _on_set_parameters(self, params):
        values = {name: getattr(self._config, name) for name in self._config.__dataclass_fields__}
        values.update({p.name: p.value for p in params})
        try:
            self._config = validate_config(values)
        except ConfigError as exc:
            self.get_logger().warning(f'rejected parameter change: {exc}')
            return SetParametersResult(successful=False, reason=str(exc))
        return SetParametersResult(successful=True)

    def destroy_node(self):
        """Stop the capture thread (releasing the device), then destroy the node."""
        self._closing = True
        capture = getattr(self, '_capture', None)
        if capture is not None and not capture.stop(2.0):
            self.get_logger().warning('capture thread still blocked in the source; leaving it')
        return super().destroy_node()


def main(args=None):
    """Run the camera node until SIGINT/SIGTERM; return 1 if a parameter is invalid."""
    rclpy.init(args=args)
    try:
        node = CameraNode()
    except StartupError:
        rclpy.try_shutdown()
        return 1
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
