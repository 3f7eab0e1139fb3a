"""The operator override (``teleop/cmd_vel``): pure, ROS-free, clock injected."""

from kropbot_common.freshness import is_fresh

from kropbot_vote.bins import clamp_command


class TeleopOverride:
    """The operator's command (``teleop/cmd_vel``), which overrides the crowd while fresh.

    Args:
        timeout: the override lasts this long after the last valid command (s), > 0.
        max_linear: limit (m/s); commands are clamped to it.
        max_angular: limit (rad/s); commands are clamped to it.

    Attributes:
        rejected: count of non-finite commands (ignored: they neither refresh nor stop the
            override).
        timeout: may be changed at any time (s); applies to the last command too.

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
        """Return ``(linear, angular)`` while the last command is fresh at ``now``, else None.

        Fresh means ``now - arrival < timeout`` (:func:`kropbot_common.freshness.is_fresh`,
        the rule votes and the driver's ``cmd_vel_timeout`` use too).
        """
        return self._command if is_fresh(self._arrival, now, self.timeout) else None

    def end(self):
        """End the override now (its publisher is gone); the next :meth:`update` starts anew.

        Returns:
            True if a command had arrived since the last :meth:`end` (the override may have
            timed out already), False if there was nothing to end.

        """
        was = self._arrival is not None
        self._arrival = None
        self._command = (0.0, 0.0)
        return was
