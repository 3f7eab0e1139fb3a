"""Roles of a gateway session and what each may reach: the role table (ROS-free).

Every WebSocket connection starts in the :data:`CROWD` role (today's allow-list: publish
votes, subscribe the camera and ``crowd/status``). A connection that authenticates with the
rosbridge v2 ``auth`` op (:mod:`kropbot_gateway.auth`, handled by :class:`SessionAuth`) gets

* :data:`OPERATOR`: the crowd's topics plus the operator's (parameters ``operator_publish``,
  ``operator_subscribe``; by default it may publish ``teleop/cmd_vel``
  (``geometry_msgs/msg/Twist``), which overrides the crowd in the vote node while fresh, and
  subscribe ``odom`` and ``diagnostics``);
* :data:`BOT`: exactly the crowd's topics, but its voter id starts with :data:`BOT_ID_PREFIX`
  (``bot-``), so the vote node counts it apart from humans (``crowd/status`` key ``bots``).
  A session gets it when its ``auth`` op has ``level`` :data:`BOT_LEVEL`, or when the secret
  that verified is named in the parameter ``auth_bot_names`` (such a secret never gives more).

Besides the configured ROS topics, every role may subscribe to the gateway's own topic
:data:`YOU_TOPIC` (this connection's voter token, role and whether its votes count), and with
operator access the operator may also publish moderation commands on
:data:`kropbot_gateway.moderation.MODERATION_TOPIC` and subscribe to :data:`CONNECTIONS_TOPIC`
(the connections and the bans). The gateway serves these itself; they never reach ROS.

The table is configuration, validated at start-up (:func:`build_role_table`); the threat model
is in docs/SAFETY.md.
"""

from dataclasses import dataclass, field
import math
import secrets

from kropbot_gateway.moderation import MODERATION_TOPIC, STRING_TYPE
from kropbot_gateway.names import resolve_topic

CROWD, BOT, OPERATOR = 'crowd', 'bot', 'operator'
#: All roles, least privileged first.
ROLES = (CROWD, BOT, OPERATOR)
#: The ``level`` of an ``auth`` op that asks for the bot role (bound into the MAC).
BOT_LEVEL = 'bot'
#: Voter id prefix of bot sessions; the vote node counts ids whose last ``/`` component starts
#: with it as bots (relay gateways prefix ids with ``<scope>/``).
BOT_ID_PREFIX = 'bot-'
#: The only type an operator may publish besides votes: a command, sanitised like a vote.
TELEOP_TYPE = 'geometry_msgs/msg/Twist'
#: Gateway topic (every role may subscribe): ``{"you": token, "role", "counted", "why"}`` of
#: this connection, sent at once and again when it changes.
YOU_TOPIC = 'crowd/you'
#: Gateway topic (operator only): the connections (tokens, addresses, votes) and the bans, 1 Hz.
CONNECTIONS_TOPIC = 'crowd/connections'


def gateway_topics(namespace='/'):
    """Return the resolved names of the topics the gateway serves itself (never ROS topics)."""
    return frozenset(resolve_topic(t, namespace)
                     for t in (YOU_TOPIC, CONNECTIONS_TOPIC, MODERATION_TOPIC))


def new_bot_id():
    """Return a fresh server-side bot voter id, ``bot-`` + 12 random hex digits."""
    return BOT_ID_PREFIX + secrets.token_hex(6)


@dataclass(frozen=True)
class RoleTable:
    """What each role may publish and subscribe: ``{role: {resolved topic: type}}``.

    Build it with :func:`build_role_table`; ``crowd_only`` gives the table of a gateway
    without operator access.
    """

    publish: dict
    subscribe: dict

    @classmethod
    def crowd_only(cls, publish, subscribe, namespace='/'):
        """Return the table where every role has the crowd's ``publish``/``subscribe`` dicts.

        (Plus :data:`YOU_TOPIC` to subscribe: a gateway without operator access.)
        """
        subscribe = {**subscribe, resolve_topic(YOU_TOPIC, namespace): STRING_TYPE}
        return cls({r: dict(publish) for r in ROLES}, {r: dict(subscribe) for r in ROLES})

    def teleop_topics(self):
        """Return the resolved topics some role may publish :data:`TELEOP_TYPE` commands to."""
        return tuple(sorted({t for allow in self.publish.values()
                             for t, ty in allow.items() if ty == TELEOP_TYPE}))

    def needs(self, topic, kind):
        """Return the least privileged role that may ``kind`` (publish/subscribe) ``topic``."""
        table = self.publish if kind == 'publish' else self.subscribe
        return next((r for r in ROLES if topic in table[r]), None)


def build_role_table(crowd_publish, crowd_subscribe, operator_publish, operator_subscribe,
                     namespace='/', vote_type='geometry_msgs/msg/TwistStamped'):
    """Validate the operator's entries and return the :class:`RoleTable`.

    Args:
        crowd_publish: ``{topic: type}`` of the crowd's votes (``allow_publish``).
        crowd_subscribe: ``{topic: type}`` (``allow_subscribe``).
        operator_publish: ``{topic: type}`` the operator may publish besides votes; every type
            must be :data:`TELEOP_TYPE`, and the topic must not be ``cmd_vel`` itself (the vote
            node arbitrates between the crowd and the operator on ``teleop/cmd_vel``).
        operator_subscribe: ``{topic: type}`` the operator may subscribe to besides the crowd's.
        namespace: the node namespace (to recognise ``cmd_vel``).
        vote_type: the crowd's vote type (an operator topic must not also be a vote topic).

    Raises:
        ValueError: naming the offending entry.

    """
    cmd_vel = resolve_topic('cmd_vel', namespace)
    for topic, type_name in operator_publish.items():
        if type_name != TELEOP_TYPE:
            raise ValueError(f'{topic} has type {type_name}; an operator publishes '
                             f'{TELEOP_TYPE} commands only')
        if topic == cmd_vel:
            raise ValueError(f"{topic} is the vote node's output: publish the operator's "
                             'commands on teleop/cmd_vel, which overrides the crowd while fresh')
        if topic in crowd_publish:
            raise ValueError(f'{topic} is also a crowd vote topic ({vote_type})')
    for topic, type_name in operator_subscribe.items():
        if crowd_subscribe.get(topic, type_name) != type_name:
            raise ValueError(f'{topic} has type {type_name} here and '
                             f"{crowd_subscribe[topic]} in the crowd's list")
    you = {resolve_topic(YOU_TOPIC, namespace): STRING_TYPE}
    crowd_subscribe = {**crowd_subscribe, **you}
    operator_pub = {**crowd_publish, **operator_publish,
                    resolve_topic(MODERATION_TOPIC, namespace): STRING_TYPE}
    operator_sub = {**crowd_subscribe, **operator_subscribe,
                    resolve_topic(CONNECTIONS_TOPIC, namespace): STRING_TYPE}
    return RoleTable(
        {CROWD: dict(crowd_publish), BOT: dict(crowd_publish), OPERATOR: operator_pub},
        {CROWD: dict(crowd_subscribe), BOT: dict(crowd_subscribe), OPERATOR: operator_sub})


def role_for(secret_role, level):
    """Return the role a verified ``auth`` op gives.

    ``level`` (the op's field, bound into the MAC) :data:`BOT_LEVEL` asks for the bot role;
    any other level (rosauth's ``admin``, ``user``...) asks for the secret's own role
    ``secret_role`` (:data:`OPERATOR` or :data:`BOT`). The result is never more privileged
    than ``secret_role``.
    """
    return BOT if level == BOT_LEVEL or secret_role == BOT else OPERATOR


@dataclass
class AuthOutcome:
    """Result of :meth:`SessionAuth.handle`.

    Attributes:
        ok: True if the op authenticated the session.
        reason: why it failed ('' on success); safe to send and log (no secret, no MAC).
        role: the session's role after the op.
        operator: the name of the secret that verified (None on failure); safe to log.
        until: monotonic time (s) at which the session's authentication ends (the op's
            ``end``), None on failure.
        close: True when the failure limit is reached: the connection must be closed (1008).

    """

    ok: bool
    reason: str = ''
    role: str = CROWD
    operator: str = None
    until: float = None
    close: bool = False


@dataclass
class SessionAuth:
    """The ``auth`` state of one connection: role, failures, end of the authentication.

    Args:
        verifier: a :class:`kropbot_gateway.auth.Verifier` shared by all connections (its
            ``rand`` cache spans them), or None: every ``auth`` op is refused.
        bot_names: names of secrets that authenticate as :data:`BOT` only.
        max_failures: at this many refused ``auth`` ops the connection is to be closed.

    Attributes:
        role: the current role (:data:`CROWD` until an op verifies).
        failures: refused ``auth`` ops so far on this connection.

    """

    verifier: object = None
    bot_names: frozenset = frozenset()
    max_failures: int = 5
    role: str = field(default=CROWD, init=False)
    failures: int = field(default=0, init=False)

    def handle(self, request, now):
        """Verify one ``auth`` op dict at monotonic time ``now`` (s); return an AuthOutcome.

        A failure leaves the role as it was (a second, failing op does not end an earlier
        authentication). Never raises.
        """
        if self.verifier is None:
            result_reason = ('operator access is not enabled on this gateway '
                             '(auth_secret_file is empty)')
            return self._failed(result_reason)
        result = self.verifier.verify(request)
        if not result.ok:
            return self._failed(result.reason)
        secret_role = BOT if result.operator in self.bot_names else OPERATOR
        self.role = role_for(secret_role, result.level)
        remaining = result.end - self.verifier.clock()
        until = now + remaining if math.isfinite(remaining) else math.inf
        return AuthOutcome(True, role=self.role, operator=result.operator, until=until)

    def _failed(self, reason):
        self.failures += 1
        return AuthOutcome(False, reason=reason, role=self.role,
                           close=self.failures >= self.max_failures)
