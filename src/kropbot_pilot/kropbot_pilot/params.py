"""The record node's parameters: one schema (pure, ROS-free).

Each entry is a :class:`kropbot_common.params.Param`; the node declares them with
:func:`kropbot_common.ros.declare_parameters` and the package README's table is generated from
:data:`RECORD_PARAMETERS` (``python -m kropbot_common.params src/kropbot_pilot/README.md
kropbot_pilot.params:RECORD_PARAMETERS``). All are read-only: a recording's settings are fixed
when it starts.
"""

from kropbot_common.params import Param

from kropbot_pilot.bag import COMPRESSIONS

#: What a training run needs: the frames, the command in force, the pose and the crowd state.
DEFAULT_TOPICS = ['camera/image_raw/compressed', 'cmd_vel', 'odom', 'crowd/status']

RECORD_PARAMETERS = (
    Param('topics', DEFAULT_TOPICS, 'topics to record (relative names resolve in the node '
          "namespace); each is subscribed once a publisher appears, with the publisher's type"),
    Param('output', '', "bag directory to create (must not exist); '' = "
          '`kropbot_<YYYY_MM_DD-HH_MM_SS>` in the working directory'),
    Param('max_file_size', 100_000_000, 'start a new `.mcap` file at this size (0 = never); a '
          'file may exceed it by one chunk', 'B', 0, 2**62),
    Param('max_file_duration', 0.0, 'start a new `.mcap` file when the current one spans this '
          'long (0 = never)', 's', 0.0, 1e9),
    Param('max_files', 10, 'keep at most this many files, deleting the oldest (0 = keep all): '
          'with `max_file_size` it bounds the bag on disk', '', 0, 1_000_000),
    Param('max_duration', 0.0, 'stop recording and exit 0 after this long (0 = until '
          'SIGINT/SIGTERM)', 's', 0.0, 1e9),
    Param('compression', 'none', 'per-chunk compression (JPEG frames barely compress; `none` '
          "is rosbag2's default)", choices=tuple(COMPRESSIONS)),
    Param('flush_period', 1.0, 'write the chunk in progress to disk at least this often (what '
          'a power cut can lose)', 's', 0.05, 60.0),
)
