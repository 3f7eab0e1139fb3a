"""The camera node's parameters: one schema (pure, ROS-free).

Each entry is a :class:`kropbot_common.params.Param`; the node declares them with
:func:`kropbot_common.ros.declare_parameters`, :func:`kropbot_camera.config.validate_config`
adds the rules the schema cannot express, and the package README's table is generated from
:data:`PARAMETERS` (``python -m kropbot_common.params src/kropbot_camera/README.md
kropbot_camera.params:PARAMETERS``). ``read_only=False`` means the node applies a run-time
change (to the next frame); the others are held by the source, made once at start-up.
"""

from kropbot_common.params import Param

PARAMETERS = (
    Param('source', '0', 'what to capture: an OpenCV source (device index such as `0`, '
          '`/dev/videoN`, file path, URL, or a GStreamer pipeline containing `!`), '
          '`test_pattern`, `sim` (top-down view of the simulated robot from `odom`) or '
          '`sim_fpv` (what a camera on the simulated robot sees); see Sources'),
    Param('width', 320, 'published image width; frames of another size are resized', 'px',
          16, 4096),
    Param('height', 240, 'published image height; frames of another size are resized', 'px',
          16, 4096),
    Param('fps', 10.0, 'publish rate, at most the source rate for live sources', 'Hz', 0.1,
          120.0, read_only=False),
    Param('jpeg_quality', 60, 'JPEG quality (1 = smallest, 100 = best; KropBot used 10 at '
          '200×300)', '', 1, 100, read_only=False),
    Param('frame_id', 'camera_optical_frame', '`header.frame_id` of the published images '
          '(non-empty)', read_only=False),
    Param('retry_period', 2.0, 'time between attempts to reopen a failed source', 's', 0.1,
          3600.0),
    Param('sim_arena_size', 4.0, 'side of the square simulated arena centred on the odom '
          "origin when `sim_world` is `''`, sim sources only (same parameter as the driver's "
          'sim backend)', 'm', 0.5, 100.0),
    Param('sim_world', '', "sim world file, the driver's (walls, boxes, the stairwell): a path "
          "or `package://<pkg>/<path>`; `''` = an empty square arena of `sim_arena_size`; sim "
          'sources only'),
)
