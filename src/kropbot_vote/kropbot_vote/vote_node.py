"""Vote node: fuses the crowd's ``crowd/vote`` into ``cmd_vel`` and reports ``crowd/status``.

A thin rclpy wrapper around the pure core (:mod:`kropbot_vote.fusion`, :mod:`.teleop`,
:mod:`.status`, :mod:`.schedule`): it declares the parameters
(:data:`kropbot_vote.params.PARAMETERS`), stamps each vote's arrival with the monotonic clock
(never the untrusted header stamp), and runs two timers: the fast ``cmd_vel`` tick
(``max_rate``; the :class:`~kropbot_vote.schedule.PublishScheduler` decides when to evaluate
and publish: operator commands at once, crowd changes rate-capped, a heartbeat at ``rate``)
and ``status_rate`` for ``crowd/status``. Votes end with their sender: a withdrawal vote
(:mod:`kropbot_common.withdrawal`) ends one voter's vote, and the loss of a declared sender of
``crowd/vote`` / ``teleop/cmd_vel`` (QoS liveliness on its presence topic,
:mod:`kropbot_common.liveliness`) ends every vote / the operator override; either way the next
tick also publishes ``crowd/status``, so ``voters`` follows within one control period. Topics,
parameters and the status JSON: the package README. Layout follows ros2/demos demo_nodes_py
``talker``.
"""

import json
import sys
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist, TwistStamped
from kropbot_common.params import ParameterError
from kropbot_common.ros import declare_parameters, run_node, set_parameters_callback
from kropbot_common.ros_liveliness import watch_senders
from kropbot_common.throttled_log import ThrottledLog
from kropbot_common.withdrawal import is_withdrawal
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from std_msgs.msg import String

from kropbot_vote.falls import FallsTracker
from kropbot_vote.fusion import ACCEPTED, VoteBook
from kropbot_vote.guard_state import GuardTracker
from kropbot_vote.params import PARAMETERS
from kropbot_vote.qos import (
    CMD_VEL_QOS,
    DIAGNOSTICS_QOS,
    GUARD_STATE_QOS,
    STATUS_QOS,
    TELEOP_QOS,
    VOTE_QOS,
)
from kropbot_vote.schedule import PublishScheduler
from kropbot_vote.status import status_dict
from kropbot_vote.teleop import TeleopOverride


class VoteNode(Node):
    """The ``vote`` node.

    Subscribes ``crowd/vote`` (geometry_msgs/TwistStamped, ``header.frame_id`` = voter id) and
    ``teleop/cmd_vel`` (geometry_msgs/Twist), ``diagnostics`` (diagnostic_msgs/DiagnosticArray,
    for the sim's fall count) and ``guard/state`` (std_msgs/String, the cliff guard's state);
    publishes ``cmd_vel`` (geometry_msgs/Twist) when the command changes (operator at once,
    crowd at most ``max_rate`` Hz) and at least at ``rate`` Hz, and ``crowd/status``
    (std_msgs/String, JSON) at ``status_rate`` Hz.

    Args:
        **kwargs: passed to ``rclpy.node.Node`` (``context``, ``parameter_overrides``, ...).

    Raises:
        kropbot_common.params.ParameterError: a parameter value is invalid (the message names
            the parameter).

    """

    def __init__(self, **kwargs):
        super().__init__('vote', **kwargs)
        values = declare_parameters(self, PARAMETERS)
        if values['max_rate'] < values['rate']:
            raise ParameterError(f"parameter 'max_rate' ({values['max_rate']} Hz) must be >= "
                                 f"'rate' ({values['rate']} Hz), the heartbeat")
        self._strategy = values['strategy']
        self.executor_kind = values['executor']
        self._reject_log = ThrottledLog(self.get_logger().warning, 5.0)
        self._book = VoteBook(values['max_voters'], values['vote_timeout'],
                              values['max_linear'], values['max_angular'],
                              values['stop_threshold'])
        self._teleop = TeleopOverride(values['teleop_timeout'], values['max_linear'],
                                      values['max_angular'])
        self._sched = PublishScheduler(1.0 / values['max_rate'], 1.0 / values['rate'])
        self._command = (0.0, 0.0)
        self._operator = False
        self._falls = FallsTracker()
        self._guard = GuardTracker()
        self._status_due = False  # voters left: publish crowd/status with the next cmd_vel
        self._senders_lost = 0
        lease = values['liveliness_lease']
        self.add_on_set_parameters_callback(set_parameters_callback(PARAMETERS, self._apply))

        self._cmd_pub = self.create_publisher(Twist, 'cmd_vel', CMD_VEL_QOS)
        self._status_pub = self.create_publisher(String, 'crowd/status', STATUS_QOS)
        votes = self.create_subscription(TwistStamped, 'crowd/vote', self._on_vote, VOTE_QOS)
        teleop = self.create_subscription(Twist, 'teleop/cmd_vel', self._on_teleop, TELEOP_QOS)
        if lease > 0.0:  # the senders' presence topics (crowd/vote/alive, teleop/cmd_vel/alive)
            watch_senders(self, votes.topic_name, lease, self._on_vote_sender_lost)
            watch_senders(self, teleop.topic_name, lease, self._on_teleop_sender_lost)
        self.create_subscription(DiagnosticArray, 'diagnostics',
                                 lambda msg: self._falls.update(msg.status, self._now()),
                                 DIAGNOSTICS_QOS)
        self.create_subscription(String, 'guard/state',
                                 lambda msg: self._guard.update(msg.data, self._now()),
                                 GUARD_STATE_QOS)
        self.create_timer(1.0 / values['max_rate'], self._on_tick)
        self.create_timer(1.0 / values['status_rate'], self._on_status_timer)
        self.get_logger().info(
            f"fusing crowd/vote with strategy '{self._strategy}' into cmd_vel on change (at "
            f"most {values['max_rate']} Hz, heartbeat {values['rate']} Hz; limits "
            f"{values['max_linear']} m/s, {values['max_angular']} rad/s, vote_timeout "
            f"{values['vote_timeout']} s, "
            + (f"senders' liveliness lease {lease} s)" if lease > 0.0
               else 'senders not watched)'))

    _now = staticmethod(time.monotonic)  # the steady clock, s (cheap: called per vote)

    def _on_vote(self, msg):
        voter = msg.header.frame_id
        # A withdrawal vote (kropbot_common.withdrawal) ends this voter's vote now (x != x is
        # the cheap NaN pre-check, so ordinary votes pay no function call).
        tw = msg.twist
        if tw.linear.x != tw.linear.x and is_withdrawal(
                (tw.linear.x, tw.linear.y, tw.linear.z), (tw.angular.x, tw.angular.y,
                                                          tw.angular.z)):
            if self._book.withdraw(voter):
                self._status_due = True
                self._sched.dirty = True  # the next tick evaluates the command without it
            return
        now = self._now()
        reason = self._book.add(voter, msg.twist.linear.x, msg.twist.angular.z, now)
        if reason == ACCEPTED:
            if self._sched.on_input(now):  # else the next tick (<= 1/max_rate) evaluates it
                self._evaluate(now)
        else:
            # ThrottledLog checks the time first: rclpy's throttled logger costs ~170 us per
            # call even when it suppresses, which a flood of bad votes would pay per vote.
            self._reject_log(reason, f'rejected vote from {voter[:64]!r}: {reason} '
                                     f'(totals {self._book.rejected})', now)

    def _on_teleop(self, msg):
        now = self._now()
        if not self._teleop.update(msg.linear.x, msg.angular.z, now):
            self.get_logger().warning('rejected non-finite teleop/cmd_vel',
                                      throttle_duration_sec=5.0)
            return
        # a change of the operator's command goes out at once; a repeat only refreshes it
        changed = self._teleop.active(now) != self._command
        if self._sched.on_input(now, operator=True, changed=changed):
            self._evaluate(now)

    def _on_vote_sender_lost(self):
        """Drop every vote: a watched ``crowd/vote`` publisher died or left (see liveliness)."""
        self._senders_lost += 1
        dropped = self._book.clear()
        self._status_due = True
        self._sched.dirty = True
        self.get_logger().warning(
            f'a sender of crowd/vote is gone (liveliness lost): dropped all {dropped} votes; '
            'voters of the other senders count again with their next vote')

    def _on_teleop_sender_lost(self):
        """End the operator override: a watched ``teleop/cmd_vel`` publisher died or left."""
        self._senders_lost += 1
        if self._teleop.end():
            self._status_due = True
            self._sched.dirty = True
            self.get_logger().warning('a sender of teleop/cmd_vel is gone (liveliness lost): '
                                      'operator override ended')

    def _on_tick(self):
        now = self._now()
        if self._sched.on_tick(now):
            self._evaluate(now)
        if self._status_due:  # voters left since the last status: tell the page now
            self._publish_status(now)

    def _evaluate(self, now):
        """Decide the command (operator while fresh, else the crowd); publish if it changed."""
        teleop = self._teleop.active(now)
        self._operator = teleop is not None
        if self._operator:
            command = teleop
        else:  # the command only: the histogram is computed for crowd/status
            fused = self._book.fuse(now, self._strategy, histogram=False)
            command = (fused.linear, fused.angular)
        publish = command != self._command or self._sched.heartbeat_due(now)
        self._command = command
        if publish:
            msg = Twist()
            msg.linear.x, msg.angular.z = command
            self._cmd_pub.publish(msg)
        self._sched.evaluated(now, publish)

    def _on_status_timer(self):
        now = self._now()
        self._book.purge(now)  # keep stale voters from occupying capacity
        self._publish_status(now)

    def _publish_status(self, now):
        self._status_due = False
        fused = self._book.fuse(now, self._strategy)
        status = status_dict(fused, strategy=self._strategy, operator=self._operator,
                             command=self._command, book=self._book,
                             stamp=self.get_clock().now().nanoseconds * 1e-9,
                             teleop_rejected=self._teleop.rejected,
                             falls=self._falls.value(now), guard=self._guard.value(now),
                             senders_lost=self._senders_lost)
        self._status_pub.publish(String(data=json.dumps(status)))

    def _apply(self, changes):
        """Apply validated run-time changes of the writable parameters (see the schema)."""
        for name, value in changes.items():
            if name == 'strategy':
                self._strategy = value
            elif name == 'vote_timeout':
                self._book.vote_timeout = value
            elif name == 'teleop_timeout':
                self._teleop.timeout = value
            elif name == 'stop_threshold':
                self._book.stop_threshold = value
            self._sched.dirty = True  # the command may change: the next tick evaluates
            self.get_logger().info(f'{name} set to {value!r}')
        return None

    def make_executor(self):
        """Return the executor named by the ``executor`` parameter (for ``run_node``).

        ``'events'``: rclpy's ``rclpy.experimental.EventsExecutor`` where it exists (Kilted,
        and Jazzy from rclpy 7.1.4), else a ``SingleThreadedExecutor``. It costs about a third
        of the CPU per received vote of the wait-set executors (measured here: 35 vs 108 us per
        TwistStamped at 5000 votes/s; bench/crowd_latency.py), which is what lets one node take
        thousands of crowd votes per second. ``'single'``: always the
        ``SingleThreadedExecutor`` (the conservative choice if the experimental executor
        misbehaves on a distro).
        """
        if self.executor_kind == 'events':
            try:
                from rclpy.experimental import EventsExecutor
            except ImportError:
                return SingleThreadedExecutor()
            return EventsExecutor()
        return SingleThreadedExecutor()


def main(args=None):
    """Run the vote node until SIGINT/SIGTERM; return 1 on a bad parameter, else 0."""
    return run_node(VoteNode, args, name='vote', executor=VoteNode.make_executor)


if __name__ == '__main__':
    sys.exit(main())
