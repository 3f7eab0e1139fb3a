"""ROS 2 node ``driver``: ``cmd_vel`` to two MotorHAT motors (or a simulated robot).

Thin wiring only: parameters (:mod:`kropbot_driver.config`), mixing
(:mod:`kropbot_driver.mixing`), backends (:mod:`kropbot_driver.backends`). Topics (relative
names, ARCHITECTURE.md): subscribes ``cmd_vel`` (geometry_msgs/Twist), publishes ``odom``
(nav_msgs/Odometry, sim backend only) and ``diagnostics`` (diagnostic_msgs/DiagnosticArray, 1 Hz).
The sim backend adds ``sim/reset`` and ``sim/set_pose`` (:mod:`kropbot_driver.sim_interface`).
"""

import math
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist
from kropbot_sim.world import world_from_parameter
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile

from kropbot_driver import config
from kropbot_driver.backends import BackendError, MotorKitBackend, SimBackend, open_i2c
from kropbot_driver.kinematics import yaw_to_quaternion
from kropbot_driver.mixing import MixConfig, mix
from kropbot_driver.sim_interface import SimInterface
from kropbot_driver.watchdog import WatchdogError, WatchdogProcess

#: RELIABLE, VOLATILE, KEEP_LAST 10 (shared QoS convention for cmd_vel and odom).
QOS = QoSProfile(depth=10)
#: Longest time step integrated at once by the simulation, s (avoids jumps after a stall).
MAX_SIM_DT = 0.5
#: Period of the non-finite-command and I2C-error warnings, s.
WARN_PERIOD = 2.0
#: Least time between two attempts to restart a lost motor watchdog, s.
WATCHDOG_RETRY = 2.0
#: Longest wait for a (re)started watchdog to arm, s (start-up; a restart waits 2 s at most).
WATCHDOG_READY_TIMEOUT = 10.0


def descriptor(spec):
    """Build the ``ParameterDescriptor`` of a :class:`kropbot_driver.config.ParamSpec`."""
    desc = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
    if spec.choices:
        desc.additional_constraints = 'one of: ' + ', '.join(spec.choices)
    if isinstance(spec.default, bool) or spec.low is None:
        return desc
    if isinstance(spec.default, int):
        desc.integer_range = [IntegerRange(from_value=int(spec.low), to_value=int(spec.high),
                                           step=1)]
    else:
        desc.floating_point_range = [FloatingPointRange(
            from_value=float(spec.low), to_value=float(spec.high), step=0.0)]
    return desc


def make_backend(cfg):
    """Create the backend selected by the validated parameter dict ``cfg``.

    Raises:
        BackendError: if the MotorHAT cannot be opened.

    """
    if cfg['backend'] == 'sim':
        try:
            return SimBackend(wheel_separation=cfg['wheel_separation'],
                              max_wheel_speed=cfg['max_wheel_speed'],
                              world=world_from_parameter(cfg['sim_world'],
                                                         cfg['sim_arena_size']),
                              start=cfg['sim_start'], stop_mode=cfg['stop_mode'])
        except ValueError as exc:  # WorldError is a ValueError
            raise BackendError(str(exc)) from None
    i2c = open_i2c(cfg['i2c_bus'], cfg['i2c_address']) if cfg['i2c_bus'] else None
    return MotorKitBackend(i2c=i2c, address=cfg['i2c_address'], left_motor=cfg['left_motor'],
                           right_motor=cfg['right_motor'], stop_mode=cfg['stop_mode'],
                           pwm_frequency=cfg['pwm_frequency'])


def start_watchdog(cfg, ready_timeout=WATCHDOG_READY_TIMEOUT):
    """Start the motor watchdog process for the HAT of the validated parameters ``cfg``.

    Raises:
        WatchdogError: it could not be started or did not arm.

    """
    return WatchdogProcess.start(i2c_bus=cfg['i2c_bus'], address=cfg['i2c_address'],
                                 timeout=cfg['watchdog_timeout'], ready_timeout=ready_timeout)


class DriverNode(Node):
    """Differential-drive driver node.

    Args:
        backend: an already constructed backend (tests inject ``MotorKitBackend`` on a fake
            bus); None builds the one named by the ``backend`` parameter and, for ``motorkit``
            with ``watchdog`` true, starts the motor watchdog process
            (:mod:`kropbot_driver.watchdog`).
        node_name: node name (default ``driver``, the YAML section).
        **kwargs: passed to ``rclpy.node.Node`` (``context``, ``parameter_overrides``, ...).

    Raises:
        config.ConfigError: a parameter is invalid (nothing was sent to the motors).
        BackendError: the MotorHAT could not be opened.
        WatchdogError: the motor watchdog could not be started.

    """

    def __init__(self, *, backend=None, node_name='driver', **kwargs):
        super().__init__(node_name, **kwargs)
        self._backend = None
        self._watchdog = None
        self._destroyed = False
        try:
            self._setup(backend)
        except BaseException:
            self.destroy_node()
            raise

    # --- set-up --------------------------------------------------------------------------------

    def _setup(self, backend):
        values = {}
        for spec in config.PARAMETERS:
            try:
                param = self.declare_parameter(spec.name, spec.default, descriptor(spec))
            except ParameterException as exc:
                raise config.ConfigError(f'invalid parameter {spec.name}: {exc}') from exc
            values[spec.name] = param.value
        self.cfg = config.check_config(values)
        self._mix = self._mix_config(self.cfg)
        self._backend = backend if backend is not None else make_backend(self.cfg)
        self._backend.stop_mode = self.cfg['stop_mode']
        self._use_watchdog = (backend is None and self.cfg['backend'] == 'motorkit'
                              and self.cfg['watchdog'])
        self._watchdog_trips = 0
        self._watchdog_retry_at = 0.0

        self._command = None          # latest valid (linear m/s, angular rad/s)
        self._command_time = None     # time.monotonic() of its arrival
        self._fresh = False
        self._applied = None          # last (left, right) sent to the backend
        self._rejected = 0
        self._timeouts = 0
        self._backend_errors = 0
        self._last_step = time.monotonic()

        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._sub = self.create_subscription(Twist, 'cmd_vel', self._on_cmd_vel, QOS)
        self._odom_pub = None
        self._sim = None
        if isinstance(self._backend, SimBackend):
            self._odom_pub = self.create_publisher(Odometry, 'odom', QOS)
            self._sim = SimInterface(self, self._backend, self.cfg['odom_frame_id'])
        self._diag_pub = self.create_publisher(DiagnosticArray, 'diagnostics', QOS)
        self._timer = self.create_timer(1.0 / self.cfg['update_rate'], self._control_step)
        self._diag_timer = self.create_timer(1.0, self._publish_diagnostics)
        if self._use_watchdog:
            self._watchdog = start_watchdog(self.cfg)
            self.get_logger().info(
                f'motor watchdog armed (pid {self._watchdog.pid}, timeout '
                f'{self.cfg["watchdog_timeout"]} s)')
        self.get_logger().info(
            f'driver ready: backend={self._backend.name} ({self._backend.hardware_id}), '
            f'stop_mode={self.cfg["stop_mode"]}, cmd_vel_timeout={self.cfg["cmd_vel_timeout"]} s')

    @staticmethod
    def _mix_config(cfg):
        return MixConfig(wheel_separation=cfg['wheel_separation'],
                         max_wheel_speed=cfg['max_wheel_speed'],
                         trim_left=cfg['trim_left'], trim_right=cfg['trim_right'],
                         invert_left=cfg['invert_left'], invert_right=cfg['invert_right'])

    def _on_set_parameters(self, params):
        """Validate run-time changes with :func:`config.check_parameter`; apply if all pass."""
        candidate = dict(self.cfg)
        for param in params:
            error = config.check_parameter(param.name, param.value)
            if error:
                self.get_logger().warning(f'rejected parameter change: {error}')
                return SetParametersResult(successful=False, reason=error)
            candidate[param.name] = param.value
        try:
            candidate = config.check_config(candidate)
        except config.ConfigError as exc:
            self.get_logger().warning(f'rejected parameter change: {exc}')
            return SetParametersResult(successful=False, reason=str(exc))
        self.cfg = candidate
        self._mix = self._mix_config(candidate)
        self._backend.stop_mode = candidate['stop_mode']
        self._applied = None  # re-send with the new calibration/stop mode
        return SetParametersResult(successful=True)

    # --- callbacks -----------------------------------------------------------------------------

    @property
    def backend(self):
        """The motor backend in use."""
        return self._backend

    def _on_cmd_vel(self, msg):
        """Store a command; a non-finite one is rejected and stops the motors at once."""
        linear, angular = msg.linear.x, msg.angular.z
        if not (math.isfinite(linear) and math.isfinite(angular)):
            self._rejected += 1
            self._command = None
            self._fresh = False
            self.get_logger().warning(
                f'rejected non-finite cmd_vel (linear.x={linear}, angular.z={angular}): '
                f'stopping ({self._rejected} rejected so far)',
                throttle_duration_sec=WARN_PERIOD)
            self._apply((0.0, 0.0))
            return
        self._command = (linear, angular)
        self._command_time = time.monotonic()

    def _apply(self, throttles):
        """Send ``throttles`` to the backend if they changed; I2C errors are logged, counted."""
        if throttles == self._applied:
            return
        try:
            if throttles == (0.0, 0.0):
                self._backend.stop()
            else:
                self._backend.set_throttles(*throttles)
            self._applied = throttles
        except OSError as exc:
            self._backend_errors += 1
            self._applied = None
            self.get_logger().error(f'motor write failed: {exc}',
                                    throttle_duration_sec=WARN_PERIOD)

    def _feed_watchdog(self, now):
        """Send the heartbeat; on a lost watchdog restart it (and the HAT); return True if armed.

        A watchdog that tripped (e.g. this process was stopped longer than
        ``watchdog_timeout``) has turned every PCA9685 output off and exited. The driver then
        keeps the motors stopped until a new watchdog is armed and the HAT re-initialised.
        """
        if not self._use_watchdog:
            return True
        if self._watchdog is not None and self._watchdog.beat():
            return True
        if self._watchdog is not None:
            code = self._watchdog.proc.poll()
            self._watchdog.close(clean=False)
            self._watchdog = None
            self._watchdog_trips += 1
            self.get_logger().error(
                f'motor watchdog exited (code {code}); it turned the motors off: holding them '
                f'stopped until a new one is armed')
        if now < self._watchdog_retry_at:
            return False
        self._watchdog_retry_at = now + WATCHDOG_RETRY
        try:
            backend = make_backend(self.cfg)  # re-initialise the HAT the watchdog turned off
            self._watchdog = start_watchdog(self.cfg, ready_timeout=2.0)
        except (BackendError, WatchdogError) as exc:
            self.get_logger().error(f'cannot restart the motor watchdog: {exc}',
                                    throttle_duration_sec=WARN_PERIOD)
            return False
        self._backend = backend
        self._applied = None
        self.get_logger().info(f'motor watchdog re-armed (pid {self._watchdog.pid})')
        return True

    def _control_step(self):
        """Timer at ``update_rate``: apply the latest command or stop if stale; step the sim.

        Feeds the motor watchdog first; without an armed watchdog the motors stay stopped.
        """
        now = time.monotonic()
        armed = self._feed_watchdog(now)
        fresh = (self._command is not None
                 and now - self._command_time <= self.cfg['cmd_vel_timeout'])
        if not armed:
            fresh = False
            throttles = (0.0, 0.0)
        elif fresh:
            throttles = mix(*self._command, self._mix)  # _on_cmd_vel stores finite commands only
        else:
            throttles = (0.0, 0.0)
            if self._fresh:
                self._timeouts += 1
                self.get_logger().info(
                    f'no cmd_vel for {self.cfg["cmd_vel_timeout"]} s: stopping '
                    f'({self.cfg["stop_mode"]})')
        self._fresh = fresh
        self._apply(throttles)
        dt = min(now - self._last_step, MAX_SIM_DT)
        self._last_step = now
        if self._odom_pub is not None and self.context.ok():
            self._backend.step(dt)
            self._sim.after_step()
            self._publish_odom()

    def _publish_odom(self):
        sim = self._backend
        msg = Odometry()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = self.cfg['odom_frame_id']
        msg.child_frame_id = self.cfg['base_frame_id']
        msg.pose.pose.position.x = sim.pose.x
        msg.pose.pose.position.y = sim.pose.y
        q = msg.pose.pose.orientation
        q.x, q.y, q.z, q.w = yaw_to_quaternion(sim.pose.yaw)
        msg.twist.twist.linear.x = sim.linear
        msg.twist.twist.angular.z = sim.angular
        self._odom_pub.publish(msg)

    def diagnostics(self):
        """Return the current ``DiagnosticStatus`` of the driver."""
        age = (time.monotonic() - self._command_time) if self._command_time else -1.0
        left, right = self._backend.throttles
        status = DiagnosticStatus(name=f'{self.get_name()}: motors',
                                  hardware_id=self._backend.hardware_id)
        if self._use_watchdog and self._watchdog is None:
            status.level, status.message = DiagnosticStatus.ERROR, 'motor watchdog lost: stopped'
        elif self._backend_errors:
            status.level, status.message = DiagnosticStatus.ERROR, 'motor write errors'
        elif not self._fresh:
            status.level, status.message = DiagnosticStatus.OK, 'stopped (no fresh cmd_vel)'
        else:
            status.level, status.message = DiagnosticStatus.OK, 'driving'
        pairs = {
            'backend': self._backend.name,
            'stop_mode': self.cfg['stop_mode'],
            'throttle_left': 'released' if left is None else f'{left:.4f}',
            'throttle_right': 'released' if right is None else f'{right:.4f}',
            'last_cmd_age_s': 'never' if age < 0 else f'{age:.3f}',
            'rejected_nonfinite': str(self._rejected),
            'timeouts': str(self._timeouts),
            'backend_errors': str(self._backend_errors),
            'watchdog': self._watchdog_state(),
            'watchdog_trips': str(self._watchdog_trips),
        }
        if self._sim is not None:
            self._sim.diagnose(status, pairs)
        status.values = [KeyValue(key=k, value=v) for k, v in pairs.items()]
        return status

    def _watchdog_state(self):
        if not self._use_watchdog:
            return 'off'
        if self._watchdog is None:
            return 'lost'
        return f'armed (pid {self._watchdog.pid})'

    def _publish_diagnostics(self):
        if not self.context.ok():
            return
        msg = DiagnosticArray()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.status = [self.diagnostics()]
        self._diag_pub.publish(msg)

    # --- shutdown ------------------------------------------------------------------------------

    def release_motors(self):
        """Turn both motors off (``throttle = None``); return True on success.

        Errors are logged, never raised.
        """
        if self._backend is None:
            return True
        try:
            self._backend.release()
            self._applied = None
            return True
        except OSError as exc:
            self.get_logger().error(f'could not release the motors: {exc}')
            return False

    def destroy_node(self):
        """Release the motors, stop the watchdog, then destroy the node (idempotent).

        The watchdog is told to exit quietly only if the release succeeded; otherwise it turns
        every output off itself on its way out.
        """
        if not self._destroyed:
            self._destroyed = True
            released = self.release_motors()
            if self._watchdog is not None:
                self._watchdog.close(clean=released)
                self._watchdog = None
        return super().destroy_node()


def main(args=None):
    """Run the driver node until SIGINT/SIGTERM; return 0, or 1 on a start-up error."""
    rclpy.init(args=args)
    node = None
    code = 0
    try:
        node = DriverNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (config.ConfigError, BackendError, WatchdogError) as exc:
        rclpy.logging.get_logger('driver').error(f'cannot start: {exc}')
        code = 1
    except Exception:
        # A SIGINT/SIGTERM that lands inside a callback invalidates the context under it (the
        # callback's publish then fails): that is a normal shutdown. Anything else is a bug.
        if rclpy.ok():
            raise
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == '__main__':
    raise SystemExit(main())
