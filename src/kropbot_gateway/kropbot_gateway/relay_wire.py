"""Payloads of the relay tier's Zenoh keys (ROS-free; both ends import this module).

- Camera frame (``kropbot/<robot>/camera``): CBOR map ``{'sec', 'nanosec', 'frame_id',
  'format', 'data'}`` with the JPEG bytes of the ``sensor_msgs/CompressedImage`` as they left
  the camera node (never re-encoded). :func:`decode_frame` gives the plain dict the gateway's
  fan-out delivers (the same shape as ``msgconv.msg_to_dict`` of the ROS message).
- Status (``kropbot/<robot>/status``): the ``crowd/status`` JSON text, UTF-8.
- Vote batch (``kropbot/<robot>/votes/<gateway>``): CBOR map ``{'v': 1, 'boot': str,
  'seq': int, 'sent': float, 'votes': [[connection, linear_x, angular_z], ...],
  'left': [connection, ...]}``. ``boot`` is random per gateway process start, ``seq`` counts the
  batches of that boot from 1, ``sent`` is the gateway's monotonic clock (s) when it was sent
  (only differences of it are used: the clocks need not agree), ``votes`` holds at most one vote
  per connection (the newest since the previous batch; m/s, rad/s), ``left`` the connections
  whose votes end now. An empty batch is the gateway's heartbeat.

Every decoder validates its input and raises :class:`WireError` (a ``ValueError``) on anything
else, so a malformed message is dropped whole and changes nothing.
"""

from dataclasses import dataclass
import math
import re

import cbor2

BATCH_VERSION = 1
MAX_BATCH_VOTES = 10000  # votes in one batch at most (vote node's max_voters default)
_CONNECTION = re.compile(r'[A-Za-z0-9_-]{1,64}')


class WireError(ValueError):
    """A relay payload that does not follow the format; the message says what is wrong."""


def encode_frame(msg):
    """Encode a camera frame dict (``msg_to_dict`` shape of a CompressedImage) to bytes.

    Args:
        msg: ``{'header': {'stamp': {'sec', 'nanosec'}, 'frame_id'}, 'format', 'data'}``;
            ``data`` bytes (the JPEG).

    """
    header = msg['header']
    return cbor2.dumps({'sec': int(header['stamp']['sec']),
                        'nanosec': int(header['stamp']['nanosec']),
                        'frame_id': str(header['frame_id']), 'format': str(msg['format']),
                        'data': bytes(msg['data'])})


def encode_frame_fields(sec, nanosec, frame_id, image_format, data):
    """Encode a camera frame from its fields (the robot side: no dict in between)."""
    return cbor2.dumps({'sec': int(sec), 'nanosec': int(nanosec), 'frame_id': frame_id,
                        'format': image_format, 'data': data})


def decode_frame(payload):
    """Decode :func:`encode_frame` bytes into the CompressedImage dict the fan-out sends.

    Raises:
        WireError: if ``payload`` is not such a frame.

    """
    body = _cbor_map(payload, 'camera frame')
    try:
        sec, nanosec = body['sec'], body['nanosec']
        frame_id, image_format, data = body['frame_id'], body['format'], body['data']
    except KeyError as exc:
        raise WireError(f'camera frame without {exc}') from None
    if not (_is_int(sec) and _is_int(nanosec) and isinstance(frame_id, str)
            and isinstance(image_format, str) and isinstance(data, bytes)):
        raise WireError('camera frame field of the wrong type')
    return {'header': {'stamp': {'sec': sec, 'nanosec': nanosec}, 'frame_id': frame_id},
            'format': image_format, 'data': data}


def encode_status(text):
    """Encode the ``crowd/status`` JSON text."""
    return text.encode()


def decode_status(payload):
    """Decode a status payload into the ``std_msgs/String`` dict ``{'data': text}``.

    Raises:
        WireError: if it is not UTF-8.

    """
    try:
        return {'data': bytes(payload).decode()}
    except UnicodeDecodeError:
        raise WireError('status is not UTF-8 text') from None


@dataclass(frozen=True)
class Batch:
    """A decoded vote batch (see the module docstring). Times in s, speeds m/s and rad/s."""

    boot: str
    seq: int
    sent: float
    votes: tuple  # ((connection, linear_x, angular_z), ...)
    left: tuple = ()  # (connection, ...)


def encode_batch(batch):
    """Encode a :class:`Batch` to bytes."""
    return cbor2.dumps({'v': BATCH_VERSION, 'boot': batch.boot, 'seq': batch.seq,
                        'sent': batch.sent, 'votes': [list(v) for v in batch.votes],
                        'left': list(batch.left)})


def decode_batch(payload, max_votes=MAX_BATCH_VOTES):
    """Decode and validate a vote batch.

    Every vote's components must be finite numbers and every connection id 1-64 characters of
    ``[A-Za-z0-9_-]`` (it becomes part of the voter id ``<gateway>/<connection>``).

    Raises:
        WireError: on any deviation (the whole batch is refused).

    """
    body = _cbor_map(payload, 'vote batch')
    if body.get('v') != BATCH_VERSION:
        raise WireError(f'vote batch version {body.get("v")!r}, expected {BATCH_VERSION}')
    boot, seq, sent = body.get('boot'), body.get('seq'), body.get('sent')
    votes, left = body.get('votes'), body.get('left', [])
    if not (isinstance(boot, str) and 0 < len(boot) <= 64):
        raise WireError('vote batch without a valid boot id')
    if not (_is_int(seq) and seq > 0):
        raise WireError('vote batch without a valid seq')
    if not (_is_number(sent) and math.isfinite(sent)):
        raise WireError('vote batch without a valid sent time')
    if not isinstance(votes, list) or not isinstance(left, list):
        raise WireError('vote batch votes/left must be lists')
    if len(votes) > max_votes or len(left) > max_votes:
        raise WireError(f'vote batch with more than {max_votes} entries')
    out = []
    for vote in votes:
        if not (isinstance(vote, list) and len(vote) == 3):
            raise WireError('a vote must be [connection, linear_x, angular_z]')
        connection, linear, angular = vote
        _check_connection(connection)
        if not (_is_number(linear) and _is_number(angular)
                and math.isfinite(linear) and math.isfinite(angular)):
            raise WireError('a vote must have finite numbers')
        out.append((connection, float(linear), float(angular)))
    for connection in left:
        _check_connection(connection)
    return Batch(boot, seq, float(sent), tuple(out), tuple(left))


def _check_connection(connection):
    if not (isinstance(connection, str) and _CONNECTION.fullmatch(connection)):
        raise WireError(f'invalid connection id {str(connection)[:70]!r}')


def _cbor_map(payload, what):
    try:
        body = cbor2.loads(bytes(payload))
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError):
        raise WireError(f'{what} is not CBOR') from None
    if not isinstance(body, dict):
        raise WireError(f'{what} must be a CBOR map')
    return body


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
