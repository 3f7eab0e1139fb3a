"""Planar differential-drive kinematics for the simulated robot (pure, ROS-free).

Frames and signs follow REP 103: ``odom`` x forward at start, y to the left, yaw
counter-clockwise positive, units m, rad, s. The simulated arena (shared convention with the
camera's sim view) is a square of side ``sim_arena_size`` centred on the ``odom`` origin; its
walls stop the robot.
"""

from dataclasses import dataclass
import math

#: Below this yaw rate (rad/s) the straight-line limit of the arc formula is used.
_STRAIGHT_EPS = 1e-9


@dataclass(frozen=True)
class Pose2D:
    """A planar pose in the ``odom`` frame: ``x``, ``y`` in m, ``yaw`` in rad in (-pi, pi]."""

    x: float = 0.0
    y: float = 0.0
    yaw: float = 0.0


def normalize_angle(angle):
    """Wrap ``angle`` (rad) into (-pi, pi]."""
    wrapped = math.atan2(math.sin(angle), math.cos(angle))
    return math.pi if wrapped == -math.pi else wrapped


def body_twist(left, right, wheel_separation):
    """Return ``(v, w)`` (m/s, rad/s) from wheel speeds (m/s): the inverse of the mixing formula.

    ``v = (left + right) / 2``, ``w = (right - left) / L`` (ARCHITECTURE.md, "Driver").
    """
    return (left + right) / 2.0, (right - left) / wheel_separation


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


def clamp_to_arena(pose, half_extent):
    """Clamp the position of ``pose`` into the square ``[-half_extent, half_extent]^2``.

    Returns:
        ``(pose, clamped)``: the clamped :class:`Pose2D` (yaw unchanged) and True if a wall
        stopped the robot.

    """
    x = min(max(pose.x, -half_extent), half_extent)
    y = min(max(pose.y, -half_extent), half_extent)
    clamped = (x != pose.x) or (y != pose.y)
    return Pose2D(x, y, pose.yaw), clamped


def step(pose, linear, angular, dt, half_extent):
    """Integrate one control period and let the arena walls stop the robot.

    Args:
        pose: start :class:`Pose2D` (inside the arena).
        linear: commanded forward speed, m/s.
        angular: commanded yaw rate, rad/s.
        dt: period, s (> 0).
        half_extent: allowed |x| and |y| of the robot centre, m.

    Returns:
        ``(pose, v_actual, clamped)``: the new pose, the forward speed actually achieved (m/s,
        the displacement projected on the mean heading divided by ``dt``; equal to ``linear``
        when no wall was hit) and whether a wall stopped the robot.

    """
    moved, clamped = clamp_to_arena(integrate(pose, linear, angular, dt), half_extent)
    if not clamped:
        return moved, linear, False
    heading = pose.yaw + angular * dt / 2.0
    along = (moved.x - pose.x) * math.cos(heading) + (moved.y - pose.y) * math.sin(heading)
    return moved, along / dt if dt > 0 else 0.0, True


def yaw_to_quaternion(yaw):
    """Return the unit quaternion ``(x, y, z, w)`` of a rotation by ``yaw`` rad about +z."""
    return 0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0)
