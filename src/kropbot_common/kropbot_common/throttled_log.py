"""A log line per key at most once per period, counting the suppressed ones (ROS-free).

Time is passed in (s, any monotonic clock), so the class is deterministic under test; it is
cheaper than rclpy's ``throttle_duration_sec`` (~170 us per suppressed call, measured) on hot
paths such as one call per crowd vote.
"""


class ThrottledLog:
    """Emit a log line per key at most once every ``period`` s, counting the suppressed ones.

    Args:
        emit: callable taking one str (e.g. ``logger.warning``).
        period: minimum time between two lines with the same key (s).

    """

    def __init__(self, emit, period=5.0):
        self._emit = emit
        self.period = period
        self._last = {}
        self._suppressed = {}

    def __call__(self, key, text, now):
        """Log ``text`` under ``key`` at time ``now`` (s) unless that key was logged recently."""
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        skipped = self._suppressed.pop(key, 0)
        self._last[key] = now
        self._emit(text + (f' ({skipped} similar suppressed)' if skipped else ''))
        return True
