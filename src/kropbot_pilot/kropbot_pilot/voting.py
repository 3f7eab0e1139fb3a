"""The pilot's side of the gateway protocol and its voting rules (pure: no socket, no clock).

Speaks the subset of rosbridge v2 the crowd page speaks (see kropbot_gateway's doc/gateway.md):

* ``subscribe`` ``camera/image_raw/compressed`` with ``compression: cbor`` (the JPEG arrives as
  a CBOR byte string) and ``crowd/status`` (JSON);
* as a crowd member: ``advertise`` + ``publish`` ``crowd/vote``
  (``geometry_msgs/msg/TwistStamped``; the gateway sets the voter id);
* as the operator: an ``auth`` op first (:func:`auth_op_for`), then ``teleop/cmd_vel``
  (``geometry_msgs/msg/Twist``), which overrides the crowd while fresh.

:class:`VoteScheduler` decides, on each tick, whether to run the model on a new frame, repeat
the last vote (a heartbeat: a crowd vote expires after ``vote_timeout``, 3 s), send one stop
because frames stopped arriving, or stay quiet.
"""

import base64
from dataclasses import dataclass
import json
import math

import cbor2

CAMERA_TOPIC = 'camera/image_raw/compressed'
CAMERA_TYPE = 'sensor_msgs/msg/CompressedImage'
STATUS_TOPIC = 'crowd/status'
STATUS_TYPE = 'std_msgs/msg/String'
VOTE_TOPIC = 'crowd/vote'
VOTE_TYPE = 'geometry_msgs/msg/TwistStamped'
TELEOP_TOPIC = 'teleop/cmd_vel'
TELEOP_TYPE = 'geometry_msgs/msg/Twist'
CROWD, OPERATOR = 'crowd', 'operator'
ROLES = (CROWD, OPERATOR)
#: rosauth user level the pilot claims when it authenticates as a bot crowd member (the
#: gateway maps authenticated bots to its ``bot`` role).
BOT_LEVEL = 'bot'
#: rosauth user level of the operator (what kropbot_remote and roslibjs send by default).
OPERATOR_LEVEL = 'admin'


def setup_ops(role):
    """Return the ops sent after connecting (after the ``auth`` op, if any), in order."""
    topic, type_ = (TELEOP_TOPIC, TELEOP_TYPE) if role == OPERATOR else (VOTE_TOPIC, VOTE_TYPE)
    return [
        {'op': 'subscribe', 'id': 'camera', 'topic': CAMERA_TOPIC, 'type': CAMERA_TYPE,
         'compression': 'cbor', 'queue_length': 1},
        {'op': 'subscribe', 'id': 'status', 'topic': STATUS_TOPIC, 'type': STATUS_TYPE},
        {'op': 'advertise', 'id': 'command', 'topic': topic, 'type': type_},
    ]


def command_op(role, linear, angular):
    """Return the ``publish`` op carrying a command (m/s, rad/s) for ``role``.

    Raises:
        ValueError: a NaN or infinite component (never sent).

    """
    if not (math.isfinite(linear) and math.isfinite(angular)):
        raise ValueError('command components must be finite')
    twist = {'linear': {'x': float(linear), 'y': 0.0, 'z': 0.0},
             'angular': {'x': 0.0, 'y': 0.0, 'z': float(angular)}}
    if role == OPERATOR:
        return {'op': 'publish', 'topic': TELEOP_TOPIC, 'msg': twist}
    return {'op': 'publish', 'topic': VOTE_TOPIC,
            'msg': {'header': {'frame_id': ''}, 'twist': twist}}


def auth_op_for(secret, role, bot, dest, now=None):
    """Return the pilot's rosbridge ``auth`` op (rosauth MAC): the ONE place it is built.

    Uses :func:`kropbot_gateway.auth.auth_op` (SHA-512 MAC over secret, client, dest, rand,
    t, level, end). The level says what the client asks to be: :data:`BOT_LEVEL` for a
    labelled bot crowd member, :data:`OPERATOR_LEVEL` for the operator.

    Args:
        secret: the token (shared secret, str).
        role: :data:`CROWD` or :data:`OPERATOR`.
        bot: True to ask for the bot label (crowd role).
        dest: the gateway's host name (bound into the MAC).
        now: s since the epoch (default: now).

    Raises:
        RuntimeError: ``kropbot_gateway.auth`` is not installed.

    """
    try:
        from kropbot_gateway.auth import auth_op
    except ImportError:
        raise RuntimeError('authentication needs kropbot_gateway.auth (install '
                           'src/kropbot_gateway)') from None
    level = OPERATOR_LEVEL if role == OPERATOR else (BOT_LEVEL if bot else 'user')
    return auth_op(secret, client='kropbot-pilot', dest=dest, level=level, now=now)


def encode(op):
    """Encode an op as the JSON text frame the gateway expects."""
    return json.dumps(op, separators=(',', ':'), allow_nan=False)


@dataclass(frozen=True)
class Frame:
    """A camera frame: ``jpeg`` bytes and its capture ``stamp`` (s, camera clock; nan if none)."""

    jpeg: bytes
    stamp: float


@dataclass(frozen=True)
class Status:
    """A ``crowd/status`` (the vote node's JSON object)."""

    data: dict


@dataclass(frozen=True)
class ServerMessage:
    """A rosbridge ``status`` op from the gateway: ``level`` and ``text``."""

    level: str
    text: str


def decode(frame):
    """Decode one message from the gateway into a :class:`Frame`, :class:`Status`,
    :class:`ServerMessage`, or None (anything else or malformed). Never raises.
    """  # noqa: D205 - the result types do not fit on the first line
    try:
        msg = cbor2.loads(frame) if isinstance(frame, (bytes, bytearray)) else json.loads(frame)
    except Exception:  # noqa: BLE001 - undecodable input is ignored
        return None
    if not isinstance(msg, dict):
        return None
    if msg.get('op') == 'status':
        return ServerMessage(str(msg.get('level', '')), str(msg.get('msg', ''))[:200])
    body = msg.get('msg')
    if msg.get('op') != 'publish' or not isinstance(body, dict):
        return None
    topic = str(msg.get('topic', '')).lstrip('/')
    if topic == CAMERA_TOPIC:
        data = body.get('data')
        if isinstance(data, str):
            try:
                data = base64.b64decode(data, validate=True)
            except ValueError:
                return None
        if not isinstance(data, (bytes, bytearray)):
            return None
        try:
            stamp = body['header']['stamp']
            seconds = float(stamp['sec']) + float(stamp['nanosec']) * 1e-9
        except (KeyError, TypeError, ValueError):
            seconds = float('nan')
        return Frame(bytes(data), seconds)
    if topic == STATUS_TOPIC:
        try:
            data = json.loads(body.get('data', ''))
        except (TypeError, ValueError):
            return None
        return Status(data) if isinstance(data, dict) else None
    return None


INFER, REPEAT, STOP = 'infer', 'repeat', 'stop'


class VoteScheduler:
    """Decide what to do on each tick of the pilot's vote timer.

    Args:
        frame_timeout: frames older than this (s since arrival) count as "frames stopped".
        heartbeat: repeat an unchanged vote after this long (s), so it never expires.

    """

    def __init__(self, frame_timeout=1.0, heartbeat=1.0):
        self.frame_timeout = frame_timeout
        self.heartbeat = heartbeat
        self._used_frame = None  # sequence number of the last frame the model saw
        self._last_sent = None  # time of the last vote (s) while driving
        self._stopped = True  # True until the first vote and after a stop was sent

    def decide(self, now, frame_seq, frame_arrival):
        """Return :data:`INFER`, :data:`REPEAT`, :data:`STOP` or None; then send accordingly.

        Args:
            now: current time (s, the same monotonic clock as ``frame_arrival``).
            frame_seq: sequence number of the newest frame (None if none yet).
            frame_arrival: arrival time of the newest frame (s) or None.

        """
        if frame_seq is None or now - frame_arrival >= self.frame_timeout:
            if not self._stopped:
                self._stopped = True
                return STOP
            return None
        if frame_seq != self._used_frame:
            self._used_frame = frame_seq
            self._stopped = False
            self._last_sent = now
            return INFER
        if now - self._last_sent >= self.heartbeat:
            self._last_sent = now
            return REPEAT
        return None
