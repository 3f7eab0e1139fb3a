"""Direction bins and clamping of one command: the vote geometry (pure, ROS-free).

A command is ``(linear, angular)`` in m/s and rad/s (REP 103: ``linear.x`` forward,
``angular.z`` counter-clockwise). The 8 compass directions + stop are the shared names of
:mod:`kropbot_common.directions`; binning follows the shared conventions (45-degree sectors in
the plane of normalised ``(linear, angular)``), like the original KropBot's 8 directions + stop.
"""

import math

from kropbot_common.directions import DIRECTIONS, STOP
import numpy as np

_SECTOR = math.pi / 4.0


def direction_bins(linear, angular, max_linear, max_angular, stop_threshold=0.2):
    """Bin commands into the 8 compass directions + stop (vectorised).

    The command is normalised, ``v_n = linear / max_linear`` and ``w_n = angular / max_angular``.
    If ``hypot(v_n, w_n) < stop_threshold`` the bin is ``stop`` (8); otherwise the angle
    ``a = atan2(w_n, v_n)`` picks the 45-degree sector centred on ``k * 45`` degrees,
    ``k = floor((a + 22.5 deg) / 45 deg) mod 8``, so forward is 0, forward_left 1 (+45 deg), left
    2 (+90), back_right 3 (+135), back 4 (180), back_left 5 (-135), right 6 (-90) and
    forward_right 7 (-45) (shared conventions; car convention when reversing). A command exactly
    on a sector boundary (22.5 deg + k * 45 deg) falls into the counter-clockwise sector.

    Args:
        linear: array-like of linear.x values (m/s), any shape.
        angular: array-like of angular.z values (rad/s), same shape as ``linear``.
        max_linear: normalisation for ``linear`` (m/s), > 0.
        max_angular: normalisation for ``angular`` (rad/s), > 0.
        stop_threshold: normalised magnitude below which a command is ``stop``.

    Returns:
        numpy int64 array of bin indices into :data:`kropbot_common.directions.DIRECTIONS`,
        same shape as the inputs.

    """
    v = np.asarray(linear, dtype=np.float64) / max_linear
    w = np.asarray(angular, dtype=np.float64) / max_angular
    sector = np.floor((np.arctan2(w, v) + _SECTOR / 2.0) / _SECTOR).astype(np.int64) % 8
    return np.where(np.hypot(v, w) < stop_threshold, STOP, sector)


def clamp_command(linear, angular, max_linear, max_angular):
    """Clamp one command to the limits, or return None if it is not finite.

    Args:
        linear: linear.x (m/s).
        angular: angular.z (rad/s).
        max_linear: limit (m/s), > 0; the result satisfies ``|linear| <= max_linear``.
        max_angular: limit (rad/s), > 0; the result satisfies ``|angular| <= max_angular``.

    Returns:
        ``(linear, angular, clamped)`` with ``clamped`` True if either value was cut, or None
        if ``linear`` or ``angular`` is NaN or infinite.

    """
    linear = float(linear)
    angular = float(angular)
    if not (math.isfinite(linear) and math.isfinite(angular)):
        return None
    cl = min(max(linear, -max_linear), max_linear)
    ca = min(max(angular, -max_angular), max_angular)
    return cl, ca, (cl != linear or ca != angular)


#: Scale of both components of a diagonal direction's canonical command (the page's buttons).
DIAGONAL_SCALE = 0.7

#: ``(linear, angular)`` factors of each direction's canonical command, by bin index (the
#: order of :data:`kropbot_common.directions.DIRECTIONS`): the page's pad buttons
#: (``web/src/logic/commands.js`` ``BUTTONS``, compared by a test), so each lies at the centre
#: of its own sector; reversing uses the car convention (``back_left`` turns clockwise).
CANONICAL_FACTORS = (
    (1.0, 0.0),                                # forward
    (DIAGONAL_SCALE, DIAGONAL_SCALE),          # forward_left
    (0.0, 1.0),                                # left
    (-DIAGONAL_SCALE, DIAGONAL_SCALE),         # back_right
    (-1.0, 0.0),                               # back
    (-DIAGONAL_SCALE, -DIAGONAL_SCALE),        # back_left
    (0.0, -1.0),                               # right
    (DIAGONAL_SCALE, -DIAGONAL_SCALE),         # forward_right
    (0.0, 0.0),                                # stop
)


def canonical_command(direction, max_linear, max_angular):
    """Return the canonical command of a direction: the page's button for it.

    ``forward`` is ``(max_linear, 0)``, ``left`` ``(0, max_angular)``, the diagonals
    ``0.7 * (±max_linear, ±max_angular)``, ``stop`` ``(0, 0)`` (web/README.md, Controls).

    Args:
        direction: a name of :data:`kropbot_common.directions.DIRECTIONS`.
        max_linear: linear limit (m/s), > 0.
        max_angular: angular limit (rad/s), > 0.

    Returns:
        ``(linear, angular)`` in m/s and rad/s, within the limits.

    Raises:
        ValueError: for an unknown direction name.

    """
    try:
        fv, fw = CANONICAL_FACTORS[DIRECTIONS.index(direction)]
    except ValueError:
        raise ValueError(f'unknown direction {direction!r}, expected one of {DIRECTIONS}') \
            from None
    return fv * max_linear + 0.0, fw * max_angular + 0.0
