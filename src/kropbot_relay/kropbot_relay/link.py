"""The relay link's decisions (ROS-free, clock injected): which batches apply, whom to withdraw.

:class:`RelayBook` keeps one record per relay gateway and turns the events of the link (a vote
batch arrived, a gateway's liveliness token went away, the link to the router was lost, time
passed) into votes to publish on ``crowd/vote`` and withdrawals
(:mod:`kropbot_common.withdrawal`) to publish there:

- voter ids are scoped by gateway: ``<gateway>/<connection>``;
- a gateway whose token goes away, or that sends nothing for ``gateway_timeout`` s (its batches
  include a heartbeat every 0.1 s), is *down*: all its voters are withdrawn with one pattern
  ``<gateway>/*``; so is every gateway when the link to the router is lost;
- a batch is dropped if it repeats or precedes one already applied (``seq``), or if it is
  *late*: its one-way delay exceeds the smallest seen from that gateway by more than
  ``max_delay`` s (:class:`DelayFloor`; no clock synchronisation needed). After an outage the
  batches the network still held are late, so no stale vote is applied;
- a new ``boot`` (the gateway restarted) withdraws the voters of the old one.
"""

from dataclasses import dataclass, field

from kropbot_common.freshness import is_fresh
from kropbot_common.withdrawal import prefix_pattern

APPLIED = 'applied'
DUPLICATE = 'duplicate'
LATE = 'late'


class DelayFloor:
    """Lateness of messages stamped by the sender's clock, with no clock synchronisation.

    For a message sent at ``sent`` (sender's monotonic clock) and received at ``received``
    (ours), ``d = received - sent`` is the one-way delay plus an unknown constant offset. The
    *floor* is the smallest ``d`` seen, raised by ``drift`` s per second since it was seen (so a
    sender clock slower than ours by up to ``drift`` cannot make fresh messages look late);
    ``lateness = d - floor`` (>= 0) is the extra delay of this message. The minimum filter is
    the one NTP uses for its offset estimate (Mills, RFC 5905 §10, clock filter).

    Args:
        drift: allowed rate difference of the two clocks, s/s (1e-3 = 1 ms per s, far above
            crystal tolerances).

    """

    def __init__(self, drift=1e-3):
        self.drift = drift
        self._d = None
        self._t = None

    def lateness(self, sent, received):
        """Return the lateness (s, >= 0) of a message; update the floor."""
        d = received - sent
        if self._d is not None:
            floor = self._d + self.drift * (received - self._t)
            if d > floor:
                return d - floor
        self._d, self._t = d, received
        return 0.0


@dataclass
class _Gateway:
    boot: str
    delay: DelayFloor
    last_seq: int = 0
    last_batch: float = float('-inf')
    up: bool = False
    voted: bool = False  # a vote was applied since it came up (a withdrawal is due when down)
    counts: dict = field(default_factory=lambda: {APPLIED: 0, DUPLICATE: 0, LATE: 0})


@dataclass
class Outcome:
    """What to publish for one event, withdrawals first, then votes.

    ``votes``: ``(voter_id, linear_x, angular_z)`` (m/s, rad/s); ``withdrawals``: voter ids or
    ``<gateway>/*`` patterns; ``result``: :data:`APPLIED`, :data:`DUPLICATE` or :data:`LATE`
    for a batch.
    """

    votes: list = field(default_factory=list)
    withdrawals: list = field(default_factory=list)
    result: str = APPLIED


class RelayBook:
    """State of the relay gateways seen by the robot's link (see the module docstring).

    Args:
        gateway_timeout: a gateway with no batch for this long is down, s (> its heartbeat).
        max_delay: a batch later than this (:class:`DelayFloor`) is dropped, s.
        drift: clock-rate allowance of :class:`DelayFloor`, s/s.

    Raises:
        ValueError: on a non-positive timeout or delay.

    """

    def __init__(self, gateway_timeout=0.3, max_delay=0.25, drift=1e-3):
        if not (gateway_timeout > 0 and max_delay > 0):
            raise ValueError('gateway_timeout and max_delay must be > 0')
        self.gateway_timeout = gateway_timeout
        self.max_delay = max_delay
        self.drift = drift
        self._gateways = {}

    def gateways(self):
        """Return ``{name: {'up', 'boot', 'seq', 'applied', 'duplicate', 'late'}}``."""
        return {name: {'up': g.up, 'boot': g.boot, 'seq': g.last_seq, **g.counts}
                for name, g in self._gateways.items()}

    def on_batch(self, gateway, batch, now):
        """Apply a decoded :class:`~kropbot_gateway.relay_wire.Batch` of ``gateway`` at ``now``.

        Returns:
            :class:`Outcome` (votes and withdrawals to publish, and the batch's fate).

        """
        out = Outcome()
        state = self._gateways.get(gateway)
        if state is None or state.boot != batch.boot:
            if state is not None and state.voted:
                out.withdrawals.append(prefix_pattern(gateway))
            state = self._gateways[gateway] = _Gateway(batch.boot, DelayFloor(self.drift))
        if batch.seq <= state.last_seq:
            out.result = DUPLICATE
        else:
            state.last_seq = batch.seq
            if state.delay.lateness(batch.sent, now) > self.max_delay:
                out.result = LATE
        state.counts[out.result] += 1
        if out.result != APPLIED:
            return out
        state.last_batch = now
        state.up = True
        out.withdrawals.extend(f'{gateway}/{c}' for c in batch.left)
        out.votes = [(f'{gateway}/{c}', lin, ang) for c, lin, ang in batch.votes]
        state.voted = state.voted or bool(out.votes)
        return out

    def gateway_gone(self, gateway):
        """Handle the loss of ``gateway``'s liveliness token; return the withdrawals to publish."""
        state = self._gateways.get(gateway)
        return self._down(gateway, state) if state is not None else []

    def link_lost(self):
        """Handle the loss of the router link (all gateways down); return the withdrawals."""
        return [w for name, g in self._gateways.items() for w in self._down(name, g)]

    def expire(self, now):
        """Mark gateways silent for ``gateway_timeout`` s down; return the withdrawals."""
        return [w for name, g in self._gateways.items()
                if g.up and not is_fresh(g.last_batch, now, self.gateway_timeout)
                for w in self._down(name, g)]

    @staticmethod
    def _down(name, state):
        state.up = False
        if not state.voted:
            return []
        state.voted = False
        return [prefix_pattern(name)]
