"""The driver's control step: which throttles the motors get, decided without ROS.

Pure and clock-injected (nmea_navsat_driver style: the node passes ``now``, s, from a monotonic
clock), so the safety logic is tested without sleeps. The node only wires it: each
``cmd_vel`` goes to :meth:`ControlCore.command`, each control-loop tick calls
:meth:`ControlCore.step` and writes the returned throttles to the motor backend.

Rules:

- A command is **fresh** while ``now - arrival < cmd_vel_timeout``
  (:func:`kropbot_common.freshness.is_fresh`, the rule the vote node uses too); at exactly
  ``cmd_vel_timeout`` it is stale and the motors stop.
- A NaN or infinite component rejects the command and forgets the previous one: the motors
  stop at once (the node applies :data:`STOP` immediately) and stay stopped until a valid
  command arrives.
- Without an armed motor watchdog (``armed=False``) the motors stay stopped whatever the
  command.
"""

from dataclasses import dataclass
import math

from kropbot_common.freshness import is_fresh

from kropbot_driver.mixing import mix

#: Throttles of a stop (applied per ``stop_mode`` by the backend).
STOP = (0.0, 0.0)


@dataclass(frozen=True)
class Step:
    """What one control step decided.

    Attributes:
        throttles: ``(left, right)`` to apply, finite, in [-1, 1]; :data:`STOP` to stop.
        timed_out: True on the step where a fresh command became stale (log it once).

    """

    throttles: tuple
    timed_out: bool = False


class ControlCore:
    """The latest ``cmd_vel``, its freshness, and the throttles of each control step.

    Args:
        mix_config: a :class:`kropbot_driver.mixing.MixConfig` (geometry and calibration).
        cmd_vel_timeout: a command is fresh while younger than this (s), > 0.

    Attributes:
        mix_config: may be replaced at any time (run-time calibration); applies from the next
            step.
        cmd_vel_timeout: the timeout (s).
        fresh: True if the last step drove from a fresh command.
        rejected: count of non-finite commands.
        timeouts: count of fresh-to-stale transitions (stops because ``cmd_vel`` stopped).

    """

    def __init__(self, mix_config, cmd_vel_timeout):
        self.mix_config = mix_config
        self.cmd_vel_timeout = float(cmd_vel_timeout)
        self.fresh = False
        self.rejected = 0
        self.timeouts = 0
        self._command = None   # latest valid (linear m/s, angular rad/s), None after a reject
        self._arrival = None   # arrival time of the latest valid command (s)

    def command(self, linear, angular, now):
        """Take a ``cmd_vel`` (m/s, rad/s) that arrived at ``now`` (s).

        Returns:
            True if accepted; False if ``linear`` or ``angular`` is NaN or infinite: the
            command is rejected, the previous one forgotten, and the caller must stop the
            motors now (:data:`STOP`).

        """
        linear, angular = float(linear), float(angular)
        if not (math.isfinite(linear) and math.isfinite(angular)):
            self.rejected += 1
            self._command = None
            self.fresh = False
            return False
        self._command = (linear, angular)
        self._arrival = now
        return True

    def step(self, now, armed=True):
        """Decide the throttles at ``now`` (s); ``armed`` False holds the motors stopped.

        Returns:
            :class:`Step`: the mixed command while it is fresh (and armed), else :data:`STOP`;
            ``timed_out`` on the step where a fresh command went stale.

        """
        fresh = armed and self._command is not None and is_fresh(
            self._arrival, now, self.cmd_vel_timeout)
        timed_out = armed and self.fresh and not fresh
        if timed_out:
            self.timeouts += 1
        self.fresh = fresh
        return Step(mix(*self._command, self.mix_config) if fresh else STOP, timed_out)

    def command_age(self, now):
        """Return the age (s) at ``now`` of the latest valid command, or None if none came."""
        return None if self._arrival is None else now - self._arrival
