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

Moderation: mode votes are published as ``std_msgs/String`` JSON (``{"voter", "mode"}``, a
closed connection's withdrawn with ``"mode": ""``); the operator's pause and mode commands are
calls of the vote node's ``crowd/pause`` service (``std_srvs/srv/SetBool``) and
``<vote_node>/set_parameters`` (``rcl_interfaces/srv/SetParameters``, as ``ros2 param set``),
made by the executor thread (waiting up to :data:`CALL_TIMEOUT` for the service, then as long
for the answer); the ROS topic
``crowd/moderation`` (``std_msgs/String``) brings moderation commands from the robot's graph.
"""

from collections import deque
import json
import time

from geometry_msgs.msg import Twist, TwistStamped
from kropbot_common.ros_liveliness import declare_sender
from kropbot_common.withdrawal import withdrawal_twist
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from std_msgs.msg import String
from std_srvs.srv import SetBool

from kropbot_gateway.bridge import Bridge
from kropbot_gateway.moderation import MODERATION_TOPIC
from kropbot_gateway.msgconv import import_message, msg_to_dict
from kropbot_gateway.qos import MODE_VOTE_QOS, MODERATION_QOS, TELEOP_QOS, VOTE_QOS, viewer_qos

#: Longest wait for the vote node's answer to a pause or mode command (s).
CALL_TIMEOUT = 3.0


class RosBridge(Bridge):
    """Bridge the gateway server to the ROS graph of ``node``.

    Args:
        node: the ``rclpy.node.Node`` that owns the publishers and subscriptions.
        vote_topics: resolved topics that get a ``TwistStamped`` vote publisher now (the
            server accepts votes for these only).
        teleop_topics: resolved topics that get a ``Twist`` publisher for operator commands
            (empty unless operator access is on).
        mode_vote_topics: resolved topics that get a ``String`` mode vote publisher.
        vote_node: the vote node's name (its ``set_parameters`` service), or None: no
            pause/mode clients and no ``crowd/moderation`` subscription (page-only mode).

    """

    def __init__(self, node, vote_topics, teleop_topics=(), mode_vote_topics=(),
                 vote_node=None):
        self._node = node
        self._deliver = None
        self._queue = deque()
        self._guard = node.create_guard_condition(self._drain)
        self._vote_pubs = {topic: node.create_publisher(TwistStamped, topic, VOTE_QOS)
                           for topic in vote_topics}  # made up front: DDS discovery is done early
        self._teleop_pubs = {topic: node.create_publisher(Twist, topic, TELEOP_QOS)
                             for topic in teleop_topics}
        self._mode_vote_pubs = {topic: node.create_publisher(String, topic, MODE_VOTE_QOS)
                                for topic in mode_vote_topics}
        self._moderation = None
        self._pause_client = self._params_client = None
        if vote_node is not None:
            self._pause_client = node.create_client(SetBool, 'crowd/pause')
            self._params_client = node.create_client(SetParameters,
                                                     f'{vote_node}/set_parameters')
            node.create_subscription(String, MODERATION_TOPIC, self._on_moderation,
                                     MODERATION_QOS)
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

    def publish_mode_vote(self, vote):
        """Publish a mode vote as ``std_msgs/String`` JSON (server thread, like votes)."""
        self._mode_vote_pubs[vote.topic].publish(
            String(data=json.dumps({'voter': vote.voter_id, 'mode': vote.mode})))

    def attach_moderation(self, handler):
        """Hand the ``crowd/moderation`` commands from ROS to ``handler(data)``."""
        self._moderation = handler

    def _on_moderation(self, msg):
        if self._moderation is not None:
            self._moderation(msg.data)

    def pause_crowd(self, paused, done):
        """Call ``crowd/pause`` (SetBool ``data`` = ``paused``) from the executor thread."""
        self._queue.append((self._call, self._pause_client, SetBool.Request(data=paused),
                            _pause_outcome, done))
        self._guard.trigger()

    def set_mode(self, mode, done):
        """Set the vote node's ``mode`` parameter (SetParameters) from the executor thread."""
        value = ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=mode)
        request = SetParameters.Request(parameters=[Parameter(name='mode', value=value)])
        self._queue.append((self._call, self._params_client, request,
                            lambda result: _mode_outcome(result, mode), done))
        self._guard.trigger()

    def _call(self, client, request, outcome, done, deadline=None):
        """Call ``client`` (executor thread); ``done(ok, text)`` once.

        Waits up to :data:`CALL_TIMEOUT` for the service to be discovered (a vote node that
        just started or respawned), then up to :data:`CALL_TIMEOUT` for its answer.
        """
        if client is None:
            done(False, 'the vote node is not configured on this gateway')
            return
        now = time.monotonic()
        deadline = now + CALL_TIMEOUT if deadline is None else deadline
        if not client.service_is_ready():
            if now >= deadline:
                done(False, f'{client.srv_name} is not available (is the vote node running?)')
                return
            retry = None

            def again():
                retry.cancel()
                self._node.destroy_timer(retry)
                self._call(client, request, outcome, done, deadline)

            retry = self._node.create_timer(0.1, again)
            return
        future = client.call_async(request)
        timer = None

        def finished(fut):
            if timer is not None:
                timer.cancel()
                self._node.destroy_timer(timer)
            if fut.cancelled():
                done(False, f'no answer from {client.srv_name} within {CALL_TIMEOUT:g} s')
            elif fut.exception() is not None:
                done(False, f'{client.srv_name} failed: {fut.exception()}')
            else:
                done(*outcome(fut.result()))

        def expired():
            if not future.done():
                future.cancel()  # runs finished()

        timer = self._node.create_timer(CALL_TIMEOUT, expired)
        future.add_done_callback(finished)

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
        if topic in self._mode_vote_pubs:
            if self._node.context.ok():  # its mode vote ends too: an empty mode withdraws it
                self._mode_vote_pubs[topic].publish(
                    String(data=json.dumps({'voter': voter_id, 'mode': ''})))
            return
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


def _pause_outcome(result):
    """Return ``(ok, text)`` of a ``crowd/pause`` answer (SetBool.Response)."""
    return bool(result.success), result.message or ('ok' if result.success else 'refused')


def _mode_outcome(result, mode):
    """Return ``(ok, text)`` of a SetParameters answer for ``mode``."""
    answer = result.results[0] if result.results else None
    if answer is not None and answer.successful:
        return True, f'mode set to {mode}'
    return False, f'mode {mode} refused: {answer.reason if answer else "no result"}'
