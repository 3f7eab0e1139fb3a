"""The gateway's settings: parameter schema, validation and :class:`GatewayConfig` (ROS-free).

:data:`PARAMETERS` is the ``gateway`` node's parameter schema (a tuple of
:class:`kropbot_common.params.Param`): the node declares it with
:func:`kropbot_common.ros.declare_parameters`, the package README's parameter table is
generated from it, and :func:`config_from_params` turns validated values into a
:class:`GatewayConfig`. Every parameter is read-only: the server reads them once at start-up
(the operator's moderation changes the bans, which live in ``ban_file``, not parameters).
"""

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from kropbot_common.params import Param, ParameterError, check_values

from kropbot_gateway.auth import DEFAULT_WINDOW, SecretsError, Verifier, load_secrets
from kropbot_gateway.errors import ProtocolError
from kropbot_gateway.moderation import MAX_BAN_DURATION, default_ban_file
from kropbot_gateway.names import parse_allow_entries, resolve_topic
from kropbot_gateway.roles import RoleTable, build_role_table, gateway_topics
from kropbot_gateway.session import MODE_VOTE_TYPE, VOTE_TYPE, SessionLimits

MIB = 2 ** 20

#: The ``gateway`` node's parameters (all read-only: applied at start-up only).
PARAMETERS = (
    Param('address', '127.0.0.1', 'address to bind (0.0.0.0 for all interfaces)'),
    Param('port', 9090, 'TCP port of the page and the WebSocket (0 = any free port)',
          low=0, high=65535),
    Param('web_root', '', "directory of the built page; '' = web/ in kropbot_bringup's share "
          'directory'),
    Param('websocket', True,
          'false: serve the page and /config.json only and refuse WebSocket upgrades '
          '(bridge:=rosbridge: the page connects to stock rosbridge on rosbridge_port, '
          'without voter identity or limits)'),
    Param('rosbridge_port', 9090,
          'port of the rosbridge server the page connects to when websocket is false '
          '(told to the page in /config.json)', low=1, high=65535),
    Param('max_message_size', 65536, 'largest incoming WebSocket message (close 1009 beyond)',
          'B', 256, 16 * MIB),
    Param('votes_per_second', 5.0, 'sustained votes per connection (token bucket refill)',
          '1/s', 0.1, 100.0),
    Param('vote_burst', 10, 'token bucket capacity', 'votes', 1, 1000),
    Param('abuse_factor', 10.0, 'close 1008 when a connection sends more than this times '
          'votes_per_second messages/s over abuse_window', '', 1.0, 1000.0),
    Param('abuse_window', 5, 'window of the flood checks', 's', 1, 60),
    Param('abuse_bytes_per_second', 16384, 'close 1008 when a connection sends more than this '
          'over abuse_window', 'B/s', 1024, 16 * MIB),
    Param('max_errors', 20, 'close 1008 when more than this many messages of one connection '
          'are refused (status error) within abuse_window', '', 1, 100000),
    Param('max_connections', 1000, 'WebSocket connections in total (HTTP 503 beyond)', '',
          1, 100000),
    Param('max_connections_per_address', 20,
          'WebSocket connections per client IP (HTTP 429 beyond)', '', 1, 100000),
    Param('allowed_origins', [], "extra allowed Origins (scheme://host[:port], or *; '' "
          'entries ignored); same origin and clients without Origin are always allowed'),
    Param('handshake_timeout', 10.0, 'WebSocket opening handshake timeout', 's', 0.5, 120.0),
    Param('ping_interval', 20.0, 'keepalive ping interval (0 disables)', 's', 0.0, 3600.0),
    Param('ping_timeout', 20.0, 'close when a pong is later than this (0 disables)', 's',
          0.0, 3600.0),
    Param('allow_publish', ['crowd/vote:geometry_msgs/msg/TwistStamped',
                            'crowd/mode_vote:std_msgs/msg/String'],
          'topics clients may publish, "topic:pkg/msg/Type": geometry_msgs/msg/TwistStamped '
          'votes and std_msgs/msg/String mode votes only'),
    Param('allow_subscribe', ['camera/image_raw/compressed:sensor_msgs/msg/CompressedImage',
                              'crowd/status:std_msgs/msg/String'],
          'topics clients may subscribe to, "topic:pkg/msg/Type"'),
    Param('auth_secret_file', '',
          "secrets file of the rosbridge auth op (rosauth one-line secret, or 'name: secret' "
          "lines; doc/auth.md); '' = operator access off (auth ops refused)"),
    Param('auth_window', DEFAULT_WINDOW, "an auth op's t must be this close to the gateway's "
          "clock (rosauth's allowed_time_delta)", 's', 0.5, 300.0),
    Param('max_auth_failures', 5, 'close 1008 at this many refused auth ops on one connection',
          '', 1, 1000),
    Param('auth_bot_names', [], 'names of secrets (auth_secret_file) that authenticate as a '
          "labelled bot only (voter id bot-...); an auth op with level 'bot' is a bot too"),
    Param('operator_publish', ['teleop/cmd_vel:geometry_msgs/msg/Twist'],
          'topics an authenticated operator may publish besides votes, "topic:pkg/msg/Type" '
          '(geometry_msgs/msg/Twist commands only, sanitised like votes; not cmd_vel)'),
    Param('operator_subscribe', ['odom:nav_msgs/msg/Odometry',
                                 'diagnostics:diagnostic_msgs/msg/DiagnosticArray'],
          "topics an authenticated operator may subscribe to besides the crowd's"),
    Param('operator_commands_per_second', 50.0, "sustained operator commands per connection "
          "(own token bucket; also raises the operator's message flood limit)", '1/s',
          1.0, 1000.0),
    Param('operator_burst', 20, "operator's token bucket capacity", 'commands', 1, 1000),
    Param('mode_votes_per_second', 0.5, 'sustained mode votes (crowd/mode_vote) per connection '
          '(own token bucket; the page re-sends its choice every 20 s)', '1/s', 0.01, 10.0),
    Param('mode_vote_burst', 3, "mode votes' token bucket capacity", 'votes', 1, 100),
    Param('max_votes_per_address', 3, 'connections from one client IP whose votes count; the '
          'others only watch (0 = unlimited; behind NAT a school or office shares one address)',
          '', 0, 100000),
    Param('ban_file', '', "JSON file keeping the operator's bans across restarts; '' = "
          '$XDG_STATE_HOME/kropbot/bans.json (~/.local/state/kropbot/bans.json)'),
    Param('ban_duration', 3600.0, 'how long a ban lasts when the operator names no duration',
          's', 1.0, MAX_BAN_DURATION),
    Param('kick_duration', 60.0, "how long a kicked connection's address is refused (0 = only "
          'close the connection; the page reconnects at once)', 's', 0.0, 86400.0),
    Param('vote_node', 'vote', "name of the vote node whose 'mode' parameter the operator's "
          'mode command sets (<vote_node>/set_parameters)'),
)


@dataclass
class GatewayConfig:
    """Server settings, built by :func:`config_from_params` (defaults: :data:`PARAMETERS`).

    Sizes in bytes, times in seconds. ``web_root`` None or missing -> ``GET /`` answers 404.
    ``publish_allow``/``subscribe_allow`` map resolved topic names to ``pkg/msg/Type`` (the
    crowd's lists); ``roles`` is the :class:`~kropbot_gateway.roles.RoleTable` (crowd-only
    when ``verifier`` is None, i.e. operator access off); ``verifier`` checks ``auth`` ops
    (its ``repr`` names the secrets, never shows them); ``bot_names`` are the secrets that
    authenticate as bots only.
    ``websocket`` False serves the page only (WebSocket upgrades refused); the page is told to
    connect to a rosbridge server on ``rosbridge_port`` instead (``/config.json``).
    ``max_votes_per_address`` (0 = unlimited), ``ban_file`` (resolved path, None = bans in
    memory only), ``ban_duration``, ``kick_duration`` (s) and ``vote_node`` are the moderation
    settings (:mod:`kropbot_gateway.moderation`).
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
    websocket: bool = True
    rosbridge_port: int = 9090
    roles: RoleTable = None
    verifier: Verifier = field(default=None, repr=False)
    bot_names: frozenset = frozenset()
    max_votes_per_address: int = 3
    ban_file: str | None = None
    ban_duration: float = 3600.0
    kick_duration: float = 60.0
    vote_node: str = 'vote'

    def __post_init__(self):
        if self.roles is None:
            self.roles = RoleTable.crowd_only(self.publish_allow, self.subscribe_allow,
                                              self.namespace)

    def mode_vote_topics(self):
        """Return the resolved topics of the crowd's mode votes (String entries)."""
        return tuple(t for t, ty in self.publish_allow.items() if ty == MODE_VOTE_TYPE)

    def vote_topics(self):
        """Return the resolved topics of the crowd's votes (TwistStamped entries)."""
        return tuple(t for t, ty in self.publish_allow.items() if ty == VOTE_TYPE)

    def without_mode_votes(self):
        """Return a copy without the mode vote topics (for a bridge that cannot carry them)."""
        drop = set(self.mode_vote_topics())
        publish = {t: ty for t, ty in self.publish_allow.items() if t not in drop}
        roles = RoleTable({r: {t: ty for t, ty in allow.items() if t not in drop}
                           for r, allow in self.roles.publish.items()},
                          {r: dict(allow) for r, allow in self.roles.subscribe.items()})
        return replace(self, publish_allow=publish, roles=roles)


def defaults():
    """Return ``{name: default}`` of every gateway parameter (a fresh dict)."""
    return {p.name: (list(p.default) if isinstance(p.default, list) else p.default)
            for p in PARAMETERS}


def _allow_list(values, name, namespace):
    try:
        return parse_allow_entries(values[name], namespace)
    except ValueError as exc:
        raise ParameterError(f'parameter {name!r}: {exc}') from None


def config_from_params(values, namespace='/'):
    """Validate gateway parameter ``values`` (name -> value) and build a :class:`GatewayConfig`.

    Missing names take their defaults (:data:`PARAMETERS`). ``web_root`` is used as given ('' ->
    None; the node resolves its default first).

    ``auth_secret_file`` (if not '') is read here: a missing, unreadable or invalid file, or
    a secret shorter than 16 characters, is a ParameterError whose text never holds a secret.

    Raises:
        ParameterError: (a ``ValueError``) naming the first bad parameter: a type or range
            error, an empty ``address``, a malformed origin or allow-list entry, a
            publishable type other than TwistStamped votes (crowd) or Twist commands
            (operator), an unusable secrets file, or an ``auth_bot_names`` entry that is not
            in it.

    """
    values = check_values(PARAMETERS, values)
    if not values['address']:
        raise ParameterError("parameter 'address' must not be empty")
    origins = tuple(o.rstrip('/') for o in values['allowed_origins'] if o)
    for origin in origins:
        parts = urlsplit(origin)
        if origin != '*' and (parts.scheme not in ('http', 'https') or not parts.hostname
                              or parts.path):
            raise ParameterError(
                f"parameter 'allowed_origins': {origin!r} is not scheme://host[:port]")
    publish = _allow_list(values, 'allow_publish', namespace)
    subscribe = _allow_list(values, 'allow_subscribe', namespace)
    for topic, type_name in publish.items():
        if type_name not in (VOTE_TYPE, MODE_VOTE_TYPE):
            raise ParameterError(
                f"parameter 'allow_publish': {topic} has type {type_name}; only {VOTE_TYPE} "
                f'votes and {MODE_VOTE_TYPE} mode votes (with server-side identity) can be '
                'published')
    local = gateway_topics(namespace)
    for name, allow in (('allow_publish', publish), ('allow_subscribe', subscribe)):
        clash = sorted(set(allow) & local)
        if clash:
            raise ParameterError(f'parameter {name!r}: {clash} are served by the gateway itself '
                                 '(doc/gateway.md, "Moderation")')
    try:
        roles = build_role_table(publish, subscribe,
                                 _allow_list(values, 'operator_publish', namespace),
                                 _allow_list(values, 'operator_subscribe', namespace),
                                 namespace, VOTE_TYPE)
    except ValueError as exc:
        raise ParameterError(f"parameter 'operator_publish'/'operator_subscribe': {exc}") \
            from None
    verifier, bot_names = _verifier(values)
    return GatewayConfig(
        address=values['address'], port=values['port'],
        web_root=values['web_root'] or None, namespace=namespace,
        publish_allow=publish, subscribe_allow=subscribe,
        max_message_size=values['max_message_size'],
        max_connections=values['max_connections'],
        max_connections_per_address=values['max_connections_per_address'],
        allowed_origins=origins, handshake_timeout=values['handshake_timeout'],
        ping_interval=values['ping_interval'], ping_timeout=values['ping_timeout'],
        limits=SessionLimits(values['votes_per_second'], values['vote_burst'],
                             values['abuse_factor'], values['abuse_window'],
                             values['abuse_bytes_per_second'], values['max_errors'],
                             values['operator_commands_per_second'], values['operator_burst'],
                             values['max_auth_failures'], values['mode_votes_per_second'],
                             values['mode_vote_burst']),
        websocket=values['websocket'], rosbridge_port=values['rosbridge_port'],
        roles=roles if verifier else None, verifier=verifier, bot_names=bot_names,
        max_votes_per_address=values['max_votes_per_address'],
        ban_file=values['ban_file'] or default_ban_file(),
        ban_duration=values['ban_duration'], kick_duration=values['kick_duration'],
        vote_node=_vote_node(values['vote_node'], namespace))


def _vote_node(name, namespace):
    """Check the ``vote_node`` name; return it (a valid ROS name: its set_parameters service)."""
    try:
        resolve_topic(f'{name}/set_parameters', namespace)
    except ProtocolError:
        raise ParameterError(f"parameter 'vote_node': {name!r} is not a node name") from None
    return name


def _verifier(values):
    """Return ``(Verifier or None, frozenset of bot names)`` from the auth parameters."""
    path = values['auth_secret_file']
    bots = frozenset(n for n in values['auth_bot_names'] if n)
    if not path:
        return None, bots
    try:
        secrets = load_secrets(path)
    except SecretsError as exc:  # its text never holds a secret
        raise ParameterError(f"parameter 'auth_secret_file': {exc}") from None
    unknown = sorted(bots - set(secrets))
    if unknown:
        raise ParameterError(f"parameter 'auth_bot_names': {unknown} not in the secrets file "
                             f'(it names {sorted(secrets)})')
    return Verifier(secrets, window=values['auth_window']), bots
