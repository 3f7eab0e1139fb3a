"""Who may open a WebSocket: the Origin check and the connection limits (ROS-free).

:class:`Admission` decides on each WebSocket handshake (websockets' ``process_request``):
a foreign ``Origin`` gets HTTP 403, more than ``max_connections`` in total HTTP 503, more than
``max_connections_per_address`` from one IP HTTP 429. An admitted handshake is counted at once
(``process_request`` runs synchronously on the loop, so check-and-count is atomic and
simultaneous handshakes cannot exceed the limits) and released when its TCP connection is lost.
"""

import http
from urllib.parse import urlsplit


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

    """

    def __init__(self, config, count):
        self.config = config
        self._count = count
        self._admitted = {}  # connection -> address, from admission until TCP close
        self._per_address = {}

    def check(self, connection, request):
        """Admit or refuse a WebSocket handshake; return None (admitted) or the HTTP refusal.

        ``connection`` is the websockets ``ServerConnection``; an admitted one is counted
        until its TCP connection is lost (or :meth:`release`).
        """
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
