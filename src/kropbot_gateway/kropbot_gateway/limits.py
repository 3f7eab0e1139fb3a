"""Rate limiting helpers for the crowd gateway (ROS-free, clock passed in explicitly).

All times are in seconds from any monotonic clock (e.g. ``time.monotonic()``); the caller
passes ``now`` so the classes are deterministic under test.
"""

from collections import deque


class TokenBucket:
    """Classic token bucket: ``rate`` tokens/s refill up to ``burst`` tokens.

    Args:
        rate: refill rate in tokens per second (> 0).
        burst: bucket capacity in tokens (>= 1); the bucket starts full.
        now: the creation time (s).

    Raises:
        ValueError: if ``rate`` <= 0 or ``burst`` < 1.

    """

    def __init__(self, rate, burst, now):
        if not rate > 0:
            raise ValueError(f'token bucket rate must be > 0, got {rate!r}')
        if not burst >= 1:
            raise ValueError(f'token bucket burst must be >= 1, got {burst!r}')
        self.rate = float(rate)
        self.burst = float(burst)
        self._tokens = float(burst)
        self._last = float(now)

    def take(self, now):
        """Take one token at time ``now`` (s); return True if one was available."""
        elapsed = max(0.0, now - self._last)
        self._last = max(self._last, now)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class AbuseMeter:
    """Detect sustained floods: more than ``limit`` events within any ``window`` s.

    An event may carry a weight (e.g. its size in bytes), so the same meter bounds a byte rate.

    Events are counted in one-second bins, so memory is O(window) whatever the flood rate.

    Args:
        limit: events allowed within ``window`` (e.g. 10 x the vote rate x 5 s).
        window: sliding window length in whole seconds (>= 1).

    """

    def __init__(self, limit, window=5):
        self.limit = limit
        self.window = max(1, int(window))
        self._bins = deque()  # (second, count), oldest first
        self._total = 0  # sum of the counts in _bins

    def hit(self, now, weight=1):
        """Count ``weight`` events (e.g. bytes) at ``now`` (s); True if over the limit."""
        second = int(now // 1)
        while self._bins and self._bins[0][0] <= second - self.window:
            self._total -= self._bins.popleft()[1]
        if self._bins and self._bins[-1][0] == second:
            self._bins[-1][1] += weight
        else:
            self._bins.append([second, weight])
        self._total += weight
        return self._total > self.limit
