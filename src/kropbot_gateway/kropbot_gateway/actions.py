"""The actions a gateway session asks the server to carry out, and its ``status`` replies.

ROS-free. :meth:`kropbot_gateway.session.Session.handle_text` turns each incoming frame into a
list of these (frozen dataclasses); :mod:`kropbot_gateway.server` executes them: replies to
the client, votes, mode votes and operator commands to the bridge, moderation to the
:mod:`kropbot_gateway.moderator`, role changes, subscriptions, closes.
"""

from dataclasses import dataclass

MAX_STATUS_TEXT = 200  # characters of a status message (no echo of huge client values)


def status(level, msg, op_id=None):
    """Return a rosbridge ``status`` op dict (``level`` is error, warning, info or none).

    ``msg`` is cut to :data:`MAX_STATUS_TEXT` characters, so a reply never echoes a large client
    value back.
    """
    if len(msg) > MAX_STATUS_TEXT:
        msg = msg[:MAX_STATUS_TEXT - 3] + '...'
    out = {'op': 'status', 'level': level, 'msg': msg}
    if op_id is not None:
        out['id'] = op_id
    return out


@dataclass(frozen=True)
class Reply:
    """Send ``payload`` (a dict, JSON-encoded) back to this client."""

    payload: dict


@dataclass(frozen=True)
class PublishVote:
    """Publish one vote on ``topic`` (resolved) for ``voter_id`` (m/s, rad/s)."""

    topic: str
    voter_id: str
    linear_x: float
    angular_z: float


@dataclass(frozen=True)
class PublishTeleop:
    """Publish one operator command (``geometry_msgs/msg/Twist``) on ``topic`` (m/s, rad/s)."""

    topic: str
    voter_id: str
    linear_x: float
    angular_z: float


@dataclass(frozen=True)
class PublishModeVote:
    """Publish ``voter_id``'s mode vote (``'anarchy'``, ``'democracy'``, ``''`` = withdraw)."""

    topic: str
    voter_id: str
    mode: str


@dataclass(frozen=True)
class Moderate:
    """Carry out an operator's moderation ``command`` (a :class:`~.moderation.Moderation`).

    ``operator`` is the name of the secret that authenticated (safe to log); the server answers
    with a ``status`` op echoing ``op_id``.
    """

    command: object
    operator: str
    op_id: object = None


@dataclass(frozen=True)
class RoleChanged:
    """The connection authenticated: its ``role``, ``voter_id`` and auth end ``until``.

    ``operator`` is the name of the secret that verified (safe to log); ``until`` is the
    monotonic time (s) at which the server closes the connection (the ``auth`` op's ``end``).
    """

    role: str
    voter_id: str
    operator: str
    until: float


@dataclass(frozen=True)
class EndVote:
    """End ``voter_id``'s vote on ``topic`` (resolved) now: its connection is gone.

    The bridge turns it into a withdrawal (:meth:`kropbot_gateway.bridge.Bridge.voter_left`).
    Clients cannot cause one except by closing their connection: :func:`sanitize_vote` refuses
    the non-finite values a withdrawal vote is made of (:mod:`kropbot_common.withdrawal`).
    """

    topic: str
    voter_id: str


@dataclass(frozen=True)
class Subscribe:
    """Start or update this client's subscription to ``topic`` (resolved name).

    ``client_topic`` is the name as the client spelled it (echoed in outgoing publish ops, as
    roslibjs routes messages by that string); ``throttle_rate`` is in ms. ``local`` is True for
    a topic the gateway serves itself (:func:`kropbot_gateway.roles.gateway_topics`).
    """

    topic: str
    type: str
    client_topic: str
    compression: str
    throttle_rate: int
    queue_length: int
    local: bool = False


@dataclass(frozen=True)
class Unsubscribe:
    """Stop this client's subscription to ``topic`` (resolved name; ``local`` as above)."""

    topic: str
    local: bool = False


@dataclass(frozen=True)
class Close:
    """Close the connection with WebSocket close ``code`` and ``reason``."""

    code: int
    reason: str
