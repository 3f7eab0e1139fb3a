"""The guard node's parameters: one schema (pure, ROS-free).

Each entry is a :class:`kropbot_common.params.Param`; :mod:`kropbot_guard.guard_node` declares
them with :func:`kropbot_common.ros.declare_parameters`, :func:`config_from_values` turns them
into a :class:`kropbot_guard.core.GuardConfig` (cross-parameter rules), and the package README's
table is generated from :data:`PARAMETERS` (``python -m kropbot_common.params
src/kropbot_guard/README.md kropbot_guard.params:PARAMETERS``). Every parameter is read-only:
the guard is a safety limit, changed only in the robot's own parameter file and a restart (so
neither the crowd, nor the gateway, nor ``ros2 param set`` can loosen it at run time).
"""

from kropbot_common.params import Param, ParameterError

from kropbot_guard.core import MODES, GuardConfig

PARAMETERS = (
    Param('cliff_mode', 'enforce', '`enforce`: no floor ahead (or no fresh reading) refuses '
          'forward motion; `warn`: only reported (a robot without a cliff sensor)',
          choices=MODES),
    Param('front_mode', 'enforce', '`enforce`: an obstacle ahead slows, then stops forward '
          'motion, and a missing forward reading refuses it; `warn`: only reported (a robot '
          'without a forward sensor)', choices=MODES),
    Param('cliff_threshold', 0.06, '`cliff/range` farther than this (or +inf, -inf, NaN) is no '
          'floor: mounting height plus the smallest drop to stop for (safety limit)', 'm',
          0.005, 2.0),
    Param('stop_distance', 0.10, '`front/range` at or within this stops forward motion (safety '
          'limit)', 'm', 0.005, 5.0),
    Param('slow_distance', 0.40, 'forward speed is scaled linearly from full at this distance '
          'to zero at `stop_distance`; must be greater than it', 'm', 0.01, 10.0),
    Param('reading_timeout', 0.25, 'a sensor whose newest reading is this old is stale: '
          'forward motion is refused (fresh while younger; safety limit)', 's', 0.02, 5.0),
    Param('cliff_release_turn', 0.5, 'after a cliff reading, forward stays refused until the '
          'robot turned this far (net, either way) or reversed `cliff_release_back`', 'rad',
          0.05, 3.2),
    Param('cliff_release_back', 0.05, 'after a cliff reading, forward stays refused until the '
          'robot reversed this far or turned `cliff_release_turn`', 'm', 0.005, 1.0),
    Param('input_timeout', 0.5, 'the newest `cmd_vel` is re-guarded (and a stricter result '
          "republished at once) while younger than this; match the driver's `cmd_vel_timeout`",
          's', 0.05, 10.0),
    Param('max_linear', 0.3, '`cmd_vel_safe` linear speed clamp (safety limit)', 'm/s', 0.01,
          5.0),
    Param('max_angular', 1.5, '`cmd_vel_safe` angular speed clamp (safety limit)', 'rad/s', 0.01,
          20.0),
    Param('rate', 20.0, 'staleness check rate: a reading that goes stale while a command is '
          'fresh stops it within 1 / rate', 'Hz', 2.0, 200.0),
    Param('state_rate', 2.0, '`guard/state` publish rate (also on every change)', 'Hz', 0.5,
          20.0),
    Param('maintenance_bypass', False, 'MAINTENANCE ONLY, on the robot itself: pass every '
          'command unguarded (still clamped); logged as an error at start and reported in '
          '`diagnostics` (never settable from the crowd or the gateway)'),
)


def config_from_values(values):
    """Return the :class:`GuardConfig` of validated parameter ``values`` (a dict).

    Raises:
        ParameterError: ``slow_distance`` not greater than ``stop_distance``, or
            ``stop_distance`` 0 (the names are in the message).

    """
    try:
        return GuardConfig(
            cliff_threshold=values['cliff_threshold'], stop_distance=values['stop_distance'],
            slow_distance=values['slow_distance'], reading_timeout=values['reading_timeout'],
            cliff_mode=values['cliff_mode'], front_mode=values['front_mode'],
            max_linear=values['max_linear'], max_angular=values['max_angular'],
            bypass=values['maintenance_bypass'],
            cliff_release_turn=values['cliff_release_turn'],
            cliff_release_back=values['cliff_release_back'])
    except ValueError as exc:
        raise ParameterError(f'guard parameters: {exc}') from None
