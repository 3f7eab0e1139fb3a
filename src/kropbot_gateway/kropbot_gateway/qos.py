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

All are VOLATILE (:mod:`kropbot_common.ros_qos`, which builds the policies).
"""

from kropbot_common.ros_qos import best_effort_qos, reliable_qos

VOTE_QOS = reliable_qos(100)
MODE_VOTE_QOS = reliable_qos(100)
MODERATION_QOS = reliable_qos(10)
TELEOP_QOS = reliable_qos(10)
STATUS_QOS = reliable_qos(10)
IMAGE_QOS = best_effort_qos(1)

#: Message types whose viewer subscriptions use :data:`IMAGE_QOS`.
IMAGE_TYPES = ('sensor_msgs/msg/CompressedImage', 'sensor_msgs/msg/Image')


def viewer_qos(type_name):
    """Return the QoS of a viewer subscription of ``type_name`` (``pkg/msg/Name``)."""
    return IMAGE_QOS if type_name in IMAGE_TYPES else STATUS_QOS
