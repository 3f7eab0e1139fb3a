"""Building the driver's ``odom`` and ``diagnostics`` messages (message types only, no rclpy).

The node gathers the values (backend state, control counters, watchdog state, the sim's state)
and publishes; this module only turns them into ROS messages (and reads the sim's
``sim/set_pose`` message), so the formats are in one place.
"""

import math

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from nav_msgs.msg import Odometry

from kropbot_driver.kinematics import Pose2D, yaw_from_quaternion, yaw_to_quaternion


def odometry(pose, linear, angular, stamp, frame_id, child_frame_id):
    """Return the ``odom`` message of the simulated robot.

    Args:
        pose: :class:`kropbot_driver.kinematics.Pose2D` (x, y in m, yaw in rad; odom frame).
        linear: achieved forward speed (m/s, ``base_link``).
        angular: yaw rate (rad/s, counter-clockwise positive).
        stamp: ``builtin_interfaces/Time`` of the message.
        frame_id: ``header.frame_id`` (``odom_frame_id``).
        child_frame_id: ``child_frame_id`` (``base_frame_id``).

    """
    msg = Odometry()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.child_frame_id = child_frame_id
    msg.pose.pose.position.x = pose.x
    msg.pose.pose.position.y = pose.y
    q = msg.pose.pose.orientation
    q.x, q.y, q.z, q.w = yaw_to_quaternion(pose.yaw)
    msg.twist.twist.linear.x = linear
    msg.twist.twist.angular.z = angular
    return msg


def _throttle_text(value):
    return 'released' if value is None else f'{value:.4f}'


def motor_status(name, hardware_id, *, backend, stop_mode, throttles, command_age, fresh,
                 rejected, timeouts, backend_errors, watchdog, watchdog_lost, watchdog_trips,
                 sim_world=None, sim_state=None):
    """Return the driver's ``DiagnosticStatus``.

    Level: ERROR while the motor watchdog is lost (motors held stopped) or after motor write
    errors; WARN while the simulated robot has fallen into a pit (``fallen into a pit: stopped
    until sim/reset``); else OK (``driving`` or ``stopped (no fresh cmd_vel)``).

    Args:
        name: status name (``<node>: motors``).
        hardware_id: the backend's hardware id.
        backend: backend name (``motorkit`` or ``sim``).
        stop_mode: ``brake`` or ``coast``.
        throttles: last applied ``(left, right)``; None for a released motor.
        command_age: age of the latest valid ``cmd_vel`` (s), None if none came.
        fresh: True while driving from a fresh command.
        rejected: count of non-finite commands.
        timeouts: count of stops because ``cmd_vel`` went stale.
        backend_errors: count of failed motor writes.
        watchdog: watchdog state text (``off``, ``lost`` or ``armed (pid N)``).
        watchdog_lost: True while a required watchdog is not armed.
        watchdog_trips: count of lost watchdogs.
        sim_world: sim backend only: the world's name (None for the motorkit backend).
        sim_state: sim backend only: its :class:`kropbot_sim.motion.SimState`; adds the keys
            of :func:`sim_pairs`.

    """
    status = DiagnosticStatus(name=name, hardware_id=hardware_id)
    if watchdog_lost:
        status.level, status.message = DiagnosticStatus.ERROR, 'motor watchdog lost: stopped'
    elif backend_errors:
        status.level, status.message = DiagnosticStatus.ERROR, 'motor write errors'
    elif sim_state is not None and sim_state.fallen:
        status.level = DiagnosticStatus.WARN
        status.message = 'fallen into a pit: stopped until sim/reset'
    elif not fresh:
        status.level, status.message = DiagnosticStatus.OK, 'stopped (no fresh cmd_vel)'
    else:
        status.level, status.message = DiagnosticStatus.OK, 'driving'
    pairs = {
        'backend': backend,
        'stop_mode': stop_mode,
        'throttle_left': _throttle_text(throttles[0]),
        'throttle_right': _throttle_text(throttles[1]),
        'last_cmd_age_s': 'never' if command_age is None else f'{command_age:.3f}',
        'rejected_nonfinite': str(rejected),
        'timeouts': str(timeouts),
        'backend_errors': str(backend_errors),
        'watchdog': watchdog,
        'watchdog_trips': str(watchdog_trips),
    }
    if sim_state is not None:
        pairs.update(sim_pairs(sim_world, sim_state))
    status.values = [KeyValue(key=k, value=v) for k, v in pairs.items()]
    return status


def _flag(value):
    return 'true' if value else 'false'


def sim_pairs(world_name, state):
    """Return the sim backend's diagnostics keys (dict str -> str).

    Keys: ``sim_world`` (the world's name), ``collisions`` and ``falls`` (counts since the
    driver started, decimal integers; the vote node reads ``falls`` for crowd/status),
    ``fallen`` and ``in_contact`` (``true``/``false``), ``pose`` (``"x y yaw"``, m m rad, 3
    decimals, world = odom frame).

    Args:
        world_name: the world's name (str).
        state: a :class:`kropbot_sim.motion.SimState`.

    """
    pose = state.pose
    return {
        'sim_world': world_name,
        'collisions': str(state.collisions),
        'falls': str(state.falls),
        'fallen': _flag(state.fallen),
        'in_contact': _flag(state.in_contact),
        'pose': f'{pose.x:.3f} {pose.y:.3f} {pose.yaw:.3f}',
    }


def pose_from_set_pose(msg, frame_id):
    """Read a ``sim/set_pose`` message (``geometry_msgs/PoseWithCovarianceStamped``).

    Args:
        msg: the message (rviz2's "2D Pose Estimate" type); its covariance is ignored.
        frame_id: the odom frame id; ``msg.header.frame_id`` must equal it or be ``''``.

    Returns:
        ``(pose, None)`` with a :class:`~kropbot_driver.kinematics.Pose2D` (yaw from the
        orientation quaternion), or ``(None, reason)`` for a wrong frame or a non-finite
        position or orientation.

    """
    if msg.header.frame_id not in ('', frame_id):
        return None, f'frame_id {msg.header.frame_id!r} is not {frame_id!r}'
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    values = (p.x, p.y, q.x, q.y, q.z, q.w)
    if not all(math.isfinite(v) for v in values):
        return None, f'non-finite pose {values}'
    return Pose2D(p.x, p.y, yaw_from_quaternion(q.x, q.y, q.z, q.w)), None
