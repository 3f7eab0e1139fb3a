"""The ``sim_fpv`` source: what a camera on the simulated robot sees (no ROS imports).

Renders :class:`kropbot_sim.fpv.FpvRenderer` frames of the sim world from the newest ``odom``
pose; see the package README ("Sim views") for why a numpy ray caster rather than MuJoCo.
"""

import cv2
from kropbot_sim.fpv import FpvRenderer
from kropbot_sim.kinematics import Pose2D
import numpy as np

#: Grey of the frame shown until the first odometry message arrives (BGR).
_WAITING_GREY = (64, 64, 64)


class FpvSource:
    """First-person view of the simulated robot (same interface as the other sources).

    Args:
        pose_provider: callable returning the latest ``(x, y, yaw)`` (m, m, rad, odom frame =
            the sim world frame) or None before the first odometry message; called from the
            capture thread, so it must be thread-safe (returning an immutable tuple is).
        world: the :class:`kropbot_sim.world.World` (the same file as the driver's).
        width: image width (px, >= 16).
        height: image height (px, >= 16).

    """

    live = False

    def __init__(self, pose_provider, world, width, height):
        self._pose_provider = pose_provider
        self.renderer = FpvRenderer(world, width, height)
        self._pose = None
        self._waiting = np.full((int(height), int(width), 3), _WAITING_GREY, np.uint8)
        cv2.putText(self._waiting, 'waiting for odom', (4, max(12, int(height) // 2)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, (230, 230, 230), 1, cv2.LINE_AA)

    def grab(self):
        """Sample the current pose; always True."""
        self._pose = self._pose_provider()
        return True

    def retrieve(self):
        """Render the view from the sampled pose (new HxWx3 uint8 BGR array)."""
        if self._pose is None:
            return self._waiting.copy()
        x, y, yaw = self._pose
        return self.renderer.render(Pose2D(float(x), float(y), float(yaw)))

    def close(self):
        """Nothing to release."""
