"""Parameters of the driver node: one table, pure validation (ROS-free).

:data:`PARAMETERS` is the single source of truth for names, defaults, units, ranges and
descriptions; the node turns it into ``ParameterDescriptor`` s and the README mirrors it.
:func:`check_parameter` validates one value (like demo_nodes_py's ``check_parameter``),
:func:`check_config` validates a whole set including cross-parameter rules.
"""

from dataclasses import dataclass
import math
import re

BACKENDS = ('motorkit', 'sim')
STOP_MODES = ('brake', 'coast')
#: Prefix of an ``i2c_bus`` value naming a simulated, file-backed HAT.
FAKE_BUS_PREFIX = 'fake:'

#: ROS frame ids: letters, digits, '_' and '/' (tf2 conventions), no leading digit.
_FRAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_/]*$')


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter.

    Attributes:
        name: parameter name.
        default: default value; its Python type is the ROS parameter type.
        description: human text, with units.
        low: inclusive lower bound for numbers (None for strings/bools).
        high: inclusive upper bound for numbers.
        choices: allowed values for enumerated strings.
        read_only: True if the value cannot change after start-up.

    """

    name: str
    default: object
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    read_only: bool = False


#: PCA9685 PRE_SCALE must be 3..255 (datasheet 7.3.5); adafruit_pca9685 computes it as
#: ``int(25e6 / 4096 / f + 0.5) - 1``, so f in [24, 1700] Hz maps into that range.
PWM_FREQUENCY_RANGE = (24.0, 1700.0)

PARAMETERS = (
    ParamSpec('backend', 'motorkit', 'Motor backend: motorkit (Adafruit MotorHAT over I2C) or '
              'sim (simulated robot publishing odom).', choices=BACKENDS, read_only=True),
    ParamSpec('i2c_address', 0x60, 'I2C address of the MotorHAT PCA9685 (7-bit; 0x60 default, '
              'the original KropBot used 0x6f).', 0x03, 0x77, read_only=True),
    ParamSpec('i2c_bus', '', "I2C bus of the MotorHAT: '' = board.I2C() (the Pi's bus 1); "
              "'fake:<path>' = a register-level simulated HAT whose PCA9685 registers live in "
              'the 256-byte file <path> (created if missing), for tests and demos without '
              'hardware.', read_only=True),
    ParamSpec('watchdog', True, 'motorkit backend: run the motor_watchdog process, which turns '
              'every PCA9685 output off if the driver dies or stalls (safety).', read_only=True),
    ParamSpec('watchdog_timeout', 0.25, 'The watchdog turns the motors off after this long '
              'without a heartbeat from the control loop, s (safety). Must be >= 2 / '
              'update_rate.', 0.05, 5.0, read_only=True),
    ParamSpec('left_motor', 1, 'MotorHAT terminal of the left motor (M1..M4).', 1, 4,
              read_only=True),
    ParamSpec('right_motor', 2, 'MotorHAT terminal of the right motor (M1..M4).', 1, 4,
              read_only=True),
    ParamSpec('invert_left', False, 'Negate the left throttle (motor wired backwards).'),
    ParamSpec('invert_right', False, 'Negate the right throttle (motor wired backwards).'),
    ParamSpec('trim_left', 1.0, 'Left throttle scale, 0..1, to make a straight line straight.',
              0.0, 1.0),
    ParamSpec('trim_right', 1.0, 'Right throttle scale, 0..1.', 0.0, 1.0),
    ParamSpec('wheel_separation', 0.12, 'Distance between the wheels, m (safety limit).',
              0.01, 2.0, read_only=True),
    ParamSpec('max_wheel_speed', 0.5, 'Wheel speed at throttle 1.0, m/s (safety limit).',
              0.01, 10.0, read_only=True),
    ParamSpec('cmd_vel_timeout', 0.5, 'Stop if no cmd_vel arrived for this long, s '
              '(safety limit).', 0.05, 10.0, read_only=True),
    ParamSpec('stop_mode', 'brake', 'How to stop: brake (both H-bridge inputs on, short brake) '
              'or coast (both off).', choices=STOP_MODES),
    ParamSpec('update_rate', 20.0, 'Control loop rate, Hz: applies the latest command and '
              'publishes odom (sim). Must be >= 2 / cmd_vel_timeout.', 1.0, 200.0,
              read_only=True),
    ParamSpec('pwm_frequency', 1600.0, 'PCA9685 PWM frequency, Hz (MotorKit default 1600; the '
              'chip rounds to its prescaler).', *PWM_FREQUENCY_RANGE, read_only=True),
    ParamSpec('odom_frame_id', 'odom', 'header.frame_id of odom (sim backend).', read_only=True),
    ParamSpec('base_frame_id', 'base_link', 'child_frame_id of odom (sim backend).',
              read_only=True),
    ParamSpec('sim_world', '', "sim backend: the world file (walls, boxes, the stairwell, "
              "start poses; format in kropbot_sim's README): a path or "
              "package://<pkg>/<path>; '' = an empty square arena of sim_arena_size.",
              read_only=True),
    ParamSpec('sim_start', 0, 'sim backend: index of the start pose in the world file (also '
              'where sim/reset puts the robot).', 0, 999, read_only=True),
    ParamSpec('sim_arena_size', 4.0, "Side of the square simulated arena centred on the odom "
              "origin, m, when sim_world is ''; its walls stop the sim robot.", 0.5, 100.0,
              read_only=True),
)

SPECS = {spec.name: spec for spec in PARAMETERS}


class ConfigError(ValueError):
    """A parameter value is invalid; the message names the parameter and the allowed values."""


def check_parameter(name, value):
    """Validate one parameter value.

    Args:
        name: a name from :data:`PARAMETERS`.
        value: candidate value.

    Returns:
        None if valid, else a one-line error message (str).

    """
    spec = SPECS.get(name)
    if spec is None:
        return f'unknown parameter {name!r}'
    expected = type(spec.default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not expected:
        return (f'{name} must be of type {expected.__name__}, got {type(value).__name__} '
                f'{value!r}')
    if spec.choices and value not in spec.choices:
        return f'{name} must be one of {", ".join(spec.choices)}; got {value!r}'
    if spec.low is not None:
        if expected is float and not math.isfinite(value):
            return f'{name} must be finite, got {value!r}'
        if not spec.low <= value <= spec.high:
            return f'{name} must be in [{spec.low}, {spec.high}], got {value!r}'
    if name == 'i2c_bus':
        return check_i2c_bus(value)
    if name.endswith('_frame_id') and not _FRAME_RE.match(value):
        return f'{name} must be a frame id like "odom" (letters, digits, _ and /), got {value!r}'
    return None


def check_i2c_bus(spec):
    """Validate an ``i2c_bus`` value: ``''`` or ``'fake:<path>'``.

    Returns:
        None if valid, else a one-line error message (str).

    """
    if not isinstance(spec, str):
        return f'i2c_bus must be a string, got {type(spec).__name__}'
    if spec == '':
        return None
    if spec.startswith(FAKE_BUS_PREFIX) and spec[len(FAKE_BUS_PREFIX):].strip():
        return None
    return (f"i2c_bus must be '' (board.I2C()) or 'fake:<path>' (simulated HAT), "
            f'got {spec!r}')


def check_config(values):
    """Validate a complete parameter set, including rules that involve several parameters.

    Args:
        values: dict name -> value containing every name in :data:`PARAMETERS`.

    Returns:
        The same values as a new dict, ints converted to float for float parameters.

    Raises:
        ConfigError: with every problem found, one per line.

    """
    errors = [msg for name in SPECS if (msg := check_parameter(name, values.get(name)))]
    if not errors:
        if values['left_motor'] == values['right_motor']:
            errors.append(f'left_motor and right_motor must differ, both are '
                          f'{values["left_motor"]}')
        if values['update_rate'] * values['cmd_vel_timeout'] < 2.0:
            errors.append(f'update_rate ({values["update_rate"]} Hz) must be >= 2 / '
                          f'cmd_vel_timeout ({values["cmd_vel_timeout"]} s) so a stale command '
                          f'is caught in time')
        if values['update_rate'] * values['watchdog_timeout'] < 2.0:
            errors.append(f'update_rate ({values["update_rate"]} Hz) must be >= 2 / '
                          f'watchdog_timeout ({values["watchdog_timeout"]} s): the control loop '
                          f'feeds the watchdog once per period')
    if errors:
        raise ConfigError('; '.join(errors))
    return {name: float(values[name]) if isinstance(SPECS[name].default, float)
            else values[name] for name in SPECS}
