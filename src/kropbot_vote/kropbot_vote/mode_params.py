"""The crowd modes' parameters of the vote node: one schema (pure, ROS-free).

Entries are :class:`kropbot_common.params.Param`, like :data:`kropbot_vote.params.PARAMETERS`,
which the vote node extends with :data:`MODE_PARAMETERS` (``PARAMETERS + MODE_PARAMETERS``).
Every one of them is writable at run time (``ros2 param set /vote mode democracy``): the mode
controller (:class:`kropbot_vote.modes.ModeController`) applies a change at once
(:meth:`~kropbot_vote.modes.ModeController.apply`). Semantics: the package README, "Crowd modes".
"""

from kropbot_common.params import Param

from kropbot_vote.modes import MODES

MODE_PARAMETERS = (
    Param('mode', 'vote', 'how the crowd drives: `vote` (fusion by `strategy`), `anarchy`, '
          '`democracy` or `queue` (see Crowd modes); with `crowd_switch` the crowd may move it '
          'between `anarchy` and `democracy`', choices=MODES, read_only=False),
    Param('democracy_window', 2.0, '`democracy`: votes are tallied over windows this long; '
          'the winner is executed for the next window', 's', 0.5, 60.0, read_only=False),
    Param('turn_duration', 30.0, '`queue`: longest turn of one driver', 's', 1.0, 3600.0,
          read_only=False),
    Param('turn_idle_timeout', 5.0, '`queue`: a driver who released every control (stop vote '
          'or no fresh vote) this long loses the turn', 's', 0.5, 600.0, read_only=False),
    Param('crowd_switch', False, 'let the crowd switch between `anarchy` and `democracy` by '
          'mode votes on `crowd/mode_vote`', read_only=False),
    Param('switch_threshold', 0.75, 'crowd switch: fraction of the live mode votes the mode '
          'not in force needs to take over (a supermajority)', '', 0.51, 1.0,
          read_only=False),
    Param('switch_cooldown', 30.0, 'crowd switch: no switch within this long after the '
          "previous mode change (the crowd's or the operator's)", 's', 0.0, 3600.0,
          read_only=False),
    Param('mode_vote_timeout', 60.0, 'crowd switch: a mode vote lives this long after its '
          'arrival (the page re-sends its choice every 20 s, hence the lower bound)', 's',
          30.0, 3600.0, read_only=False),
)
