"""The range sensor node's QoS profiles, named in one place.

RELIABLE, VOLATILE, KEEP_LAST (the shared conventions): the guard and rviz2 subscribe the
``Range`` topics reliably; volatile because a late joiner must never act on an old reading.
The policies: :func:`kropbot_common.ros_qos.reliable_qos` (ROS side).
"""

from kropbot_common.ros_qos import reliable_qos

#: ``cliff/range`` and ``front/range`` publishers.
RANGE_QOS = reliable_qos(5)
#: ``odom`` subscription (sim backend; the driver publishes with the same profile).
ODOM_QOS = reliable_qos(10)
#: ``diagnostics`` publisher (1 Hz).
DIAGNOSTICS_QOS = reliable_qos(10)
