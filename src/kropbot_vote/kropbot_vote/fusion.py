"""Crowd vote fusion: a pure, ROS-free core for the vote node.

Each crowd member (voter) holds at most one live vote, a requested ``(linear, angular)``
command in m/s and rad/s (REP 103: ``linear.x`` forward, ``angular.z`` counter-clockwise).
A :class:`VoteBook` stores the votes in preallocated numpy arrays so that one fusion tick is a
handful of vectorised operations, whatever the crowd size; adding a vote is O(1).

Time is always injected by the caller (seconds, float, from a monotonic clock) and never read
here, so the module is deterministic and testable.

Contract: the KropBot architecture's "Vote fusion" (see the package README); direction bins
from the shared conventions (45-degree sectors in the plane of normalised
``(linear, angular)``); the 3 s vote lifetime and the 8 directions + stop histogram come from
the original KropBot (``INSTRUCTION_DURATION`` and ``total_counts``).
"""

from dataclasses import dataclass, field
import math

import numpy as np

#: Fusion strategies accepted by :meth:`VoteBook.fuse` and the ``strategy`` parameter.
STRATEGIES = ('mean', 'median', 'plurality')
#: Values of the node's ``executor`` parameter (see vote_node.make_executor).
EXECUTORS = ('events', 'single')

#: Direction bin names indexed by sector: sector ``k`` is centred on ``k * 45`` degrees
#: counter-clockwise from ``forward`` in the ``(v_norm, w_norm)`` plane; index 8 is ``stop``.
DIRECTIONS = ('forward', 'forward_left', 'left', 'back_right', 'back', 'back_left', 'right',
              'forward_right', 'stop')

#: Index of the ``stop`` bin in :data:`DIRECTIONS`.
STOP = 8

#: Histogram keys in the order the contract lists them (``crowd/status``).
HISTOGRAM_KEYS = ('forward', 'forward_left', 'left', 'back_left', 'back', 'back_right', 'right',
                  'forward_right', 'stop')

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

_SECTOR = math.pi / 4.0


def direction_bins(linear, angular, max_linear, max_angular, stop_threshold=0.2):
    """Bin commands into the 8 compass directions + stop (vectorised).

    The command is normalised, ``v_n = linear / max_linear`` and ``w_n = angular / max_angular``.
    If ``hypot(v_n, w_n) < stop_threshold`` the bin is ``stop`` (8); otherwise the angle
    ``a = atan2(w_n, v_n)`` picks the 45-degree sector centred on ``k * 45`` degrees,
    ``k = floor((a + 22.5 deg) / 45 deg) mod 8``, so forward is 0, forward_left 1 (+45 deg), left
    2 (+90), back_right 3 (+135), back 4 (180), back_left 5 (-135), right 6 (-90) and
    forward_right 7 (-45) (shared conventions; car convention when reversing). A command exactly
    on a sector boundary (22.5 deg + k * 45 deg) falls into the counter-clockwise sector.

    Args:
        linear: array-like of linear.x values (m/s), any shape.
        angular: array-like of angular.z values (rad/s), same shape as ``linear``.
        max_linear: normalisation for ``linear`` (m/s), > 0.
        max_angular: normalisation for ``angular`` (rad/s), > 0.
        stop_threshold: normalised magnitude below which a command is ``stop``.

    Returns:
        numpy int64 array of bin indices into :data:`DIRECTIONS`, same shape as the inputs.

    """
    v = np.asarray(linear, dtype=np.float64) / max_linear
    w = np.asarray(angular, dtype=np.float64) / max_angular
    sector = np.floor((np.arctan2(w, v) + _SECTOR / 2.0) / _SECTOR).astype(np.int64) % 8
    return np.where(np.hypot(v, w) < stop_threshold, STOP, sector)


def direction_bin(linear, angular, max_linear, max_angular, stop_threshold=0.2):
    """Return the direction bin name of one command (see :func:`direction_bins`).

    Args:
        linear: linear.x (m/s).
        angular: angular.z (rad/s).
        max_linear: normalisation for ``linear`` (m/s), > 0.
        max_angular: normalisation for ``angular`` (rad/s), > 0.
        stop_threshold: normalised magnitude below which the command is ``stop``.

    Returns:
        One of :data:`DIRECTIONS`, e.g. ``'forward_left'`` for ``linear > 0, angular > 0``.

    """
    index = direction_bins([linear], [angular], max_linear, max_angular, stop_threshold)[0]
    return DIRECTIONS[int(index)]


def clamp_command(linear, angular, max_linear, max_angular):
    """Clamp one command to the limits, or return None if it is not finite.

    Args:
        linear: linear.x (m/s).
        angular: angular.z (rad/s).
        max_linear: limit (m/s), > 0; the result satisfies ``|linear| <= max_linear``.
        max_angular: limit (rad/s), > 0; the result satisfies ``|angular| <= max_angular``.

    Returns:
        ``(linear, angular, clamped)`` with ``clamped`` True if either value was cut, or None
        if ``linear`` or ``angular`` is NaN or infinite.

    """
    linear = float(linear)
    angular = float(angular)
    if not (math.isfinite(linear) and math.isfinite(angular)):
        return None
    cl = min(max(linear, -max_linear), max_linear)
    ca = min(max(angular, -max_angular), max_angular)
    return cl, ca, (cl != linear or ca != angular)


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
        voters: number of live votes that took part.
        histogram: live votes per direction bin, keys :data:`HISTOGRAM_KEYS`; sums to ``voters``.
        winner: for ``plurality`` the winning bin name (``'stop'`` on a tie or no voters);
            None for the other strategies.

    """

    linear: float = 0.0
    angular: float = 0.0
    voters: int = 0
    histogram: dict = field(default_factory=lambda: dict.fromkeys(HISTOGRAM_KEYS, 0))
    winner: str | None = None


class VoteBook:
    """The live votes of a crowd, one per voter, in preallocated numpy arrays.

    Storage: slots ``0 .. n-1`` of the arrays ``linear``, ``angular`` and ``arrival`` are in use
    (dense: removing a slot moves the last one into it); a dict maps voter id -> slot. Votes are
    clamped to the limits when added, so fusion works on clamped values only.

    Expiry: a vote that arrived at ``t`` is live while ``now - t < vote_timeout``; at exactly
    ``now - t == vote_timeout`` it has expired (contract: "expires vote_timeout after arrival").
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
        accepted: count of accepted votes since construction (a throughput counter).
        rejected: dict reason -> count of rejected votes (keys :data:`REJECTIONS`).
        clamped: count of accepted votes that were outside the limits and clamped.

    """

    def __init__(self, max_voters, vote_timeout, max_linear, max_angular, stop_threshold=0.2):
        if int(max_voters) < 1:
            raise ValueError(f'max_voters must be >= 1, got {max_voters}')
        for name, value in (('vote_timeout', vote_timeout), ('max_linear', max_linear),
                            ('max_angular', max_angular)):
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f'{name} must be finite and > 0, got {value}')
        if not (math.isfinite(stop_threshold) and stop_threshold >= 0.0):
            raise ValueError(f'stop_threshold must be finite and >= 0, got {stop_threshold}')
        self.max_voters = int(max_voters)
        self.vote_timeout = float(vote_timeout)
        self.max_linear = float(max_linear)
        self.max_angular = float(max_angular)
        self.stop_threshold = float(stop_threshold)
        self._linear = np.zeros(self.max_voters)
        self._angular = np.zeros(self.max_voters)
        self._arrival = np.zeros(self.max_voters)
        self._ids = [None] * self.max_voters
        self._slot = {}
        self._n = 0
        self.accepted = 0
        self.rejected = dict.fromkeys(REJECTIONS, 0)
        self.clamped = 0

    def __len__(self):
        """Return the number of stored votes, expired ones not yet purged included."""
        return self._n

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
        slot = self._slot.get(voter_id)
        if slot is None:
            if self._n == self.max_voters:
                self.purge(now)
                if self._n == self.max_voters:
                    self.rejected[OVER_CAPACITY] += 1
                    return OVER_CAPACITY
            slot = self._n
            self._n += 1
            self._slot[voter_id] = slot
            self._ids[slot] = voter_id
        self._linear[slot], self._angular[slot], was_clamped = clamped
        self._arrival[slot] = now
        self.clamped += was_clamped
        self.accepted += 1
        return ACCEPTED

    def purge(self, now):
        """Remove the votes expired at ``now`` (s); return how many were removed.

        Cost is O(number removed) plus one vectorised scan, so each vote is paid for once.
        """
        n = self._n
        expired = np.flatnonzero(now - self._arrival[:n] >= self.vote_timeout)
        for slot in expired[::-1].tolist():  # descending: the moved last slot is always live
            last = self._n - 1
            del self._slot[self._ids[slot]]
            if slot != last:
                moved = self._ids[last]
                self._ids[slot] = moved
                self._slot[moved] = slot
                self._linear[slot] = self._linear[last]
                self._angular[slot] = self._angular[last]
                self._arrival[slot] = self._arrival[last]
            self._ids[last] = None
            self._n = last
        return expired.size

    def live(self, now):
        """Return ``(linear, angular)`` arrays (copies) of the votes live at ``now`` (s)."""
        n = self._n
        mask = (now - self._arrival[:n]) < self.vote_timeout
        return self._linear[:n][mask], self._angular[:n][mask]

    def fuse(self, now, strategy='mean'):
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

        Returns:
            :class:`Fused`.

        Raises:
            ValueError: for an unknown strategy.

        """
        if strategy not in STRATEGIES:
            raise ValueError(f'unknown strategy {strategy!r}, expected one of {STRATEGIES}')
        v, w = self.live(now)
        result = Fused(voters=int(v.size))
        if strategy == 'plurality':
            result.winner = 'stop'
        if v.size == 0:
            return result
        bins = direction_bins(v, w, self.max_linear, self.max_angular, self.stop_threshold)
        counts = np.bincount(bins, minlength=len(DIRECTIONS))
        result.histogram = {key: int(counts[DIRECTIONS.index(key)]) for key in HISTOGRAM_KEYS}
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

    # --- hook (relay, issue 12): withdrawal of votes (kropbot_common.withdrawal) ------------
    def withdraw(self, voter_id):
        """Remove votes now, whatever their age; return how many were removed.

        ``voter_id`` is one voter id, or a prefix pattern ending in ``/*`` (e.g. ``'gw1/*'``:
        every voter whose id starts with ``'gw1/'``). O(1) for one id, O(stored votes) for a
        pattern. Used for a withdrawal vote (:mod:`kropbot_common.withdrawal`): the sender
        is gone.
        """
        if voter_id.endswith('/*'):
            prefix = voter_id[:-1]
            ids = [v for v in self._ids[:self._n] if v.startswith(prefix)]
        else:
            ids = [voter_id] if voter_id in self._slot else []
        for vid in ids:
            slot = self._slot.pop(vid)
            last = self._n - 1
            if slot != last:
                moved = self._ids[last]
                self._ids[slot] = moved
                self._slot[moved] = slot
                self._linear[slot] = self._linear[last]
                self._angular[slot] = self._angular[last]
                self._arrival[slot] = self._arrival[last]
            self._ids[last] = None
            self._n = last
        return len(ids)

class TeleopOverride:
    """The operator's command (``teleop/cmd_vel``), which overrides the crowd while fresh.

    Args:
        timeout: the override lasts this long after the last valid command (s), > 0.
        max_linear: limit (m/s); commands are clamped to it.
        max_angular: limit (rad/s); commands are clamped to it.

    Attributes:
        rejected: count of non-finite commands (ignored: they neither refresh nor stop the
            override).
        timeout: may be changed at any time (s).

    """

    def __init__(self, timeout, max_linear, max_angular):
        self.timeout = float(timeout)
        self.max_linear = float(max_linear)
        self.max_angular = float(max_angular)
        self.rejected = 0
        self._command = (0.0, 0.0)
        self._arrival = None

    def update(self, linear, angular, now):
        """Record an operator command received at ``now`` (s); return False if rejected."""
        clamped = clamp_command(linear, angular, self.max_linear, self.max_angular)
        if clamped is None:
            self.rejected += 1
            return False
        self._command = clamped[:2]
        self._arrival = now
        return True

    def active(self, now):
        """Return ``(linear, angular)`` while the last command is fresher than timeout, else None.

        Fresh means ``now - arrival < timeout`` (same boundary rule as votes).
        """
        if self._arrival is None or now - self._arrival >= self.timeout:
            return None
        return self._command


def status_dict(fused, *, strategy, operator, command, book, stamp, teleop_rejected=0):
    """Build the ``crowd/status`` JSON object (contract keys plus extras).

    Args:
        fused: the crowd's :class:`Fused` result (``voters``, ``histogram``).
        strategy: the active strategy name.
        operator: True while the operator's ``teleop/cmd_vel`` overrides the crowd.
        command: ``(linear, angular)`` actually published on ``cmd_vel`` (m/s, rad/s).
        book: the :class:`VoteBook` (limits, timeout and counters).
        stamp: publication time (s).
        teleop_rejected: count of non-finite operator commands.

    Returns:
        dict with the contract keys ``voters``, ``histogram``, ``command`` (``linear``,
        ``angular``), ``strategy``, ``operator``, ``max_linear``, ``max_angular``, ``stamp`` and
        the extras ``vote_timeout``, ``stop_threshold``, ``max_voters``, ``winner``,
        ``accepted`` (votes accepted since start), ``rejected`` (per reason), ``clamped`` and
        ``teleop_rejected``.

    """
    return {
        'voters': fused.voters,
        'histogram': dict(fused.histogram),
        'command': {'linear': float(command[0]), 'angular': float(command[1])},
        'strategy': strategy,
        'operator': bool(operator),
        'max_linear': book.max_linear,
        'max_angular': book.max_angular,
        'stamp': float(stamp),
        'vote_timeout': book.vote_timeout,
        'stop_threshold': book.stop_threshold,
        'max_voters': book.max_voters,
        'winner': fused.winner,
        'accepted': book.accepted,
        'rejected': dict(book.rejected),
        'clamped': book.clamped,
        'teleop_rejected': teleop_rejected,
    }


#: Node parameters: name -> (default, description, (min, max) or allowed values, read_only,
#: changeable at run time). Units SI; the ranges are also put in the ParameterDescriptors.
PARAMETERS = {
    'strategy': ('mean', 'vote fusion strategy: mean | median | plurality', STRATEGIES,
                 False, True),
    'vote_timeout': (3.0, 'a vote expires this long after its arrival (s)', (0.05, 3600.0),
                     False, True),
    'rate': (10.0, 'cmd_vel publish rate (Hz)', (1.0, 100.0), False, False),
    'status_rate': (2.0, 'crowd/status publish rate (Hz), at least 2', (2.0, 50.0),
                    False, False),
    'max_linear': (0.3, 'linear speed limit for votes and cmd_vel (m/s)', (0.01, 5.0),
                   True, False),
    'max_angular': (1.5, 'angular speed limit for votes and cmd_vel (rad/s)', (0.01, 20.0),
                    True, False),
    'teleop_timeout': (0.5, 'teleop/cmd_vel overrides the crowd while fresher than this (s)',
                       (0.05, 10.0), False, False),
    'max_voters': (10000, 'live voters kept at most; new voters beyond are rejected',
                   (1, 1000000), False, False),
    'stop_threshold': (0.2, 'normalised vote magnitude below which a vote bins as stop',
                       (0.0, 1.0), False, False),
    'executor': ('events', 'rclpy executor: events (EventsExecutor where rclpy has it, about a '
                 'third of the CPU per vote) | single (SingleThreadedExecutor)', EXECUTORS,
                 True, False),
}


def check_parameter(name, value):
    """Validate one vote node parameter value.

    Args:
        name: a key of :data:`PARAMETERS`.
        value: the proposed value.

    Returns:
        None if valid, else a one-line error message naming the parameter, the value and the
        accepted range.

    """
    if name not in PARAMETERS:
        return f'unknown parameter {name!r}'
    default, _, allowed, _, _ = PARAMETERS[name]
    if isinstance(default, str):
        if value not in allowed:
            return f'{name} must be one of {", ".join(allowed)}, got {value!r}'
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f'{name} must be a number, got {value!r}'
    if isinstance(default, int) and not isinstance(value, int):
        return f'{name} must be an integer, got {value!r}'
    low, high = allowed
    if not (math.isfinite(value) and low <= value <= high):
        return f'{name} must be within [{low}, {high}], got {value!r}'
    return None
