"""The crowd gateway's HTTP + WebSocket server (asyncio, ``websockets``; ROS-free).

One port serves the built web page (``GET /`` and assets) and, on a WebSocket upgrade, the
rosbridge v2 subset of :mod:`kropbot_gateway.protocol`. The ROS side is reached through a
*bridge* object (see :class:`Bridge`), so this module is tested without rclpy.

Fan-out: one :class:`Channel` per subscribed topic keeps only the newest message and a cache of
its encodings (one per compression and topic spelling), so a frame is serialized once whatever
the number of viewers. Each viewer has a sender task that waits on an event and sends the newest
message (newest-only slot): a stalled viewer blocks only its own task, and memory per viewer is
bounded by the socket write buffer (``write_limit``) plus one shared frame.
"""

import asyncio
from dataclasses import dataclass, field
import http
import json
import mimetypes
from pathlib import Path
import threading
import time
from urllib.parse import unquote, urlsplit

from kropbot_common.throttled_log import ThrottledLog
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from kropbot_gateway.protocol import (
    VOTE_TYPE,
    Close,
    PublishVote,
    Reply,
    Session,
    SessionLimits,
    Subscribe,
    Unsubscribe,
    encode_publish,
    parse_allow_entries,
)

CLOSE_UNSUPPORTED_DATA = 1003
WRITE_LIMIT = 64 * 1024  # bytes buffered per connection before send() waits (drain)
BACKLOG = 1024  # listen() backlog: a burst of connects queues here instead of SYN retries
# Frames buffered per connection while the handler is busy (each <= max_message_size): bounds
# the memory a client that floods while not reading its replies can pin (websockets default 16).
MAX_QUEUE = 4
# Seconds to wait for the peer's close frame. A flooder whose close reply is stuck behind its
# own unread data (reading pauses at MAX_QUEUE) is aborted after this, not websockets' 10 s.
CLOSE_TIMEOUT = 2.0
FD_RESERVE = 256  # file descriptors kept for DDS, files and handshakes in progress


class Bridge:
    """Interface to the ROS side; every method is called from the server's event loop thread.

    Implementations must not block: ``subscribe``/``unsubscribe`` hand their work to the ROS
    executor; ``publish_vote`` may publish directly (rclpy publishers are thread-safe).
    """

    def publish_vote(self, vote):
        """Publish a :class:`~kropbot_gateway.protocol.PublishVote`."""

    def subscribe(self, topic, type_name):
        """Create the (single) ROS subscription for resolved ``topic`` of ``type_name``."""

    def unsubscribe(self, topic):
        """Destroy the ROS subscription for ``topic`` (no viewer left)."""


@dataclass
class GatewayConfig:
    """Server settings, built by :func:`config_from_params` (defaults: :data:`PARAMETERS`).

    Sizes in bytes, times in seconds. ``web_root`` None or missing -> ``GET /`` answers 404.
    ``publish_allow``/``subscribe_allow`` map resolved topic names to ``pkg/msg/Type``.
    """

    address: str
    port: int
    web_root: str | None
    namespace: str
    publish_allow: dict
    subscribe_allow: dict
    max_message_size: int
    max_connections: int
    max_connections_per_address: int
    allowed_origins: tuple
    handshake_timeout: float
    ping_interval: float
    ping_timeout: float
    limits: SessionLimits


def origin_allowed(origin, host, allowed_origins):
    """Return True if a WebSocket handshake with this ``Origin`` header may proceed.

    No Origin (non-browser clients such as roslibpy) and same origin (the Origin's host:port
    equals the ``Host`` header) are always allowed; otherwise the exact origin (scheme://host
    [:port]) must be listed in ``allowed_origins`` (``'*'`` allows any).
    """
    if origin is None:
        return True
    if '*' in allowed_origins or origin.rstrip('/') in allowed_origins:
        return True
    parts = urlsplit(origin)
    if not parts.hostname or host is None:
        return False
    default_port = {'http': 80, 'https': 443}.get(parts.scheme)
    try:
        port = parts.port or default_port
    except ValueError:
        return False
    host_parts = urlsplit('//' + host)
    try:
        host_port = host_parts.port or default_port
    except ValueError:
        return False
    return (parts.hostname or '').lower() == (host_parts.hostname or '').lower() and \
        port == host_port


def static_file(web_root, raw_path):
    """Map a request path to a file under ``web_root``; return the Path or None.

    ``/`` and directories map to ``index.html``; paths escaping the root, hidden files and
    missing files give None.
    """
    if not web_root:
        return None
    root = Path(web_root).resolve()
    path = unquote(urlsplit(raw_path).path)
    parts = [p for p in path.split('/') if p]
    if any(p.startswith('.') or '\x00' in p or '\\' in p for p in parts):
        return None
    target = root.joinpath(*parts).resolve() if parts else root
    if target != root and root not in target.parents:
        return None
    if target.is_dir():
        target = target / 'index.html'
    return target if target.is_file() else None


class Channel:
    """The newest message of one topic plus its encodings (each made at most once)."""

    def __init__(self, topic):
        self.topic = topic
        self.seq = 0
        self.msg = None
        self.viewers = {}  # connection -> Viewer
        self._encoded = {}

    def update(self, msg):
        """Replace the newest message (plain dict) and wake every viewer."""
        self.seq += 1
        self.msg = msg
        self._encoded = {}
        for viewer in self.viewers.values():
            viewer.event.set()

    def encoded(self, client_topic, compression, stats):
        """Return the newest message encoded for ``(client_topic, compression)`` (cached)."""
        key = (client_topic, compression)
        data = self._encoded.get(key)
        if data is None:
            data = encode_publish(client_topic, self.msg, compression)
            self._encoded[key] = data
            stats['encodes'] = stats.get('encodes', 0) + 1
        return data


@dataclass
class Viewer:
    """One connection's subscription to a channel: options, wake-up event, sender task."""

    options: Subscribe
    event: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None


class GatewayServer:
    """The asyncio server. Create, then ``await start()`` inside the loop that will run it.

    Args:
        config: :class:`GatewayConfig`.
        bridge: a :class:`Bridge`.
        log: object with ``info``/``warning``/``error`` methods taking one str.

    Attributes:
        stats: dict of counters (connections, votes, refusals, limit hits, encodes...).
        port: the bound port (useful with port 0) once started.

    """

    def __init__(self, config, bridge, log):
        self.config = config
        self.bridge = bridge
        self.log = log
        self.stats = {}
        self.port = None
        self._throttled = ThrottledLog(log.warning, period=5.0)
        self._admitted = {}  # connection -> address, from process_request until TCP close
        self._per_address = {}
        self._channels = {}
        self._server = None

    def _count(self, key, text=None):
        self.stats[key] = self.stats.get(key, 0) + 1
        if text:
            self._throttled(key, f'{text} [{key}: {self.stats[key]}]', time.monotonic())

    async def start(self):
        """Bind and start serving; raises OSError if the address/port cannot be bound."""
        cfg = self.config
        self._server = await serve(
            self._handler, cfg.address, cfg.port, process_request=self._process_request,
            max_size=cfg.max_message_size, open_timeout=cfg.handshake_timeout,
            ping_interval=cfg.ping_interval or None, ping_timeout=cfg.ping_timeout or None,
            compression=None, write_limit=WRITE_LIMIT, server_header='KropBot',
            backlog=BACKLOG, max_queue=MAX_QUEUE, close_timeout=CLOSE_TIMEOUT)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self):
        """Close every connection (1001 going away) and the listening socket."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def deliver(self, topic, msg):
        """Hand a new message (plain dict) of resolved ``topic`` to its viewers (loop thread)."""
        channel = self._channels.get(topic)
        if channel is not None:
            channel.update(msg)

    # --- HTTP side -------------------------------------------------------------------------

    def _process_request(self, connection, request):
        if request.headers.get('Upgrade', '').lower() != 'websocket':
            return self._serve_static(request)
        cfg = self.config
        origin = request.headers.get('Origin')
        if not origin_allowed(origin, request.headers.get('Host'), cfg.allowed_origins):
            self._count('refused_origin', f'refused WebSocket from Origin {origin[:100]!r}')
            return connection.respond(http.HTTPStatus.FORBIDDEN, 'Origin not allowed\n')
        if len(self._admitted) >= cfg.max_connections:
            self._count('refused_max_connections',
                        f'refused connection: {cfg.max_connections} connections open')
            return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE,
                                      'Too many connections\n')
        address = connection.remote_address[0]
        if self._per_address.get(address, 0) >= cfg.max_connections_per_address:
            self._count('refused_per_address',
                        f'refused connection from {address}: '
                        f'{cfg.max_connections_per_address} already open')
            return connection.respond(http.HTTPStatus.TOO_MANY_REQUESTS,
                                      'Too many connections from this address\n')
        self._admit(connection, address)
        return None

    def _admit(self, connection, address):
        """Count an accepted handshake now, so simultaneous handshakes cannot exceed limits.

        ``process_request`` runs synchronously in the loop, so check-and-count is atomic; the
        slot is released when the TCP connection is lost, whether or not the handler ran.
        """
        self._admitted[connection] = address
        self._per_address[address] = self._per_address.get(address, 0) + 1
        connection.connection_lost_waiter.add_done_callback(
            lambda _future: self._release(connection))

    def _release(self, connection):
        address = self._admitted.pop(connection, None)
        if address is None:
            return
        self._per_address[address] -= 1
        if not self._per_address[address]:
            del self._per_address[address]

    def connection_counts(self):
        """Return ``(total, {address: n})`` of admitted connections (handshake accepted)."""
        return len(self._admitted), dict(self._per_address)

    def _serve_static(self, request):
        path = static_file(self.config.web_root, request.path)
        if path is None:
            self._count('http_404')
            if not self.config.web_root:
                text = ('KropBot web page not found: the page is not built/installed '
                        '(web_root). The WebSocket (rosbridge v2) on this port still works.\n')
            else:
                text = 'Not found\n'
            return _response(404, text.encode(), 'text/plain; charset=utf-8')
        self._count('http_200')
        ctype = mimetypes.guess_type(path.name)[0] or 'application/octet-stream'
        if ctype.startswith('text/') or ctype in ('application/javascript', 'application/json'):
            ctype += '; charset=utf-8'
        return _response(200, path.read_bytes(), ctype)

    # --- WebSocket side ----------------------------------------------------------------------

    async def _handler(self, connection):
        cfg = self.config
        session = Session(cfg.publish_allow, cfg.subscribe_allow, cfg.namespace, cfg.limits,
                          time.monotonic(), self.stats)
        self._count('connections')
        viewers = {}
        try:
            async for message in connection:
                if not isinstance(message, str):
                    self._count('refused_binary', f'closing {session.client_id}: binary frame')
                    await connection.close(CLOSE_UNSUPPORTED_DATA, 'binary frames not supported')
                    break
                keep_reading = True
                for action in session.handle_text(message, time.monotonic()):
                    keep_reading = await self._execute(connection, session, viewers, action)
                    if not keep_reading:
                        break
                if not keep_reading:
                    break
        except ConnectionClosed as exc:
            if exc.rcvd is None and exc.sent is not None and exc.sent.code == 1009:
                self._count('closed_oversize', f'closed {session.client_id}: message too big')
        finally:
            for topic in list(viewers):
                self._drop_viewer(connection, viewers, topic)
            self._release(connection)  # also done on connection loss; idempotent

    async def _execute(self, connection, session, viewers, action):
        """Run one protocol action; return False when the connection must stop reading."""
        if isinstance(action, Reply):
            if action.payload.get('level') == 'warning':
                self._count('status_warning',
                            f'{session.client_id}: {action.payload["msg"]}')
            await connection.send(encode_json(action.payload))
        elif isinstance(action, PublishVote):
            self.bridge.publish_vote(action)
        elif isinstance(action, Subscribe):
            self._add_viewer(connection, viewers, action)
        elif isinstance(action, Unsubscribe):
            self._drop_viewer(connection, viewers, action.topic)
        elif isinstance(action, Close):
            self._count('closed_policy', f'closing {session.client_id}: {action.reason}')
            await connection.close(action.code, action.reason)
            return False
        return True

    def _add_viewer(self, connection, viewers, options):
        channel = self._channels.get(options.topic)
        if channel is None:
            channel = self._channels[options.topic] = Channel(options.topic)
            self.bridge.subscribe(options.topic, options.type)
        viewer = viewers.get(options.topic)
        if viewer is not None:
            viewer.options = options
            return
        viewer = viewers[options.topic] = Viewer(options)
        channel.viewers[connection] = viewer
        viewer.task = asyncio.get_running_loop().create_task(
            self._send_loop(connection, channel, viewer))
        if channel.msg is not None:
            viewer.event.set()

    def _drop_viewer(self, connection, viewers, topic):
        viewer = viewers.pop(topic, None)
        if viewer is None:
            return
        viewer.task.cancel()
        channel = self._channels.get(topic)
        if channel is not None:
            channel.viewers.pop(connection, None)
            if not channel.viewers:
                del self._channels[topic]
                self.bridge.unsubscribe(topic)

    async def _send_loop(self, connection, channel, viewer):
        """Send the newest message of ``channel`` whenever it changes, honouring throttle."""
        last_seq = 0
        last_sent = float('-inf')
        while True:
            await viewer.event.wait()
            viewer.event.clear()
            if channel.seq == last_seq or channel.msg is None:
                continue
            delay = last_sent + viewer.options.throttle_rate / 1000.0 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            seq = channel.seq
            try:
                data = channel.encoded(viewer.options.client_topic, viewer.options.compression,
                                       self.stats)
            except (ValueError, TypeError) as exc:
                self._count('encode_errors', f'cannot encode {channel.topic}: {exc}')
                last_seq = seq
                continue
            try:
                await connection.send(data)
            except ConnectionClosed:
                return
            self.stats['sent_messages'] = self.stats.get('sent_messages', 0) + 1
            last_seq = seq
            last_sent = time.monotonic()
            if channel.seq != last_seq:
                viewer.event.set()  # newer frames arrived while sending


def encode_json(payload):
    """Encode a protocol dict as a compact JSON text frame."""
    return json.dumps(payload, separators=(',', ':'))


def _response(status, body, content_type):
    headers = Headers([
        ('Content-Type', content_type), ('Content-Length', str(len(body))),
        ('Cache-Control', 'no-cache'), ('X-Content-Type-Options', 'nosniff'),
        ('Connection', 'close'),
    ])
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


class ServerThread:
    """Run a :class:`GatewayServer` on its own asyncio loop in a daemon thread.

    Args:
        server: the :class:`GatewayServer`.

    """

    def __init__(self, server):
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name='gateway-loop',
                                        daemon=True)

    def start(self, timeout=10.0):
        """Start the loop and bind; raise the bind error (OSError) if it fails."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout)

    def call(self, fn, *args):
        """Schedule ``fn(*args)`` on the server loop from any thread (thread-safe)."""
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, timeout=5.0):
        """Close all connections and the socket, then stop the loop and join the thread."""
        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout)
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()


# Parameter defaults of the gateway node: (default, description, (min, max) or None).
PARAMETERS = {
    'address': ('127.0.0.1', 'address to bind (0.0.0.0 for all interfaces)', None),
    'port': (9090, 'TCP port for HTTP and WebSocket (0 = any free port)', (0, 65535)),
    'web_root': ('', "directory of the built page; '' = <share of kropbot_bringup>/web", None),
    'max_message_size': (65536, 'largest incoming WebSocket message, bytes (close 1009)',
                         (256, 16 * 1024 * 1024)),
    'votes_per_second': (5.0, 'sustained votes per connection, 1/s (token bucket)',
                         (0.1, 100.0)),
    'vote_burst': (10, 'token bucket capacity, votes', (1, 1000)),
    'abuse_factor': (10.0, 'close 1008 when a connection sends more than this times '
                     'votes_per_second messages/s over abuse_window', (1.0, 1000.0)),
    'abuse_window': (5, 'window of the flood checks, s', (1, 60)),
    'abuse_bytes_per_second': (16384, 'close 1008 when a connection sends more than this many '
                               'bytes/s over abuse_window', (1024, 16 * 1024 * 1024)),
    'max_errors': (20, 'close 1008 when more than this many messages of one connection are '
                   'refused (status error) within abuse_window', (1, 100000)),
    'max_connections': (1000, 'WebSocket connections in total (HTTP 503 beyond)', (1, 100000)),
    'max_connections_per_address': (20, 'WebSocket connections per client IP (HTTP 429 beyond)',
                                    (1, 100000)),
    'allowed_origins': ([], 'extra allowed Origins (scheme://host[:port], or *); same origin '
                        'and clients without Origin are always allowed', None),
    'handshake_timeout': (10.0, 'WebSocket opening handshake timeout, s', (0.5, 120.0)),
    'ping_interval': (20.0, 'keepalive ping interval, s (0 disables)', (0.0, 3600.0)),
    'ping_timeout': (20.0, 'close when a pong is later than this, s (0 disables)',
                     (0.0, 3600.0)),
    'allow_publish': (['crowd/vote:geometry_msgs/msg/TwistStamped'],
                      'topics clients may publish, "topic:pkg/msg/Type" (votes only)', None),
    'allow_subscribe': (['camera/image_raw/compressed:sensor_msgs/msg/CompressedImage',
                         'crowd/status:std_msgs/msg/String'],
                        'topics clients may subscribe to, "topic:pkg/msg/Type"', None),
}


def config_from_params(values, namespace='/'):
    """Validate gateway parameter ``values`` (name -> value) and build a :class:`GatewayConfig`.

    Every key of :data:`PARAMETERS` must be present. ``web_root`` is used as given ('' -> None,
    the caller resolves the default first).

    Raises:
        ValueError: with a clear message naming the first bad parameter.

    """
    for name, (default, _, bounds) in PARAMETERS.items():
        value = values[name]
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f'parameter {name}: expected a number, got {value!r}')
            if bounds and not bounds[0] <= value <= bounds[1]:
                raise ValueError(f'parameter {name}={value} out of range {bounds[0]}..'
                                 f'{bounds[1]}')
    if not values['address']:
        raise ValueError('parameter address must not be empty')
    origins = tuple(o.rstrip('/') for o in values['allowed_origins'] if o)
    for origin in origins:
        parts = urlsplit(origin)
        if origin != '*' and (parts.scheme not in ('http', 'https') or not parts.hostname
                              or parts.path):
            raise ValueError(f'parameter allowed_origins: {origin!r} is not scheme://host[:port]')
    publish = parse_allow_entries(values['allow_publish'], namespace)
    for topic, type_name in publish.items():
        if type_name != VOTE_TYPE:
            raise ValueError(f'parameter allow_publish: {topic} has type {type_name}; only '
                             f'{VOTE_TYPE} votes (with server-side identity) can be published')
    subscribe = parse_allow_entries(values['allow_subscribe'], namespace)
    return GatewayConfig(
        address=values['address'], port=int(values['port']),
        web_root=values['web_root'] or None, namespace=namespace,
        publish_allow=publish, subscribe_allow=subscribe,
        max_message_size=int(values['max_message_size']),
        max_connections=int(values['max_connections']),
        max_connections_per_address=int(values['max_connections_per_address']),
        allowed_origins=origins, handshake_timeout=float(values['handshake_timeout']),
        ping_interval=float(values['ping_interval']),
        ping_timeout=float(values['ping_timeout']),
        limits=SessionLimits(float(values['votes_per_second']), int(values['vote_burst']),
                             float(values['abuse_factor']), int(values['abuse_window']),
                             int(values['abuse_bytes_per_second']), int(values['max_errors'])))


def raise_fd_limit(max_connections, resource_module=None):
    """Raise the soft ``RLIMIT_NOFILE`` so ``max_connections`` sockets fit (Linux/macOS).

    Every WebSocket is one file descriptor; if the process runs out, asyncio stops accepting
    for a second, which would lock out every new client. The soft limit is raised to
    ``max_connections + FD_RESERVE`` (at most the hard limit).

    Returns:
        ``(soft, needed)``: the soft limit now in force and the number wanted; ``soft <
        needed`` means the hard limit is too low (the caller should warn).

    """
    if resource_module is None:
        import resource as resource_module
    needed = max_connections + FD_RESERVE
    soft, hard = resource_module.getrlimit(resource_module.RLIMIT_NOFILE)
    if soft != resource_module.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource_module.RLIM_INFINITY else min(hard, needed)
        if target > soft:
            resource_module.setrlimit(resource_module.RLIMIT_NOFILE, (target, hard))
            soft = target
    return soft, needed
