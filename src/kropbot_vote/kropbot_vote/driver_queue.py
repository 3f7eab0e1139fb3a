"""Queue mode: one driver at a time, in arrival order (pure, ROS-free, clock injected).

As LetsRobot/RemoTV's driver queue: a voter joins the queue by voting (any accepted vote,
``stop`` included); the first in line becomes the *driver* and its fresh vote is the command,
for at most ``turn_duration`` seconds. Everybody else is ignored (their latest vote is kept, so
a voter holding a control when its turn starts drives at once). A turn ends, and the next voter
in line drives at once:

- when ``turn_duration`` has passed since it began (``duration``);
- when the driver has released everything for ``idle_timeout`` seconds (``idle``): released
  means its latest vote bins as ``stop`` (:func:`kropbot_vote.bins.direction_bins`; the page
  sends one on release) since that vote arrived, or its latest non-stop vote has expired
  (``vote_timeout``) since the expiry; a new driver is idle from the start of its turn until it
  votes (it gets ``idle_timeout`` to react);
- when the driver is withdrawn (its connection closed; :mod:`kropbot_common.withdrawal`):
  ``withdrawn``, at the withdrawal itself.

A turn's end is checked on every call (vote, withdrawal, tick), so the driver's vote is never
published at or after its turn's end, and the next driver's vote is published from the next
tick (``rate`` Hz: 0.1 s by default). A voter whose turn ended leaves the queue; voting again
joins at the back. No driver: the command is ``stop``.

Ordering: waiting voters are kept in an insertion-ordered dict (FIFO); joining, a waiting
voter's re-vote, leaving and promotion are O(1); a ``<scope>/*`` withdrawal is O(queue).
Privacy: the status lists voters by token (:func:`kropbot_common.voter_token.voter_token`,
computed once when a voter joins), never by id.
"""

import math

from kropbot_common.directions import STOP
from kropbot_common.freshness import is_fresh
from kropbot_common.voter_token import voter_token

from kropbot_vote.bins import clamp_command, direction_bins
from kropbot_vote.checks import capacity, positive
from kropbot_vote.voters import withdrawn

#: Waiting voters listed by token in the status (the first ones in line); the others are
#: counted in ``length``. 100 turns of the default 30 s are 50 minutes of waiting.
QUEUE_LIST_MAX = 100

#: Reasons a turn ends (keys of :attr:`DriverQueue.handovers`).
HANDOVER_REASONS = ('duration', 'idle', 'withdrawn')


class DriverQueue:
    """The one-driver-at-a-time core.

    Args:
        turn_duration: longest turn (s), > 0 (attribute; a change applies to the current turn).
        idle_timeout: a driver released this long loses the turn (s), > 0 (attribute).
        vote_timeout: a vote is fresh while ``now - arrival < vote_timeout`` (s), > 0
            (attribute).
        max_linear: linear limit (m/s), > 0.
        max_angular: angular limit (rad/s), > 0.
        stop_threshold: normalised magnitude below which a vote bins as ``stop`` (attribute).
        max_voters: voters in the queue (driver included) at most, >= 1; a new voter beyond it
            is not queued (counted in :attr:`dropped`).

    Raises:
        ValueError: if an argument is out of range.

    Attributes:
        turns: turns started so far.
        handovers: dict reason -> turns ended for that reason (:data:`HANDOVER_REASONS`).
        dropped: votes of new voters refused because the queue was full.

    """

    def __init__(self, turn_duration, idle_timeout, vote_timeout, max_linear, max_angular,
                 stop_threshold=0.2, max_voters=10000):
        self.turn_duration = positive('turn_duration', turn_duration)
        self.idle_timeout = positive('idle_timeout', idle_timeout)
        self.vote_timeout = positive('vote_timeout', vote_timeout)
        self.max_linear = positive('max_linear', max_linear)
        self.max_angular = positive('max_angular', max_angular)
        self.max_voters = capacity('max_voters', max_voters)
        self.stop_threshold = float(stop_threshold)
        self._waiting = {}  # voter -> [token, linear, angular, arrival]; order = FIFO
        self._driver = None
        self._driver_token = None
        self._turn_start = None
        self._last = None  # the driver's latest vote (linear, angular, arrival) or None
        self._release_key = self._release = None
        self.turns = 0
        self.handovers = dict.fromkeys(HANDOVER_REASONS, 0)
        self.dropped = 0

    def __len__(self):
        """Return the number of voters in the queue, the driver included."""
        return len(self._waiting) + (self._driver is not None)

    @property
    def driver(self):
        """Return the driver's voter id, or None."""
        return self._driver

    @property
    def turn_start(self):
        """Return the start time (s) of the current turn, or None without a driver."""
        return self._turn_start

    def waiting(self):
        """Return the waiting voter ids in line order (a new list; O(queue))."""
        return list(self._waiting)

    # --- turn bookkeeping ----------------------------------------------------------------

    def _idle_since(self):
        """Return the time (s) from which the driver counts as released (may be future).

        Cached per (driver's latest vote, stop_threshold, vote_timeout): binning runs once
        per driver vote, not on every call.
        """
        key = (self._last, self.stop_threshold, self.vote_timeout)
        if key != self._release_key:
            release = -math.inf
            if self._last is not None:
                linear, angular, arrival = self._last
                is_stop = int(direction_bins(linear, angular, self.max_linear,
                                             self.max_angular, self.stop_threshold)) == STOP
                release = arrival if is_stop else arrival + self.vote_timeout
            self._release_key, self._release = key, release
        return max(self._turn_start, self._release)

    def _next(self, now, reason=None):
        """End the current turn (if any) for ``reason`` and start the next one at ``now``."""
        if self._driver is not None:
            self.handovers[reason] += 1
        self._driver = self._driver_token = self._turn_start = self._last = None
        if self._waiting:
            voter = next(iter(self._waiting))
            token, linear, angular, arrival = self._waiting.pop(voter)
            self._driver, self._driver_token, self._turn_start = voter, token, now
            self._last = (linear, angular, arrival)
            self.turns += 1

    def _update(self, now):
        """End the turn if its time is up or its driver idle at ``now`` (s)."""
        if self._driver is None:
            return
        if now - self._turn_start >= self.turn_duration:  # checked first: cheapest
            self._next(now, 'duration')
        elif now - self._idle_since() >= self.idle_timeout:
            self._next(now, 'idle')

    # --- the vote stream -----------------------------------------------------------------

    def add(self, voter_id, linear, angular, now):
        """Take ``voter_id``'s vote (m/s, rad/s) arriving at ``now`` (s). O(1).

        The driver's vote becomes the command; anybody else's joins the queue (at the back) or
        refreshes its kept vote. Returns False (and changes nothing) for a non-finite vote or
        a new voter while the queue is full.
        """
        self._update(now)
        clamped = clamp_command(linear, angular, self.max_linear, self.max_angular)
        if clamped is None:
            return False
        if voter_id == self._driver:
            self._last = (clamped[0], clamped[1], now)
            return True
        entry = self._waiting.get(voter_id)
        if entry is None:
            if len(self) >= self.max_voters:
                self.dropped += 1
                return False
            self._waiting[voter_id] = [voter_token(voter_id), clamped[0], clamped[1], now]
            if self._driver is None:
                self._next(now)  # nobody drives: the newcomer starts at once
        else:
            entry[1], entry[2], entry[3] = clamped[0], clamped[1], now
        return True

    def withdraw(self, voter_id, now):
        """Remove a voter (or a ``<scope>/*`` pattern's voters) from the queue at ``now`` (s).

        A withdrawn driver loses the turn at once and the next in line starts it. Returns how
        many voters were removed.
        """
        self._update(now)
        ids = withdrawn(voter_id, self._waiting)
        for vid in ids:
            del self._waiting[vid]
        if self._driver is not None and withdrawn(voter_id, (self._driver,)):
            ids.append(self._driver)
            self._next(now, 'withdrawn')
        return len(ids)

    def command(self, now):
        """Return ``(linear, angular)`` to publish at ``now`` (s).

        The driver's latest vote while fresh, else ``(0.0, 0.0)``; ``(0.0, 0.0)`` without a
        driver. Ends an expired turn first. Within the limits by construction.
        """
        self._update(now)
        last = self._last
        if last is None or not is_fresh(last[2], now, self.vote_timeout):
            return 0.0, 0.0
        return last[0], last[1]

    def status(self, now, listed=QUEUE_LIST_MAX):
        """Return the ``queue`` object of ``crowd/status`` at ``now`` (s).

        Keys: ``turn_duration`` and ``idle_timeout`` (s); ``driver`` (the driver's token or
        None); ``turn_left`` (s until the turn ends by ``turn_duration``, None without a
        driver); ``idle_left`` (s until the released driver loses the turn, None while it
        holds a control or without a driver); ``length`` (voters waiting, driver excluded);
        ``waiting`` (tokens of the first ``listed`` waiting voters, in line order: position
        ``i + 1``). A client finds its own token there; the longest it waits is
        ``min(turn_left, idle_left) + (position - 1) * turn_duration``.
        """
        self._update(now)
        out = {'turn_duration': self.turn_duration, 'idle_timeout': self.idle_timeout,
               'driver': self._driver_token, 'turn_left': None, 'idle_left': None,
               'length': len(self._waiting), 'waiting': []}
        if self._driver is not None:
            out['turn_left'] = max(0.0, self._turn_start + self.turn_duration - now)
            idle_since = self._idle_since()
            if idle_since <= now:
                out['idle_left'] = max(0.0, idle_since + self.idle_timeout - now)
        tokens = out['waiting']
        for entry in self._waiting.values():
            if len(tokens) >= listed:
                break
            tokens.append(entry[0])
        return out
