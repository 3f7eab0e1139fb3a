"""The camera's validated configuration (pure, ROS-free).

The schema (names, defaults, units, ranges, read-only flags) is
:data:`kropbot_camera.params.PARAMETERS`; :func:`validate_config` checks a complete set
against it plus the rule the schema cannot express (``source`` and ``frame_id`` must be
non-empty) and returns a :class:`CameraConfig`. The node runs it at start-up and on every
run-time change.
"""

from dataclasses import dataclass

from kropbot_common.params import ParameterError, check_values

from kropbot_camera.params import PARAMETERS

_NON_EMPTY = ('source', 'frame_id')


class ConfigError(ParameterError):
    """A camera parameter has an invalid value; the message names the parameter and the rule."""


@dataclass(frozen=True)
class CameraConfig:
    """A validated set of camera parameters (see :data:`PARAMETERS` for meaning and units)."""

    source: str
    width: int
    height: int
    fps: float
    jpeg_quality: int
    frame_id: str
    retry_period: float
    sim_arena_size: float
    sim_world: str


def validate_config(values):
    """Check a complete parameter mapping and return it as a :class:`CameraConfig`.

    Args:
        values: mapping from parameter name to value; missing names take their defaults,
            unknown names are ignored.

    Returns:
        CameraConfig: the validated values (ints for width/height/jpeg_quality, floats for
        fps/retry_period/sim_arena_size, stripped strings; ``sim_world`` may be ``''``, the
        empty arena).

    Raises:
        ConfigError: naming the first invalid parameter, e.g.
            ``parameter 'width' = -5 is out of range [16, 4096] px``.

    """
    for name in _NON_EMPTY:
        value = values.get(name, '.')
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f'parameter {name!r} must be a non-empty string, got {value!r}')
    try:
        checked = check_values(PARAMETERS, values)
    except ParameterError as exc:
        raise ConfigError(str(exc)) from None
    for name in (*_NON_EMPTY, 'sim_world'):
        checked[name] = checked[name].strip()
    return CameraConfig(**checked)
