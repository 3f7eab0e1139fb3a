"""The one rule for "is this command still fresh?" (ROS-free, clock injected).

A message that arrived at time ``t`` (s, any monotonic clock) is **fresh while**
``now - t < timeout``; at exactly ``now - t == timeout`` it is stale. Votes (``vote_timeout``),
the operator override (``teleop_timeout``) and the driver's ``cmd_vel_timeout`` all use it, so
the same timeout means the same thing everywhere. The caller passes ``now``; nothing here reads
a clock, so tests need no sleeps.
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
