"""Build ROS 2 messages from plain dicts, for tests and the rosbridge stand-in (not runtime).

The gateway itself never turns client dicts into ROS messages: it builds each vote field by
field (:mod:`kropbot_gateway.ros_bridge`). Stock rosbridge does convert whole dicts, and so does
the test stand-in (:mod:`kropbot_testing.rosbridge_standin`) with :func:`dict_to_msg`.
"""


_FLOAT_TYPES = ('float', 'double')


def dict_to_msg(msg_class, data):
    """Build a ``msg_class`` instance from a plain dict; missing fields keep their defaults.

    Float fields take numbers only; integers become floats (JSON from JavaScript writes ``0``,
    not ``0.0``), as rosbridge's message conversion does. (The generated setters do not check
    types themselves: a string would only fail when the message is published.)

    Raises:
        ValueError: on unknown fields or values the message class rejects.

    """
    msg = msg_class()
    fields = msg.get_fields_and_field_types()
    for name, value in data.items():
        if name not in fields:
            raise ValueError(f'{msg_class.__name__} has no field {name!r}')
        current = getattr(msg, name)
        try:
            if fields[name] in _FLOAT_TYPES:
                if type(value) not in (int, float):  # bool is not a number here
                    raise TypeError(f'expected a number, got {value!r}')
                value = float(value)
            if isinstance(value, dict) and hasattr(current, 'get_fields_and_field_types'):
                setattr(msg, name, dict_to_msg(type(current), value))
            else:
                setattr(msg, name, value)
        except (AssertionError, OverflowError, TypeError, ValueError) as exc:
            raise ValueError(f'{msg_class.__name__}.{name}: {exc}') from None
    return msg
