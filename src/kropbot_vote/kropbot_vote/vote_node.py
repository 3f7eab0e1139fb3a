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
tick also publishes ``crowd/status``, so ``voters`` follows within one control period.
``crowd/vote_batch`` (:mod:`kropbot_common.vote_batch`) carries many votes and withdrawals in
one message for relaying senders (``relay_link``); each entry counts as on ``crowd/vote``.

Crowd modes (:mod:`kropbot_vote.modes`): every vote, withdrawal and sender loss goes through
the :class:`~kropbot_vote.modes.ModeController`, whose ``tick`` gives the crowd's command in
the mode in force (``mode`` parameter, writable at run time; the crowd's anarchy/democracy
switch takes mode votes from ``crowd/mode_vote``); the operator's ``teleop/cmd_vel`` override
still wins while fresh. The ``crowd/pause`` service (``std_srvs/srv/SetBool``) pauses the crowd:
``cmd_vel`` is zero from the same callback on, until it is resumed. Topics, services,
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
from std_srvs.srv import SetBool

from kropbot_common import vote_batch
from kropbot_vote.falls import FallsTracker
from kropbot_vote.fusion import ACCEPTED, VoteBook
from kropbot_vote.guard_state import GuardTracker
from kropbot_vote.mode_status import extend_status, mode_status
from kropbot_vote.mode_switch import ACCEPTED as MODE_VOTE_ACCEPTED
from kropbot_vote.mode_switch import parse_mode_vote
from kropbot_vote.modes import ModeController
from kropbot_vote.params import PARAMETERS
from kropbot_vote.qos import (
    CMD_VEL_QOS,
    DIAGNOSTICS_QOS,
    GUARD_STATE_QOS,
    MODE_VOTE_QOS,
    STATUS_QOS,
    TELEOP_QOS,
    VOTE_BATCH_QOS,
    VOTE_QOS,
)
from kropbot_vote.schedule import PublishScheduler
from kropbot_vote.status import status_dict
from kropbot_vote.teleop import TeleopOverride


class VoteNode(Node):
    """The ``vote`` node.

    Subscribes ``crowd/vote`` (geometry_msgs/TwistStamped, ``header.frame_id`` = voter id),
    ``crowd/vote_batch`` (std_msgs/String, :mod:`kropbot_common.vote_batch`),
    ``crowd/mode_vote`` (std_msgs/String, JSON ``{"voter", "mode"}``), ``teleop/cmd_vel``
    (geometry_msgs/Twist), ``diagnostics`` (diagnostic_msgs/DiagnosticArray, for the sim's fall
    count) and ``guard/state`` (std_msgs/String, the cliff guard's state); serves
    ``crowd/pause`` (std_srvs/SetBool); publishes ``cmd_vel`` (geometry_msgs/Twist) when the
    command changes (operator at once, crowd at most ``max_rate`` Hz; in the time-driven modes
    evaluated on every fast tick) and at least at ``rate`` Hz, and ``crowd/status``
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
        self._controller = ModeController.from_params(self._book, values, self._now())
        self._sched = PublishScheduler(1.0 / values['max_rate'], 1.0 / values['rate'])
        self._command = (0.0, 0.0)
        self._operator = False
        self._falls = FallsTracker()
        self._guard = GuardTracker()
        self._status_due = False  # voters left: publish crowd/status with the next cmd_vel
        self._senders_lost = 0
        self._mode_votes_malformed = 0
        self._batches_malformed = 0
        lease = values['liveliness_lease']
        self.add_on_set_parameters_callback(set_parameters_callback(PARAMETERS, self._apply))

        self._cmd_pub = self.create_publisher(Twist, 'cmd_vel', CMD_VEL_QOS)
        self._status_pub = self.create_publisher(String, 'crowd/status', STATUS_QOS)
        votes = self.create_subscription(TwistStamped, 'crowd/vote', self._on_vote, VOTE_QOS)
        batches = self.create_subscription(String, 'crowd/vote_batch', self._on_vote_batch,
                                           VOTE_BATCH_QOS)
        teleop = self.create_subscription(Twist, 'teleop/cmd_vel', self._on_teleop, TELEOP_QOS)
        self.create_subscription(String, 'crowd/mode_vote', self._on_mode_vote, MODE_VOTE_QOS)
        self.create_service(SetBool, 'crowd/pause', self._on_pause)
        if lease > 0.0:  # the senders' presence topics (crowd/vote/alive, teleop/cmd_vel/alive)
            watch_senders(self, votes.topic_name, lease, self._on_vote_sender_lost)
            watch_senders(self, batches.topic_name, lease, self._on_vote_sender_lost)
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
            f"crowd mode '{values['mode']}' (crowd switch "
            f"{'on' if values['crowd_switch'] else 'off'}); "
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
            self._withdraw((voter,), self._now())
            return
        now = self._now()
        # else the next tick (<= 1/max_rate) evaluates it
        if self._take_vote(voter, tw.linear.x, tw.angular.z, now) and self._sched.on_input(now):
            self._evaluate(now)

    def _withdraw(self, voters, now):
        """End the votes of ``voters`` (ids or ``<scope>/*`` patterns) at ``now`` (s).

        Their votes, places in the queue or anarchy input, democracy and mode votes: the next
        tick evaluates the command without them and also publishes ``crowd/status``.
        """
        for voter in voters:
            self._controller.withdraw(voter, now)
        self._status_due = True
        self._sched.dirty = True

    def _take_vote(self, voter, linear, angular, now):
        """Add one vote (m/s, rad/s) arriving at ``now`` (s); log a rejection; True if accepted."""
        reason = self._controller.add_vote(voter, linear, angular, now)
        if reason == ACCEPTED:
            return True
        # ThrottledLog checks the time first: rclpy's throttled logger costs ~170 us per call
        # even when it suppresses, which a flood of bad votes would pay per vote.
        self._reject_log(reason, f'rejected vote from {voter[:64]!r}: {reason} '
                                 f'(totals {self._book.rejected})', now)
        return False

    def _on_vote_batch(self, msg):
        """Take a ``crowd/vote_batch`` (:mod:`kropbot_common.vote_batch`): withdrawals, then votes.

        Each entry is handled as the same withdrawal or vote on ``crowd/vote`` would be; a
        malformed batch is refused whole (logged, counted, nothing changes).
        """
        now = self._now()
        try:
            votes, withdrawals = vote_batch.decode(msg.data)
        except ValueError as exc:
            self._batches_malformed += 1
            self._reject_log('vote_batch_malformed', f'rejected vote batch: {exc} '
                             f'({self._batches_malformed} malformed so far)', now)
            return
        if withdrawals:
            self._withdraw(withdrawals, now)
        accepted = [self._take_vote(voter, lin, ang, now) for voter, lin, ang in votes]
        if any(accepted) and self._sched.on_input(now):  # else the next tick evaluates
            self._evaluate(now)

    def _on_mode_vote(self, msg):
        """Take one crowd mode vote (``crowd/mode_vote``: JSON ``{"voter", "mode"}``)."""
        now = self._now()
        try:
            voter, mode = parse_mode_vote(msg.data)
        except ValueError as exc:
            self._mode_votes_malformed += 1
            self._reject_log('mode_vote_malformed', f'rejected mode vote: {exc} '
                             f'({self._mode_votes_malformed} malformed so far)', now)
            return
        reason = self._controller.mode_vote(voter, mode, now)
        if reason != MODE_VOTE_ACCEPTED:
            self._reject_log(f'mode_vote_{reason}', f'rejected mode vote {mode[:32]!r} from '
                             f'{voter[:64]!r}: {reason} (totals '
                             f'{self._controller.switch.rejected})', now)

    def _on_pause(self, request, response):
        """``crowd/pause`` (std_srvs/SetBool): ``data`` true pauses the crowd, false resumes.

        Paused: ``cmd_vel`` is zero from this callback on (published at once), whatever the
        crowd votes; the operator's ``teleop/cmd_vel`` override still drives.
        """
        now = self._now()
        changed = self._controller.pause(request.data, now)
        word = 'paused' if request.data else 'resumed'
        response.success = True
        response.message = f'crowd {word}' if changed else f'crowd already {word}'
        if changed:
            self.get_logger().warning(f'crowd {word} (crowd/pause service)' + (
                ': cmd_vel is zero until it is resumed' if request.data else ''))
            self._sched.dirty = True
            self._evaluate(now)  # the stop (or the crowd's command) goes out now
            self._publish_status(now)
        return response

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
        dropped = self._controller.clear(self._now())  # votes, core states, mode votes
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
        # anarchy, democracy and queue change with time alone (expiry, windows, turns): a few
        # us per tick there; in vote mode only new input or the heartbeat evaluates
        if self._sched.on_tick(now) or self._controller.timed:
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
            out = self._controller.tick(now)
            command = (out.linear, out.angular)
            if out.switched_to is not None:
                self._status_due = True
                self.get_logger().warning(
                    f'mode switched to {out.switched_to} by the crowd '
                    f'({self._controller.switch.counts(now)} mode votes)')
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
        controller = self._controller
        status = status_dict(controller.crowd_summary(now), strategy=controller.strategy,
                             operator=self._operator, command=self._command, book=self._book,
                             stamp=self.get_clock().now().nanoseconds * 1e-9,
                             teleop_rejected=self._teleop.rejected,
                             falls=self._falls.value(now), guard=self._guard.value(now),
                             senders_lost=self._senders_lost)
        status = extend_status(status, mode_status(controller, now))
        self._status_pub.publish(String(data=json.dumps(status)))

    def _apply(self, changes):
        """Apply validated run-time changes of the writable parameters (see the schema).

        The mode controller takes the crowd-mode parameters, ``strategy``, ``vote_timeout``
        and ``stop_threshold`` (:meth:`kropbot_vote.modes.ModeController.apply`; a ``mode``
        change starts the new mode at once); ``teleop_timeout`` goes to the override.
        """
        now = self._now()
        before = self._controller.mode
        try:
            self._controller.apply(changes, now)
        except ValueError as exc:  # the schema checked the values already: defence in depth
            return str(exc)
        if 'teleop_timeout' in changes:
            self._teleop.timeout = changes['teleop_timeout']
        if 'strategy' in changes:
            self._strategy = changes['strategy']
        for name, value in changes.items():
            self.get_logger().info(f'{name} set to {value!r}')
        if self._controller.mode != before:
            self.get_logger().warning(f'mode {before} -> {self._controller.mode} (set by the '
                                      "operator: parameter 'mode')")
        self._sched.dirty = True  # the command may change: the next tick evaluates
        self._status_due = True
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
