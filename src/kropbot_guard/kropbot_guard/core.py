"""The cliff and obstacle guard's decision (pure, ROS-free, time injected).

Between the command source and the driver (vote node → ``cmd_vel`` → guard → ``cmd_vel_safe``
→ driver), every command passes :meth:`GuardCore.filter`:

- **Cliff.** The downward sensor at the front edge sees the floor at its mounting height. A
  reading that is not a finite distance up to ``cliff_threshold`` (m) — farther (a drop), ``+inf``
  ("no return": no floor within range, REP 117), ``-inf`` (closer than the sensor can measure:
  a covered or dirty window would otherwise hide every edge) or NaN (an invalid reading) — sets
  the *cliff flag*: forward motion is refused (``linear.x > 0`` becomes 0).
- **Obstacle.** The forward sensor's distance ``d`` (m, from the sensor at the front edge)
  scales forward speed by :func:`slowdown_factor`: 1 beyond ``slow_distance``, 0 within
  ``stop_distance``, linear in between (monotone non-decreasing in ``d``). ``+inf`` is clear,
  ``-inf`` and NaN stop.
- **Stale.** A sensor whose newest reading is ``reading_timeout`` s old or older (or that never
  sent one) refuses forward motion: an unplugged sensor or a dead sensor node is not "clear"
  (:func:`kropbot_common.freshness.is_fresh`, the shared freshness rule).
- **Cliff latch.** A cliff reading also *latches* the refusal: forward stays refused, even once
  the sensor sees floor again, until the robot has turned ``cliff_release_turn`` rad (net,
  either way) or reversed ``cliff_release_back`` m since the newest no-floor reading (dead
  reckoning of the commands the guard let through, :meth:`GuardCore.published`). A single
  sensor sees one spot ahead: without the latch, a crowd sliding along an edge at a shallow
  angle flickers the spot on and off the edge while the centre drifts over it (the griefer soak
  found such falls); with it, the robot must turn clearly away (turning towards the edge keeps
  the spot over it, which re-arms the latch) or back off first.
- Reversing (``linear.x <= 0``) and turning (``angular.z``) always pass, so the crowd can drive
  away from the edge. Every output is clamped to ``±max_linear`` / ``±max_angular``; a
  non-finite input becomes a stop.

Each sensor's ``mode`` is ``'enforce'`` (the above) or ``'warn'`` (conditions are reported
but nothing is refused: only for a robot that does not have that sensor). ``bypass`` (the
robot's own read-only ``maintenance_bypass``) passes every command unguarded (still clamped and
NaN-safe) and is reported as a warning.

The guard's *state* is what it is doing: ``'cliff'`` (an enforced cliff flag), ``'stale'``
(an enforced sensor without a fresh reading), ``'obstacle'`` (an enforced forward obstacle
within ``slow_distance``: slowing or stopped), or None; in that order of precedence.
Nav2's collision monitor is the model (a small subset: one "stop" and one "slowdown" zone
along a single forward ray, no footprint polygons).
"""

from dataclasses import dataclass, field
import math

from kropbot_common.freshness import is_fresh

#: Sensor modes.
MODES = ('enforce', 'warn')
#: Values of :attr:`Assessment.state` (None: nothing limited).
STATES = ('cliff', 'stale', 'obstacle')
#: The sensors the guard reads.
SENSORS = ('cliff', 'front')


@dataclass(frozen=True)
class GuardConfig:
    """Thresholds and limits of the guard (SI units).

    Attributes:
        cliff_threshold: m; a downward reading beyond this is "no floor" (mounting height plus
            the smallest drop to stop for).
        stop_distance: m from the forward sensor; forward motion stops at or within it.
        slow_distance: m; forward speed is scaled down within it (> ``stop_distance``).
        reading_timeout: s; a reading this old is stale.
        cliff_mode: ``'enforce'`` or ``'warn'``.
        front_mode: ``'enforce'`` or ``'warn'``.
        max_linear: m/s, output clamp.
        max_angular: rad/s, output clamp.
        bypass: maintenance bypass: pass everything (clamped), report it.
        cliff_release_turn: rad of net turning that releases the cliff latch.
        cliff_release_back: m of net reversing that releases the cliff latch.

    Raises:
        ValueError: on a non-finite or non-positive threshold, ``slow_distance <=
            stop_distance`` or an unknown mode.

    """

    cliff_threshold: float = 0.06
    stop_distance: float = 0.10
    slow_distance: float = 0.40
    reading_timeout: float = 0.25
    cliff_mode: str = 'enforce'
    front_mode: str = 'enforce'
    max_linear: float = 0.3
    max_angular: float = 1.5
    bypass: bool = False
    cliff_release_turn: float = 0.5
    cliff_release_back: float = 0.05

    def __post_init__(self):
        for name in ('cliff_threshold', 'stop_distance', 'slow_distance', 'reading_timeout',
                     'max_linear', 'max_angular', 'cliff_release_turn', 'cliff_release_back'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not math.isfinite(value) or value <= 0:
                raise ValueError(f'{name} must be a finite number > 0, got {value!r}')
        if not self.slow_distance > self.stop_distance:
            raise ValueError(f'slow_distance ({self.slow_distance} m) must be greater than '
                             f'stop_distance ({self.stop_distance} m)')
        for name in ('cliff_mode', 'front_mode'):
            if getattr(self, name) not in MODES:
                raise ValueError(f'{name} must be one of {", ".join(MODES)}, got '
                                 f'{getattr(self, name)!r}')


def floor_present(reading, threshold):
    """Return True if a downward ``reading`` (m, REP 117) shows floor within ``threshold`` m.

    Only a finite reading ``<= threshold`` is floor; ``+inf`` (no floor within range), ``-inf``
    (too close: a covered window), NaN (invalid) and farther readings are not.
    """
    return isinstance(reading, (int, float)) and math.isfinite(reading) and \
        reading <= threshold


def slowdown_factor(distance, stop_distance, slow_distance):
    """Return the fraction of the commanded forward speed allowed at ``distance`` (m) ahead.

    ``0`` at or within ``stop_distance``, ``1`` at or beyond ``slow_distance``, linear in
    between; ``+inf`` (nothing within range) is 1, ``-inf`` (too close to measure) and NaN
    (invalid) are 0. Monotone non-decreasing in ``distance``.
    """
    if not isinstance(distance, (int, float)) or math.isnan(distance):
        return 0.0
    if distance <= stop_distance:
        return 0.0
    if distance >= slow_distance:
        return 1.0
    return (distance - stop_distance) / (slow_distance - stop_distance)


def clamp(value, limit):
    """Return ``value`` clamped to ``[-limit, limit]``; a non-finite value becomes 0.0."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return max(-limit, min(limit, float(value)))


@dataclass(frozen=True)
class Assessment:
    """What the guard makes of its sensors at one instant.

    Attributes:
        factor: fraction of a forward command let through, in [0, 1] (1 = unlimited).
        state: ``'cliff'``, ``'stale'``, ``'obstacle'`` or None (see the module docstring).
        cliff: True if the cliff flag is set (fresh reading without floor), any mode.
        stale: sensors (of :data:`SENSORS`) without a fresh reading, any mode.
        front_factor: :func:`slowdown_factor` of a fresh forward reading (1 if none).
        warnings: conditions seen but not enforced (warn mode, bypass), human text.
        latched: True if the cliff latch (not the current reading) refuses forward motion.

    """

    factor: float
    state: str | None
    cliff: bool
    stale: tuple
    front_factor: float
    warnings: tuple = field(default=())
    latched: bool = False


def assess(cfg, cliff, front, now, latched=False):
    """Return the :class:`Assessment` of the newest readings.

    Args:
        cfg: :class:`GuardConfig`.
        cliff: ``(reading, arrival)`` of the downward sensor (m, s) or None if none arrived.
        front: ``(reading, arrival)`` of the forward sensor, or None.
        now: s, same clock as the arrivals.
        latched: the cliff latch is armed (refuses forward like a cliff reading, when the
            cliff sensor is enforced).

    """
    stale = tuple(name for name, latest in (('cliff', cliff), ('front', front))
                  if latest is None or not is_fresh(latest[1], now, cfg.reading_timeout))
    cliff_flag = 'cliff' not in stale and not floor_present(cliff[0], cfg.cliff_threshold)
    front_factor = 1.0 if 'front' in stale else slowdown_factor(
        front[0], cfg.stop_distance, cfg.slow_distance)
    enforce = {'cliff': cfg.cliff_mode == 'enforce' and not cfg.bypass,
               'front': cfg.front_mode == 'enforce' and not cfg.bypass}
    factor, state, warnings = 1.0, None, []
    latched = latched and enforce['cliff'] and not cliff_flag
    if cliff_flag or latched:
        if enforce['cliff']:
            factor, state = 0.0, 'cliff'
        else:
            warnings.append('cliff: no floor ahead (not enforced)')
    for name in stale:
        if enforce[name]:
            factor = 0.0
            state = state or 'stale'
        else:
            warnings.append(f'{name}: no fresh reading (not enforced)')
    if front_factor < 1.0:
        if enforce['front']:
            factor = min(factor, front_factor)
            state = state or 'obstacle'
        else:
            warnings.append('front: obstacle ahead (not enforced)')
    if cfg.bypass:
        warnings.insert(0, 'MAINTENANCE BYPASS: nothing is enforced')
    return Assessment(factor=factor, state=state, cliff=cliff_flag, stale=stale,
                      front_factor=front_factor, warnings=tuple(warnings), latched=latched)


def guard_command(linear, angular, factor, cfg):
    """Return the guarded ``(linear, angular)`` (m/s, rad/s) of one command.

    Both are clamped (non-finite → 0.0); a forward ``linear`` is multiplied by ``factor``
    (in [0, 1]); reversing and turning pass unchanged.
    """
    linear, angular = clamp(linear, cfg.max_linear), clamp(angular, cfg.max_angular)
    if linear > 0.0:
        linear *= min(1.0, max(0.0, factor))
    return linear, angular


@dataclass(frozen=True)
class Decision:
    """One guarded command.

    Attributes:
        linear: m/s to publish.
        angular: rad/s to publish.
        assessment: the :class:`Assessment` it was made with.
        limited: True if the guard reduced a forward command.
        nonfinite: True if the input had a non-finite component (it became a stop).

    """

    linear: float
    angular: float
    assessment: Assessment
    limited: bool
    nonfinite: bool


#: Longest time one published command is assumed to act (s): the driver's ``cmd_vel_timeout``.
COMMAND_HOLD = 0.5


class GuardCore:
    """The guard's state: newest readings (with arrival times), the cliff latch and counters.

    Args:
        cfg: :class:`GuardConfig`.

    Attributes:
        cfg: the configuration.
        limited: forward commands reduced so far.
        refused: forward commands refused (reduced to 0) so far.
        nonfinite: non-finite commands (stopped) so far.

    """

    def __init__(self, cfg):
        self.cfg = cfg
        self._latest = {'cliff': None, 'front': None}
        self._latch = None        # [net turn (rad), net reverse (m)] since the last no-floor
        self._applied = None      # (linear, angular, since) last published
        self.limited = 0
        self.refused = 0
        self.nonfinite = 0

    def reading(self, sensor, value, now):
        """Store a ``sensor`` (``'cliff'`` or ``'front'``) reading (m, REP 117) at ``now`` (s).

        Anything but a number is stored as NaN (an invalid reading).

        Raises:
            ValueError: unknown sensor name.

        """
        if sensor not in self._latest:
            raise ValueError(f'sensor must be one of {", ".join(SENSORS)}, got {sensor!r}')
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            value = math.nan
        self._latest[sensor] = (float(value), now)
        if sensor == 'cliff' and not floor_present(value, self.cfg.cliff_threshold):
            self._latch = [0.0, 0.0]      # (re-)arm: count turning and reversing from here

    def published(self, linear, angular, now):
        """Note the command the guard published at ``now`` (s) (m/s, rad/s).

        The previous one is taken to have acted until now (at most :data:`COMMAND_HOLD` s):
        its turning and reversing count towards releasing the cliff latch.
        """
        if self._applied is not None and self._latch is not None:
            last_linear, last_angular, since = self._applied
            dt = min(max(0.0, now - since), COMMAND_HOLD)
            self._latch[0] += last_angular * dt
            self._latch[1] -= last_linear * dt
        self._applied = (float(linear), float(angular), now)

    @property
    def latched(self):
        """True while the cliff latch refuses forward motion (see the module docstring)."""
        if self._latch is None:
            return False
        if abs(self._latch[0]) >= self.cfg.cliff_release_turn or \
                self._latch[1] >= self.cfg.cliff_release_back:
            self._latch = None
            return False
        return True

    def latest(self, sensor):
        """Return ``(reading, arrival)`` of ``sensor`` or None."""
        return self._latest[sensor]

    def assess(self, now):
        """Return the :class:`Assessment` at ``now`` (s)."""
        return assess(self.cfg, self._latest['cliff'], self._latest['front'], now,
                      latched=self.latched)

    def filter(self, linear, angular, now, count=True):
        """Guard one command at ``now`` (s); return a :class:`Decision`.

        Args:
            linear: commanded forward speed, m/s.
            angular: commanded yaw rate, rad/s.
            now: s.
            count: update the counters (False for a re-evaluation of the same command).

        """
        assessment = self.assess(now)
        nonfinite = not all(isinstance(x, (int, float)) and math.isfinite(x)
                            for x in (linear, angular))
        if nonfinite:
            linear, angular = 0.0, 0.0
        wanted = clamp(linear, self.cfg.max_linear)
        out_linear, out_angular = guard_command(linear, angular, assessment.factor, self.cfg)
        limited = wanted > 0.0 and out_linear < wanted
        if count:
            self.nonfinite += nonfinite
            self.limited += limited
            self.refused += limited and out_linear == 0.0
        return Decision(out_linear, out_angular, assessment, limited, nonfinite)
