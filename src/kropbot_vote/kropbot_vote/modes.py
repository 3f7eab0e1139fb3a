"""The crowd-mode controller: which mode drives, and what to publish (pure, ROS-free).

One :class:`ModeController` sits between the vote stream and ``cmd_vel``. It receives what the
vote node receives (each vote with its arrival time, withdrawals, mode votes, run-time
parameter changes) and, at every tick, returns the command of the mode in force:

- ``vote`` (default): today's fusion of the live votes by ``strategy`` (mean | median |
  plurality; :meth:`kropbot_vote.fusion.VoteBook.fuse`);
- ``anarchy``: the newest fresh input drives (:class:`kropbot_vote.anarchy.Anarchy`);
- ``democracy``: per-window plurality, executed for the next window
  (:class:`kropbot_vote.democracy.Democracy`);
- ``queue``: one driver at a time (:class:`kropbot_vote.driver_queue.DriverQueue`).

Every vote goes to the :class:`~kropbot_vote.fusion.VoteBook` first (validation, clamping,
capacity, the ``voters`` count and histogram of ``crowd/status`` in every mode); an accepted
vote then goes to the core of the mode in force only, so the per-vote cost is the book's O(1)
``add`` plus one O(1) core update. A mode change (the operator's ``mode`` parameter, or the
crowd switch, :class:`kropbot_vote.mode_switch.ModeSwitch`) starts the new mode afresh: anarchy
stops until the next input, democracy executes ``stop`` for its first window, the queue forms
from the next votes. The live votes of the book survive every change.

An operator can *pause* the crowd (:meth:`ModeController.pause`): every tick then returns
``(0, 0)`` whatever the crowd does; votes, mode votes and the cores' clocks keep running (so
``crowd/status`` keeps showing what the crowd wants, and a queue turn or a democracy window
runs on), and the crowd switch decides nothing until the crowd is resumed. When a sender of
votes is lost (:meth:`ModeController.clear`) every vote, core state and mode vote is dropped.

Time is injected (s, one monotonic clock, never decreasing); nothing here reads a clock.
The operator's ``teleop/cmd_vel`` override stays in the node (:mod:`kropbot_vote.teleop`), on
top of whatever the controller returns (also while the crowd is paused).
"""

from dataclasses import dataclass

from kropbot_vote.anarchy import Anarchy
from kropbot_vote.checks import positive
from kropbot_vote.democracy import Democracy
from kropbot_vote.driver_queue import DriverQueue
from kropbot_vote.fusion import ACCEPTED, STRATEGIES, Fused
from kropbot_vote.mode_switch import ModeSwitch

#: The modes, values of the ``mode`` parameter.
MODES = ('vote', 'anarchy', 'democracy', 'queue')

#: Who set the mode in force: the operator (``mode`` parameter, or the start-up value) or the
#: crowd (mode votes).
SOURCES = ('operator', 'crowd')


@dataclass
class ModeCommand:
    """Result of one :meth:`ModeController.tick`.

    Attributes:
        linear: command linear.x (m/s), within ``[-max_linear, max_linear]``.
        angular: command angular.z (rad/s), within ``[-max_angular, max_angular]``.
        mode: the mode that produced it.
        fused: the vote-mode fusion result (``vote`` mode; computed without the direction
            histogram, see :meth:`ModeController.tick`), else None.
        switched_to: the mode the crowd switch changed to at this tick, else None.
        paused: True while the operator paused the crowd (then the command is zero).

    """

    linear: float
    angular: float
    mode: str
    fused: Fused | None = None
    switched_to: str | None = None
    paused: bool = False


class ModeController:
    """The mode in force, its core, and the crowd switch.

    Args:
        book: the :class:`kropbot_vote.fusion.VoteBook` holding the live votes (limits,
            ``vote_timeout``, ``stop_threshold`` and ``max_voters`` are taken from it).
        now: start time (s).
        mode: initial mode, one of :data:`MODES`.
        strategy: fusion strategy of ``vote`` mode, one of
            :data:`kropbot_vote.fusion.STRATEGIES`.
        democracy_window: democracy window (s), > 0.
        turn_duration: queue turn (s), > 0.
        turn_idle_timeout: queue idle hand-over (s), > 0.
        crowd_switch: let the crowd's mode votes switch anarchy <-> democracy.
        switch_threshold: see :class:`kropbot_vote.mode_switch.ModeSwitch`, in (0.5, 1].
        switch_cooldown: s, >= 0.
        mode_vote_timeout: lifetime of a mode vote (s), > 0.

    Raises:
        ValueError: for an unknown mode or strategy or an out-of-range value.

    Attributes:
        mode: the mode in force (read; change it with :meth:`set_mode`).
        source: who set it (:data:`SOURCES`).
        since: when it started (s).
        core: the mode's core (None in ``vote`` mode).
        switch: the :class:`~kropbot_vote.mode_switch.ModeSwitch`.
        crowd_switch: whether :meth:`tick` consults the switch (may change at any time).
        paused: True while the operator has paused the crowd (:meth:`pause`).
        paused_since: when the pause began (s), None while not paused.

    """

    def __init__(self, book, now, *, mode='vote', strategy='mean', democracy_window=2.0,
                 turn_duration=30.0, turn_idle_timeout=5.0, crowd_switch=False,
                 switch_threshold=0.75, switch_cooldown=30.0, mode_vote_timeout=60.0):
        if mode not in MODES:
            raise ValueError(f'unknown mode {mode!r}, expected one of {MODES}')
        if strategy not in STRATEGIES:
            raise ValueError(f'unknown strategy {strategy!r}, expected one of {STRATEGIES}')
        self.book = book
        self.strategy = strategy
        self.democracy_window = positive('democracy_window', democracy_window)
        self.turn_duration = positive('turn_duration', turn_duration)
        self.turn_idle_timeout = positive('turn_idle_timeout', turn_idle_timeout)
        self.crowd_switch = bool(crowd_switch)
        self.switch = ModeSwitch(switch_threshold, switch_cooldown, mode_vote_timeout, now,
                                 book.max_voters)
        self.mode = mode
        self.source = 'operator'
        self.since = float(now)
        self.core = self._make_core(mode, now)
        self.paused = False
        self.paused_since = None

    @classmethod
    def from_params(cls, book, values, now):
        """Build from validated parameter values (``values``: name -> value).

        ``values`` holds the vote node's ``strategy`` and every mode parameter
        (:data:`kropbot_vote.mode_params.MODE_PARAMETERS`).
        """
        return cls(book, now, mode=values['mode'], strategy=values['strategy'],
                   democracy_window=values['democracy_window'],
                   turn_duration=values['turn_duration'],
                   turn_idle_timeout=values['turn_idle_timeout'],
                   crowd_switch=values['crowd_switch'],
                   switch_threshold=values['switch_threshold'],
                   switch_cooldown=values['switch_cooldown'],
                   mode_vote_timeout=values['mode_vote_timeout'])

    def _make_core(self, mode, now):
        b = self.book
        if mode == 'anarchy':
            return Anarchy(b.vote_timeout, b.max_linear, b.max_angular)
        if mode == 'democracy':
            return Democracy(self.democracy_window, b.max_linear, b.max_angular, now,
                             b.stop_threshold, b.max_voters)
        if mode == 'queue':
            return DriverQueue(self.turn_duration, self.turn_idle_timeout, b.vote_timeout,
                               b.max_linear, b.max_angular, b.stop_threshold, b.max_voters)
        return None

    # --- the stream -----------------------------------------------------------------------

    def add_vote(self, voter_id, linear, angular, now):
        """Take one crowd vote (m/s, rad/s) that arrived at ``now`` (s). O(1).

        Returns the book's result (:data:`kropbot_vote.fusion.ACCEPTED` or the rejection
        reason, counted there); only an accepted vote reaches the mode's core.
        """
        reason = self.book.add(voter_id, linear, angular, now)
        if reason == ACCEPTED and self.core is not None:
            self.core.add(voter_id, linear, angular, now)
        return reason

    def withdraw(self, voter_id, now):
        """End a voter's (or a ``<scope>/*`` pattern's) vote, core state and mode vote now.

        Returns how many live votes the book removed.
        """
        removed = self.book.withdraw(voter_id)
        if self.core is not None:
            self.core.withdraw(voter_id, now)
        self.switch.withdraw(voter_id, now)
        return removed

    def mode_vote(self, voter_id, mode, now):
        """Take one mode vote (``'anarchy'``, ``'democracy'`` or ``''`` to withdraw).

        Counted whether or not ``crowd_switch`` is on (it only decides while on). Returns
        :data:`kropbot_vote.mode_switch.ACCEPTED` or the rejection reason.
        """
        return self.switch.vote(voter_id, mode, now)

    # --- mode changes ---------------------------------------------------------------------

    def set_mode(self, mode, now, source='operator'):
        """Put ``mode`` in force at ``now`` (s); return True if it changed.

        Setting the mode in force again changes nothing (its state and the cool-down stay).
        Any change starts the switch's cool-down.

        Raises:
            ValueError: for an unknown mode or source.

        """
        if mode not in MODES:
            raise ValueError(f'unknown mode {mode!r}, expected one of {MODES}')
        if source not in SOURCES:
            raise ValueError(f'unknown source {source!r}, expected one of {SOURCES}')
        if mode == self.mode:
            return False
        self.mode, self.source, self.since = mode, source, float(now)
        self.core = self._make_core(mode, now)
        self.switch.switched(now)
        return True

    def pause(self, paused, now):
        """Pause (``paused`` True) or resume the crowd at ``now`` (s); return True if changed.

        While paused every :meth:`tick` returns ``(0, 0)`` and the crowd switch decides nothing;
        votes are still taken (the status shows them) and the mode's core keeps its clock (a
        queue turn or a democracy window runs on). Resuming changes nothing else: the mode in
        force drives again from the next tick.
        """
        paused = bool(paused)
        if paused == self.paused:
            return False
        self.paused = paused
        self.paused_since = float(now) if paused else None
        return True

    def clear(self, now):
        """Drop every vote, the core's state and every mode vote at ``now`` (s).

        For the loss of a sender of votes (:mod:`kropbot_common.liveliness`): the node cannot
        tell which votes it sent, so nothing the crowd sent may keep driving. The mode stays in
        force and starts afresh (as after a mode change, without counting as one). Returns how
        many live votes the book removed.
        """
        removed = self.book.clear()
        if self.core is not None:
            self.core = self._make_core(self.mode, now)
        self.switch.clear()
        return removed

    def apply(self, changes, now):
        """Apply validated run-time parameter changes ``{name: value}`` at ``now`` (s).

        Knows the mode parameters (:data:`kropbot_vote.mode_params.MODE_PARAMETERS`) and the
        vote node's ``strategy``, ``vote_timeout`` and ``stop_threshold`` (applied to the book
        and the core); ignores other names. ``mode`` goes through :meth:`set_mode`; a window,
        turn or timeout change applies to the running window/turn at once.
        """
        core = self.core
        for name, value in changes.items():
            if name == 'mode':
                self.set_mode(value, now)
                core = self.core
            elif name == 'strategy':
                if value not in STRATEGIES:
                    raise ValueError(f'unknown strategy {value!r}')
                self.strategy = value
            elif name == 'vote_timeout':
                self.book.vote_timeout = value
                if isinstance(core, (Anarchy, DriverQueue)):
                    core.vote_timeout = value
            elif name == 'stop_threshold':
                self.book.stop_threshold = value
                if isinstance(core, (Democracy, DriverQueue)):
                    core.stop_threshold = value
            elif name == 'democracy_window':
                self.democracy_window = positive(name, value)
                if isinstance(core, Democracy):
                    core.window = self.democracy_window
            elif name == 'turn_duration':
                self.turn_duration = positive(name, value)
                if isinstance(core, DriverQueue):
                    core.turn_duration = self.turn_duration
            elif name == 'turn_idle_timeout':
                self.turn_idle_timeout = positive(name, value)
                if isinstance(core, DriverQueue):
                    core.idle_timeout = self.turn_idle_timeout
            elif name == 'crowd_switch':
                self.crowd_switch = bool(value)
            elif name == 'switch_threshold':
                if not 0.5 < value <= 1.0:
                    raise ValueError(f'switch_threshold must be in (0.5, 1], got {value}')
                self.switch.threshold = float(value)
            elif name == 'switch_cooldown':
                self.switch.cooldown = float(value)
            elif name == 'mode_vote_timeout':
                self.switch.vote_timeout = positive(name, value)

    # --- output ---------------------------------------------------------------------------

    def tick(self, now):
        """Return the :class:`ModeCommand` to publish at ``now`` (s).

        With ``crowd_switch`` on (and the crowd not paused), the switch is consulted first (it
        may change the mode, with ``source = 'crowd'``). The command is within the limits
        (every core clamps); ``(0, 0)`` while paused. This is the fast ``cmd_vel`` path: in
        ``vote`` mode the fusion skips the direction histogram where the strategy does not
        need it (:meth:`kropbot_vote.fusion.VoteBook.fuse`, ``histogram=False``);
        :meth:`crowd_summary` computes it for ``crowd/status``.
        """
        if self.paused:
            if self.core is not None:
                self.core.command(now)  # keeps the core's clock (windows, turns) running
            return ModeCommand(0.0, 0.0, self.mode, None, None, True)
        switched_to = None
        if self.crowd_switch:
            new = self.switch.decide(self.mode, now)
            if new is not None:
                self.set_mode(new, now, source='crowd')
                switched_to = new
        if self.core is None:
            fused = self.book.fuse(now, self.strategy, histogram=False)
            return ModeCommand(fused.linear, fused.angular, self.mode, fused, switched_to)
        linear, angular = self.core.command(now)
        return ModeCommand(linear, angular, self.mode, None, switched_to)

    @property
    def timed(self):
        """True when the command changes with time alone (a core is in force).

        Anarchy inputs expire, democracy windows close and queue turns end without any new
        input: the node then evaluates on every fast tick (each tick costs a few us there).
        """
        return self.core is not None

    def crowd_summary(self, now):
        """Return the :class:`~kropbot_vote.fusion.Fused` for ``crowd/status``'s contract keys.

        The full fusion of the live votes at ``now`` (with the direction histogram): by
        ``strategy`` in ``vote`` mode; in the other modes the live votes' count and histogram
        (``winner`` None: no strategy decides there).
        """
        return self.book.fuse(now, self.strategy if self.core is None else 'mean')
