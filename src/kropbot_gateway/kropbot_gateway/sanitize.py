"""Sanitising of the commands clients publish: votes and operator commands (ROS-free).

Only ``linear.x`` (m/s) and ``angular.z`` (rad/s) leave the gateway; every present component
must be a finite JSON number; unknown fields are refused (rosbridge fills missing ones with 0).
The vote node clamps to its limits; the driver clamps again.
"""

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
