"""ROS 2 node ``guard``: ``cmd_vel`` → cliff and obstacle guard → ``cmd_vel_safe`` (thin wiring).

The decision is :mod:`kropbot_guard.core`'s; this node only wires it (relative names):

- subscribes ``cmd_vel`` (geometry_msgs/Twist, from the vote node), ``cliff/range`` and
  ``front/range`` (sensor_msgs/Range, from the range sensor node; the arrival time on the
  monotonic clock is the reading's age, never the header stamp);
- publishes ``cmd_vel_safe`` (geometry_msgs/Twist, to the driver): one guarded command per
  ``cmd_vel``, and at once a stricter one when a reading (or its absence, checked at ``rate``)
  reduces what the newest, still fresh ``cmd_vel`` may do — the guard never waits for the next
  vote to stop at an edge, and never extends a command beyond ``input_timeout``;
- publishes ``guard/state`` (std_msgs/String: ``cliff``, ``stale``, ``obstacle`` or ``clear``;
  on every change and at ``state_rate``) for the vote node's ``crowd/status``, and
  ``diagnostics`` (1 Hz).

If this node dies, ``cmd_vel_safe`` stops arriving and the driver's ``cmd_vel_timeout`` stops
the motors (the driver never subscribes ``cmd_vel`` in the stack: launch and runner remap it).
"""

import math
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
from kropbot_common.ros import declare_parameters, run_node
from kropbot_common.throttled_log import ThrottledLog
from rclpy.node import Node
from sensor_msgs.msg import Range
from std_msgs.msg import String

from kropbot_guard.core import GuardCore
from kropbot_guard.diagnostics import guard_status, state_text
from kropbot_guard.params import PARAMETERS, config_from_values
from kropbot_guard.qos import (
    CMD_VEL_QOS,
    CMD_VEL_SAFE_QOS,
    DIAGNOSTICS_QOS,
    RANGE_QOS,
    STATE_QOS,
)


class GuardNode(Node):
    """The ``guard`` node (see the module docstring).

    Args:
        node_name: node name (default ``guard``, its section of robot.yaml).
        **kwargs: passed to ``rclpy.node.Node`` (``context``, ``parameter_overrides``...).

    Raises:
        kropbot_common.params.ParameterError: a parameter is invalid (nothing is published).

    """

    def __init__(self, *, node_name='guard', **kwargs):
        super().__init__(node_name, **kwargs)
        values = declare_parameters(self, PARAMETERS)
        self.core = GuardCore(config_from_values(values))
        self._input_timeout = values['input_timeout']
        self._state_period = 1.0 / values['state_rate']
        self._input = None            # (linear, angular, arrival) of the newest cmd_vel
        self._published = None        # (linear, angular) last published on cmd_vel_safe
        self._state = None            # last published state text
        self._state_at = -math.inf
        self._log = ThrottledLog(self.get_logger().warning, 5.0)

        self._safe_pub = self.create_publisher(Twist, 'cmd_vel_safe', CMD_VEL_SAFE_QOS)
        self._state_pub = self.create_publisher(String, 'guard/state', STATE_QOS)
        self._diag_pub = self.create_publisher(DiagnosticArray, 'diagnostics', DIAGNOSTICS_QOS)
        self.create_subscription(Twist, 'cmd_vel', self._on_cmd_vel, CMD_VEL_QOS)
        self.create_subscription(Range, 'cliff/range',
                                 lambda msg: self._on_range('cliff', msg), RANGE_QOS)
        self.create_subscription(Range, 'front/range',
                                 lambda msg: self._on_range('front', msg), RANGE_QOS)
        self.create_timer(1.0 / values['rate'], self._on_timer)
        self.create_timer(1.0, self._publish_diagnostics)
        cfg = self.core.cfg
        if cfg.bypass:
            self.get_logger().error(
                "MAINTENANCE BYPASS IS ON (maintenance_bypass: true in this robot's parameter "
                'file): cmd_vel passes to cmd_vel_safe WITHOUT the cliff and obstacle guard '
                '(only clamped). Never run a public session like this.')
        for name, mode in (('cliff', cfg.cliff_mode), ('front', cfg.front_mode)):
            if mode != 'enforce':
                self.get_logger().warning(
                    f'{name}_mode is {mode!r}: {name} conditions are reported, not enforced')
        self.get_logger().info(
            f'guarding cmd_vel -> cmd_vel_safe: cliff {cfg.cliff_mode} (no floor beyond '
            f'{cfg.cliff_threshold} m), front {cfg.front_mode} (stop {cfg.stop_distance} m, '
            f'slow {cfg.slow_distance} m), readings stale after {cfg.reading_timeout} s')

    _now = staticmethod(time.monotonic)

    # --- callbacks -----------------------------------------------------------------------------

    def _on_cmd_vel(self, msg):
        now = self._now()
        self._input = (msg.linear.x, msg.angular.z, now)
        decision = self.core.filter(msg.linear.x, msg.angular.z, now)
        if decision.nonfinite:
            self._log('nonfinite', f'non-finite cmd_vel (linear.x={msg.linear.x}, angular.z='
                                   f'{msg.angular.z}): publishing a stop '
                                   f'({self.core.nonfinite} so far)', now)
        self._publish(decision)

    def _on_range(self, sensor, msg):
        now = self._now()
        self.core.reading(sensor, msg.range, now)
        self._recheck(now)

    def _on_timer(self):
        self._recheck(self._now())

    def _recheck(self, now):
        """Re-guard the newest fresh command; publish at once if the result is stricter."""
        assessment = self.core.assess(now)
        self._publish_state(state_text(assessment), now)
        if self._input is None or now - self._input[2] >= self._input_timeout:
            return
        decision = self.core.filter(self._input[0], self._input[1], now, count=False)
        if self._published is not None and decision.linear < self._published[0]:
            self._publish(decision)

    def _publish(self, decision):
        if not self.context.ok():
            return
        msg = Twist()
        msg.linear.x, msg.angular.z = decision.linear, decision.angular
        self._safe_pub.publish(msg)
        self.core.published(decision.linear, decision.angular, self._now())
        self._published = (decision.linear, decision.angular)
        self._publish_state(state_text(decision.assessment), self._now())

    def _publish_state(self, text, now):
        if text == self._state and now - self._state_at < self._state_period:
            return
        if text != self._state:
            self.get_logger().info(f'guard state: {text}')
        self._state, self._state_at = text, now
        if self.context.ok():
            self._state_pub.publish(String(data=text))

    def _publish_diagnostics(self):
        if not self.context.ok():
            return
        msg = DiagnosticArray()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.status = [guard_status(f'{self.get_name()}: cliff and obstacle guard', self.core,
                                   self._now())]
        self._diag_pub.publish(msg)


def main(args=None):
    """Run the guard node until SIGINT/SIGTERM; return 1 on a bad parameter, else 0."""
    return run_node(GuardNode, args, name='guard')


if __name__ == '__main__':
    raise SystemExit(main())
