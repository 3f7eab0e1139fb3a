"""KropBot crowd gateway node: rosbridge v2 subset over WebSocket plus the web page, one port.

Thin ROS wiring around :mod:`kropbot_gateway.server` (asyncio in its own thread) and
:mod:`kropbot_gateway.protocol`. The executor thread creates and destroys every rclpy entity: the
server thread hands (un)subscribe requests over through a queue and a guard condition, and
publishes votes itself on the publishers made at start-up (rclpy publishing is thread-safe); ROS
messages go the other way with ``loop.call_soon_threadsafe``. See doc/gateway.md.
"""

from collections import deque
import os
import sys

from geometry_msgs.msg import TwistStamped
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, ParameterType
import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

from kropbot_gateway.msgconv import import_message, msg_to_dict
from kropbot_gateway.server import (
    PARAMETERS,
    Bridge,
    GatewayServer,
    ServerThread,
    config_from_params,
    raise_fd_limit,
)

VOTE_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                      history=HistoryPolicy.KEEP_LAST)
STATUS_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                        history=HistoryPolicy.KEEP_LAST)
# Newest frame only; best effort matches the camera's reliable publisher.
IMAGE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT,
                       history=HistoryPolicy.KEEP_LAST)


class StartupError(RuntimeError):
    """The gateway cannot start (bad parameter, port in use); the text says why."""


def default_web_root():
    """Return ``<share of kropbot_bringup>/web`` or '' if that package is not installed."""
    try:
        from ament_index_python.packages import get_package_share_directory

        return os.path.join(get_package_share_directory('kropbot_bringup'), 'web')
    except (ImportError, LookupError, ValueError):
        return ''


class _RosBridge(Bridge):
    """Queue server requests to the executor thread (which owns all rclpy entities)."""

    def __init__(self, node):
        self._node = node
        self._queue = deque()
        self._guard = node.create_guard_condition(self._drain)

    def publish_vote(self, vote):
        # rclpy publishers are thread-safe, publishing on a KEEP_LAST writer does not block, and
        # every allow-listed vote topic has its publisher from start-up: votes are published
        # straight from the server thread, without an executor round trip per vote (that round
        # trip was about half of the gateway's CPU per vote, bench/crowd_latency.py).
        self._node.publish_vote(vote)

    def subscribe(self, topic, type_name):
        self._queue.append((self._node.ros_subscribe, topic, type_name))
        self._guard.trigger()

    def unsubscribe(self, topic):
        self._queue.append((self._node.ros_unsubscribe, topic))
        self._guard.trigger()

    def _drain(self):
        while self._queue:
            fn, *args = self._queue.popleft()
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - one bad request must not stop the node
                self._node.get_logger().error(f'gateway request {fn.__name__} failed: {exc}')


class GatewayNode(Node):
    """The ``gateway`` node: declares parameters, starts the server thread, bridges topics.

    Raises:
        StartupError: on invalid parameters or when the port cannot be bound.

    """

    def __init__(self):
        super().__init__('gateway')
        try:
            values = {name: self._declare(name, *spec) for name, spec in PARAMETERS.items()}
        except ParameterException as exc:
            raise StartupError(f'bad parameter: {exc}') from None
        if not values['web_root']:
            values['web_root'] = default_web_root()
        try:
            config = config_from_params(values, self.get_namespace())
        except ValueError as exc:
            raise StartupError(str(exc)) from None
        if not config.web_root or not os.path.isdir(config.web_root):
            self.get_logger().warning(
                f'web page not found at {config.web_root!r}: GET / answers 404, the WebSocket '
                'still works (build web/ and reinstall kropbot_bringup)')
            config.web_root = None
        try:
            soft, needed = raise_fd_limit(config.max_connections)
        except (OSError, ValueError) as exc:
            self.get_logger().warning(
                f'cannot raise the file descriptor limit ({exc}): raise it (ulimit -n) or '
                'lower max_connections')
        else:
            if soft < needed:
                self.get_logger().warning(
                    f'file descriptor limit {soft} is below max_connections + reserve '
                    f'({needed}): raise it (ulimit -n) or lower max_connections')
        self._vote_pubs = {}
        self._viewer_subs = {}
        for topic in config.publish_allow:  # created up front so DDS discovery is done early
            self._vote_pubs[topic] = self.create_publisher(TwistStamped, topic, VOTE_QOS)
        self.server = GatewayServer(config, _RosBridge(self), self.get_logger())
        self.thread = ServerThread(self.server)
        try:
            self.thread.start()
        except OSError as exc:
            self.thread.stop()
            raise StartupError(f'cannot listen on {config.address}:{config.port}: {exc}') \
                from None
        self.get_logger().info(
            f'KropBot crowd gateway on http://{config.address}:{self.server.port}/')

    def _declare(self, name, default, description, bounds):
        kwargs = {}
        if bounds and isinstance(default, float):
            kwargs['floating_point_range'] = [FloatingPointRange(
                from_value=float(bounds[0]), to_value=float(bounds[1]))]
        elif bounds:
            kwargs['integer_range'] = [IntegerRange(from_value=bounds[0], to_value=bounds[1])]
        descriptor = ParameterDescriptor(description=description, read_only=True, **kwargs)
        if isinstance(default, list):
            # An empty list would be inferred as BYTE_ARRAY: declare the type explicitly.
            descriptor.type = ParameterType.PARAMETER_STRING_ARRAY
            param = self.declare_parameter(name, Parameter.Type.STRING_ARRAY, descriptor)
            value = param.value if param.type_ == Parameter.Type.STRING_ARRAY else None
            return list(default) if value is None else list(value)
        return self.declare_parameter(name, default, descriptor).value

    def publish_vote(self, vote):
        """Publish a vote with the connection's id as ``frame_id`` and the node clock stamp.

        Called from the server thread (thread-safe: it only reads ``_vote_pubs``, filled once in
        ``__init__`` for the allow-listed topics the server accepts votes for).
        """
        pub = self._vote_pubs[vote.topic]  # one per allow-listed topic, made in __init__
        msg = TwistStamped()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = vote.voter_id
        msg.twist.linear.x = vote.linear_x
        msg.twist.angular.z = vote.angular_z
        pub.publish(msg)

    def ros_subscribe(self, topic, type_name):
        """Create the single subscription feeding ``topic`` to the server's viewers."""
        if topic in self._viewer_subs:
            return
        qos = IMAGE_QOS if type_name == 'sensor_msgs/msg/CompressedImage' else STATUS_QOS
        self._viewer_subs[topic] = self.create_subscription(
            import_message(type_name), topic,
            lambda msg, topic=topic: self.thread.call(self.server.deliver, topic,
                                                      msg_to_dict(msg)),
            qos)
        self.get_logger().info(f'subscribed to {topic} for WebSocket viewers')

    def ros_unsubscribe(self, topic):
        """Destroy the subscription of ``topic`` (its last viewer left)."""
        sub = self._viewer_subs.pop(topic, None)
        if sub is not None:
            self.destroy_subscription(sub)
            self.get_logger().info(f'unsubscribed from {topic}: no viewer left')

    def destroy_node(self):
        """Close all WebSockets and the listening socket, then destroy the node."""
        thread = getattr(self, 'thread', None)
        if thread is not None:
            thread.stop()
            if self.context.ok():
                self.get_logger().info(f'gateway stopped; stats: {self.server.stats}')
        return super().destroy_node()


def main(args=None):
    """Run the gateway until SIGINT/SIGTERM; exit 1 with a clear message if it cannot start."""
    rclpy.init(args=args)
    try:
        node = GatewayNode()
    except StartupError as exc:
        rclpy.logging.get_logger('gateway').error(f'cannot start the crowd gateway: {exc}')
        rclpy.try_shutdown()
        sys.exit(1)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
