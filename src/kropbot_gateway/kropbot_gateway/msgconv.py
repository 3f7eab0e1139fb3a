"""ROS 2 message -> plain dict conversion for the gateway (imports no ROS package itself).

Generic over ``get_fields_and_field_types()`` of rosidl-generated Python classes:
``sequence<uint8>``/``octet`` arrays become ``bytes``, other numeric sequences stay
``array.array`` (the protocol encoder turns them into JSON lists or CBOR typed arrays), nested
messages become dicts, ``builtin_interfaces/Time`` becomes ``{'sec', 'nanosec'}``. Message
packages are imported only when :func:`import_message` is called (by the ROS side). The reverse
direction (dict -> message) is test-only: ``testing/kropbot_testing/msgs.py``.
"""

import array
import importlib

_BYTE_TYPES = ('uint8', 'octet', 'byte', 'char')


def import_message(type_name):
    """Return the message class for ``pkg/msg/Name``.

    Raises:
        ValueError: if the name is malformed or the type cannot be imported.

    """
    parts = type_name.split('/')
    if len(parts) != 3 or parts[1] != 'msg' or not all(parts):
        raise ValueError(f'message type {type_name!r} is not of the form pkg/msg/Name')
    try:
        module = importlib.import_module(f'{parts[0]}.msg')
        return getattr(module, parts[2])
    except (ImportError, AttributeError):
        raise ValueError(f'message type {type_name!r} is not installed') from None


def _is_byte_sequence(field_type):
    base = field_type.split('<', 1)[-1].split('[', 1)[0].rstrip('>').split(',')[0]
    is_seq = field_type.startswith('sequence<') or field_type.endswith(']')
    return is_seq and base in _BYTE_TYPES


def msg_to_dict(msg):
    """Convert a ROS message instance to a plain dict (bytes for byte arrays)."""
    out = {}
    for name, field_type in msg.get_fields_and_field_types().items():
        value = getattr(msg, name)
        if _is_byte_sequence(field_type):
            out[name] = value if isinstance(value, bytes) else bytes(value)
        elif hasattr(value, 'get_fields_and_field_types'):
            out[name] = msg_to_dict(value)
        elif isinstance(value, (list, tuple)):
            out[name] = [msg_to_dict(v) if hasattr(v, 'get_fields_and_field_types') else v
                         for v in value]
        elif isinstance(value, array.array):
            out[name] = array.array(value.typecode, value)
        elif hasattr(value, 'tolist'):  # numpy arrays of fixed-size fields
            out[name] = value.tolist()
        else:
            out[name] = value
    return out

