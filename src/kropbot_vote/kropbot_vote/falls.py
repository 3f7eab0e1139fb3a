"""The sim's fall count for ``crowd/status``, read from the driver's ``diagnostics`` (pure).

The driver's sim backend reports, in its ``DiagnosticStatus`` (``hardware_id`` ``'sim'``, name
``driver: motors``), the KeyValue ``falls``: how often the simulated robot fell into a pit
(the stairwell) since the driver started, a decimal integer (:mod:`kropbot_driver.messages`).
The vote node feeds every ``diagnostics`` array it receives to a :class:`FallsTracker` and
publishes :meth:`FallsTracker.value` as ``crowd/status`` ``"falls"``: an int, or ``null``
without a sim (a MotorHAT driver, no driver, or none heard from for :data:`FALLS_TIMEOUT`).

Duck-typed: a status is anything with ``hardware_id`` and ``values`` (items with ``key`` and
``value``), e.g. ``diagnostic_msgs/msg/DiagnosticStatus``; nothing here imports ROS.
"""

from kropbot_common.freshness import FreshValue

#: ``hardware_id`` of the driver's sim backend status.
SIM_HARDWARE_ID = 'sim'
#: The KeyValue key of the fall count.
FALLS_KEY = 'falls'
#: A count is dropped (``null``) when no sim status arrived for this long, s: five periods of
#: the driver's 1 Hz ``diagnostics``, so a stopped or replaced driver does not leave a stale
#: count on the page.
FALLS_TIMEOUT = 5.0
#: Longest accepted count text (digits); anything longer is malformed, not a count.
_MAX_DIGITS = 12


def falls_in(statuses):
    """Return the sim fall count reported in one ``DiagnosticArray``'s statuses, or None.

    Args:
        statuses: iterable of statuses (``DiagnosticArray.status``).

    Returns:
        The ``falls`` value (int >= 0) of the first status whose ``hardware_id`` is
        :data:`SIM_HARDWARE_ID` and that carries a well-formed ``falls`` (1 to 12 ASCII
        digits); None if there is none (another node's array, a MotorHAT driver, a malformed
        value). Never raises on malformed input.

    """
    for status in statuses:
        if getattr(status, 'hardware_id', None) != SIM_HARDWARE_ID:
            continue
        for item in getattr(status, 'values', ()) or ():
            if getattr(item, 'key', None) != FALLS_KEY:
                continue
            text = getattr(item, 'value', None)
            if (isinstance(text, str) and 0 < len(text) <= _MAX_DIGITS and text.isascii()
                    and text.isdigit()):
                return int(text)
    return None


class FallsTracker(FreshValue):
    """The latest sim fall count and when it was heard (time injected, s).

    Args:
        timeout: the count is reported while younger than this (s, > 0;
            :func:`kropbot_common.freshness.is_fresh`, the shared freshness rule).

    """

    def __init__(self, timeout=FALLS_TIMEOUT):
        super().__init__(timeout)

    def update(self, statuses, now):
        """Take one ``diagnostics`` array's statuses received at ``now`` (s).

        Arrays without a sim fall count (e.g. from other nodes) change nothing.

        Returns:
            True if it carried a sim fall count.

        """
        count = falls_in(statuses)
        if count is None:
            return False
        self.set(count, now)
        return True

    def value(self, now):
        """Return the fall count (int) if heard within ``timeout`` of ``now`` (s), else None."""
        return self.get(now)
