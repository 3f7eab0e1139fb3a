"""Who may open a WebSocket, and whose votes count: admission and vote slots (ROS-free).

:class:`Admission` decides on each WebSocket handshake (websockets' ``process_request``):
an address the operator banned (:class:`kropbot_gateway.moderation.BanList`) gets HTTP 403,
a foreign ``Origin`` HTTP 403, more than ``max_connections`` in total HTTP 503, more than
``max_connections_per_address`` from one IP HTTP 429. An admitted handshake is counted at once
(``process_request`` runs synchronously on the loop, so check-and-count is atomic and
simultaneous handshakes cannot exceed the limits) and released when its TCP connection is lost.

:class:`VoteSlots` decides whose votes count: at most ``max_votes_per_address`` crowd
connections per address vote; the others watch (their votes are refused) until a voting one
from their address leaves.
"""

from collections import deque
import http
from urllib.parse import urlsplit

from kropbot_gateway.moderation import canonical_address


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


class Admission:
    """Origin check and connection counting for WebSocket handshakes.

    Args:
        config: the :class:`~kropbot_gateway.config.GatewayConfig` (``allowed_origins``,
            ``max_connections``, ``max_connections_per_address``).
        count: callable ``(stats_key, log_text)`` recording a refusal (counted, logged
            throttled).
        bans: the :class:`~kropbot_gateway.moderation.BanList`, or None (no bans).

    """

    def __init__(self, config, count, bans=None):
        self.config = config
        self._count = count
        self._bans = bans
        self._admitted = {}  # connection -> address, from admission until TCP close
        self._per_address = {}

    def check(self, connection, request):
        """Admit or refuse a WebSocket handshake; return None (admitted) or the HTTP refusal.

        ``connection`` is the websockets ``ServerConnection``; an admitted one is counted
        until its TCP connection is lost (or :meth:`release`).
        """
        cfg = self.config
        address = address_of(connection)
        ban = self._bans.banned(address) if self._bans is not None else None
        if ban is not None:
            self._count('refused_banned', f'refused connection from {address}: {ban.action} by '
                                          f'the operator ({ban.operator!r})')
            return connection.respond(http.HTTPStatus.FORBIDDEN,
                                      'Refused by the operator of this robot\n')
        origin = request.headers.get('Origin')
        if not origin_allowed(origin, request.headers.get('Host'), cfg.allowed_origins):
            self._count('refused_origin', f'refused WebSocket from Origin {origin[:100]!r}')
            return connection.respond(http.HTTPStatus.FORBIDDEN, 'Origin not allowed\n')
        if len(self._admitted) >= cfg.max_connections:
            self._count('refused_max_connections',
                        f'refused connection: {cfg.max_connections} connections open')
            return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE,
                                      'Too many connections\n')
        if self._per_address.get(address, 0) >= cfg.max_connections_per_address:
            self._count('refused_per_address',
                        f'refused connection from {address}: '
                        f'{cfg.max_connections_per_address} already open')
            return connection.respond(http.HTTPStatus.TOO_MANY_REQUESTS,
                                      'Too many connections from this address\n')
        self._admit(connection, address)
        return None

    def _admit(self, connection, address):
        self._admitted[connection] = address
        self._per_address[address] = self._per_address.get(address, 0) + 1
        connection.connection_lost_waiter.add_done_callback(
            lambda _future: self.release(connection))

    def release(self, connection):
        """Release ``connection``'s slot (idempotent; also done when its TCP closes)."""
        address = self._admitted.pop(connection, None)
        if address is None:
            return
        self._per_address[address] -= 1
        if not self._per_address[address]:
            del self._per_address[address]

    def counts(self):
        """Return ``(total, {address: n})`` of admitted connections (handshake accepted)."""
        return len(self._admitted), dict(self._per_address)


def address_of(connection):
    """Return the canonical IP address of a websockets connection's peer."""
    address = connection.remote_address[0]
    try:
        return canonical_address(address)
    except ValueError:  # not an IP (a Unix socket): use it as it is
        return str(address)


class VoteSlots:
    """Whose votes count: at most ``per_address`` voting connections per address (ROS-free).

    One person with 20 tabs (``max_connections_per_address``) would otherwise outvote 19 honest
    voters in ``mean``. A connection that joins while its address has ``per_address`` voting
    connections *watches*: it sees everything, its votes are refused. When a voting connection
    leaves (or stops needing a slot: it authenticated as a bot or the operator, who are
    accountable by their secret and always vote), the longest-waiting watcher of that address
    takes the slot. ``per_address`` 0 means unlimited (every connection votes).

    Keys are any hashable (the server uses its connections); addresses are strings.
    """

    def __init__(self, per_address):
        self.per_address = int(per_address)
        self._voting = {}  # address -> number of voting connections
        self._watching = {}  # address -> deque of watching keys, oldest first
        self._where = {}  # key -> (address, voting)

    def join(self, key, address):
        """Add ``key`` from ``address``; return True if it votes, False if it watches."""
        if self.per_address == 0 or self._voting.get(address, 0) < self.per_address:
            self._voting[address] = self._voting.get(address, 0) + 1
            self._where[key] = (address, True)
            return True
        self._watching.setdefault(address, deque()).append(key)
        self._where[key] = (address, False)
        return False

    def leave(self, key):
        """Remove ``key``; return the watcher that takes its slot now, or None."""
        address, voting = self._where.pop(key, (None, False))
        if address is None:
            return None
        if not voting:
            queue = self._watching.get(address)
            if queue is not None:
                queue.remove(key)
                if not queue:
                    del self._watching[address]
            return None
        queue = self._watching.get(address)
        if queue:
            promoted = queue.popleft()
            if not queue:
                del self._watching[address]
            self._where[promoted] = (address, True)
            return promoted
        self._voting[address] -= 1
        if not self._voting[address]:
            del self._voting[address]
        return None

    def exempt(self, key):
        """``key`` votes without a slot from now on; return the watcher promoted, or None."""
        promoted = self.leave(key)
        self._where.pop(key, None)
        return promoted

    def voting(self, key):
        """Return True if ``key`` holds a slot (or is unknown: exempt keys vote)."""
        return self._where.get(key, (None, True))[1]

    def counts(self):
        """Return ``({address: voting}, {address: watching})`` (for tests and stats)."""
        return dict(self._voting), {a: len(q) for a, q in self._watching.items()}
