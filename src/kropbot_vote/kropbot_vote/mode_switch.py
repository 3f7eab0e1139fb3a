"""The crowd's mode switch between anarchy and democracy (pure, ROS-free, clock injected).

As Twitch Plays Pokémon's meter: each voter may hold one *mode vote*, ``anarchy`` or
``democracy``; the mode changes only when the mode *not* in force holds at least ``threshold``
(a supermajority, 0.75 by default) of the live mode votes, and never within ``cooldown``
seconds of the previous change (a crowd change or the operator's), so the mode cannot flap.
The switch only moves between ``anarchy`` and ``democracy``: while the operator has set
``vote`` or ``queue`` it decides nothing (the votes are still counted and shown).

A mode vote lives ``vote_timeout`` seconds after it arrived (the page re-sends its choice
periodically), ends when its voter is withdrawn (connection closed) and is replaced by the
voter's next mode vote; an empty mode withdraws it.

Transport (the vote node subscribes, the gateway publishes): topic ``crowd/mode_vote``,
``std_msgs/msg/String`` whose ``data`` is the JSON object ``{"voter": <voter id>, "mode":
"anarchy" | "democracy" | ""}`` (:func:`parse_mode_vote`). As with ``header.frame_id`` of a
``crowd/vote``, a page behind the crowd gateway sends ``"voter": ""`` and the gateway writes the
connection's voter id (refusing anything else); a page in the stock rosbridge mode sends its
own tab id. A standard type with a header and a string field does not exist, and a
``TwistStamped`` with a reserved ``frame_id`` would make every vote parser aware of modes.

Storage: an insertion-ordered dict voter -> ``(mode, arrival)`` (moved to the end on every
vote, so expired votes gather at the front) and a running count per mode: a mode vote is O(1),
expiry amortised O(1).
"""

import json
import math

from kropbot_common.freshness import is_fresh

from kropbot_vote.checks import capacity, non_negative, positive
from kropbot_vote.voters import withdrawn

#: Modes the crowd can vote for, in meter order (left to right).
SWITCH_MODES = ('anarchy', 'democracy')

#: Result of :meth:`ModeSwitch.vote`: the mode vote was stored (or withdrawn, for ``''``).
ACCEPTED = 'accepted'
#: Result of :meth:`ModeSwitch.vote`: the mode is not one of :data:`SWITCH_MODES` or ``''``.
UNKNOWN_MODE = 'unknown_mode'
#: Result of :meth:`ModeSwitch.vote`: the voter id was empty.
NO_VOTER_ID = 'no_voter_id'
#: Result of :meth:`ModeSwitch.vote`: a new voter while ``max_voters`` mode votes are held.
OVER_CAPACITY = 'over_capacity'
#: All rejection reasons, the keys of :attr:`ModeSwitch.rejected`.
REJECTIONS = (UNKNOWN_MODE, NO_VOTER_ID, OVER_CAPACITY)

#: Longest ``crowd/mode_vote`` ``data`` accepted (characters).
MAX_MODE_VOTE_TEXT = 1024


def parse_mode_vote(data):
    """Parse the ``data`` of a ``crowd/mode_vote`` message into ``(voter_id, mode)``.

    Args:
        data: str, the JSON object ``{"voter": str, "mode": str}`` (other keys ignored).

    Returns:
        ``(voter_id, mode)``, both str (``mode`` not yet checked: see :meth:`ModeSwitch.vote`).

    Raises:
        ValueError: if ``data`` is too long, not JSON, not an object, or ``voter`` / ``mode``
            are missing or not strings.

    """
    if not isinstance(data, str) or len(data) > MAX_MODE_VOTE_TEXT:
        raise ValueError(f'mode vote must be a JSON text of at most {MAX_MODE_VOTE_TEXT} '
                         'characters')
    try:
        obj = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ValueError(f'mode vote is not JSON: {exc.msg}') from None
    if not isinstance(obj, dict):
        raise ValueError('mode vote must be a JSON object')
    voter, mode = obj.get('voter'), obj.get('mode')
    if not isinstance(voter, str) or not isinstance(mode, str):
        raise ValueError('mode vote needs string fields "voter" and "mode"')
    return voter, mode


class ModeSwitch:
    """The crowd's anarchy/democracy meter and switch rule.

    Args:
        threshold: fraction of the live mode votes the other mode needs, in (0.5, 1]
            (attribute, may change at any time).
        cooldown: no crowd switch within this long after the previous switch (s), >= 0
            (attribute).
        vote_timeout: a mode vote lives this long after its arrival (s), > 0 (attribute).
        now: time (s) of the start, counted as a switch (so the cool-down runs from it).
        max_voters: live mode votes kept at most, >= 1.

    Raises:
        ValueError: if an argument is out of range.

    Attributes:
        switches: crowd switches so far.
        rejected: dict reason -> rejected mode votes (:data:`REJECTIONS`).

    """

    def __init__(self, threshold, cooldown, vote_timeout, now, max_voters=10000):
        if not (math.isfinite(threshold) and 0.5 < threshold <= 1.0):
            raise ValueError(f'threshold must be in (0.5, 1], got {threshold}')
        self.threshold = float(threshold)
        self.cooldown = non_negative('cooldown', cooldown)
        self.vote_timeout = positive('vote_timeout', vote_timeout)
        self.max_voters = capacity('max_voters', max_voters)
        self.last_switch = float(now)
        self._votes = {}  # voter -> (mode, arrival); order = arrival order
        self._counts = dict.fromkeys(SWITCH_MODES, 0)
        self.switches = 0
        self.rejected = dict.fromkeys(REJECTIONS, 0)

    def _drop(self, voter):
        mode, _ = self._votes.pop(voter)
        self._counts[mode] -= 1

    def _expire(self, now):
        votes = self._votes
        while votes:
            voter = next(iter(votes))
            if is_fresh(votes[voter][1], now, self.vote_timeout):
                break
            self._drop(voter)

    def vote(self, voter_id, mode, now):
        """Store ``voter_id``'s mode vote arriving at ``now`` (s); ``''`` withdraws it. O(1).

        Returns :data:`ACCEPTED` or the rejection reason (also counted in :attr:`rejected`);
        a rejected vote changes nothing.
        """
        if not voter_id:
            self.rejected[NO_VOTER_ID] += 1
            return NO_VOTER_ID
        if mode != '' and mode not in SWITCH_MODES:
            self.rejected[UNKNOWN_MODE] += 1
            return UNKNOWN_MODE
        self._expire(now)
        known = voter_id in self._votes
        if known:
            self._drop(voter_id)
        if mode == '':
            return ACCEPTED
        if not known and len(self._votes) >= self.max_voters:
            self.rejected[OVER_CAPACITY] += 1
            return OVER_CAPACITY
        self._votes[voter_id] = (mode, now)
        self._counts[mode] += 1
        return ACCEPTED

    def withdraw(self, voter_id, now=None):
        """End the mode vote of a voter (or of a ``<scope>/*`` pattern); return how many."""
        ids = withdrawn(voter_id, self._votes)
        for vid in ids:
            self._drop(vid)
        return len(ids)

    def clear(self):
        """Drop every mode vote (their sender is lost); return how many."""
        n = len(self._votes)
        self._votes.clear()
        self._counts = dict.fromkeys(SWITCH_MODES, 0)
        return n

    def counts(self, now):
        """Return ``{mode: live mode votes}`` for each of :data:`SWITCH_MODES` at ``now``."""
        self._expire(now)
        return dict(self._counts)

    def cooldown_left(self, now):
        """Return the time (s) until the crowd may switch again (0 when it may)."""
        return max(0.0, self.last_switch + self.cooldown - now)

    def switched(self, now):
        """Record a mode change at ``now`` (s), by the crowd or the operator: cool-down."""
        self.last_switch = float(now)

    def decide(self, current, now):
        """Return the mode to switch to at ``now`` (s), or None to stay in ``current``.

        Switches (and records the switch) only if ``current`` is one of
        :data:`SWITCH_MODES`, the cool-down has passed, and the other mode holds at least
        ``threshold`` of the live mode votes (``other / (anarchy + democracy) >= threshold``;
        no mode votes: stay).
        """
        if current not in SWITCH_MODES or self.cooldown_left(now) > 0.0:
            return None
        counts = self.counts(now)
        other = SWITCH_MODES[1 - SWITCH_MODES.index(current)]
        total = counts[other] + counts[current]
        if total == 0 or counts[other] / total < self.threshold:
            return None
        self.switched(now)
        self.switches += 1
        return other

    def status(self, now, current, enabled):
        """Return the ``switch`` object of ``crowd/status`` at ``now`` (s).

        Keys: ``enabled`` (``crowd_switch``), ``active`` (enabled and ``current`` is one of
        :data:`SWITCH_MODES`: the crowd can switch now or after the cool-down), ``anarchy``
        and ``democracy`` (live mode votes), ``threshold``, ``cooldown_left`` (s),
        ``vote_timeout`` (s: how long a mode vote lives).
        """
        counts = self.counts(now)
        return {'enabled': bool(enabled), 'active': bool(enabled) and current in SWITCH_MODES,
                'anarchy': counts['anarchy'], 'democracy': counts['democracy'],
                'threshold': self.threshold, 'cooldown_left': self.cooldown_left(now),
                'vote_timeout': self.vote_timeout}
