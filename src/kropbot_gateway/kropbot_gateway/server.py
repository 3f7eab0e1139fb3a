"""The crowd gateway's WebSocket server loop (asyncio, ``websockets``; ROS-free).

One port serves the page over plain HTTP (:mod:`kropbot_gateway.http`) and, on a WebSocket
upgrade admitted by :mod:`kropbot_gateway.admission`, the rosbridge v2 subset: every text frame
goes through the connection's :class:`~kropbot_gateway.session.Session` and the resulting
actions are executed here (replies, votes and mode votes to the
:class:`~kropbot_gateway.bridge.Bridge`, viewers to :mod:`kropbot_gateway.fanout`; vote slots,
the gateway's own topics and moderation to :mod:`kropbot_gateway.moderator`). When a
connection that voted ends, cleanly or not, its votes end with it (``Bridge.voter_left``).
With ``websocket`` off the port serves the page only. :class:`ServerThread` runs the server on
its own loop in a daemon thread (the ROS node's way).
"""

import asyncio
import threading
import time

from kropbot_common.throttled_log import ThrottledLog
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from kropbot_gateway.admission import Admission
from kropbot_gateway.encoding import encode_json
from kropbot_gateway.fanout import Fanout
from kropbot_gateway.http import METHODS, answer, method_not_allowed, websocket_off_response
from kropbot_gateway.moderation import BanList
from kropbot_gateway.moderator import Moderator, send_quietly, status_reply
from kropbot_gateway.session import (
    SESSION_ENDED,
    Close,
    Moderate,
    PublishModeVote,
    PublishTeleop,
    PublishVote,
    Reply,
    RoleChanged,
    Session,
    Subscribe,
    Unsubscribe,
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


class GatewayServer:
    """The asyncio server. Create, then ``await start()`` inside the loop that will run it.

    Args:
        config: :class:`~kropbot_gateway.config.GatewayConfig`.
        bridge: a :class:`~kropbot_gateway.bridge.Bridge`; :meth:`start` attaches it.
        log: object with ``info``/``warning``/``error`` methods taking one str.

    Attributes:
        stats: dict of counters (connections, votes, refusals, limit hits, encodes...).
        port: the bound port (useful with port 0) once started.
        bans: the :class:`~kropbot_gateway.moderation.BanList` (read from ``ban_file``).
        moderator: the :class:`~kropbot_gateway.moderator.Moderator`.

    """

    def __init__(self, config, bridge, log):
        self.config = config
        self.bridge = bridge
        self.log = log
        self.stats = {}
        self.port = None
        self._throttled = ThrottledLog(log.warning, period=5.0)
        self.bans = BanList(config.ban_file)
        for warning in self.bans.warnings:
            log.warning(warning)
        if len(self.bans):
            log.info(f'{len(self.bans)} banned address(es) from {config.ban_file}')
        self._admission = Admission(config, self._count, self.bans)
        self.moderator = Moderator(config, bridge, self.bans, log, self._count)
        self._fanout = Fanout(bridge, self.stats, self._count)
        self._server = None
        self._lapse = {}  # connection -> TimerHandle closing it at the end of its auth

    def _count(self, key, text=None):
        self.stats[key] = self.stats.get(key, 0) + 1
        if text:
            self._throttled(key, f'{text} [{key}: {self.stats[key]}]', time.monotonic())

    async def start(self):
        """Bind, attach the bridge and start serving.

        Raises:
            OSError: if the address/port cannot be bound.

        """
        cfg = self.config
        loop = asyncio.get_running_loop()
        self._server = await serve(
            self._handler, cfg.address, cfg.port, process_request=self._process_request,
            max_size=cfg.max_message_size, open_timeout=cfg.handshake_timeout,
            ping_interval=cfg.ping_interval or None, ping_timeout=cfg.ping_timeout or None,
            compression=None, write_limit=WRITE_LIMIT, server_header='KropBot',
            backlog=BACKLOG, max_queue=MAX_QUEUE, close_timeout=CLOSE_TIMEOUT)
        self.port = self._server.sockets[0].getsockname()[1]
        self.bridge.attach(lambda topic, msg: loop.call_soon_threadsafe(self.deliver, topic, msg))
        self.bridge.attach_moderation(
            lambda data: loop.call_soon_threadsafe(self.moderator.from_ros, data))

    async def stop(self):
        """Close every connection (1001 going away) and the listening socket."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def deliver(self, topic, msg):
        """Hand a new message (plain dict) of resolved ``topic`` to its viewers (loop thread)."""
        self._fanout.deliver(topic, msg)

    def connection_counts(self):
        """Return ``(total, {address: n})`` of admitted connections (handshake accepted)."""
        return self._admission.counts()

    # --- HTTP side: static page, /config.json, admission of WebSocket handshakes -----------

    def _process_request(self, connection, request):
        method = request.method  # websockets >= 17.0 (setup.py): any method reaches us
        if method not in METHODS:
            self._count('http_405')
            return method_not_allowed(request.headers.get('Host'), self.config)
        if method == 'HEAD' or request.headers.get('Upgrade', '').lower() != 'websocket':
            response, key = answer(self.config, method, request.path, request.headers)
            self._count(key)
            return response
        if not self.config.websocket:
            self._count('refused_websocket_off')
            return websocket_off_response(self.config.rosbridge_port,
                                          request.headers.get('Host'), self.config)
        return self._admission.check(connection, request)

    # --- WebSocket side ----------------------------------------------------------------------

    async def _handler(self, connection):
        cfg = self.config
        session = Session(cfg.publish_allow, cfg.subscribe_allow, cfg.namespace, cfg.limits,
                          time.monotonic(), self.stats, roles=cfg.roles,
                          verifier=cfg.verifier, bot_names=cfg.bot_names)
        self._count('connections')
        self.moderator.join(connection, session)
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
            lapse = self._lapse.pop(connection, None)
            if lapse is not None:
                lapse.cancel()
            self._end_votes(session)
            self.moderator.leave(connection)
            self._fanout.drop_all(connection, viewers)
            self._admission.release(connection)  # also done on connection loss; idempotent

    def _end_votes(self, session):
        """Hand the bridge the votes of a closed connection (votes end with their sender)."""
        for end in session.closed():
            self._count('voters_left')
            try:
                self.bridge.voter_left(end.voter_id, end.topic)
            except Exception as exc:  # noqa: BLE001 - e.g. ROS already shut down: the vote
                # node drops this gateway's votes when its publisher goes (QoS liveliness)
                self._count('voter_left_failed', f'could not end the vote of {end.voter_id}: '
                                                  f'{exc}')

    async def _execute(self, connection, session, viewers, action):
        """Run one protocol action; return False when the connection must stop reading."""
        if isinstance(action, Reply):
            level = action.payload.get('level')
            if level == 'warning' or (level == 'error'
                                      and action.payload['msg'].startswith('auth:')):
                # auth refusals: the Verifier's reason only (never a secret or a MAC)
                self._count(f'status_{level}', f'{session.client_id}: {action.payload["msg"]}')
            await connection.send(encode_json(action.payload))
        elif isinstance(action, PublishVote):
            self.bridge.publish_vote(action)
        elif isinstance(action, PublishModeVote):
            self.bridge.publish_mode_vote(action)
        elif isinstance(action, PublishTeleop):
            self.bridge.publish_teleop(action)
        elif isinstance(action, Moderate):
            self._moderate(connection, action)
        elif isinstance(action, RoleChanged):
            self._role_changed(connection, action)
            self.moderator.role_changed(connection, action.role)
        elif isinstance(action, Subscribe):
            if action.local:
                self.moderator.subscribe(connection, action)
            else:
                self._fanout.add_viewer(connection, viewers, action)
        elif isinstance(action, Unsubscribe):
            if action.local:
                self.moderator.unsubscribe(connection, action.topic)
            else:
                self._fanout.drop_viewer(connection, viewers, action.topic)
        elif isinstance(action, Close):
            self._count('closed_policy', f'closing {session.client_id}: {action.reason}')
            await connection.close(action.code, action.reason)
            return False
        return True

    def _moderate(self, connection, action):
        """Carry out an operator's moderation command; answer it with a ``status`` op."""
        def answer(level, text):
            asyncio.ensure_future(send_quietly(
                connection, status_reply(level, text, action.op_id)))
        self.moderator.moderate(action.command, action.operator, connection, answer)

    def _role_changed(self, connection, action):
        """Log an authentication and close the connection at its end (``until``)."""
        delay = action.until - time.monotonic()
        self.log.info(f'{action.voter_id} authenticated as {action.role} (secret '
                      f'{action.operator!r}) for {delay:.0f} s')
        old = self._lapse.pop(connection, None)
        if old is not None:
            old.cancel()
        if delay < 1e9:  # an end centuries away: no timer (call_later needs a sane delay)
            self._lapse[connection] = asyncio.get_running_loop().call_later(
                max(0.0, delay), lambda: asyncio.ensure_future(connection.close(*SESSION_ENDED)))


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
