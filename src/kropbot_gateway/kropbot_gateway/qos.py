"""QoS profiles of the gateway's ROS topics, named in one place (ROS side only: imports rclpy).

- :data:`VOTE_QOS`: the vote publishers (``crowd/vote``): reliable, keep last 100, so a burst
  of votes is not dropped between the gateway and the vote node. (The gateway's liveliness is on
  its presence publisher, ``kropbot_common.ros_liveliness.declare_sender``, not here.)
- :data:`MODE_VOTE_QOS`: the mode vote publishers (``crowd/mode_vote``): reliable, keep last
  100, as the vote node subscribes.
- :data:`MODERATION_QOS`: the ``crowd/moderation`` subscription: reliable, keep last 10.
- :data:`TELEOP_QOS`: the operator's command publishers (``teleop/cmd_vel``): reliable, keep
  last 10, as the vote node subscribes.
- :data:`STATUS_QOS`: subscriptions for viewers of small state topics (``crowd/status``):
  reliable, keep last 10.
- :data:`IMAGE_QOS`: subscriptions for viewers of images: best effort, keep last 1 (newest
  frame only; a best-effort reader matches the camera's reliable writer).
"""

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

VOTE_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                      history=HistoryPolicy.KEEP_LAST)
MODE_VOTE_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                           history=HistoryPolicy.KEEP_LAST)
MODERATION_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                            history=HistoryPolicy.KEEP_LAST)
TELEOP_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                        history=HistoryPolicy.KEEP_LAST)
STATUS_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                        history=HistoryPolicy.KEEP_LAST)
IMAGE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                       history=HistoryPolicy.KEEP_LAST)

#: Message types whose viewer subscriptions use :data:`IMAGE_QOS`.
IMAGE_TYPES = ('sensor_msgs/msg/CompressedImage', 'sensor_msgs/msg/Image')


def viewer_qos(type_name):
    """Return the QoS of a viewer subscription of ``type_name`` (``pkg/msg/Name``)."""
    return IMAGE_QOS if type_name in IMAGE_TYPES else STATUS_QOS
