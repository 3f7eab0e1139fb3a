"""The client's side of the gateway's rosbridge v2 subset (pure: no socket, clock injected).

The desktop client speaks what the crowd's page speaks (roslibjs), plus the operator's extra:

* ``subscribe`` ``camera/image_raw/compressed`` (``sensor_msgs/msg/CompressedImage``) with
  ``compression: cbor`` (the JPEG arrives as a CBOR byte string, no base64) and
  ``crowd/status`` (``std_msgs/msg/String``, JSON text);
* as a crowd voter: ``advertise`` + ``publish`` ``crowd/vote``
  (``geometry_msgs/msg/TwistStamped``; the gateway sets ``header.frame_id`` to this connection's
  voter id);
* as the operator: first the rosbridge v2 ``auth`` op (rosauth MAC,
  :func:`kropbot_gateway.auth.auth_op`), then ``advertise`` + ``publish`` ``teleop/cmd_vel``
  (``geometry_msgs/msg/Twist``), which overrides the crowd while fresh; and moderation
  commands (pause, resume, mode, kick, ban, unban) as ``publish`` on the gateway's
  ``crowd/moderation`` (:func:`moderation_op`), each answered with a ``status`` op
  ``moderation: ...`` echoing the op's id (:func:`moderation_answer`).

Reference: rosbridge v2 protocol (RobotWebTools/rosbridge_suite ``ROSBRIDGE_PROTOCOL.md``).
"""

import base64
from dataclasses import dataclass
import json
import math
import random

import cbor2

CAMERA_TOPIC = 'camera/image_raw/compressed'
CAMERA_TYPE = 'sensor_msgs/msg/CompressedImage'
STATUS_TOPIC = 'crowd/status'
STATUS_TYPE = 'std_msgs/msg/String'
VOTE_TOPIC = 'crowd/vote'
VOTE_TYPE = 'geometry_msgs/msg/TwistStamped'
TELEOP_TOPIC = 'teleop/cmd_vel'
TELEOP_TYPE = 'geometry_msgs/msg/Twist'
MODERATION_TOPIC = 'crowd/moderation'
CROWD, OPERATOR = 'crowd', 'operator'
#: The vote node's modes, in the order the ``m`` key cycles through them.
MODES = ('vote', 'anarchy', 'democracy', 'queue')


def setup_ops(role, throttle_ms=0):
    """Return the ops sent right after connecting (and after every reconnect), in order.

    Args:
        role: :data:`CROWD` or :data:`OPERATOR` (the ``auth`` op is sent before these).
        throttle_ms: camera ``throttle_rate`` (ms between frames; 0 = every frame).

    """
    topic, type_ = (TELEOP_TOPIC, TELEOP_TYPE) if role == OPERATOR else (VOTE_TOPIC, VOTE_TYPE)
    return [
        {'op': 'subscribe', 'id': 'camera', 'topic': CAMERA_TOPIC, 'type': CAMERA_TYPE,
         'compression': 'cbor', 'throttle_rate': int(throttle_ms), 'queue_length': 1},
        {'op': 'subscribe', 'id': 'status', 'topic': STATUS_TOPIC, 'type': STATUS_TYPE},
        {'op': 'advertise', 'id': 'command', 'topic': topic, 'type': type_},
    ]


def command_op(role, linear, angular):
    """Return the ``publish`` op carrying a command (m/s, rad/s) for ``role``.

    Raises:
        ValueError: on a NaN or infinite component (never sent).

    """
    if not (math.isfinite(linear) and math.isfinite(angular)):
        raise ValueError('command components must be finite')
    twist = {'linear': {'x': float(linear), 'y': 0.0, 'z': 0.0},
             'angular': {'x': 0.0, 'y': 0.0, 'z': float(angular)}}
    if role == OPERATOR:
        return {'op': 'publish', 'topic': TELEOP_TOPIC, 'msg': twist}
    return {'op': 'publish', 'topic': VOTE_TOPIC,
            'msg': {'header': {'frame_id': ''}, 'twist': twist}}


def moderation_op(op_id, action, **fields):
    """Return the ``publish`` op of a moderation command (operator only).

    Args:
        op_id: the op's id (the gateway's answer echoes it).
        action: ``pause``, ``resume``, ``mode`` (``mode=``), ``kick`` (``token=``), ``ban``
            (``token=`` or ``address=``, optional ``duration=`` s) or ``unban`` (``address=``).
        **fields: the action's fields; None values are left out.

    The gateway checks everything (src/kropbot_gateway/doc/gateway.md, "Moderation").
    """
    command = {'action': action, **{k: v for k, v in fields.items() if v is not None}}
    return {'op': 'publish', 'id': op_id, 'topic': MODERATION_TOPIC,
            'msg': {'data': json.dumps(command, separators=(',', ':'))}}


def moderation_answer(message):
    """Return ``(ok, text)`` if a :class:`ServerMessage` answers a moderation command.

    None for any other message.
    """
    if not message.text.startswith('moderation:'):
        return None
    return message.level == 'info', message.text[len('moderation:'):].strip()


def next_mode(mode):
    """Return the mode after ``mode`` in :data:`MODES` (``vote`` after an unknown one)."""
    return MODES[(MODES.index(mode) + 1) % len(MODES)] if mode in MODES else MODES[0]


def encode(op):
    """Encode an op dict as the JSON text frame the gateway expects."""
    return json.dumps(op, separators=(',', ':'), allow_nan=False)


@dataclass(frozen=True)
class Frame:
    """A camera frame: ``jpeg`` bytes and its capture ``stamp`` (s, the camera node's clock)."""

    jpeg: bytes
    stamp: float


@dataclass(frozen=True)
class Status:
    """A ``crowd/status`` summary (the vote node's JSON, as a dict)."""

    data: dict


@dataclass(frozen=True)
class ServerMessage:
    """A rosbridge ``status`` op: ``level`` (error, warning, info), ``text`` and ``id``."""

    level: str
    text: str
    id: str = ''


def decode(frame):
    """Decode one frame from the gateway into a :class:`Frame`, :class:`Status`,
    :class:`ServerMessage`, or None (anything else, including malformed input).

    Binary frames are CBOR (the camera subscription), text frames JSON. Never raises.
    """  # noqa: D205 - the list of result types does not fit the first line
    try:
        msg = cbor2.loads(frame) if isinstance(frame, (bytes, bytearray)) else json.loads(frame)
    except Exception:  # noqa: BLE001 - any undecodable frame is ignored, never fatal
        return None
    if not isinstance(msg, dict):
        return None
    op = msg.get('op')
    if op == 'status':
        return ServerMessage(str(msg.get('level', '')), str(msg.get('msg', ''))[:200],
                             str(msg.get('id', '')))
    if op != 'publish' or not isinstance(msg.get('msg'), dict):
        return None
    body, topic = msg['msg'], str(msg.get('topic', '')).lstrip('/')
    if topic == CAMERA_TOPIC:
        data = body.get('data')
        if isinstance(data, str):  # JSON mode: base64 text
            try:
                data = base64.b64decode(data, validate=True)
            except ValueError:
                return None
        if not isinstance(data, (bytes, bytearray)):
            return None
        return Frame(bytes(data), _stamp(body.get('header')))
    if topic == STATUS_TOPIC:
        try:
            data = json.loads(body.get('data', ''))
        except (TypeError, ValueError):
            return None
        return Status(data) if isinstance(data, dict) else None
    return None


def auth_answer(message):
    """Read a :class:`ServerMessage` as the gateway's answer to the ``auth`` op.

    The KropBot gateway answers ``auth: authenticated as <role>`` (level info) or
    ``auth: <reason>`` (level error); a gateway without the op answers ``op "auth" is not
    available ...`` (error).

    Returns:
        ``'ok'`` (authenticated as operator), ``'refused'`` (any error about auth, or another
        role than operator), or None if the message is not about auth.

    """
    text = message.text
    if text.startswith('auth: authenticated as ') and message.level != 'error':
        return 'ok' if text == 'auth: authenticated as operator' else 'refused'
    if message.level == 'error' and (text.startswith('auth:') or '"auth"' in text):
        return 'refused'
    return None


def _stamp(header):
    try:
        stamp = header['stamp']
        return float(stamp['sec']) + float(stamp['nanosec']) * 1e-9
    except (KeyError, TypeError, ValueError):
        return float('nan')


@dataclass
class SendPolicy:
    """When to send the current command: at once on a change, rate-capped, plus a heartbeat.

    A crowd vote lives ``vote_timeout`` (3 s) in the vote node and the gateway allows
    5 votes/s per connection (burst 10), so votes go out at most every ``min_interval`` s
    and are repeated every ``heartbeat`` s. The operator's ``teleop/cmd_vel`` is fresh for
    ``teleop_timeout`` (0.5 s), so it is repeated faster. A change to stop is never delayed.

    Args:
        min_interval: least time between two sends of a changed command (s).
        heartbeat: resend an unchanged command after this long (s).

    """

    min_interval: float
    heartbeat: float

    def __post_init__(self):
        self.last_sent = None  # (time, Twist) of the last send
        self.last_change = float('-inf')  # time of the last send of a changed command

    @classmethod
    def for_role(cls, role):
        """Crowd: changes at most 4/s, heartbeat 1 s; operator: 30/s, heartbeat 0.1 s."""
        return cls(1 / 30, 0.1) if role == OPERATOR else cls(0.25, 1.0)

    def reset(self):
        """Forget what was sent (a new connection sends the next command at once)."""
        self.last_sent = None
        self.last_change = float('-inf')

    def due(self, twist, now):
        """Return True if ``twist`` should be sent at ``now`` (s); then call :meth:`sent`.

        Heartbeats do not delay a change: only changes are rate-capped among themselves.
        """
        if self.last_sent is None:
            return True
        when, previous = self.last_sent
        if twist == previous:
            return now - when >= self.heartbeat
        return twist.is_zero() or now - self.last_change >= self.min_interval

    def next_due(self, twist):
        """Return the time (s) at which ``twist`` becomes due (``-inf`` if nothing was sent)."""
        if self.last_sent is None:
            return float('-inf')
        when, previous = self.last_sent
        if twist == previous:
            return when + self.heartbeat
        return float('-inf') if twist.is_zero() else self.last_change + self.min_interval

    def sent(self, twist, now):
        """Record that ``twist`` was sent at ``now`` (s)."""
        if self.last_sent is not None and twist != self.last_sent[1]:
            self.last_change = now
        self.last_sent = (now, twist)


@dataclass
class Backoff:
    """Reconnect delays: exponential from ``first`` to ``cap`` s, with ±``jitter`` (fraction).

    Call :meth:`next_delay` after each failed or lost connection and :meth:`reset` once a
    connection has been up for a while. ``rng`` is injected for tests.
    """

    first: float = 0.5
    cap: float = 8.0
    jitter: float = 0.2
    rng: random.Random = None

    def __post_init__(self):
        self.attempt = 0
        self.rng = self.rng or random.Random()

    def next_delay(self):
        """Return the delay (s) before the next attempt and advance."""
        base = min(self.cap, self.first * 2 ** self.attempt)
        self.attempt += 1
        return base * (1.0 + self.jitter * (2.0 * self.rng.random() - 1.0))

    def reset(self):
        """Start again from ``first``."""
        self.attempt = 0
