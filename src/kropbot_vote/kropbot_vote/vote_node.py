"""Vote node: fuses the crowd's ``crowd/vote`` into ``cmd_vel`` and reports ``crowd/status``.

A thin rclpy wrapper around :mod:`kropbot_vote.fusion`: it declares and validates the
parameters, stamps each vote's arrival with the monotonic clock (never the untrusted header
stamp), and runs two timers (``rate`` for ``cmd_vel``, ``status_rate`` for ``crowd/status``).
Topics, parameters and the status JSON: the package README. Layout follows ros2/demos
demo_nodes_py ``talker``; ``main`` spins with :func:`make_executor`.
"""

import json
import sys
import time

from geometry_msgs.msg import Twist, TwistStamped
from kropbot_common.throttled_log import ThrottledLog
from kropbot_common.withdrawal import is_withdrawal
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from kropbot_vote.fusion import (
    ACCEPTED,
    PARAMETERS,
    TeleopOverride,
    VoteBook,
    check_parameter,
    status_dict,
)


def _qos(depth):
    """Return the contract's QoS: RELIABLE, VOLATILE, KEEP_LAST ``depth``."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


def _descriptor(name):
    """Build the ParameterDescriptor of parameter ``name`` from :data:`fusion.PARAMETERS`."""
    default, description, allowed, read_only, _ = PARAMETERS[name]
    descriptor = ParameterDescriptor(description=description, read_only=read_only)
    if isinstance(default, str):
        descriptor.additional_constraints = 'one of: ' + ', '.join(allowed)
    elif isinstance(default, int):
        descriptor.integer_range = [IntegerRange(from_value=allowed[0], to_value=allowed[1])]
    else:
        descriptor.floating_point_range = [
            FloatingPointRange(from_value=allowed[0], to_value=allowed[1])]
    return descriptor


class VoteNode(Node):
    """The ``vote`` node.

    Subscribes ``crowd/vote`` (geometry_msgs/TwistStamped, ``header.frame_id`` = voter id) and
    ``teleop/cmd_vel`` (geometry_msgs/Twist); publishes ``cmd_vel`` (geometry_msgs/Twist) at
    ``rate`` Hz and ``crowd/status`` (std_msgs/String, JSON) at ``status_rate`` Hz.

    Raises:
        ValueError: if a parameter value is invalid (message names the parameter).
        rclpy.exceptions.ParameterException: if a parameter has the wrong type or is out of
            its descriptor range.

    """

    def __init__(self):
        super().__init__('vote')
        values = {}
        for name, (default, *_) in PARAMETERS.items():
            values[name] = self.declare_parameter(name, default, _descriptor(name)).value
            error = check_parameter(name, values[name])
            if error:
                raise ValueError(error)
        self._strategy = values['strategy']
        self._reject_log = ThrottledLog(self.get_logger().warning, 5.0)
        self._book = VoteBook(values['max_voters'], values['vote_timeout'],
                              values['max_linear'], values['max_angular'],
                              values['stop_threshold'])
        self._teleop = TeleopOverride(values['teleop_timeout'], values['max_linear'],
                                      values['max_angular'])
        self._fused = None
        self._command = (0.0, 0.0)
        self._operator = False
        self.add_on_set_parameters_callback(self._on_set_parameters)

        self._cmd_pub = self.create_publisher(Twist, 'cmd_vel', _qos(10))
        self._status_pub = self.create_publisher(String, 'crowd/status', _qos(10))
        self.create_subscription(TwistStamped, 'crowd/vote', self._on_vote, _qos(100))
        self.create_subscription(Twist, 'teleop/cmd_vel', self._on_teleop, _qos(10))
        self.create_timer(1.0 / values['rate'], self._on_cmd_timer)
        self.create_timer(1.0 / values['status_rate'], self._on_status_timer)
        self.get_logger().info(
            f"fusing crowd/vote with strategy '{self._strategy}' into cmd_vel at "
            f"{values['rate']} Hz (limits {values['max_linear']} m/s, "
            f"{values['max_angular']} rad/s, vote_timeout {values['vote_timeout']} s)")

    _now = staticmethod(time.monotonic)  # the steady clock, s (cheap: called per vote)

    def _on_vote(self, msg):
        voter = msg.header.frame_id
        # hook (relay, issue 12): a withdrawal vote ends this voter's vote now (x != x is the
        # cheap NaN pre-check, so ordinary votes pay no function call).
        tw = msg.twist
        if tw.linear.x != tw.linear.x and is_withdrawal(
                (tw.linear.x, tw.linear.y, tw.linear.z), (tw.angular.x, tw.angular.y,
                                                          tw.angular.z)):
            self._book.withdraw(voter)
            return
        now = self._now()
        reason = self._book.add(voter, msg.twist.linear.x, msg.twist.angular.z, now)
        if reason != ACCEPTED:
            # ThrottledLog checks the time first: rclpy's throttled logger costs ~170 us per
            # call even when it suppresses, which a flood of bad votes would pay per vote.
            self._reject_log(reason, f'rejected vote from {voter[:64]!r}: {reason} '
                                     f'(totals {self._book.rejected})', now)

    def _on_teleop(self, msg):
        if not self._teleop.update(msg.linear.x, msg.angular.z, self._now()):
            self.get_logger().warning('rejected non-finite teleop/cmd_vel',
                                      throttle_duration_sec=5.0)

    def _on_cmd_timer(self):
        now = self._now()
        self._fused = self._book.fuse(now, self._strategy)
        teleop = self._teleop.active(now)
        self._operator = teleop is not None
        self._command = teleop if self._operator else (self._fused.linear, self._fused.angular)
        msg = Twist()
        msg.linear.x, msg.angular.z = self._command
        self._cmd_pub.publish(msg)

    def _on_status_timer(self):
        self._book.purge(self._now())  # keep stale voters from occupying capacity
        if self._fused is None:
            self._on_cmd_timer()
        status = status_dict(self._fused, strategy=self._strategy, operator=self._operator,
                             command=self._command, book=self._book,
                             stamp=self.get_clock().now().nanoseconds * 1e-9,
                             teleop_rejected=self._teleop.rejected)
        self._status_pub.publish(String(data=json.dumps(status)))

    def _on_set_parameters(self, params):
        """Validate run-time changes: only ``strategy`` and ``vote_timeout`` may change."""
        for param in params:
            if param.name not in PARAMETERS:
                continue
            if not PARAMETERS[param.name][4]:
                return SetParametersResult(
                    successful=False,
                    reason=f'{param.name} cannot change at run time; restart the node')
            error = check_parameter(param.name, param.value)
            if error:
                return SetParametersResult(successful=False, reason=error)
        for param in params:
            if param.name == 'strategy':
                self._strategy = param.value
            elif param.name == 'vote_timeout':
                self._book.vote_timeout = float(param.value)
            else:
                continue
            self.get_logger().info(f'{param.name} set to {param.value!r}')
        return SetParametersResult(successful=True)


def make_executor(kind='events'):
    """Return the executor named by the ``executor`` parameter.

    ``'events'``: rclpy's ``rclpy.experimental.EventsExecutor`` where it exists (Kilted, and
    Jazzy from rclpy 7.1.4), else a ``SingleThreadedExecutor``. It costs about a third of the
    CPU per received vote of the wait-set executors (measured here: 35 vs 108 us per
    TwistStamped at 5000 votes/s; bench/crowd_latency.py), which is what lets one node take
    thousands of crowd votes per second. ``'single'``: always the ``SingleThreadedExecutor``
    (the conservative choice if the experimental executor misbehaves on a distro).
    """
    if kind == 'events':
        try:
            from rclpy.experimental import EventsExecutor
        except ImportError:
            return SingleThreadedExecutor()
        return EventsExecutor()
    return SingleThreadedExecutor()


def main(args=None):
    """Run the vote node until SIGINT/SIGTERM; return 1 on a bad parameter, else 0."""
    rclpy.init(args=args)
    try:
        node = VoteNode()
    except (ValueError, ParameterException) as error:
        rclpy.logging.get_logger('vote').fatal(f'bad parameter: {error}')
        rclpy.try_shutdown()
        return 1
    executor = make_executor(node.get_parameter('executor').value)
    executor.add_node(node)
    try:
        # spin_once in a loop rather than spin(): EventsExecutor.spin() of the Kilted wheels
        # never runs timers (seen with rclpy 9.1.2); spin_once() does, for both executors.
        while rclpy.ok():
            executor.spin_once(timeout_sec=0.5)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
