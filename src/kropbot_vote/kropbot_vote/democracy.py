"""Democracy mode: votes tallied per window, the winner executed for the next window.

Pure, ROS-free, clock injected. As Twitch Plays Pokémon's "democracy": time is cut into
windows of ``window`` seconds starting when the mode starts; during a window each voter's latest
vote is binned into the 8 directions + stop (:func:`kropbot_vote.bins.direction_bins`, the
``crowd/status`` histogram bins), so each voter counts once per window whatever its vote rate.
When the window closes, the bin with the most votes wins (a tie for the most votes, or no votes,
gives ``stop``), and the robot executes the winner's **canonical command**
(:func:`kropbot_vote.bins.canonical_command`: the page's button for that direction) for the
whole next window. The first window of the mode executes ``stop``.

Why the canonical command rather than the mean of the winning bin's votes: the crowd voted for
a *direction*, and the page shows the tally by direction; executing that direction's button
makes the result exactly what the tally announced, the same for every window, and leaves a
voter in the winning bin no way to drag the speed (a bin spans 45 degrees and every magnitude
above ``stop_threshold``). Slow, careful driving is what ``vote`` mode (mean/median) is for.

Windows are aligned to the mode's start: window ``k`` is ``[t0 + k*window, t0 + (k+1)*window)``
(a vote arriving exactly at a boundary belongs to the new window). A vote or a tick that comes
after a boundary first closes the window, so a vote is always counted in the window of its
arrival time. If a whole window passes without any call, that window had no votes and the one
after it executes ``stop``.

Storage: a :class:`~kropbot_vote.voters.VoterSlots` (preallocated numpy columns, voter -> slot;
a vote is O(1); closing a window is one vectorised binning of the window's votes plus a reset
of the slots, O(voters in the window)).
"""

import math

from kropbot_common.directions import DIRECTIONS, HISTOGRAM_KEYS, STOP
import numpy as np

from kropbot_vote.bins import canonical_command, clamp_command, direction_bins
from kropbot_vote.checks import capacity, positive
from kropbot_vote.voters import VoterSlots, withdrawn

#: Index into the bin counts of each histogram key (histogram order differs from bin order).
_HISTOGRAM_BINS = tuple(DIRECTIONS.index(key) for key in HISTOGRAM_KEYS)


def plurality_winner(counts):
    """Return the winning direction name of per-bin ``counts`` (indexed like DIRECTIONS).

    The bin with the most votes; ``'stop'`` if no votes, if the most votes are tied between
    two or more bins, or if ``stop`` has the most.
    """
    counts = np.asarray(counts)
    best = int(np.argmax(counts))
    if counts[best] == 0 or np.count_nonzero(counts == counts[best]) > 1:
        return DIRECTIONS[STOP]
    return DIRECTIONS[best]


class Democracy:
    """The windowed-tally core.

    Args:
        window: window length (s), > 0; may be changed at any time (attribute ``window``):
            the current window then ends ``window`` after its start.
        max_linear: linear limit (m/s), > 0.
        max_angular: angular limit (rad/s), > 0.
        now: start of the first window (s).
        stop_threshold: normalised magnitude below which a vote bins as ``stop``
            (attribute, may change at any time).
        max_voters: distinct voters counted per window at most, >= 1 (others are ignored and
            counted in :attr:`dropped`).

    Raises:
        ValueError: if an argument is out of range.

    Attributes:
        decisions: windows closed so far.
        dropped: votes ignored because the window already counted ``max_voters`` voters.

    """

    def __init__(self, window, max_linear, max_angular, now, stop_threshold=0.2,
                 max_voters=10000):
        self.window = positive('window', window)
        self.max_linear = positive('max_linear', max_linear)
        self.max_angular = positive('max_angular', max_angular)
        self.stop_threshold = float(stop_threshold)
        self._slots = VoterSlots(capacity('max_voters', max_voters), linear=float, angular=float)
        self._linear, self._angular = self._slots.columns['linear'], self._slots.columns['angular']
        self._start = float(now)
        self._executing = DIRECTIONS[STOP]
        self.decisions = 0
        self.dropped = 0

    def __len__(self):
        """Return the number of voters counted in the current window."""
        return self._slots.n

    @property
    def max_voters(self):
        """Distinct voters counted per window at most."""
        return self._slots.capacity

    def _roll(self, now):
        """Close the current window if ``now`` (s) is past its end. O(votes in the window)."""
        end = self._start + self.window
        if now < end:
            return
        winner = plurality_winner(self._counts())
        skipped = max(1, math.floor((now - self._start) / self.window))
        start = self._start + skipped * self.window
        while start > now:  # floating-point guards: the new window must contain now
            skipped -= 1
            start -= self.window
        while start + self.window <= now:
            skipped += 1
            start += self.window
        self._start = start
        # The winner executes during the window right after the closed one; if that one has
        # passed too, it had no votes, and its (empty) tally decides the current window.
        self._executing = winner if skipped == 1 else DIRECTIONS[STOP]
        self.decisions += skipped
        self._slots.clear()

    def add(self, voter_id, linear, angular, now):
        """Count ``voter_id``'s vote (m/s, rad/s) arriving at ``now`` (s). O(1) amortised.

        A later vote of the same voter in the same window replaces the earlier one. Returns
        False for a non-finite vote or a new voter beyond ``max_voters`` (ignored).
        """
        self._roll(now)
        clamped = clamp_command(linear, angular, self.max_linear, self.max_angular)
        if clamped is None:
            return False
        slot = self._slots.slot.get(voter_id)
        if slot is None:
            slot = self._slots.add(voter_id)
            if slot is None:
                self.dropped += 1
                return False
        self._linear[slot] = clamped[0]
        self._angular[slot] = clamped[1]
        return True

    def withdraw(self, voter_id, now):
        """Remove a voter's vote (or a ``<scope>/*`` pattern's) from the current window.

        The command being executed (decided by the previous window) is not changed. Returns
        how many votes were removed.
        """
        self._roll(now)
        ids = withdrawn(voter_id, self._slots.slot)
        for vid in ids:
            self._slots.remove(vid)
        return len(ids)

    def _counts(self):
        """Return the current window's votes per bin (numpy array indexed like DIRECTIONS)."""
        n = self._slots.n
        if n == 0:
            return np.zeros(len(DIRECTIONS), dtype=np.int64)
        bins = direction_bins(self._linear[:n], self._angular[:n], self.max_linear,
                              self.max_angular, self.stop_threshold)
        return np.bincount(bins, minlength=len(DIRECTIONS))

    def command(self, now):
        """Return ``(linear, angular)`` to publish at ``now`` (s): the executing direction's.

        Closes the window first if it has ended. Within the limits by construction.
        """
        self._roll(now)
        return canonical_command(self._executing, self.max_linear, self.max_angular)

    def tally(self, now):
        """Return the current window's running tally ``{histogram key: votes}`` at ``now``."""
        self._roll(now)
        counts = self._counts()
        return {key: int(counts[i]) for key, i in zip(HISTOGRAM_KEYS, _HISTOGRAM_BINS)}

    def status(self, now):
        """Return the ``democracy`` object of ``crowd/status`` at ``now`` (s).

        Keys: ``window`` (s), ``time_left`` (s until the current window closes and its
        ``leading`` direction starts executing), ``tally`` (votes per histogram key in the
        current window), ``votes`` (voters counted so far in it), ``leading`` (the direction
        that would win if the window closed now; ``stop`` on a tie or no votes), ``executing``
        (the direction being executed now, decided by the previous window).
        """
        self._roll(now)
        counts = self._counts()
        return {
            'window': self.window,
            'time_left': max(0.0, self._start + self.window - now),
            'tally': {key: int(counts[i]) for key, i in zip(HISTOGRAM_KEYS, _HISTOGRAM_BINS)},
            'votes': self._slots.n,
            'leading': plurality_winner(counts),
            'executing': self._executing,
        }
