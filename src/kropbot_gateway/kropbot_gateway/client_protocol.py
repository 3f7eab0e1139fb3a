"""The clients' side of the gateway's rosbridge v2 subset (pure: no socket, no clock).

One piece for the programs that drive through the gateway like the crowd's page (roslibjs):
the desktop client (kropbot_remote) and the imitation pilot (kropbot_pilot). ROS-free.

* ``subscribe`` ``camera/image_raw/compressed`` (``sensor_msgs/msg/CompressedImage``) with
  ``compression: cbor`` (the JPEG arrives as a CBOR byte string, no base64) and
  ``crowd/status`` (``std_msgs/msg/String``, JSON text);
* as a crowd voter: ``advertise`` + ``publish`` ``crowd/vote``
  (``geometry_msgs/msg/TwistStamped``; the gateway sets ``header.frame_id`` to this connection's
  voter id);
* as the operator: first the rosbridge v2 ``auth`` op (rosauth MAC,
  :func:`kropbot_gateway.auth.auth_op`), then ``advertise`` + ``publish`` ``teleop/cmd_vel``
  (``geometry_msgs/msg/Twist``), which overrides the crowd while fresh.

Also the clients' shared connection rules: :func:`check_url`, the ``websockets`` connection
options (:func:`connect_options`, :data:`CONNECT_ERRORS`) and the reconnect :class:`Backoff`.

Reference: rosbridge v2 protocol (RobotWebTools/rosbridge_suite ``ROSBRIDGE_PROTOCOL.md``);
the gateway's side: ``doc/gateway.md``.
"""

import asyncio
import base64
from dataclasses import dataclass
import json
import math
import random
from urllib.parse import urlparse

import cbor2
from websockets.exceptions import InvalidHandshake, InvalidURI

CAMERA_TOPIC = 'camera/image_raw/compressed'
CAMERA_TYPE = 'sensor_msgs/msg/CompressedImage'
STATUS_TOPIC = 'crowd/status'
STATUS_TYPE = 'std_msgs/msg/String'
VOTE_TOPIC = 'crowd/vote'
VOTE_TYPE = 'geometry_msgs/msg/TwistStamped'
TELEOP_TOPIC = 'teleop/cmd_vel'
TELEOP_TYPE = 'geometry_msgs/msg/Twist'
CROWD, OPERATOR = 'crowd', 'operator'
#: The roles a client can ask for.
ROLES = (CROWD, OPERATOR)

#: Largest message a client accepts from the gateway (a big JPEG), bytes.
MAX_MESSAGE = 4 * 2**20
#: How long (s) a connection must have lasted for the reconnect :class:`Backoff` to start again
#: from its first delay.
STABLE_AFTER = 5.0
#: What a failed connection attempt raises besides ``ConnectionClosed`` (refused, timed out,
#: handshake refused, bad URI).
CONNECT_ERRORS = (OSError, asyncio.TimeoutError, InvalidHandshake, InvalidURI)


def check_url(url):
    """Return the host of a ``ws://`` or ``wss://`` gateway ``url``.

    Raises:
        ValueError: for any other URL.

    """
    parsed = urlparse(url)
    if parsed.scheme not in ('ws', 'wss') or not parsed.hostname:
        raise ValueError(f'the gateway URL must look like ws://host:port/ or wss://..., '
                         f'got {url!r}')
    return parsed.hostname


def connect_options(user_agent):
    """Return the keyword arguments of ``websockets.asyncio.client.connect`` for a client.

    5 s to open, messages up to :data:`MAX_MESSAGE`, at most 4 queued (the newest frame is
    what matters), no per-message compression (JPEG does not compress), 1 s to close.
    """
    return {'open_timeout': 5, 'max_size': MAX_MESSAGE, 'max_queue': 4, 'compression': None,
            'close_timeout': 1, 'user_agent_header': user_agent}


def setup_ops(role, throttle_ms=0):
    """Return the ops sent right after connecting (and after every reconnect), in order.

    Args:
        role: :data:`CROWD` or :data:`OPERATOR` (the ``auth`` op, if any, is sent before these).
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


def encode(op):
    """Encode an op dict as the JSON text frame the gateway expects."""
    return json.dumps(op, separators=(',', ':'), allow_nan=False)


@dataclass(frozen=True)
class Frame:
    """A camera frame: ``jpeg`` bytes and its capture ``stamp`` (s, the camera node's clock;
    nan if the message had none).
    """  # noqa: D205 - the attributes do not fit the first line

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


def _stamp(header):
    try:
        stamp = header['stamp']
        return float(stamp['sec']) + float(stamp['nanosec']) * 1e-9
    except (KeyError, TypeError, ValueError):
        return float('nan')


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
