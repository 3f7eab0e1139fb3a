"""The simulated robot's top-down view as a frame source (``source: sim``); no ROS imports.

The drawing is :mod:`kropbot_camera.sim_view`; this module adapts it to the source interface
of :mod:`kropbot_camera.sources` and keeps the robot's trail.
"""

from collections import deque
import math

from kropbot_camera.sim_view import SimView


class SimSource:
    """Top-down view of the simulated robot (see :mod:`kropbot_camera.sim_view`).

    Args:
        pose_provider: callable returning the latest ``(x, y, yaw)`` (m, m, rad, odom frame),
            or None before the first odometry message. Called from the capture thread, so it
            must be thread-safe (returning an attribute holding an immutable tuple is).
        arena_size: side of the square arena (m), used when ``world`` is None.
        width: image width (px).
        height: image height (px).
        trail_length: number of past positions kept for the trail.
        trail_step: a position is added to the trail once the robot moved this far (m).
        world: the :class:`kropbot_sim.world.World` to draw (boxes, pits), or None for the
            empty square arena of ``arena_size``.

    """

    live = False

    def __init__(self, pose_provider, arena_size, width, height, trail_length=400,
                 trail_step=0.01, world=None):
        self._pose_provider = pose_provider
        self.view = SimView(arena_size, width, height, world)
        self.trail = deque(maxlen=trail_length)
        self._trail_step = trail_step
        self._pose = None

    def grab(self):
        """Sample the current pose and extend the trail; always True."""
        pose = self._pose_provider()
        self._pose = pose
        if pose is not None:
            x, y = float(pose[0]), float(pose[1])
            if not self.trail or math.hypot(x - self.trail[-1][0],
                                            y - self.trail[-1][1]) >= self._trail_step:
                self.trail.append((x, y))
        return True

    def retrieve(self):
        """Draw the arena (boxes, pits), trail and robot at the sampled pose (new HxWx3 array)."""
        return self.view.draw(self._pose, self.trail)

    def close(self):
        """Nothing to release."""
