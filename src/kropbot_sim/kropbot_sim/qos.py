"""The expert node's QoS profiles, named in one place (imports rclpy.qos only).

RELIABLE, VOLATILE, KEEP_LAST 10: the shared conventions of ``odom`` (the driver publishes it
so) and of the Twist command topics (the vote node subscribes ``teleop/cmd_vel`` so); volatile
because a late joiner must never act on an old command or pose.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy


def _reliable(depth):
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


#: ``odom`` subscription (the driver's sim backend publishes the true pose there).
ODOM_QOS = _reliable(10)
#: ``teleop/cmd_vel`` publisher (the vote node's operator override).
TELEOP_QOS = _reliable(10)
