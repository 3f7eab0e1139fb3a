"""When the vote node evaluates and publishes ``cmd_vel``: the fast loop (pure, clock injected).

A gamepad needs a fast loop: waiting for a fixed 10 Hz tick costs up to 100 ms per command.
:class:`PublishScheduler` decides instead, from the node's inputs and a fast timer, when to
*evaluate* (fuse the crowd or take the operator's command), and the node publishes what it
evaluated when the command changed or a heartbeat is due:

* an operator command (``teleop/cmd_vel``) that changes the command is evaluated at once, at
  most every ``min_interval`` (the operator's own cap on changes); an unchanged one (the
  desktop client repeats its command every 0.1 s to keep the override fresh) only marks the
  book dirty, so it never uses up the cap of the change that follows it;
* a crowd vote is evaluated at once if the last input-driven evaluation is at least
  ``min_interval`` old; otherwise it only marks the book *dirty*, and the next timer tick
  evaluates it. At 1,000 voters x 2 Hz, votes arrive every 0.5 ms: fusing per vote would cost
  a fusion per vote, this costs at most one per ``min_interval`` (50 Hz by default) whatever
  the crowd size;
* the timer ticks every ``min_interval``; a tick evaluates when something is dirty, or when the
  heartbeat is due: ``cmd_vel`` is re-published at the fixed ``heartbeat`` period when nothing
  changes (the driver's ``cmd_vel_timeout`` needs it), with half a tick of tolerance for timer
  jitter. A heartbeat-only evaluation does not count against the crowd's cap.

Bounds (tested in test/test_schedule.py): every input is evaluated within ``min_interval`` of
its arrival (plus the timer's lateness); a sustained crowd is evaluated ``1 / min_interval``
times per second (votes then always find a recent evaluation and wait for the tick), plus the
heartbeat; at worst, with sparse input, one input-triggered and one tick evaluation share a
tick period; an idle node publishes every ``heartbeat``.
"""

import math


class PublishScheduler:
    """Decide when to evaluate and publish ``cmd_vel``.

    Args:
        min_interval: the rate cap: least time between two evaluations of crowd input (s),
            also the period of the node's fast timer; > 0.
        heartbeat: publish at least this often when nothing changes (s); >= ``min_interval``.

    Raises:
        ValueError: for a non-positive ``min_interval`` or a ``heartbeat`` below it.

    Attributes:
        dirty: True while input arrived that no evaluation has seen yet.

    """

    def __init__(self, min_interval, heartbeat):
        if not (math.isfinite(min_interval) and min_interval > 0):
            raise ValueError(f'min_interval must be > 0, got {min_interval}')
        if not heartbeat >= min_interval:
            raise ValueError(f'heartbeat ({heartbeat} s) must be >= min_interval '
                             f'({min_interval} s)')
        self.min_interval = float(min_interval)
        self.heartbeat = float(heartbeat)
        self.dirty = False
        self._last_eval = -math.inf
        self._last_publish = -math.inf
        self._last_operator = -math.inf

    def on_input(self, now, operator=False, changed=True):
        """Record input at ``now`` (s): a vote or withdrawal, or an operator command.

        Args:
            now: arrival time (s).
            operator: True for an operator command (its own cap).
            changed: for an operator command, whether it differs from the command being
                published (the node knows; only changes are evaluated at once).

        Returns:
            True if the node should evaluate now (then call :meth:`evaluated`); False if the
            input waits for a timer tick.

        """
        self.dirty = True
        if operator:
            if changed and now - self._last_operator >= self.min_interval:
                self._last_operator = now
                return True
            return False
        return now - self._last_eval >= self.min_interval

    def on_tick(self, now):
        """Return True if a timer tick at ``now`` (s) should evaluate (then :meth:`evaluated`)."""
        return self.dirty or self.heartbeat_due(now)

    def heartbeat_due(self, now):
        """Return True if the last publication is a heartbeat period old (half a tick early)."""
        return now - self._last_publish >= self.heartbeat - 0.5 * self.min_interval

    def evaluated(self, now, published):
        """Record an evaluation at ``now`` (s) and whether it was ``published``.

        Only an evaluation of new input (the book was dirty) counts against the crowd's cap;
        a heartbeat-only one does not.
        """
        if self.dirty:
            self._last_eval = now
        self.dirty = False
        if published:
            self._last_publish = now
