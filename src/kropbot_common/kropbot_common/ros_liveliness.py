"""The ROS side of :mod:`kropbot_common.liveliness`: the senders' QoS and the vote node's watch.

Imports rclpy (node modules only). Uses only rclpy APIs present in both Jazzy and Kilted:
``QoSProfile`` liveliness fields, ``SubscriptionEventCallbacks(liveliness=,
incompatible_qos=)``, ``Subscription.event_handlers`` and ``Node.add_waitable`` /
``remove_waitable``.
"""

from rclpy.duration import Duration
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.node import Node
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    LivelinessPolicy,
    QoSProfile,
    ReliabilityPolicy,
)

from kropbot_common.liveliness import SENDER_LEASE, senders_lost


def sender_qos(depth):
    """Return the QoS of a command *sender* (a ``crowd/vote`` or ``teleop/cmd_vel`` publisher).

    RELIABLE, VOLATILE, KEEP_LAST ``depth`` (the shared conventions) plus liveliness
    ``AUTOMATIC`` with a lease of :data:`~kropbot_common.liveliness.SENDER_LEASE` s, so the vote
    node's :class:`LivelinessWatch` notices within its lease when the sender's process dies. Any
    subscription that requests no lease (the default) matches it, as before.
    """
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE,
                      liveliness=LivelinessPolicy.AUTOMATIC,
                      liveliness_lease_duration=Duration(seconds=SENDER_LEASE))


def watch_qos(lease):
    """Return the QoS of a watch subscription: liveliness AUTOMATIC, ``lease`` s requested.

    BEST_EFFORT (matches reliable and best-effort senders, and sends no acknowledgements) and
    KEEP_LAST 1: the watch never takes its samples, they only overwrite one slot.
    """
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                      reliability=ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.VOLATILE,
                      liveliness=LivelinessPolicy.AUTOMATIC,
                      liveliness_lease_duration=Duration(seconds=lease))


class LivelinessWatch:
    """Report the loss of a topic's liveliness-offering publishers, at no cost per message.

    Each watched topic gets a subscription requesting :func:`watch_qos`; it is made on a helper
    node ``<node name>_liveliness`` that no executor spins, so its samples are never taken
    (no callback, no deserialisation: the per-message cost stays in the middleware's receive
    thread), while its liveliness and incompatible-QoS event handlers are moved onto ``node``
    and run on ``node``'s executor like any other callback. The helper node takes no command-
    line arguments (no remapping: it is given the resolved topic name), has no parameter
    services and no rosout publisher.

    Args:
        node: the ``rclpy.node.Node`` whose executor runs the callbacks.
        lease: requested liveliness lease (s) of every watch; publishers offering a longer one
            (or none, the default) are not watched: they get an incompatible-QoS event.

    """

    def __init__(self, node, lease):
        self._node = node
        self.lease = float(lease)
        self._helper = Node(f'{node.get_name()}_liveliness', namespace=node.get_namespace(),
                            context=node.context, use_global_arguments=False,
                            start_parameter_services=False, enable_rosout=False)
        self._handlers = []

    def watch(self, msg_type, topic, on_lost, on_incompatible=None):
        """Watch the publishers of ``topic`` (a resolved name, e.g. ``sub.topic_name``).

        Args:
            msg_type: the topic's message class.
            topic: the fully qualified topic name.
            on_lost: called with no argument (on ``node``'s executor) each time a watched
                publisher is lost (:func:`~kropbot_common.liveliness.senders_lost`).
            on_incompatible: optional, called with the rclpy incompatible-QoS info (its
                ``total_count_change`` > 0: a publisher offers no lease <= ``lease``, e.g. a
                default one; that is expected, its messages reach the data subscription). When
                None such publishers are ignored (rclpy's default callback would warn "No
                messages will be received from it", which is not true of the node).

        """
        def on_liveliness(info):
            if senders_lost(info.alive_count_change):
                on_lost()

        events = SubscriptionEventCallbacks(liveliness=on_liveliness,
                                            incompatible_qos=on_incompatible or _ignore)
        sub = self._helper.create_subscription(msg_type, topic, _never_called,
                                               watch_qos(self.lease), event_callbacks=events,
                                               raw=True)
        for handler in sub.event_handlers:
            self._helper.remove_waitable(handler)
            self._node.add_waitable(handler)
            self._handlers.append(handler)
        return sub

    def destroy(self):
        """Give the event handlers back to the helper node and destroy it (idempotent)."""
        for handler in self._handlers:
            self._node.remove_waitable(handler)
            self._helper.add_waitable(handler)  # destroy_subscription removes them from there
        self._handlers = []
        if self._helper is not None:
            self._helper.destroy_node()
            self._helper = None


def _never_called(_msg):
    """Do nothing: the callback of the watch subscriptions, whose node no executor spins."""


def _ignore(_info):
    """Do nothing with an incompatible-QoS event."""
