"""Planar differential-drive kinematics of the simulated robot (pure, ROS-free).

Frames and signs follow REP 103: x forward, y to the left, yaw counter-clockwise positive; units
m, rad, s. Poses are in the sim world frame, which the driver's sim backend publishes as
``odom`` (ground truth).
"""

from dataclasses import dataclass
import math

#: Below this yaw rate (rad/s) the straight-line limit of the arc formula is used.
_STRAIGHT_EPS = 1e-9


@dataclass(frozen=True)
class Pose2D:
    """A planar pose: ``x``, ``y`` in m, ``yaw`` in rad in (-pi, pi]."""

    x: float = 0.0
    y: float = 0.0
    yaw: float = 0.0


def normalize_angle(angle):
    """Wrap ``angle`` (rad) into (-pi, pi]."""
    wrapped = math.atan2(math.sin(angle), math.cos(angle))
    return math.pi if wrapped == -math.pi else wrapped


def integrate(pose, linear, angular, dt):
    """Advance ``pose`` by a constant twist for ``dt`` seconds along the exact arc.

    Args:
        pose: start :class:`Pose2D`.
        linear: forward speed, m/s.
        angular: yaw rate, rad/s (CCW positive).
        dt: duration, s (>= 0).

    Returns:
        The end :class:`Pose2D`. For ``|angular| > 0`` the robot moves on a circle of radius
        ``linear / angular``: ``x += v/w (sin(th + w dt) - sin th)``,
        ``y -= v/w (cos(th + w dt) - cos th)``; otherwise on a straight line.

    """
    yaw1 = pose.yaw + angular * dt
    if abs(angular) < _STRAIGHT_EPS:
        dx = linear * dt * math.cos(pose.yaw)
        dy = linear * dt * math.sin(pose.yaw)
    else:
        radius = linear / angular
        dx = radius * (math.sin(yaw1) - math.sin(pose.yaw))
        dy = -radius * (math.cos(yaw1) - math.cos(pose.yaw))
    return Pose2D(pose.x + dx, pose.y + dy, normalize_angle(yaw1))


def yaw_to_quaternion(yaw):
    """Return the unit quaternion ``(x, y, z, w)`` of a rotation by ``yaw`` rad about +z."""
    return 0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0)


def yaw_from_quaternion(x, y, z, w):
    """Return the yaw (rad, about +z, in (-pi, pi]) of a unit quaternion ``(x, y, z, w)``.

    Standard ZYX Euler extraction: ``yaw = atan2(2 (w z + x y), 1 - 2 (y^2 + z^2))``.
    """
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
