"""The one rule for "is this command still fresh?" (ROS-free, clock injected).

A message that arrived at time ``t`` (s, any monotonic clock) is **fresh while**
``now - t < timeout``; at exactly ``now - t == timeout`` it is stale. Votes (``vote_timeout``),
the operator override (``teleop_timeout``) and the driver's ``cmd_vel_timeout`` all use it, so
the same timeout means the same thing everywhere. The caller passes ``now``; nothing here reads
a clock, so tests need no sleeps. :class:`FreshValue` holds the newest value of a periodic
message under that rule (what ``crowd/status`` reports of the guard's state and the sim's
falls).
"""


def is_fresh(arrival, now, timeout):
    """Return True if a message that arrived at ``arrival`` (s) is fresh at ``now`` (s).

    Args:
        arrival: arrival time (s) or None (nothing arrived yet: not fresh). A numpy array of
            arrival times gives a boolean array, element by element (the vote book's expiry).
        now: current time (s), same clock as ``arrival``.
        timeout: lifetime (s), > 0.

    """
    return arrival is not None and now - arrival < timeout


class FreshValue:
    """The newest value of a periodic message and when it arrived (time injected, s).

    Args:
        timeout: the value is reported while younger than this (s, > 0; :func:`is_fresh`).

    Raises:
        ValueError: ``timeout`` is not > 0.

    """

    def __init__(self, timeout):
        if not timeout > 0:
            raise ValueError(f'timeout must be > 0, got {timeout!r}')
        self.timeout = float(timeout)
        self._value = None
        self._arrival = None

    def set(self, value, now):
        """Record ``value`` (None: nothing to report) as arrived at ``now`` (s)."""
        self._value, self._arrival = value, now

    def get(self, now):
        """Return the value if it arrived within ``timeout`` of ``now`` (s), else None."""
        return self._value if is_fresh(self._arrival, now, self.timeout) else None
