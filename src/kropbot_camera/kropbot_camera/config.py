"""Camera parameters: names, defaults, ranges and a pure validator (no ROS imports).

The node declares every entry of :data:`PARAMETERS` with a ``ParameterDescriptor`` built from it
and runs :func:`validate_config` on the complete set, both at start-up and whenever a parameter
is set at run time. Units are SI (REP 103) except image sizes (px) and rates (Hz).
"""

from dataclasses import dataclass, fields
import math


class ConfigError(ValueError):
    """A camera parameter has an invalid value; the message names the parameter and the rule."""


@dataclass(frozen=True)
class ParamSpec:
    """Declaration data for one parameter.

    Attributes:
        name: parameter name.
        default: default value; its Python type is the parameter type (str, int or float).
        description: one-line human description (units included).
        low: smallest allowed value for numeric parameters (inclusive), else None.
        high: largest allowed value for numeric parameters (inclusive), else None.
        read_only: True when the value can only be given at start-up (``--ros-args -p`` or the
            params file), e.g. because changing it would need the source to be reopened.

    """

    name: str
    default: object
    description: str
    low: float | None = None
    high: float | None = None
    read_only: bool = False


PARAMETERS = (
    ParamSpec('source', '0',
              'OpenCV source (device index such as "0", /dev/videoN, file path, URL, or a '
              'GStreamer pipeline containing "!"), "test_pattern", "sim" (top-down view of '
              'the simulated robot from odom) or "sim_fpv" (what a camera on the simulated '
              'robot sees)', read_only=True),
    ParamSpec('width', 320, 'published image width (px); frames of another size are resized',
              16, 4096, read_only=True),
    ParamSpec('height', 240, 'published image height (px); frames of another size are resized',
              16, 4096, read_only=True),
    ParamSpec('fps', 10.0, 'publish rate (Hz), at most the source rate for live sources',
              0.1, 120.0),
    ParamSpec('jpeg_quality', 60, 'JPEG quality (1 = smallest, 100 = best)', 1, 100),
    ParamSpec('frame_id', 'camera_optical_frame', 'header.frame_id of the published images'),
    ParamSpec('retry_period', 2.0, 'time between attempts to reopen a failed source (s)',
              0.1, 3600.0, read_only=True),  # held by the source, set when it is made
    ParamSpec('sim_arena_size', 4.0,
              "side of the square simulated arena centred on the odom origin (m) when sim_world "
              "is '', sim sources only", 0.5, 100.0, read_only=True),
    ParamSpec('sim_world', '',
              "sim world file (as the driver's): a path or package://<pkg>/<path>; '' = an "
              'empty square arena of sim_arena_size; sim sources only', read_only=True),
)

SPECS = {spec.name: spec for spec in PARAMETERS}


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
    sim_world: str = ''


def _check_number(name, value, want_int):
    spec = SPECS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = 'an integer' if want_int else 'a number'
        raise ConfigError(f'parameter {name!r} must be {kind}, got {value!r}')
    if want_int and not isinstance(value, int):
        raise ConfigError(f'parameter {name!r} must be an integer, got {value!r}')
    if not math.isfinite(value):
        raise ConfigError(f'parameter {name!r} must be finite, got {value!r}')
    if not spec.low <= value <= spec.high:
        raise ConfigError(f'parameter {name!r} = {value!r} is out of range '
                          f'[{spec.low}, {spec.high}]: {spec.description}')
    return int(value) if want_int else float(value)


def _check_text(name, value):
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'parameter {name!r} must be a non-empty string, got {value!r}')
    return value.strip()


def validate_config(values):
    """Check a complete parameter mapping and return it as a :class:`CameraConfig`.

    Args:
        values: mapping from parameter name to value; missing names take their defaults,
            unknown names are ignored.

    Returns:
        CameraConfig: the validated values (ints for width/height/jpeg_quality, floats for
        fps/retry_period/sim_arena_size, stripped strings).

    Raises:
        ConfigError: naming the first invalid parameter, e.g.
            ``parameter 'width' = -5 is out of range [16, 4096]: ...``.

    """
    merged = {spec.name: spec.default for spec in PARAMETERS}
    merged.update({k: v for k, v in values.items() if k in SPECS})
    checked = {}
    for field in fields(CameraConfig):
        name = field.name
        default = SPECS[name].default
        if name == 'sim_world':  # '' is a valid value (the empty arena)
            if not isinstance(merged[name], str):
                raise ConfigError(f'parameter {name!r} must be a string, got {merged[name]!r}')
            checked[name] = merged[name].strip()
        elif isinstance(default, str):
            checked[name] = _check_text(name, merged[name])
        else:
            checked[name] = _check_number(name, merged[name], isinstance(default, int))
    return CameraConfig(**checked)
