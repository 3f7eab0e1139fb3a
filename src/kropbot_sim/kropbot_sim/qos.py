"""The expert node's QoS profiles, named in one place.

RELIABLE, VOLATILE, KEEP_LAST 10: the shared conventions of ``odom`` (the driver publishes it
so) and of the Twist command topics (the vote node subscribes ``teleop/cmd_vel`` so); volatile
because a late joiner must never act on an old command or pose.
The policies: :func:`kropbot_common.ros_qos.reliable_qos` (ROS side).
"""

from kropbot_common.ros_qos import reliable_qos

#: ``odom`` subscription (the driver's sim backend publishes the true pose there).
ODOM_QOS = reliable_qos(10)
#: ``teleop/cmd_vel`` publisher (the vote node's operator override).
TELEOP_QOS = reliable_qos(10)
