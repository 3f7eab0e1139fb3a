"""The expert node's parameters: one schema (pure, ROS-free).

Each entry is a :class:`kropbot_common.params.Param`; :mod:`kropbot_sim.expert_node` declares
them with :func:`kropbot_common.ros.declare_parameters`, and the package README's table is
generated from :data:`PARAMETERS` (``python -m kropbot_common.params src/kropbot_sim/README.md
kropbot_sim.params:PARAMETERS``). All are read-only: the node reads them once at start-up.
"""

from kropbot_common.params import Param

from kropbot_sim.expert import ExpertParams

_DEFAULTS = ExpertParams()

PARAMETERS = (
    Param('sim_world', '', "world file the sim runs (the driver's `sim_world`): `''` = the "
          'empty square arena of `sim_arena_size`, a path, or `package://<pkg>/<path>`'),
    Param('sim_arena_size', 4.0, "side of the empty arena used when `sim_world` is `''`", 'm',
          0.5, 100.0),
    Param('policy', 'wander', 'who drives: `wander` (`expert.py`: random heading noise, spreads '
          'over the room) or `camera` (`teacher.py`: a function of what the camera sees, the '
          'teacher to record for imitation)', choices=('wander', 'camera')),
    Param('rate', 20.0, 'command publish rate (the driver steps at 20 Hz)', 'Hz', 1.0, 100.0),
    Param('odom_timeout', 0.5, 'publish nothing while the newest `odom` is this old (the vote '
          "node's teleop override then expires)", 's', 0.05, 10.0),
    Param('max_linear', _DEFAULTS.max_linear, 'top forward speed', 'm/s', 0.01, 2.0),
    Param('max_angular', _DEFAULTS.max_angular, 'top yaw rate', 'rad/s', 0.1, 10.0),
    Param('noise', _DEFAULTS.noise, '`wander` policy: standard deviation of the heading-score '
          'noise (0 = deterministic)', 'm', 0.0, 1.0),
    Param('seed', 0, 'seed of the random generator (the wander)', '', 0, 2**31 - 1),
)
