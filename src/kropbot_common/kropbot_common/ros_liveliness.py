"""The ROS side of :mod:`kropbot_common.liveliness`: sender presence and the vote node's watch.

Imports rclpy (node modules only). Uses only rclpy APIs present in both Jazzy and Kilted:
``QoSProfile`` liveliness fields, ``SubscriptionEventCallbacks(liveliness=, incompatible_qos=)``,
``Publisher.topic_name`` / ``Subscription.topic_name``.
"""

from rclpy.duration import Duration
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    LivelinessPolicy,
    QoSProfile,
    ReliabilityPolicy,
)
from std_msgs.msg import Empty

from kropbot_common.liveliness import SENDER_LEASE, presence_topic, senders_lost


def _liveliness_qos(reliability, lease):
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=reliability,
                      durability=DurabilityPolicy.VOLATILE,
                      liveliness=LivelinessPolicy.AUTOMATIC,
                      liveliness_lease_duration=Duration(seconds=lease))


#: QoS of a sender's presence publisher: liveliness AUTOMATIC, lease ``SENDER_LEASE``.
PRESENCE_QOS = _liveliness_qos(ReliabilityPolicy.RELIABLE, SENDER_LEASE)


def declare_sender(node, command_topic):
    """Declare ``node`` a sender of ``command_topic``: its commands end when it dies.

    Creates the presence publisher (``std_msgs/msg/Empty`` on
    :func:`~kropbot_common.liveliness.presence_topic` of ``command_topic``, QoS
    :data:`PRESENCE_QOS`), which is never published on; keep it as long as the commands'
    publisher.

    Args:
        node: the ``rclpy.node.Node`` that publishes the commands.
        command_topic: the *resolved* command topic, e.g. ``publisher.topic_name``.

    Returns:
        the presence publisher.

    """
    return node.create_publisher(Empty, presence_topic(command_topic), PRESENCE_QOS)


def watch_qos(lease):
    """Return the QoS of a watch subscription: liveliness AUTOMATIC, ``lease`` s requested.

    BEST_EFFORT, so it also matches a best-effort presence publisher; nothing is ever published
    on a presence topic anyway.
    """
    return _liveliness_qos(ReliabilityPolicy.BEST_EFFORT, lease)


def watch_senders(node, command_topic, lease, on_lost, on_incompatible=None, on_alive=None):
    """Watch the senders of ``command_topic`` (their presence topic); return the subscription.

    Args:
        node: the ``rclpy.node.Node`` whose executor runs the callbacks.
        command_topic: the *resolved* command topic, e.g. ``subscription.topic_name``.
        lease: requested liveliness lease, s; a sender offering a longer one is not watched.
        on_lost: called with no argument each time a watched sender is lost
            (:func:`~kropbot_common.liveliness.senders_lost`).
        on_incompatible: optional, called with the rclpy incompatible-QoS info when a presence
            publisher offers no lease <= ``lease`` (a misconfiguration: that sender is not
            watched); None keeps rclpy's default warning.
        on_alive: optional, called with no argument each time a watched sender becomes
            alive (is matched, or asserts itself again after a missed lease): from then on
            its loss is reported.

    """
    def on_liveliness(info):
        if senders_lost(info.alive_count_change):
            on_lost()
        elif info.alive_count_change > 0 and on_alive is not None:
            on_alive()

    events = SubscriptionEventCallbacks(liveliness=on_liveliness,
                                        incompatible_qos=on_incompatible)
    return node.create_subscription(Empty, presence_topic(command_topic), _never_called,
                                    watch_qos(lease), event_callbacks=events)


def _never_called(_msg):
    """Do nothing: nobody publishes on a presence topic."""
