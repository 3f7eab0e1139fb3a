"""Planar differential-drive kinematics (pure, ROS-free).

The pose integration lives in :mod:`kropbot_sim.kinematics` (the simulator owns it; walls, boxes
and the pit are :mod:`kropbot_sim.motion`); it is re-exported here for the driver's modules.
"""

from kropbot_sim.kinematics import (  # noqa: F401 - re-exported
    Pose2D,
    integrate,
    normalize_angle,
    yaw_from_quaternion,
    yaw_to_quaternion,
)


def body_twist(left, right, wheel_separation):
    """Return ``(v, w)`` (m/s, rad/s) from wheel speeds (m/s): the inverse of the mixing formula.

    ``v = (left + right) / 2``, ``w = (right - left) / L`` (docs/ARCHITECTURE.md, "Vote fusion and
    driving").
    """
    return (left + right) / 2.0, (right - left) / wheel_separation
