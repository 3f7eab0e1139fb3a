"""Sanitising of what clients publish: votes, operator commands, mode votes (ROS-free).

Only ``linear.x`` (m/s) and ``angular.z`` (rad/s) leave the gateway; every present component
must be a finite JSON number; unknown fields are refused (rosbridge fills missing ones with 0).
The vote node clamps to its limits; the driver clamps again. A mode vote carries one of three
words (:func:`sanitize_mode_vote`); the gateway writes the voter itself.
"""

import json
import math

from kropbot_gateway.errors import ProtocolError


def _finite_number(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f'{where} must be a number, got {value!r}')
    try:
        value = float(value)  # a huge JSON integer raises OverflowError here
    except OverflowError:
        raise ProtocolError(f'{where} must be finite, got a huge integer') from None
    if not math.isfinite(value):
        raise ProtocolError(f'{where} must be finite, got {value!r}')
    return value


def _twist_command(twist, where):
    """Check a Twist dict (``where`` names it in errors); return ``(linear.x, angular.z)``."""
    if not isinstance(twist, dict):
        raise ProtocolError(f'{where} must be an object')
    unknown = set(twist) - {'linear', 'angular'}
    if unknown:
        raise ProtocolError(f'unknown Twist field(s): {sorted(unknown)}')
    values = {}
    for part in ('linear', 'angular'):
        vec = twist.get(part, {})
        if not isinstance(vec, dict):
            raise ProtocolError(f'{where}.{part} must be an object')
        unknown = set(vec) - {'x', 'y', 'z'}
        if unknown:
            raise ProtocolError(f'unknown Vector3 field(s) in {where}.{part}: {sorted(unknown)}')
        for axis in ('x', 'y', 'z'):
            values[part, axis] = _finite_number(vec.get(axis, 0.0), f'{where}.{part}.{axis}')
    return values['linear', 'x'], values['angular', 'z']


def sanitize_vote(msg):
    """Validate a TwistStamped dict from a client; return ``(linear_x, angular_z)``.

    Missing fields default to 0 (as rosbridge fills defaults); every present twist component
    must be a finite number; only ``twist.linear.x`` (m/s) and ``twist.angular.z`` (rad/s) are
    kept. The client's ``header`` is ignored (the server sets frame_id and stamp).

    Raises:
        ProtocolError: on a non-dict, unknown keys, non-numeric, NaN or infinite values.

    """
    if not isinstance(msg, dict):
        raise ProtocolError('publish needs "msg" to be a JSON object')
    unknown = set(msg) - {'header', 'twist'}
    if unknown:
        raise ProtocolError(f'unknown TwistStamped field(s): {sorted(unknown)}')
    header = msg.get('header', {})
    if not isinstance(header, dict):
        raise ProtocolError('msg.header must be an object')
    return _twist_command(msg.get('twist', {}), 'twist')


def sanitize_twist(msg):
    """Validate an operator's Twist dict; return ``(linear_x, angular_z)`` (m/s, rad/s).

    The same rules as :func:`sanitize_vote` (defaults 0, finite numbers only, unknown fields
    refused, only ``linear.x`` and ``angular.z`` kept); the vote node clamps to its limits.

    Raises:
        ProtocolError: on a non-dict, unknown keys, non-numeric, NaN or infinite values.

    """
    if not isinstance(msg, dict):
        raise ProtocolError('publish needs "msg" to be a JSON object')
    return _twist_command(msg, 'msg')


#: Modes a crowd member may vote for (the vote node's crowd switch); '' withdraws the vote.
MODE_VOTE_MODES = ('anarchy', 'democracy', '')
MAX_MODE_VOTE_TEXT = 256  # characters of a client's mode vote ``data``


def sanitize_mode_vote(msg):
    """Validate a client's ``crowd/mode_vote`` (std_msgs/String) dict; return the mode.

    ``msg`` is ``{"data": "<JSON>"}`` with the JSON object ``{"voter": "", "mode": M}``
    (``voter`` may be left out; the gateway writes the connection's voter id, so any other
    value is refused: nobody votes in another's name). ``M`` is ``"anarchy"``, ``"democracy"``
    or ``""`` (withdraw the mode vote).

    Raises:
        ProtocolError: on another shape, other keys, a non-empty voter or another mode.

    """
    if not isinstance(msg, dict) or set(msg) != {'data'} or not isinstance(msg['data'], str):
        raise ProtocolError('a mode vote is std_msgs/msg/String: {"data": "<JSON>"}')
    data = msg['data']
    if len(data) > MAX_MODE_VOTE_TEXT:
        raise ProtocolError(f'mode vote "data" longer than {MAX_MODE_VOTE_TEXT} characters')
    try:
        obj = json.loads(data)
    except ValueError:
        raise ProtocolError('mode vote "data" is not JSON') from None
    if not isinstance(obj, dict) or not set(obj) <= {'voter', 'mode'}:
        raise ProtocolError('mode vote "data" must be {"voter": "", "mode": ...}')
    if obj.get('voter', '') != '':
        raise ProtocolError('mode vote "voter" must be "": the gateway sets the voter')
    mode = obj.get('mode')
    if not isinstance(mode, str) or mode not in MODE_VOTE_MODES:
        raise ProtocolError('mode vote "mode" must be "anarchy", "democracy" or "" (withdraw)')
    return mode
