"""The vote node's parameters: one schema (pure, ROS-free).

Each entry is a :class:`kropbot_common.params.Param`; the node declares :data:`PARAMETERS`
(fusion, rates, limits: :data:`FUSION_PARAMETERS`; the crowd modes:
:data:`kropbot_vote.mode_params.MODE_PARAMETERS`) with
:func:`kropbot_common.ros.declare_parameters`, and the package README's table is generated from
it (``python -m kropbot_common.params src/kropbot_vote/README.md
kropbot_vote.params:PARAMETERS``). ``read_only=False`` means the node applies a run-time change
(``ros2 param set``); everything else needs a restart.
"""

from kropbot_common.liveliness import WATCH_LEASE
from kropbot_common.params import Param

from kropbot_vote.fusion import STRATEGIES
from kropbot_vote.mode_params import MODE_PARAMETERS

#: Values of the ``executor`` parameter (see ``VoteNode.make_executor`` in vote_node.py).
EXECUTORS = ('events', 'single')

#: Fusion, rates, limits, liveliness and executor (the node's parameters before the modes).
FUSION_PARAMETERS = (
    Param('strategy', 'mean', 'vote fusion strategy (see Strategies)', choices=STRATEGIES,
          read_only=False),
    Param('vote_timeout', 3.0, 'a vote expires this long after its arrival; a change applies '
          'to the stored votes too', 's', 0.05, 3600.0, read_only=False),
    Param('rate', 10.0, '`cmd_vel` heartbeat: re-published at least this often when nothing '
          'changes', 'Hz', 1.0, 100.0),
    Param('max_rate', 50.0, '`cmd_vel` is published as soon as the command changes, crowd '
          'changes at most this often (operator commands at once); also the fast timer; '
          '>= `rate`', 'Hz', 1.0, 1000.0),
    Param('status_rate', 2.0, '`crowd/status` publish rate (the contract asks for at least 2 Hz)',
          'Hz', 2.0, 50.0),
    Param('max_linear', 0.3, 'linear speed limit for votes and `cmd_vel` (safety limit)', 'm/s',
          0.01, 5.0),
    Param('max_angular', 1.5, 'angular speed limit for votes and `cmd_vel` (safety limit)',
          'rad/s', 0.01, 20.0),
    Param('teleop_timeout', 0.5, '`teleop/cmd_vel` overrides the crowd while fresher than this',
          's', 0.05, 10.0, read_only=False),
    Param('max_voters', 10000, 'live voters kept at most; new voters beyond are rejected', '',
          1, 1000000),
    Param('stop_threshold', 0.2, 'normalised vote magnitude below which a vote bins as `stop`',
          '', 0.0, 1.0, read_only=False),
    Param('liveliness_lease', WATCH_LEASE, 'liveliness lease requested from the declared '
          'senders of `crowd/vote` and `teleop/cmd_vel` (their presence topics `<topic>/alive`): '
          'when one dies, every vote is dropped (or the override ends) within it; 0 = not watched '
          '(see Sender liveliness)', 's', 0.0, 10.0),
    Param('executor', 'events', 'rclpy executor: `events` (EventsExecutor where rclpy has it, '
          'about a third of the CPU per vote) or `single` (SingleThreadedExecutor)',
          choices=EXECUTORS),
)

#: The vote node's whole schema (what it declares, what robot.yaml's ``vote`` section holds).
PARAMETERS = FUSION_PARAMETERS + MODE_PARAMETERS
