"""The range sensor node's QoS profiles, named in one place (imports rclpy.qos only).

RELIABLE, VOLATILE, KEEP_LAST (the shared conventions): the guard and rviz2 subscribe the
``Range`` topics reliably; volatile because a late joiner must never act on an old reading.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy


def _reliable(depth):
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


#: ``cliff/range`` and ``front/range`` publishers.
RANGE_QOS = _reliable(5)
#: ``odom`` subscription (sim backend; the driver publishes with the same profile).
ODOM_QOS = _reliable(10)
#: ``diagnostics`` publisher (1 Hz).
DIAGNOSTICS_QOS = _reliable(10)
