"""The driver node's QoS profiles, named in one place (imports rclpy.qos only)."""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy


def _reliable(depth):
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


#: ``cmd_vel`` subscription: the shared profile (RELIABLE, VOLATILE, KEEP_LAST 10), matching the
#: vote node's publisher and teleop tools; VOLATILE so a late joiner never acts on an old command
#: (the control loop only uses the newest one anyway).
CMD_VEL_QOS = _reliable(10)
#: ``odom`` publisher (sim backend): the shared profile, which rviz2 and the camera's sim view
#: subscribe with.
ODOM_QOS = _reliable(10)
#: ``diagnostics`` publisher (1 Hz): the shared profile.
DIAGNOSTICS_QOS = _reliable(10)
#: ``sim/set_pose`` subscription (sim backend): the shared profile; it matches rviz2's "2D Pose
#: Estimate" tool at its default (reliable) setting.
SIM_SET_POSE_QOS = _reliable(10)
