"""The rclpy :class:`~kropbot_gateway.bridge.Bridge`: votes to DDS, topics to the server.

Threading (see doc/gateway.md): the server runs on its own asyncio thread, the node's executor
in the main thread. The executor thread creates and destroys every subscription: the server
thread queues (un)subscribe requests and wakes the executor with a guard condition. Votes are
published straight from the server thread on publishers made at start-up (rclpy publishing is
thread-safe and a KEEP_LAST writer does not block), without an executor round trip per vote
(that round trip was about half of the gateway's CPU per vote, bench/crowd_latency.py).
Received messages are converted to plain dicts (:mod:`kropbot_gateway.msgconv`) and handed to
the server's ``deliver``. Each vote topic also gets the gateway's presence publisher
(``kropbot_common.ros_liveliness.declare_sender``), so the vote node drops the votes within its
``liveliness_lease`` when this process dies.
"""

from collections import deque

from geometry_msgs.msg import Twist, TwistStamped
from kropbot_common.ros_liveliness import declare_sender
from kropbot_common.withdrawal import withdrawal_twist

from kropbot_gateway.bridge import Bridge
from kropbot_gateway.msgconv import import_message, msg_to_dict
from kropbot_gateway.qos import TELEOP_QOS, VOTE_QOS, viewer_qos


class RosBridge(Bridge):
    """Bridge the gateway server to the ROS graph of ``node``.

    Args:
        node: the ``rclpy.node.Node`` that owns the publishers and subscriptions.
        vote_topics: resolved topics that get a ``TwistStamped`` vote publisher now (the
            server accepts votes for these only).
        teleop_topics: resolved topics that get a ``Twist`` publisher for operator commands
            (empty unless operator access is on).

    """

    def __init__(self, node, vote_topics, teleop_topics=()):
        self._node = node
        self._deliver = None
        self._queue = deque()
        self._guard = node.create_guard_condition(self._drain)
        self._vote_pubs = {topic: node.create_publisher(TwistStamped, topic, VOTE_QOS)
                           for topic in vote_topics}  # made up front: DDS discovery is done early
        self._teleop_pubs = {topic: node.create_publisher(Twist, topic, TELEOP_QOS)
                             for topic in teleop_topics}
        # votes and the operator override end with their sender: the vote node watches these
        # presence publishers (QoS liveliness)
        self._presence = [declare_sender(node, pub.topic_name)
                          for pub in (*self._vote_pubs.values(), *self._teleop_pubs.values())]
        self._viewer_subs = {}

    def attach(self, deliver):
        """Store the server's thread-safe ``deliver(topic, msg)``."""
        self._deliver = deliver

    def publish_vote(self, vote):
        """Publish a vote with the connection's id as ``frame_id`` and the node clock stamp.

        Called from the server thread (thread-safe: it only reads the publishers made in
        ``__init__`` for the allow-listed topics the server accepts votes for).
        """
        msg = TwistStamped()
        msg.header.stamp = self._node.get_clock().now().to_msg()
        msg.header.frame_id = vote.voter_id
        msg.twist.linear.x = vote.linear_x
        msg.twist.angular.z = vote.angular_z
        self._vote_pubs[vote.topic].publish(msg)

    def publish_teleop(self, command):
        """Publish an operator's command as a ``Twist`` (server thread, like votes)."""
        msg = Twist()
        msg.linear.x = command.linear_x
        msg.angular.z = command.angular_z
        self._teleop_pubs[command.topic].publish(msg)

    def voter_left(self, voter_id, topic):
        """Publish a withdrawal vote for ``voter_id`` on ``topic`` (server thread).

        The all-NaN ``TwistStamped`` of :mod:`kropbot_common.withdrawal`, on the same publisher
        as the voter's votes, so DDS delivers it after them (per-writer order, reliable). Does
        nothing once the ROS context is shut down (then the vote node drops this gateway's votes
        because its publisher is gone: QoS liveliness, doc/gateway.md).
        """
        pub = self._vote_pubs.get(topic)
        if pub is None or not self._node.context.ok():
            return
        msg = TwistStamped()
        msg.header.stamp = self._node.get_clock().now().to_msg()
        msg.header.frame_id = voter_id
        (msg.twist.linear.x, msg.twist.linear.y, msg.twist.linear.z), \
            (msg.twist.angular.x, msg.twist.angular.y, msg.twist.angular.z) = withdrawal_twist()
        pub.publish(msg)

    def subscribe(self, topic, type_name):
        """Queue the creation of ``topic``'s subscription for the executor thread."""
        self._queue.append((self._subscribe, topic, type_name))
        self._guard.trigger()

    def unsubscribe(self, topic):
        """Queue the destruction of ``topic``'s subscription for the executor thread."""
        self._queue.append((self._unsubscribe, topic))
        self._guard.trigger()

    def _drain(self):
        while self._queue:
            fn, *args = self._queue.popleft()
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - one bad request must not stop the node
                self._node.get_logger().error(f'gateway request {fn.__name__} failed: {exc}')

    def _subscribe(self, topic, type_name):
        if topic in self._viewer_subs:
            return
        deliver = self._deliver
        self._viewer_subs[topic] = self._node.create_subscription(
            import_message(type_name), topic,
            lambda msg, topic=topic: deliver(topic, msg_to_dict(msg)), viewer_qos(type_name))
        self._node.get_logger().info(f'subscribed to {topic} for WebSocket viewers')

    def _unsubscribe(self, topic):
        sub = self._viewer_subs.pop(topic, None)
        if sub is not None:
            self._node.destroy_subscription(sub)
            self._node.get_logger().info(f'unsubscribed from {topic}: no viewer left')
