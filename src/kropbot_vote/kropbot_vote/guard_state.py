"""The cliff and obstacle guard's state for ``crowd/status`` (pure, time injected).

The guard (``kropbot_guard``) publishes ``guard/state`` (``std_msgs/String``) on every change
and at 2 Hz: ``cliff`` (no floor ahead: forward refused), ``stale`` (a sensor without a fresh
reading: forward refused), ``obstacle`` (an obstacle ahead: forward slowed or stopped) or
``clear``. The vote node feeds each message to a :class:`GuardTracker` and publishes
:meth:`GuardTracker.value` as ``crowd/status`` ``"guard"``: one of :data:`GUARD_STATES`, or
``null`` when clear, without a guard, after :data:`GUARD_TIMEOUT` of silence, or for text that
is none of these (never passed on to the crowd).
"""

from kropbot_common.freshness import FreshValue

#: ``guard/state`` values reported in ``crowd/status`` (``clear`` is reported as null).
GUARD_STATES = ('cliff', 'stale', 'obstacle')
#: The state is dropped (null) when no ``guard/state`` arrived for this long, s (four periods
#: of the guard's 2 Hz).
GUARD_TIMEOUT = 2.0


def parse_guard_state(text):
    """Return the state named by a ``guard/state`` text, or None (clear, unknown, not a str)."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    return text if text in GUARD_STATES else None


class GuardTracker(FreshValue):
    """The newest guard state and when it was heard (time injected, s).

    Args:
        timeout: the state is reported while younger than this (s, > 0).

    """

    def __init__(self, timeout=GUARD_TIMEOUT):
        super().__init__(timeout)

    def update(self, text, now):
        """Take one ``guard/state`` text received at ``now`` (s)."""
        self.set(parse_guard_state(text), now)

    def value(self, now):
        """Return the state (one of :data:`GUARD_STATES`) if heard within ``timeout``, or None."""
        return self.get(now)
