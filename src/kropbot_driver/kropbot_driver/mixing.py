"""Differential-drive mixing: a body twist to per-motor throttles (pure, ROS-free).

Formula (docs/ARCHITECTURE.md, "Vote fusion and driving"): for a forward speed ``v`` (m/s, +x
of ``base_link``) and a yaw rate ``w`` (rad/s, counter-clockwise positive, REP 103) on a robot
whose wheels are ``L`` metres apart::

    left  = v - w * L / 2        (m/s)
    right = v + w * L / 2        (m/s)

Each wheel speed is divided by ``max_wheel_speed`` (the speed reached at throttle 1.0), clamped
to [-1, 1], scaled by the motor's trim (0..1) and negated if the motor is wired backwards.
"""

from dataclasses import dataclass
import math

#: Smallest throttle magnitude the PCA9685 can express: one step of its 12-bit PWM counter.
#: Smaller magnitudes (including subnormals and -0.0) are flushed to exactly 0.0.
THROTTLE_EPSILON = 1.0 / 4096.0


class NonFiniteCommandError(ValueError):
    """A velocity command contained NaN or an infinity; it must be rejected (stop)."""


@dataclass(frozen=True)
class MixConfig:
    """Geometry and per-motor calibration used by :func:`mix`.

    Attributes:
        wheel_separation: distance between the wheel contact points, m (> 0).
        max_wheel_speed: wheel speed at throttle 1.0, m/s (> 0).
        trim_left: left throttle scale, 0..1 (1.0 = no trim).
        trim_right: right throttle scale, 0..1.
        invert_left: True if the left motor is wired backwards.
        invert_right: True if the right motor is wired backwards.

    """

    wheel_separation: float = 0.12
    max_wheel_speed: float = 0.5
    trim_left: float = 1.0
    trim_right: float = 1.0
    invert_left: bool = False
    invert_right: bool = False


def clamp_unit(value):
    """Clamp ``value`` to [-1, 1] and flush magnitudes below :data:`THROTTLE_EPSILON` to 0.0.

    Args:
        value: a float; +-inf are clamped to +-1.

    Returns:
        A finite float in [-1, 1]; never -0.0.

    Raises:
        NonFiniteCommandError: if ``value`` is NaN (NaN cannot be ordered, so it is not clamped).

    """
    if math.isnan(value):
        raise NonFiniteCommandError('throttle is NaN')
    value = max(-1.0, min(1.0, float(value)))
    if abs(value) < THROTTLE_EPSILON:
        return 0.0
    return value


def twist_to_wheel_speeds(linear, angular, wheel_separation):
    """Return ``(left, right)`` wheel speeds in m/s for a body twist.

    Args:
        linear: forward speed ``v``, m/s.
        angular: yaw rate ``w``, rad/s, counter-clockwise positive (REP 103).
        wheel_separation: ``L``, m.

    Returns:
        ``(v - w*L/2, v + w*L/2)``; may be +-inf if the inputs are absurdly large.

    Raises:
        NonFiniteCommandError: if ``linear`` or ``angular`` is NaN or infinite.

    """
    if not (math.isfinite(linear) and math.isfinite(angular)):
        raise NonFiniteCommandError(f'non-finite command: linear={linear!r}, angular={angular!r}')
    half_turn = angular * wheel_separation / 2.0
    return linear - half_turn, linear + half_turn


def wheel_speeds_to_throttles(left, right, max_wheel_speed):
    """Convert wheel speeds (m/s) to throttles clamped to [-1, 1] (see :func:`clamp_unit`)."""
    return clamp_unit(left / max_wheel_speed), clamp_unit(right / max_wheel_speed)


def apply_calibration(left, right, config):
    """Apply trims and inversions of ``config`` (:class:`MixConfig`) to throttles in [-1, 1]."""
    left = left * config.trim_left
    right = right * config.trim_right
    if config.invert_left:
        left = -left
    if config.invert_right:
        right = -right
    return clamp_unit(left), clamp_unit(right)


def mix(linear, angular, config):
    """Mix a twist into ``(left, right)`` motor throttles, the full pipeline of the contract.

    Args:
        linear: ``twist.linear.x``, m/s.
        angular: ``twist.angular.z``, rad/s.
        config: a :class:`MixConfig`.

    Returns:
        Two finite floats in [-1, 1] (exactly 0.0 below one PWM step).

    Raises:
        NonFiniteCommandError: if ``linear`` or ``angular`` is NaN or infinite.

    """
    left, right = twist_to_wheel_speeds(float(linear), float(angular), config.wheel_separation)
    left, right = wheel_speeds_to_throttles(left, right, config.max_wheel_speed)
    return apply_calibration(left, right, config)


def throttles_to_wheel_speeds(left, right, max_wheel_speed):
    """Inverse of :func:`wheel_speeds_to_throttles`: throttles (or None = off) to m/s."""
    return ((left or 0.0) * max_wheel_speed, (right or 0.0) * max_wheel_speed)
