"""The range sensor node's parameters: one schema (pure, ROS-free).

Each entry is a :class:`kropbot_common.params.Param`; :mod:`kropbot_range.sensor_node` declares
them with :func:`kropbot_common.ros.declare_parameters`, :func:`check_config` adds the rules the
schema cannot express, and the package README's table is generated from :data:`PARAMETERS`
(``python -m kropbot_common.params src/kropbot_range/README.md kropbot_range.params:PARAMETERS``).
Per-sensor parameters are nested under the sensor's role (``cliff.model``, ``front.model``...;
in YAML ``cliff: {model: vl6180x}``). All are read-only.
"""

import math
import re

from kropbot_common.params import Param, ParameterError

from kropbot_range.models import MODELS

#: Values of the ``backend`` parameter.
BACKENDS = ('hardware', 'sim')
#: Sensor roles: the topic is ``<role>/range``.
ROLES = ('cliff', 'front')
#: Values of ``<role>.model``: a model of :data:`kropbot_range.models.MODELS`, or ``none``.
MODEL_CHOICES = ('vl6180x', 'vl53l0x', 'none')

_FOV = round(math.radians(25.0), 4)
#: Defaults per role: the downward VL6180X at the front edge, 3 cm above the floor, and the
#: forward VL53L0X beside it.
_ROLE_DEFAULTS = {
    'cliff': dict(model='vl6180x', x=0.08, height=0.03, min_range=0.005, max_range=0.2),
    'front': dict(model='vl53l0x', x=0.08, height=0.05, min_range=0.03, max_range=1.2),
}


def _role_params(role):
    d = _ROLE_DEFAULTS[role]
    looks = 'down at the floor' if role == 'cliff' else 'ahead'
    return (
        Param(f'{role}.model', d['model'], f'the sensor looking {looks}: `vl6180x`, `vl53l0x` '
              f'or `none` (not fitted: nothing is published on `{role}/range`)',
              choices=MODEL_CHOICES),
        Param(f'{role}.i2c_address', 0x29, '7-bit I2C address (both ST sensors answer at 0x29 '
              'after power-up)', '', 0x03, 0x77),
        Param(f'{role}.frame_id', f'{role}_sensor_link', f'`header.frame_id` of `{role}/range`'),
        Param(f'{role}.x', d['x'], 'mounting offset ahead of `base_link` (the sim reads from '
              'there; publish the same as a static transform)', 'm', -1.0, 1.0),
        Param(f'{role}.height', d['height'], 'mounting height above the floor', 'm', 0.0, 1.0),
        Param(f'{role}.min_range', d['min_range'], '`Range.min_range`: closer is -inf (REP 117); '
              "within the model's limits", 'm', 0.0, 5.0),
        Param(f'{role}.max_range', d['max_range'], '`Range.max_range`: farther is +inf (REP '
              "117); within the model's limits", 'm', 0.001, 5.0),
        Param(f'{role}.field_of_view', _FOV, '`Range.field_of_view`, full cone angle', 'rad',
              0.01, 3.0),
        Param(f'{role}.noise_std', 0.0, 'sim backend: standard deviation of Gaussian noise '
              'added to each reading', 'm', 0.0, 0.5),
    )


PARAMETERS = (
    Param('backend', 'hardware', '`hardware`: the sensors over I2C with the Adafruit drivers; '
          "`sim`: readings computed from `sim_world` and the sim driver's `odom`",
          choices=BACKENDS),
    Param('rate', 25.0, 'measurement and publish rate (a slower sensor runs back to back)',
          'Hz', 1.0, 100.0),
    Param('i2c_bus', '', "hardware backend: `''` = `board.I2C()` (the Pi's bus 1, shared with "
          'the MotorHAT); `fake:<path>` = fake sensors seeing the JSON scene file `<path>` '
          '(tests, demos)'),
    Param('retry_period', 2.0, 'hardware backend: s between attempts to reopen a sensor that '
          'failed (nothing is published meanwhile: the guard sees it stale)', 's', 0.1, 60.0),
    Param('sim_world', '', "sim backend: the world file (the driver's `sim_world`); `''` = the "
          'empty arena of `sim_arena_size`'),
    Param('sim_arena_size', 4.0, "sim backend: side of the empty arena when `sim_world` is ''",
          'm', 0.5, 100.0),
    Param('seed', 0, 'sim backend: seed of the noise generator', '', 0, 2**31 - 1),
) + _role_params('cliff') + _role_params('front')

_FRAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_/]*$')


def check_config(values):
    """Check the rules beyond the schema; return the fitted sensors ``{role: settings}``.

    ``settings`` is a dict of the role's values without the prefix (``model``, ``i2c_address``,
    ``frame_id``, ``x``, ``height``, ``min_range``, ``max_range``, ``field_of_view``,
    ``noise_std``).

    Raises:
        ParameterError: ``min_range >= max_range``, limits outside the model's, a bad frame
            id, two hardware sensors at one I2C address, or a bad ``i2c_bus``.

    """
    sensors, errors = {}, []
    for role in ROLES:
        s = {key.split('.', 1)[1]: value for key, value in values.items()
             if key.startswith(f'{role}.')}
        if s['model'] == 'none':
            continue
        model = MODELS[s['model']]
        if not s['min_range'] < s['max_range']:
            errors.append(f'{role}.min_range ({s["min_range"]}) must be less than '
                          f'{role}.max_range ({s["max_range"]})')
        if s['min_range'] < model.min_range or s['max_range'] > model.max_range:
            errors.append(f'{role}: [{s["min_range"]}, {s["max_range"]}] m is outside what a '
                          f'{model.name} measures ([{model.min_range}, {model.max_range}] m)')
        if not _FRAME_RE.match(s['frame_id']):
            errors.append(f'{role}.frame_id must be a frame id like "cliff_sensor_link", got '
                          f'{s["frame_id"]!r}')
        sensors[role] = s
    if values['backend'] == 'hardware':
        addresses = [s['i2c_address'] for s in sensors.values()]
        if len(addresses) != len(set(addresses)):
            errors.append(f'cliff and front sensors both at I2C address 0x{addresses[0]:02x}: '
                          'give one another address (README, "Hardware")')
        bus = values['i2c_bus']
        if bus and not (bus.startswith('fake:') and bus[5:].strip()):
            errors.append(f"i2c_bus must be '' (board.I2C()) or 'fake:<path>', got {bus!r}")
    if errors:
        raise ParameterError('; '.join(errors))
    return sensors
