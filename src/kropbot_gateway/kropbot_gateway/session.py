"""The gateway's protocol session: one rosbridge v2 connection as a state machine, ROS-free.

One :class:`Session` per WebSocket connection turns incoming text frames into a list of
*actions* (status replies, votes, mode votes and operator commands to publish, moderation
commands, a role change, subscription changes, a close request) that the server executes. It
enforces the role's allow-lists (:mod:`kropbot_gateway.roles`; the ``auth`` op changes the
role), the type aliases (:mod:`kropbot_gateway.names`), the voter identity, sanitising
(:mod:`kropbot_gateway.sanitize`, :mod:`kropbot_gateway.moderation`), whether this
connection's votes count (``counted``, set by the server from ``max_votes_per_address``) and
the rate and flood limits (:mod:`kropbot_gateway.limits`). Parsing and encoding live in
:mod:`kropbot_gateway.encoding`; the transport in :mod:`kropbot_gateway.server`.

Reference: rosbridge v2 protocol, RobotWebTools/rosbridge_suite ``ROSBRIDGE_PROTOCOL.md``.
"""

from dataclasses import dataclass, field
import math
import secrets

from kropbot_gateway.actions import (  # noqa: F401 - re-exported: the server's imports
    MAX_STATUS_TEXT,
    Close,
    EndVote,
    Moderate,
    PublishModeVote,
    PublishTeleop,
    PublishVote,
    Reply,
    RoleChanged,
    Subscribe,
    Unsubscribe,
    status,
)
from kropbot_gateway.encoding import COMPRESSIONS, parse_json
from kropbot_gateway.errors import ProtocolError
from kropbot_gateway.limits import AbuseMeter, TokenBucket
from kropbot_gateway.moderation import MODERATION_TOPIC, STRING_TYPE, parse_moderation
from kropbot_gateway.names import normalize_type, resolve_topic
from kropbot_gateway.roles import (
    BOT,
    BOT_ID_PREFIX,
    OPERATOR,
    TELEOP_TYPE,
    RoleTable,
    SessionAuth,
    gateway_topics,
    new_bot_id,
)
from kropbot_gateway.sanitize import (  # noqa: F401 - sanitize_twist, sanitize_vote re-exported
    sanitize_mode_vote,
    sanitize_twist,
    sanitize_vote,
)

#: The crowd's vote type (server-side identity in ``header.frame_id``).
VOTE_TYPE = 'geometry_msgs/msg/TwistStamped'
#: The crowd's mode vote type (``{"voter", "mode"}`` JSON in ``data``; the server sets voter).
MODE_VOTE_TYPE = STRING_TYPE
#: Least time between two "your votes do not count" warnings to one connection (s).
WATCH_WARNING_PERIOD = 5.0
#: An operator's moderation commands: sustained rate (1/s) and burst.
MODERATION_RATE = (2.0, 10)
UNSUPPORTED_OPS = (
    'call_service', 'advertise_service', 'unadvertise_service', 'service_response',
    'send_action_goal', 'cancel_action_goal', 'advertise_action', 'unadvertise_action',
    'action_feedback', 'action_result', 'get_param', 'set_param', 'delete_param', 'set_level',
    'fragment', 'png',
)
def new_client_id():
    """Return a fresh server-side voter id, ``ws-`` + 12 random hex digits."""
    return 'ws-' + secrets.token_hex(6)


#: Supported rosbridge ops -> the :class:`Session` method handling them.
_HANDLERS = {'advertise': '_advertise', 'unadvertise': '_unadvertise', 'publish': '_publish',
             'subscribe': '_subscribe', 'unsubscribe': '_unsubscribe', 'auth': '_auth_op'}
#: Close code and reason when an authenticated session reaches its ``end``.
SESSION_ENDED = (1000, 'auth: session ended')


@dataclass
class SessionLimits:
    """Per-connection limits.

    Attributes:
        votes_per_second: sustained vote rate allowed (token bucket refill, 1/s).
        vote_burst: token bucket capacity (votes).
        abuse_factor: a connection sending more than ``abuse_factor`` x ``votes_per_second``
            messages per second averaged over ``abuse_window`` s is closed with 1008.
        abuse_window: window of the abuse checks (s).
        abuse_bytes_per_second: a connection sending more than this many characters (about
            bytes) per second averaged over ``abuse_window`` is closed with 1008.
        max_errors: a connection whose messages get more than this many ``status`` errors
            within ``abuse_window`` (garbage, refused ops) is closed with 1008.
        operator_commands_per_second: sustained ``teleop/cmd_vel`` commands of an operator
            (its own token bucket; the message flood limit of an operator connection is
            ``abuse_factor`` x the larger of this and ``votes_per_second``).
        operator_burst: the operator's token bucket capacity (commands).
        max_auth_failures: at this many refused ``auth`` ops the connection is closed (1008).
        mode_votes_per_second: sustained mode votes per connection (own token bucket, 1/s).
        mode_vote_burst: the mode votes' bucket capacity.

    """

    votes_per_second: float = 5.0
    vote_burst: int = 10
    abuse_factor: float = 10.0
    abuse_window: int = 5
    abuse_bytes_per_second: int = 16384
    max_errors: int = 20
    operator_commands_per_second: float = 50.0
    operator_burst: int = 20
    max_auth_failures: int = 5
    mode_votes_per_second: float = 0.5
    mode_vote_burst: int = 3


@dataclass
class Session:
    """Protocol state of one WebSocket connection (one voter).

    Args:
        publish_allow: ``{resolved_topic: type}`` the crowd may publish to (votes).
        subscribe_allow: ``{resolved_topic: type}`` the crowd may subscribe to.
        namespace: node namespace used to resolve relative topic names.
        limits: :class:`SessionLimits`.
        now: creation time (s, monotonic).
        stats: a dict of counters shared by all sessions (incremented in place).
        client_id: the server-assigned voter id (fresh random one by default; a session that
            authenticates as a bot gets a ``bot-`` id instead).
        roles: the :class:`~kropbot_gateway.roles.RoleTable`; None = every role has the
            crowd's allow-lists.
        verifier: the gateway's :class:`~kropbot_gateway.auth.Verifier`, or None: ``auth``
            ops are refused.
        bot_names: names of secrets that authenticate as bots only.

    Attributes:
        counted: whether this connection's votes and mode votes count (the server sets it
            from ``max_votes_per_address``); False refuses them with a warning.
        watch_reason: why they do not count (sent in the warning).
        operator_name: the name of the secret that authenticated the connection, or None.
        votes: votes published so far; ``last_vote``: ``(linear, angular, time)`` of the
            latest, or None.

    """

    publish_allow: dict
    subscribe_allow: dict
    namespace: str = '/'
    limits: SessionLimits = field(default_factory=SessionLimits)
    now: float = 0.0
    stats: dict = field(default_factory=dict)
    client_id: str = field(default_factory=new_client_id)
    roles: RoleTable = None
    verifier: object = field(default=None, repr=False)
    bot_names: frozenset = frozenset()

    def __post_init__(self):
        if self.roles is None:
            self.roles = RoleTable.crowd_only(self.publish_allow, self.subscribe_allow,
                                              self.namespace)
        self._authn = SessionAuth(self.verifier, frozenset(self.bot_names),
                                 self.limits.max_auth_failures)
        self._until = None  # monotonic end of the authentication (role != crowd)
        self._teleop_bucket = None  # the operator's token bucket, made on authentication
        self.advertised = {}  # resolved topic -> type
        self.voted = set()  # resolved topics this connection published a vote on
        self.subscriptions = {}  # resolved topic -> {subscribe id: Subscribe}
        self._bucket = TokenBucket(self.limits.votes_per_second, self.limits.vote_burst,
                                   self.now)
        self._last_warning = float('-inf')
        self._abuse = AbuseMeter(
            self.limits.abuse_factor * self.limits.votes_per_second * self.limits.abuse_window,
            self.limits.abuse_window)
        self._bytes = AbuseMeter(self.limits.abuse_bytes_per_second * self.limits.abuse_window,
                                 self.limits.abuse_window)
        self._errors = AbuseMeter(self.limits.max_errors, self.limits.abuse_window)
        self._mode_bucket = TokenBucket(self.limits.mode_votes_per_second,
                                        self.limits.mode_vote_burst, self.now)
        self._moderation_bucket = None  # made on authentication as the operator
        self._local = gateway_topics(self.namespace)
        self._moderation_topic = resolve_topic(MODERATION_TOPIC, self.namespace)
        self.counted = True
        self.watch_reason = ''
        self._last_watch_warning = float('-inf')
        self.operator_name = None
        self.votes = 0
        self.last_vote = None

    @property
    def role(self):
        """The connection's role: ``'crowd'``, ``'bot'`` or ``'operator'``."""
        return self._authn.role

    def _count(self, key):
        self.stats[key] = self.stats.get(key, 0) + 1

    def handle_text(self, text, now):
        """Handle one incoming text frame at time ``now`` (s); return a list of actions.

        Never raises: malformed or refused messages give one ``status`` error :class:`Reply`
        and no other action; floods (message rate, byte rate, too many errors) give
        ``Close(1008)``.
        """
        self._count('messages')
        if self._until is not None and now >= self._until:
            return [Close(*SESSION_ENDED)]
        if self._abuse.hit(now):
            self._count('abuse_closed')
            return [Close(1008, 'message flood')]
        if self._bytes.hit(now, len(text)):
            self._count('abuse_closed')
            return [Close(1008, 'byte flood')]
        actions = self._handle(text, now)
        if any(isinstance(a, Reply) and a.payload.get('level') == 'error' for a in actions):
            if self._errors.hit(now):
                self._count('abuse_closed')
                return [Close(1008, 'too many malformed or refused messages')]
        return actions

    def closed(self):
        """Return the :class:`EndVote` actions of the ended connection (clean close or not).

        One per topic a vote of this connection was published on (none if it never voted), in
        topic order; a second call returns none.
        """
        ends = [EndVote(topic, self.client_id) for topic in sorted(self.voted)]
        self.voted.clear()
        return ends

    def _handle(self, text, now):
        try:
            request = parse_json(text)
        except ProtocolError as exc:
            self._count('malformed')
            return [Reply(status('error', str(exc)))]
        if not isinstance(request, dict):
            self._count('malformed')
            return [Reply(status('error', 'a rosbridge message must be a JSON object'))]
        op_id = request.get('id')
        if not isinstance(op_id, (str, int, float)) or isinstance(op_id, bool):
            op_id = None
        elif isinstance(op_id, float) and not math.isfinite(op_id):
            op_id = None  # NaN/Infinity cannot be echoed in valid JSON
        elif isinstance(op_id, str) and len(op_id) > 256:
            op_id = op_id[:256]
        op = request.get('op')
        name = _HANDLERS.get(op) if isinstance(op, str) else None
        handler = getattr(self, name) if name else None
        if handler is None:
            self._count('unsupported_op')
            if not isinstance(op, str):
                return [Reply(status('error', 'missing or non-string "op"', op_id))]
            if op in UNSUPPORTED_OPS:
                text = f'op "{op}" is not available on the KropBot crowd gateway'
            else:
                text = f'unknown op "{op[:64]}"'
            return [Reply(status('error', text, op_id))]
        try:
            return handler(request, op_id, now)
        except ProtocolError as exc:
            self._count('refused')
            return [Reply(status('error', f'{op}: {exc}', op_id))]

    def _topic(self, request):
        client_topic = request.get('topic')
        return client_topic, resolve_topic(client_topic, self.namespace)

    def _check_type(self, request, expected):
        if request.get('type') in (None, ''):
            return
        if normalize_type(request['type']) != expected:
            raise ProtocolError(f'type {request["type"]!r} does not match {expected}')

    def _forbidden(self, verb, client_topic, topic, kind):
        self._count('forbidden_topic')
        needed = self.roles.needs(topic, kind)
        if needed is not None:
            return ProtocolError(f'{verb} {client_topic!r} needs the {needed} role (rosbridge '
                                 '"auth" op)')
        return ProtocolError(f'{verb} {client_topic!r} is not allowed')

    def _advertise(self, request, op_id, now):
        client_topic, topic = self._topic(request)
        allow = self.roles.publish[self.role]
        if topic not in allow:
            raise self._forbidden('publishing to', client_topic, topic, 'publish')
        if 'type' not in request:
            raise ProtocolError('advertise needs "type"')
        self._check_type(request, allow[topic])
        self.advertised[topic] = allow[topic]
        return []

    def _unadvertise(self, request, op_id, now):
        client_topic, topic = self._topic(request)
        if self.advertised.pop(topic, None) is None:
            raise ProtocolError(f'{client_topic!r} is not advertised')
        return []

    def _publish(self, request, op_id, now):
        client_topic, topic = self._topic(request)
        allow = self.roles.publish[self.role]
        if topic not in allow:
            raise self._forbidden('publishing to', client_topic, topic, 'publish')
        kind = allow[topic]
        if topic == self._moderation_topic:
            return self._moderation(request, op_id, now)
        teleop = kind == TELEOP_TYPE
        mode_vote = kind == MODE_VOTE_TYPE
        if teleop:
            linear_x, angular_z = sanitize_twist(request.get('msg'))
        elif mode_vote:
            mode = sanitize_mode_vote(request.get('msg'))
        else:
            linear_x, angular_z = sanitize_vote(request.get('msg'))
        # rosbridge auto-advertises on publish; done only for allow-listed topics.
        self.advertised.setdefault(topic, kind)
        if not teleop and not self.counted:
            self._count('votes_not_counted')
            if now - self._last_watch_warning < WATCH_WARNING_PERIOD:
                return []
            self._last_watch_warning = now
            return [Reply(status('warning', f'vote not counted: you are watching '
                                 f'({self.watch_reason})', op_id))]
        if teleop:
            bucket, what = self._teleop_bucket, 'command'
        elif mode_vote:
            bucket, what = self._mode_bucket, 'mode vote'
        else:
            bucket, what = self._bucket, 'vote'
        if not bucket.take(now):
            return self._rate_limited(what, op_id, now)
        if teleop:
            self._count('teleop_commands')
            return [PublishTeleop(topic, self.client_id, linear_x, angular_z)]
        self.voted.add(topic)
        if mode_vote:
            self._count('mode_votes')
            return [PublishModeVote(topic, self.client_id, mode)]
        self._count('votes')
        self.votes += 1
        self.last_vote = (linear_x, angular_z, now)
        return [PublishVote(topic, self.client_id, linear_x, angular_z)]

    def _rate_limited(self, what, op_id, now):
        self._count(f'{what.replace(" ", "_")}_rate_limited')
        if now - self._last_warning < 1.0:
            return []  # at most one warning per second, so a flood is not echoed back
        self._last_warning = now
        return [Reply(status('warning', f'{what} rate limit exceeded: {what} dropped', op_id))]

    def _moderation(self, request, op_id, now):
        """Parse an operator's moderation command (:mod:`kropbot_gateway.moderation`)."""
        msg = request.get('msg')
        if not isinstance(msg, dict) or set(msg) != {'data'}:
            raise ProtocolError('a moderation command is std_msgs/msg/String: '
                                '{"data": "<JSON>"}')
        command = parse_moderation(msg['data'])
        if not self._moderation_bucket.take(now):
            return self._rate_limited('moderation command', op_id, now)
        self._count('moderation_commands')
        return [Moderate(command, self.operator_name, op_id)]

    def _auth_op(self, request, op_id, now):
        """Handle the rosbridge v2 ``auth`` op (rosauth MAC; roles: :mod:`.roles`)."""
        outcome = self._authn.handle(request, now)
        if not outcome.ok:
            self._count('auth_refused')
            actions = [Reply(status('error', f'auth: {outcome.reason}', op_id))]
            if outcome.close:
                self._count('auth_closed')
                actions.append(Close(1008, 'too many failed auth attempts'))
            return actions
        self._count('auth_accepted')
        role = outcome.role
        if (role == BOT) != self.client_id.startswith(BOT_ID_PREFIX):
            self.client_id = new_bot_id() if role == BOT else new_client_id()
        limits = self.limits
        self.operator_name = outcome.operator
        if role == OPERATOR:
            self._teleop_bucket = TokenBucket(limits.operator_commands_per_second,
                                              limits.operator_burst, now)
            self._moderation_bucket = TokenBucket(*MODERATION_RATE, now)
            rate = max(limits.votes_per_second, limits.operator_commands_per_second)
        else:
            rate = limits.votes_per_second
        self._abuse.limit = limits.abuse_factor * rate * limits.abuse_window
        self._until = outcome.until
        actions = [Reply(status('info', f'auth: authenticated as {role}', op_id)),
                   RoleChanged(role, self.client_id, outcome.operator, outcome.until)]
        # A changed role may reach less than before: drop what it may no longer use.
        for topic in [t for t in self.advertised if t not in self.roles.publish[role]]:
            del self.advertised[topic]
        for topic in [t for t in self.subscriptions if t not in self.roles.subscribe[role]]:
            del self.subscriptions[topic]
            actions.append(Unsubscribe(topic, topic in self._local))
        return actions

    def _subscribe(self, request, op_id, now):
        client_topic, topic = self._topic(request)
        allow = self.roles.subscribe[self.role]
        if topic not in allow:
            raise self._forbidden('subscribing to', client_topic, topic, 'subscribe')
        self._check_type(request, allow[topic])
        # Absent, null or '' mean the default; any other falsy value (0, false, []) is an error.
        compression = request.get('compression')
        if compression in (None, ''):
            compression = 'none'
        if not isinstance(compression, str) or compression not in COMPRESSIONS:
            raise ProtocolError(f'compression {compression!r} not supported (use none or cbor)')
        throttle = request.get('throttle_rate')
        throttle = 0 if throttle is None else throttle
        queue_length = request.get('queue_length')
        queue_length = 0 if queue_length is None else queue_length
        for key, value in (('throttle_rate', throttle), ('queue_length', queue_length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ProtocolError(f'{key} must be a non-negative integer, got {value!r}')
        sub = Subscribe(topic, allow[topic], client_topic, compression, throttle, queue_length,
                        topic in self._local)
        self.subscriptions.setdefault(topic, {})[op_id] = sub
        return [sub]

    def _unsubscribe(self, request, op_id, now):
        client_topic, topic = self._topic(request)
        subs = self.subscriptions.get(topic)
        if not subs:
            raise ProtocolError(f'not subscribed to {client_topic!r}')
        if op_id is not None and op_id in subs and len(subs) > 1:
            del subs[op_id]
            return [next(reversed(subs.values()))]  # the remaining subscription's options
        del self.subscriptions[topic]
        return [Unsubscribe(topic, topic in self._local)]
