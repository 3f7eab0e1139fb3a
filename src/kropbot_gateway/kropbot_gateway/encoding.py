"""Wire encoding of the gateway's rosbridge v2 subset: parsing client text, encoding publishes.

ROS-free and transport-free. Incoming text frames are parsed with :func:`parse_json` (depth and
size protections); outgoing ``publish`` ops are encoded by :func:`encode_publish` as JSON text
(``uint8[]`` as base64) or as CBOR binary (``uint8[]`` as a byte string, other numeric arrays
as RFC 8746 typed-array tags), the way rosbridge_suite does it.

Reference: rosbridge v2 protocol, RobotWebTools/rosbridge_suite ``ROSBRIDGE_PROTOCOL.md``;
CBOR layout: rosbridge_library ``internal/cbor_conversion.py`` (read, not copied).
"""

import array
import base64
import json
import sys

import cbor2

from kropbot_gateway.errors import ProtocolError

#: Values of a subscription's ``compression`` this gateway can encode.
COMPRESSIONS = ('none', 'cbor')
MAX_JSON_DEPTH = 32  # nesting levels; a vote needs 4 (op > msg > twist > linear)
_CONTAINERS = (dict, list)
# RFC 8746 typed-array tags (little endian), as rosbridge's cbor_conversion uses them.
_CBOR_ARRAY_TAGS = {'b': 72, 'h': 77, 'H': 69, 'i': 78, 'I': 70, 'l': 79, 'L': 71,
                    'q': 79, 'Q': 71, 'f': 85, 'd': 86}


def json_too_deep(value, limit=MAX_JSON_DEPTH):
    """Return True if the decoded JSON ``value`` nests lists/dicts more than ``limit`` deep.

    Iterative (no recursion), linear in the number of values; run after ``json.loads``, whose C
    scanner already stops hostile ``[[[[...`` input cheaply at the interpreter's recursion
    limit (``RecursionError``, after O(depth) work).
    """
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in (node.values() if isinstance(node, dict) else node):
            if type(child) in _CONTAINERS:  # exact types: json.loads makes only these
                stack.append((child, depth + 1))
    return False


def parse_json(text):
    """Parse one client message with the protections the gateway needs.

    Returns:
        the decoded JSON value.

    Raises:
        ProtocolError: on invalid JSON, nesting deeper than :data:`MAX_JSON_DEPTH` (very deep
            input stops the parser with ``RecursionError``, caught here; the rest is checked
            on the result) or an integer with too many digits. (Python's ``NaN``/``Infinity``
            literals parse; the vote check refuses non-finite numbers and ids must be finite.)

    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise ProtocolError(f'JSON nested deeper than {MAX_JSON_DEPTH} levels') from None
    except ValueError as exc:
        raise ProtocolError(f'malformed JSON: {exc}') from None
    # Fast path: with at most ``limit`` brackets in the text, nothing can nest too deep.
    if text.count('[') + text.count('{') > MAX_JSON_DEPTH and json_too_deep(value):
        raise ProtocolError(f'JSON nested deeper than {MAX_JSON_DEPTH} levels')
    return value


def encode_json(payload):
    """Encode a protocol dict (e.g. a ``status`` op) as a compact JSON text frame."""
    return json.dumps(payload, separators=(',', ':'))


def to_json_value(value):
    """Convert a plain message value to JSON types: bytes -> base64 text, arrays -> lists."""
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode('ascii')
    if isinstance(value, array.array):
        if value.typecode == 'B':
            return base64.b64encode(value.tobytes()).decode('ascii')
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    return value


def to_cbor_value(value):
    """Convert a plain message value to CBOR items: bytes stay bytes, numeric arrays tagged."""
    if isinstance(value, dict):
        return {k: to_cbor_value(v) for k, v in value.items()}
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, array.array):
        if value.typecode == 'B':
            return value.tobytes()
        tag = _CBOR_ARRAY_TAGS.get(value.typecode)
        if tag is None:
            return value.tolist()
        little = array.array(value.typecode, value)
        if little.itemsize > 1 and sys.byteorder != 'little':
            little.byteswap()
        return cbor2.CBORTag(tag, little.tobytes())
    if isinstance(value, (list, tuple)):
        return [to_cbor_value(v) for v in value]
    return value


def encode_publish(client_topic, msg, compression):
    """Encode an outgoing rosbridge ``publish`` op for ``msg`` (plain dict).

    Returns:
        str (a JSON text frame) for ``'none'``; bytes (a CBOR binary frame) for ``'cbor'``.

    Raises:
        ValueError: on an unknown compression, or a non-finite float in JSON mode.

    """
    if compression == 'none':
        return json.dumps({'op': 'publish', 'topic': client_topic, 'msg': to_json_value(msg)},
                          separators=(',', ':'), allow_nan=False)
    if compression == 'cbor':
        return cbor2.dumps({'op': 'publish', 'topic': client_topic, 'msg': to_cbor_value(msg)})
    raise ValueError(f'unknown compression {compression!r}')
