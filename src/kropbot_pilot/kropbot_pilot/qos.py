"""The record node's QoS choices, named in one place (imports rclpy.qos only).

rosbag2's recorder adapts its subscription to what the publishers offer
(``Rosbag2QoS::adapt_request_to_offers``): reliable only if every publisher is reliable
(a reliable reader would not match a best-effort writer), transient-local only if every
publisher is. KropBot's topics are all volatile, so the recorder stays volatile: it records
from the moment it starts, like ``ros2 bag record``.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

#: Depth of every recording subscription: absorbs a burst (a second of frames and commands)
#: while the recorder writes a chunk to disk.
RECORD_DEPTH = 100


def recording_qos(offers):
    """Return the subscription QoS for a topic whose publishers offer ``offers``.

    Args:
        offers: the publishers' ``rclpy.qos.QoSProfile`` (from
            ``get_publishers_info_by_topic``).

    Returns:
        KEEP_LAST :data:`RECORD_DEPTH`, VOLATILE; RELIABLE if every offer is reliable (and
        there is at least one), else BEST_EFFORT.

    """
    reliable = bool(offers) and all(
        q.reliability == ReliabilityPolicy.RELIABLE for q in offers)
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=RECORD_DEPTH,
                      reliability=ReliabilityPolicy.RELIABLE if reliable
                      else ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.VOLATILE)
