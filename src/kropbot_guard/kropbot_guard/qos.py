"""The guard node's QoS profiles, named in one place (imports rclpy.qos only).

RELIABLE, VOLATILE, KEEP_LAST (the shared conventions): ``cmd_vel`` in and ``cmd_vel_safe`` out
match the vote node's publisher and the driver's subscription; the ``Range`` topics match the
range sensor node; volatile because a late joiner must never act on an old command or reading.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy


def _reliable(depth):
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


#: ``cmd_vel`` subscription (from the vote node).
CMD_VEL_QOS = _reliable(10)
#: ``cmd_vel_safe`` publisher (to the driver).
CMD_VEL_SAFE_QOS = _reliable(10)
#: ``cliff/range`` and ``front/range`` subscriptions: only the newest reading matters.
RANGE_QOS = _reliable(5)
#: ``guard/state`` publisher (std_msgs/String).
STATE_QOS = _reliable(10)
#: ``diagnostics`` publisher (1 Hz).
DIAGNOSTICS_QOS = _reliable(10)
