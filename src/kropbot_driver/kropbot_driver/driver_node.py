"""ROS 2 node ``driver``: ``cmd_vel`` to two MotorHAT motors (or a simulated robot).

Wiring only: parameters (:mod:`kropbot_driver.params`, :mod:`kropbot_driver.config`), the
control decision (:mod:`kropbot_driver.control`: freshness, non-finite commands, watchdog
gating), backends (:mod:`kropbot_driver.backends`), the motor watchdog
(:mod:`kropbot_driver.watchdog`), message building (:mod:`kropbot_driver.messages`) and QoS
(:mod:`kropbot_driver.qos`). Topics (relative names, docs/ARCHITECTURE.md): subscribes
``cmd_vel`` (geometry_msgs/Twist), publishes ``odom`` (nav_msgs/Odometry, sim backend only) and
``diagnostics`` (diagnostic_msgs/DiagnosticArray, 1 Hz). The sim backend adds the service
``sim/reset`` and the topic ``sim/set_pose`` (:mod:`kropbot_driver.sim_interface`).
"""

import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
from kropbot_common.errors import StartupError
from kropbot_common.ros import declare_parameters, run_node, set_parameters_callback
from kropbot_sim.world import world_from_parameter
from nav_msgs.msg import Odometry
from rclpy.node import Node

from kropbot_driver import config
from kropbot_driver.backends import BackendError, MotorKitBackend, SimBackend, open_i2c
from kropbot_driver.control import STOP, ControlCore
from kropbot_driver.messages import motor_status, odometry
from kropbot_driver.mixing import MixConfig
from kropbot_driver.params import PARAMETERS
from kropbot_driver.qos import CMD_VEL_QOS, DIAGNOSTICS_QOS, ODOM_QOS
from kropbot_driver.sim_interface import SimInterface
from kropbot_driver.watchdog import WatchdogError, WatchdogProcess

#: Longest time step integrated at once by the simulation, s (avoids jumps after a stall).
MAX_SIM_DT = 0.5
#: Period of the non-finite-command and I2C-error warnings, s.
WARN_PERIOD = 2.0
#: Least time between two attempts to restart a lost motor watchdog, s.
WATCHDOG_RETRY = 2.0
#: Longest wait for a (re)started watchdog to arm, s (start-up; a restart waits 2 s at most).
WATCHDOG_READY_TIMEOUT = 10.0


def make_backend(cfg):
    """Create the backend selected by the validated parameter dict ``cfg``.

    Raises:
        BackendError: the MotorHAT cannot be opened, or the sim world (``sim_world``) cannot be
            read, is invalid or has no start pose ``sim_start``.

    """
    if cfg['backend'] == 'sim':
        try:
            return SimBackend(wheel_separation=cfg['wheel_separation'],
                              max_wheel_speed=cfg['max_wheel_speed'],
                              world=world_from_parameter(cfg['sim_world'],
                                                         cfg['sim_arena_size']),
                              start=cfg['sim_start'], stop_mode=cfg['stop_mode'])
        except ValueError as exc:  # kropbot_sim.world.WorldError is a ValueError
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


def mix_config(cfg):
    """Return the :class:`MixConfig` of the validated parameters ``cfg``."""
    return MixConfig(wheel_separation=cfg['wheel_separation'],
                     max_wheel_speed=cfg['max_wheel_speed'],
                     trim_left=cfg['trim_left'], trim_right=cfg['trim_right'],
                     invert_left=cfg['invert_left'], invert_right=cfg['invert_right'])


class DriverNode(Node):
    """Differential-drive driver node.

    Args:
        backend: an already constructed backend (tests inject ``MotorKitBackend`` on a fake
            bus); None builds the one named by the ``backend`` parameter and, for ``motorkit``
            with ``watchdog`` true, starts the motor watchdog process
            (:mod:`kropbot_driver.watchdog`).
        node_name: node name (default ``driver``, the YAML section).
        **kwargs: passed to ``rclpy.node.Node`` (``context``, ``parameter_overrides``, ...).

    Attributes:
        cfg: the validated parameter values (dict).
        control: the :class:`~kropbot_driver.control.ControlCore` deciding each step.

    Raises:
        kropbot_common.params.ParameterError: a parameter is invalid (nothing was sent to the
            motors).
        kropbot_common.errors.StartupError: the MotorHAT or the sim world could not be opened
            (:class:`~kropbot_driver.backends.BackendError`, a StartupError), or the motor
            watchdog could not be started (the message says why).

    """

    def __init__(self, *, backend=None, node_name='driver', **kwargs):
        super().__init__(node_name, **kwargs)
        self._backend = None
        self._watchdog = None
        self._destroyed = False
        try:
            self._setup(backend)
        except WatchdogError as exc:
            self.destroy_node()
            raise StartupError(str(exc)) from exc
        except BaseException:  # BackendError is a StartupError already
            self.destroy_node()
            raise

    # --- set-up --------------------------------------------------------------------------------

    def _setup(self, backend):
        self.cfg = config.check_config(declare_parameters(self, PARAMETERS))
        self.control = ControlCore(mix_config(self.cfg), self.cfg['cmd_vel_timeout'])
        self._backend = backend if backend is not None else make_backend(self.cfg)
        self._backend.stop_mode = self.cfg['stop_mode']
        self._use_watchdog = (backend is None and self.cfg['backend'] == 'motorkit'
                              and self.cfg['watchdog'])
        self._watchdog_trips = 0
        self._watchdog_retry_at = 0.0
        self._applied = None          # last (left, right) sent to the backend
        self._backend_errors = 0
        self._last_step = time.monotonic()

        self.add_on_set_parameters_callback(
            set_parameters_callback(PARAMETERS, self._apply_parameters))
        self._sub = self.create_subscription(Twist, 'cmd_vel', self._on_cmd_vel, CMD_VEL_QOS)
        self._odom_pub = None
        self._sim = None
        if isinstance(self._backend, SimBackend):
            self._odom_pub = self.create_publisher(Odometry, 'odom', ODOM_QOS)
            self._sim = SimInterface(self, self._backend, self.cfg['odom_frame_id'])
        self._diag_pub = self.create_publisher(DiagnosticArray, 'diagnostics', DIAGNOSTICS_QOS)
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

    def _apply_parameters(self, changes):
        """Apply run-time changes (calibration, stop mode) after :func:`config.check_config`.

        Returns None, or the reason the whole change is refused.
        """
        try:
            candidate = config.check_config({**self.cfg, **changes})
        except config.ConfigError as exc:
            self.get_logger().warning(f'rejected parameter change: {exc}')
            return str(exc)
        self.cfg = candidate
        self.control.mix_config = mix_config(candidate)
        self._backend.stop_mode = candidate['stop_mode']
        self._applied = None  # re-send with the new calibration/stop mode
        return None

    # --- callbacks -----------------------------------------------------------------------------

    @property
    def backend(self):
        """The motor backend in use."""
        return self._backend

    def _on_cmd_vel(self, msg):
        """Hand a command to the control core; a non-finite one stops the motors at once."""
        linear, angular = msg.linear.x, msg.angular.z
        if not self.control.command(linear, angular, time.monotonic()):
            self.get_logger().warning(
                f'rejected non-finite cmd_vel (linear.x={linear}, angular.z={angular}): '
                f'stopping ({self.control.rejected} rejected so far)',
                throttle_duration_sec=WARN_PERIOD)
            self._apply(STOP)

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
        """Timer at ``update_rate``: feed the watchdog, apply the core's decision, step the sim.

        Without an armed watchdog the core holds the motors stopped.
        """
        now = time.monotonic()
        step = self.control.step(now, armed=self._feed_watchdog(now))
        if step.timed_out:
            self.get_logger().info(
                f'no cmd_vel for {self.cfg["cmd_vel_timeout"]} s: stopping '
                f'({self.cfg["stop_mode"]})')
        self._apply(step.throttles)
        dt = min(now - self._last_step, MAX_SIM_DT)
        self._last_step = now
        if self._odom_pub is not None and self.context.ok():
            sim = self._backend
            sim.step(dt)
            self._sim.after_step()
            self._odom_pub.publish(odometry(
                sim.pose, sim.linear, sim.angular, self.get_clock().now().to_msg(),
                self.cfg['odom_frame_id'], self.cfg['base_frame_id']))

    def diagnostics(self):
        """Return the current ``DiagnosticStatus`` of the driver."""
        return motor_status(
            f'{self.get_name()}: motors', self._backend.hardware_id,
            backend=self._backend.name, stop_mode=self.cfg['stop_mode'],
            throttles=self._backend.throttles,
            command_age=self.control.command_age(time.monotonic()), fresh=self.control.fresh,
            rejected=self.control.rejected, timeouts=self.control.timeouts,
            backend_errors=self._backend_errors, watchdog=self._watchdog_state(),
            watchdog_lost=self._use_watchdog and self._watchdog is None,
            watchdog_trips=self._watchdog_trips,
            sim_world=self._backend.world.name if self._sim is not None else None,
            sim_state=self._backend.state if self._sim is not None else None)

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
    """Run the driver node until SIGINT/SIGTERM; return 0, or 1 on a start-up error.

    The motors are released on every exit path (``destroy_node`` in ``run_node``'s clean-up);
    an unexpected exception is re-raised after that (non-zero exit, with its traceback).
    """
    return run_node(DriverNode, args, name='driver')


if __name__ == '__main__':
    raise SystemExit(main())
