"""Validation of the driver's parameters beyond the schema (pure, ROS-free).

The schema (names, defaults, units, ranges, read-only flags) is
:data:`kropbot_driver.params.PARAMETERS`. :func:`check_parameter` validates one value against
it plus the per-parameter rules it cannot express (``i2c_bus`` syntax, frame ids);
:func:`check_config` validates a whole set, including the rules that involve several
parameters (distinct motors, ``update_rate`` against the timeouts, ``sim_start`` of the empty
arena). Whether ``sim_world`` names a readable, valid world with ``sim_start + 1`` start poses
is checked when the sim backend loads it (:mod:`kropbot_sim.world`; a
:class:`~kropbot_driver.backends.BackendError` at start-up).
"""

import re

from kropbot_common.params import ParameterError, by_name, check

from kropbot_driver.params import PARAMETERS

#: Prefix of an ``i2c_bus`` value naming a simulated, file-backed HAT.
FAKE_BUS_PREFIX = 'fake:'

#: The schema by name.
SPECS = by_name(PARAMETERS)

#: ROS frame ids: letters, digits, '_' and '/' (tf2 conventions), no leading digit.
_FRAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_/]*$')


class ConfigError(ParameterError):
    """A parameter value is invalid; the message names the parameter and the allowed values."""


def check_parameter(name, value):
    """Validate one parameter value (schema and per-parameter rules).

    Args:
        name: a name from :data:`PARAMETERS`.
        value: candidate value.

    Returns:
        None if valid, else a one-line error message (str) naming the parameter.

    """
    spec = SPECS.get(name)
    if spec is None:
        return f'unknown parameter {name!r}'
    error = check(spec, value)
    if error:
        return error
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
        ConfigError: with every problem found, separated by ``'; '``.

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
        if (values['backend'] == 'sim' and not values['sim_world'].strip()
                and values['sim_start'] != 0):
            errors.append(f"sim_start ({values['sim_start']}) must be 0 when sim_world is '' "
                          f'(the empty arena has one start pose, the origin facing +x)')
    if errors:
        raise ConfigError('; '.join(errors))
    return {name: float(values[name]) if spec.kind == 'float' else values[name]
            for name, spec in SPECS.items()}
