"""The guard node's QoS profiles, named in one place.

RELIABLE, VOLATILE, KEEP_LAST (the shared conventions): ``cmd_vel`` in and ``cmd_vel_safe`` out
match the vote node's publisher and the driver's subscription; the ``Range`` topics match the
range sensor node; volatile because a late joiner must never act on an old command or reading.
The policies: :func:`kropbot_common.ros_qos.reliable_qos` (ROS side).
"""

from kropbot_common.ros_qos import reliable_qos

#: ``cmd_vel`` subscription (from the vote node).
CMD_VEL_QOS = reliable_qos(10)
#: ``cmd_vel_safe`` publisher (to the driver).
CMD_VEL_SAFE_QOS = reliable_qos(10)
#: ``cliff/range`` and ``front/range`` subscriptions: only the newest reading matters.
RANGE_QOS = reliable_qos(5)
#: ``guard/state`` publisher (std_msgs/String).
STATE_QOS = reliable_qos(10)
#: ``diagnostics`` publisher (1 Hz).
DIAGNOSTICS_QOS = reliable_qos(10)
