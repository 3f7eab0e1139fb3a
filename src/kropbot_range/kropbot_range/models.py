"""The supported time-of-flight sensor models and their readings as REP 117 ranges (pure).

REP 117 ("Informational distance measurements") for ``sensor_msgs/msg/Range.range``:
``+inf`` = no return within ``max_range`` (nothing detected), ``-inf`` = an object closer than
``min_range``, NaN = an erroneous reading; any finite value lies in ``[min_range,
max_range]``.

- **VL6180X** (ST DS10868): 0..255 mm in 1 mm steps, guaranteed 0..100 mm, typically up to
  200 mm; each result carries an error code (``RESULT__RANGE_STATUS`` bits 7:4, the Adafruit
  driver's ``range_status``). Its short range, 1 mm resolution and fast convergence over a
  near target make it the cliff sensor: the floor is 2..5 cm below it, and "no return" is
  reported explicitly (codes 6..8), not guessed from a large number.
- **VL53L0X** (ST DS11555): up to ~1.2 m indoors in the default mode (2 m in long-range mode),
  ~3 cm minimum, 25° cone; it reports 8190/8191 mm when nothing is in range; the Adafruit
  driver returns only the distance. The forward sensor.
"""

from dataclasses import dataclass
import math


@dataclass(frozen=True)
class SensorModel:
    """What a sensor model can measure (limits the parameters must stay within).

    Attributes:
        name: model name (the ``<role>.model`` parameter).
        min_range: m, the closest distance it measures.
        max_range: m, the farthest.
        field_of_view: rad, full cone angle (``Range.field_of_view``).
        address: its 7-bit I2C address after power-up.

    """

    name: str
    min_range: float
    max_range: float
    field_of_view: float
    address: int = 0x29


#: Sensor models by name. Both ST sensors answer at 0x29 after power-up.
MODELS = {
    'vl6180x': SensorModel('vl6180x', 0.0, 0.2, math.radians(25.0)),
    'vl53l0x': SensorModel('vl53l0x', 0.03, 2.0, math.radians(25.0)),
}

#: VL6180X error codes meaning "no target" (6 early convergence estimate failed, 7 max
#: convergence time reached, 8 below the ignore threshold) or "beyond range" (13 raw overflow,
#: 15 range overflow): REP 117 ``+inf``.
VL6180X_NO_TARGET = frozenset({6, 7, 8, 13, 15})
#: VL6180X error codes meaning "too close" (12 raw underflow, 14 range underflow): ``-inf``.
VL6180X_TOO_CLOSE = frozenset({12, 14})
#: VL53L0X readings (mm) at and above which nothing was in range.
VL53L0X_OUT_OF_RANGE = 8190


def limit(distance, min_range, max_range):
    """Return ``distance`` (m) with REP 117 limits: ``+inf`` beyond max, ``-inf`` below min."""
    if math.isnan(distance):
        return math.nan
    if distance > max_range:
        return math.inf
    if distance < min_range:
        return -math.inf
    return distance


def vl6180x_range(millimetres, status, min_range, max_range):
    """Return a VL6180X result as a REP 117 range, m.

    Args:
        millimetres: ``RESULT__RANGE_VAL`` (the driver's ``range``), int mm.
        status: its error code (the driver's ``range_status``): 0 = valid; see
            :data:`VL6180X_NO_TARGET` and :data:`VL6180X_TOO_CLOSE`; anything else (1..5
            hardware self-tests, 11 too much ambient light) is an erroneous reading, NaN.
        min_range: m.
        max_range: m.

    """
    if status in VL6180X_NO_TARGET:
        return math.inf
    if status in VL6180X_TOO_CLOSE:
        return -math.inf
    if status != 0:
        return math.nan
    return limit(millimetres / 1000.0, min_range, max_range)


def vl53l0x_range(millimetres, min_range, max_range):
    """Return a VL53L0X result (the driver's ``range``, int mm) as a REP 117 range, m."""
    if millimetres >= VL53L0X_OUT_OF_RANGE:
        return math.inf
    return limit(millimetres / 1000.0, min_range, max_range)
