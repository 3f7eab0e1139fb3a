"""Building the driver's ``odom`` and ``diagnostics`` messages (message types only, no rclpy).

The node gathers the values (backend state, control counters, watchdog state) and publishes;
this module only turns them into ROS messages, so the formats are in one place.
"""

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from nav_msgs.msg import Odometry

from kropbot_driver.kinematics import yaw_to_quaternion


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
                 rejected, timeouts, backend_errors, watchdog, watchdog_lost, watchdog_trips):
    """Return the driver's ``DiagnosticStatus``.

    Level: ERROR while the motor watchdog is lost (motors held stopped) or after motor write
    errors, else OK (``driving`` or ``stopped (no fresh cmd_vel)``).

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

    """
    status = DiagnosticStatus(name=name, hardware_id=hardware_id)
    if watchdog_lost:
        status.level, status.message = DiagnosticStatus.ERROR, 'motor watchdog lost: stopped'
    elif backend_errors:
        status.level, status.message = DiagnosticStatus.ERROR, 'motor write errors'
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
    status.values = [KeyValue(key=k, value=v) for k, v in pairs.items()]
    return status
