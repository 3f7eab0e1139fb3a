"""Crowd vote fusion: the vote book and its fusion strategies (pure, ROS-free).

Each crowd member (voter) holds at most one live vote, a requested ``(linear, angular)``
command in m/s and rad/s (REP 103: ``linear.x`` forward, ``angular.z`` counter-clockwise).
A :class:`VoteBook` stores the votes in preallocated numpy arrays so that one fusion tick is a
handful of vectorised operations, whatever the crowd size; adding a vote is O(1).

Time is always injected by the caller (seconds, float, from a monotonic clock) and never read
here, so the module is deterministic and testable. Vote geometry (direction bins, clamping) is
in :mod:`kropbot_vote.bins`, the operator override in :mod:`kropbot_vote.teleop`, the
``crowd/status`` object in :mod:`kropbot_vote.status`.

Contract: the KropBot architecture's "Vote fusion" (see the package README); the 3 s vote
lifetime and the 8 directions + stop histogram come from the original KropBot
(``INSTRUCTION_DURATION`` and ``total_counts``).
"""

from dataclasses import dataclass, field

from kropbot_common.directions import DIRECTIONS, HISTOGRAM_KEYS, STOP
from kropbot_common.freshness import is_fresh
import numpy as np

from kropbot_vote.bins import clamp_command, direction_bins
from kropbot_vote.checks import capacity, non_negative, positive
from kropbot_vote.voters import VoterSlots, withdrawn

#: Fusion strategies accepted by :meth:`VoteBook.fuse` and the ``strategy`` parameter.
STRATEGIES = ('mean', 'median', 'plurality')

#: Result of :meth:`VoteBook.add`: the vote was stored (new voter or replacement).
ACCEPTED = 'accepted'
#: Result of :meth:`VoteBook.add`: ``linear`` or ``angular`` was NaN or infinite.
NON_FINITE = 'non_finite'
#: Result of :meth:`VoteBook.add`: the voter id was empty.
NO_VOTER_ID = 'no_voter_id'
#: Result of :meth:`VoteBook.add`: a new voter arrived while ``max_voters`` live voters are held.
OVER_CAPACITY = 'over_capacity'
#: All rejection reasons, the keys of :attr:`VoteBook.rejected`.
REJECTIONS = (NON_FINITE, NO_VOTER_ID, OVER_CAPACITY)

#: Voter ids whose last ``/`` component starts with this are labelled bots (the gateway gives
#: authenticated bots such ids; relay gateways prefix ids with ``<scope>/``).
BOT_PREFIX = 'bot-'

#: Index into the bin counts of each histogram key (histogram order differs from bin order).
_HISTOGRAM_BINS = tuple(DIRECTIONS.index(key) for key in HISTOGRAM_KEYS)


def is_bot(voter_id):
    """Return True if ``voter_id`` (``'bot-...'`` or ``'<scope>/bot-...'``) names a bot."""
    return voter_id.rpartition('/')[2].startswith(BOT_PREFIX)


def _order_free_mean(values):
    """Mean of a 1-D array that is bit-identical for every ordering of the same values.

    The values are sorted before summation (floating-point addition is not associative), and
    the result is kept within ``[min, max]`` so that identical values give exactly that value
    and the mean of values within limits stays within the limits.
    """
    s = np.sort(values)
    return float(min(max(s.sum() / s.size, s[0]), s[-1]))


@dataclass
class Fused:
    """Result of one fusion tick (:meth:`VoteBook.fuse`).

    Attributes:
        linear: fused linear.x (m/s), within ``[-max_linear, max_linear]``.
        angular: fused angular.z (rad/s), within ``[-max_angular, max_angular]``.
        voters: number of live votes that took part (people and bots).
        bots: how many of ``voters`` are labelled bots (:func:`is_bot`).
        histogram: live votes per direction bin, keys :data:`HISTOGRAM_KEYS`; sums to ``voters``
            (all zero when the fusion was asked for no histogram).
        winner: for ``plurality`` the winning bin name (``'stop'`` on a tie or no voters);
            None for the other strategies.

    """

    linear: float = 0.0
    angular: float = 0.0
    voters: int = 0
    bots: int = 0
    histogram: dict = field(default_factory=lambda: dict.fromkeys(HISTOGRAM_KEYS, 0))
    winner: str | None = None


class VoteBook:
    """The live votes of a crowd, one per voter, in preallocated numpy arrays.

    Storage: a :class:`~kropbot_vote.voters.VoterSlots` with the columns ``linear``, ``angular``,
    ``arrival`` and ``bot`` (slots ``0 .. n-1`` in use, dense: removing a slot moves the last one
    into it; a dict maps voter id -> slot). Votes are
    clamped to the limits when added, so fusion works on clamped values only.

    Expiry: a vote that arrived at ``t`` is live while ``now - t < vote_timeout``; at exactly
    ``now - t == vote_timeout`` it has expired (contract: "expires vote_timeout after arrival";
    the shared rule :func:`kropbot_common.freshness.is_fresh`).
    :meth:`fuse` ignores expired votes without removing them (constant-cost tick); they are
    removed by :meth:`purge`, which :meth:`add` calls when the book is full, so a stale voter
    never blocks a new one.

    Args:
        max_voters: capacity (live voters kept at most), >= 1. A new voter beyond it is
            rejected; existing voters are never evicted, so nobody can push others out.
        vote_timeout: vote lifetime after arrival (s), > 0.
        max_linear: linear limit (m/s), > 0.
        max_angular: angular limit (rad/s), > 0.
        stop_threshold: normalised magnitude below which a vote bins as ``stop``
            (see :func:`direction_bins`).

    Raises:
        ValueError: if an argument is out of range.

    Attributes:
        vote_timeout: may be changed at any time (s); applies to every stored vote.
        stop_threshold: may be changed at any time; applies from the next :meth:`fuse`.
        accepted: count of accepted votes since construction (a throughput counter).
        rejected: dict reason -> count of rejected votes (keys :data:`REJECTIONS`).
        clamped: count of accepted votes that were outside the limits and clamped.
        withdrawn: count of votes removed before expiry by :meth:`withdraw` or :meth:`clear`.

    """

    def __init__(self, max_voters, vote_timeout, max_linear, max_angular, stop_threshold=0.2):
        max_voters = capacity('max_voters', max_voters)
        self.vote_timeout = positive('vote_timeout', vote_timeout)
        self.max_linear = positive('max_linear', max_linear)
        self.max_angular = positive('max_angular', max_angular)
        self.stop_threshold = non_negative('stop_threshold', stop_threshold)
        self._slots = VoterSlots(max_voters, linear=float, angular=float, arrival=float,
                                 bot=bool)
        columns = self._slots.columns
        self._linear, self._angular = columns['linear'], columns['angular']
        self._arrival, self._bot = columns['arrival'], columns['bot']
        self.accepted = 0
        self.rejected = dict.fromkeys(REJECTIONS, 0)
        self.clamped = 0
        self.withdrawn = 0

    def __len__(self):
        """Return the number of stored votes, expired ones not yet purged included."""
        return self._slots.n

    @property
    def max_voters(self):
        """Capacity: live voters kept at most."""
        return self._slots.capacity

    def add(self, voter_id, linear, angular, now):
        """Store ``voter_id``'s vote, replacing any older vote of the same voter. O(1).

        Args:
            voter_id: str, non-empty.
            linear: requested linear.x (m/s); clamped to ``max_linear``.
            angular: requested angular.z (rad/s); clamped to ``max_angular``.
            now: arrival time (s, monotonic clock); the vote expires at ``now + vote_timeout``.

        Returns:
            :data:`ACCEPTED`, or the rejection reason (:data:`NON_FINITE`, :data:`NO_VOTER_ID`,
            :data:`OVER_CAPACITY`), which is also counted in :attr:`rejected`. A rejected vote
            changes nothing else (the voter's previous vote, if any, stays).

        """
        if not voter_id:
            self.rejected[NO_VOTER_ID] += 1
            return NO_VOTER_ID
        clamped = clamp_command(linear, angular, self.max_linear, self.max_angular)
        if clamped is None:
            self.rejected[NON_FINITE] += 1
            return NON_FINITE
        slots = self._slots
        slot = slots.slot.get(voter_id)
        if slot is None:
            slot = slots.add(voter_id)
            if slot is None:  # full: make room from the expired votes, if any
                self.purge(now)
                slot = slots.add(voter_id)
            if slot is None:
                self.rejected[OVER_CAPACITY] += 1
                return OVER_CAPACITY
            self._bot[slot] = is_bot(voter_id)
        self._linear[slot], self._angular[slot], was_clamped = clamped
        self._arrival[slot] = now
        self.clamped += was_clamped
        self.accepted += 1
        return ACCEPTED

    def purge(self, now):
        """Remove the votes expired at ``now`` (s); return how many were removed.

        Cost is O(number removed) plus one vectorised scan, so each vote is paid for once.
        """
        slots = self._slots
        expired = np.flatnonzero(~is_fresh(self._arrival[:slots.n], now, self.vote_timeout))
        for slot in expired[::-1].tolist():  # descending: the moved last slot is always live
            slots.remove(slots.ids[slot])
        return expired.size

    def live(self, now):
        """Return ``(linear, angular)`` arrays (copies) of the votes live at ``now`` (s)."""
        n = self._slots.n
        mask = is_fresh(self._arrival[:n], now, self.vote_timeout)
        return self._linear[:n][mask], self._angular[:n][mask]

    def fuse(self, now, strategy='mean', histogram=True):
        """Fuse the votes live at ``now`` (s) into one command.

        Strategies (all on votes already clamped to the limits; no live votes -> zero):

        - ``mean``: ``v = (1/N) sum v_i``, ``w = (1/N) sum w_i``. Unlike KropBot's vector sum,
          the speed does not grow with the crowd size.
        - ``median``: component-wise, ``v = median(v_i)``, ``w = median(w_i)`` (the mean of the
          two middle values for even N); a minority of griefers cannot move it far.
        - ``plurality``: the votes are binned (:func:`direction_bins`); the bin with the most
          votes wins; a tie for the most votes, or ``stop`` winning, gives zero; otherwise the
          result is the mean of the votes in the winning bin.

        The result is clamped to ``max_linear`` / ``max_angular`` and does not depend on the
        order the votes arrived in (sums are taken over sorted values).

        Args:
            now: current time (s, the clock given to :meth:`add`).
            strategy: one of :data:`STRATEGIES`.
            histogram: False skips the direction binning where the strategy does not need it
                (``mean``, ``median``): the command is the same, ``histogram`` stays all zero.
                The vote node's fast ``cmd_vel`` path uses it; ``crowd/status`` asks for it.

        Returns:
            :class:`Fused`.

        Raises:
            ValueError: for an unknown strategy.

        """
        if strategy not in STRATEGIES:
            raise ValueError(f'unknown strategy {strategy!r}, expected one of {STRATEGIES}')
        n = self._slots.n
        mask = is_fresh(self._arrival[:n], now, self.vote_timeout)
        v, w = self._linear[:n][mask], self._angular[:n][mask]
        result = Fused(voters=int(v.size), bots=int(np.count_nonzero(self._bot[:n][mask])))
        if strategy == 'plurality':
            result.winner = 'stop'
        if v.size == 0:
            return result
        if histogram or strategy == 'plurality':
            bins = direction_bins(v, w, self.max_linear, self.max_angular, self.stop_threshold)
            counts = np.bincount(bins, minlength=len(DIRECTIONS))
            result.histogram = {key: int(counts[i])
                                for key, i in zip(HISTOGRAM_KEYS, _HISTOGRAM_BINS)}
        if strategy == 'mean':
            lin, ang = _order_free_mean(v), _order_free_mean(w)
        elif strategy == 'median':
            lin, ang = float(np.median(v)), float(np.median(w))
        else:
            best = int(np.argmax(counts))
            if best == STOP or np.count_nonzero(counts == counts[best]) > 1:
                return result
            result.winner = DIRECTIONS[best]
            chosen = bins == best
            lin, ang = _order_free_mean(v[chosen]), _order_free_mean(w[chosen])
        result.linear = min(max(lin, -self.max_linear), self.max_linear)
        result.angular = min(max(ang, -self.max_angular), self.max_angular)
        return result

    def withdraw(self, voter_id):
        """Remove votes now, whatever their age; return how many were removed.

        ``voter_id`` is one voter id, or a prefix pattern ending in ``/*`` (e.g. ``'gw1/*'``:
        every voter whose id starts with ``'gw1/'``). O(1) for one id, O(stored votes) for a
        pattern. Used for a withdrawal vote (:mod:`kropbot_common.withdrawal`): the sender
        is gone. A withdrawal is not a vote: it counts in no histogram bin.
        """
        ids = withdrawn(voter_id, self._slots.slot)
        for vid in ids:
            self._slots.remove(vid)
        self.withdrawn += len(ids)
        return len(ids)

    def clear(self):
        """Remove every vote now, whatever its age; return how many were removed. O(stored).

        Used when a sender of votes is gone and the node cannot tell which votes it sent
        (:mod:`kropbot_common.liveliness`). Like :meth:`withdraw`, it counts in no histogram bin.
        """
        n = self._slots.clear()
        self.withdrawn += n
        return n
