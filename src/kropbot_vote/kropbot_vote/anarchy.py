"""Anarchy mode: the newest fresh input from any voter drives (pure, ROS-free, clock injected).

As Twitch Plays Pokémon's "anarchy": every input is applied as it arrives, so the robot follows
whoever spoke last. The per-voter vote rate limit of the gateway bounds how often one voter can
steer. The input is a vote already accepted (finite, clamped to the limits) by the
:class:`kropbot_vote.fusion.VoteBook`; it drives while fresh (``now - arrival < vote_timeout``,
:func:`kropbot_common.freshness.is_fresh`), then the robot stops.

Arrival times come from one monotonic clock (they never decrease). Storage: an
insertion-ordered dict voter -> ``(linear, angular, arrival)``, a voter moved to the
end on every vote, so the newest input is the last entry and stale entries gather at the front:
a vote is O(1), a tick amortised O(1) (each stale entry is dropped once). A withdrawal removes
the voter's input, so the next newest fresh input (if any) drives at once.
"""

from kropbot_common.freshness import is_fresh
from kropbot_common.voter_token import voter_token

from kropbot_vote.bins import clamp_command
from kropbot_vote.voters import withdrawn


class Anarchy:
    """The newest-input-wins core.

    Args:
        vote_timeout: an input drives while ``now - arrival < vote_timeout`` (s), > 0; may be
            changed at any time (attribute).
        max_linear: linear limit (m/s), > 0 (inputs are clamped again: defence in depth).
        max_angular: angular limit (rad/s), > 0.

    """

    def __init__(self, vote_timeout, max_linear, max_angular):
        self.vote_timeout = float(vote_timeout)
        self.max_linear = float(max_linear)
        self.max_angular = float(max_angular)
        self._inputs = {}  # voter -> (linear, angular, arrival); last entry = newest

    def __len__(self):
        """Return the number of inputs held (stale ones not yet dropped included)."""
        return len(self._inputs)

    def add(self, voter_id, linear, angular, now):
        """Record ``voter_id``'s input (m/s, rad/s) that arrived at ``now`` (s). O(1).

        Returns False (and changes nothing) for a non-finite input.
        """
        clamped = clamp_command(linear, angular, self.max_linear, self.max_angular)
        if clamped is None:
            return False
        inputs = self._inputs
        inputs.pop(voter_id, None)  # re-insert: the dict's order is the arrival order
        inputs[voter_id] = (clamped[0], clamped[1], now)
        return True

    def withdraw(self, voter_id, now=None):
        """End the input of a voter (or of a ``<scope>/*`` pattern) now; return how many."""
        ids = withdrawn(voter_id, self._inputs)
        for vid in ids:
            del self._inputs[vid]
        return len(ids)

    def _newest(self, now):
        """Return ``(voter, (linear, angular, arrival))`` of the newest fresh input, or None."""
        inputs = self._inputs
        while inputs:
            voter = next(iter(inputs))  # the oldest
            if is_fresh(inputs[voter][2], now, self.vote_timeout):
                break
            del inputs[voter]
        if not inputs:
            return None
        voter = next(reversed(inputs))
        if not is_fresh(inputs[voter][2], now, self.vote_timeout):
            return None  # only if arrival times went backwards: never drive a stale input
        return voter, inputs[voter]

    def command(self, now):
        """Return ``(linear, angular)`` to publish at ``now`` (s): the newest fresh input.

        ``(0.0, 0.0)`` when no input is fresh. Within the limits by construction.
        """
        newest = self._newest(now)
        if newest is None:
            return 0.0, 0.0
        linear, angular, _ = newest[1]
        return linear, angular

    def status(self, now):
        """Return the ``anarchy`` object of ``crowd/status`` at ``now`` (s).

        Keys: ``driver`` (the voter token (:func:`kropbot_common.voter_token.voter_token`) of
        the newest fresh input, or None), ``input_age`` (its age in s, or None),
        ``inputs`` (fresh inputs held: voters who may steer next).
        """
        newest = self._newest(now)
        if newest is None:
            return {'driver': None, 'input_age': None, 'inputs': 0}
        voter, (_, _, arrival) = newest
        return {'driver': voter_token(voter), 'input_age': max(0.0, now - arrival),
                'inputs': len(self._inputs)}
