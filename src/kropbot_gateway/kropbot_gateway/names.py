"""ROS name and type rules of the gateway: message type aliases, topic resolution, allow-lists.

ROS-free. Topic names follow the ROS 2 rules for relative and absolute names (no remapping,
no ``~``): tokens of letters, digits and ``_``, not starting with a digit, separated by ``/``.
Reference: ROS 2 design article "Topic and Service name mapping to DDS", section "ROS 2 name".
"""

from kropbot_gateway.errors import ProtocolError


def normalize_type(type_name):
    """Return the ROS 2 form ``pkg/msg/Name`` of ``pkg/Name`` or ``pkg/msg/Name``.

    roslibjs and roslibpy users write either form (``geometry_msgs/Twist``); rosbridge accepts
    both.

    Raises:
        ProtocolError: if ``type_name`` is not a string of either form.

    """
    if not isinstance(type_name, str):
        raise ProtocolError(f'message type must be a string, got {type_name!r}')
    parts = type_name.strip().split('/')
    if len(parts) == 2 and all(parts):
        return f'{parts[0]}/msg/{parts[1]}'
    if len(parts) == 3 and all(parts) and parts[1] == 'msg':
        return '/'.join(parts)
    raise ProtocolError(f'malformed message type {type_name!r} (expected pkg/msg/Name)')


def resolve_topic(name, namespace='/'):
    """Resolve a topic ``name`` against the node ``namespace`` (ROS 2 name rules, no remaps).

    ``'crowd/vote'`` in namespace ``'/bot'`` is ``'/bot/crowd/vote'``; ``'/crowd/vote'`` stays.

    Raises:
        ProtocolError: if ``name`` is not a non-empty string of valid name characters.

    """
    if not isinstance(name, str) or not name.strip():
        raise ProtocolError(f'topic must be a non-empty string, got {name!r}')
    name = name.strip()
    body = name.lstrip('/')
    tokens = body.split('/')
    if len(name) - len(body) > 1 or not all(tokens) or not all(
            t.replace('_', 'a').isalnum() and t.isascii() and not t[0].isdigit()
            for t in tokens):
        raise ProtocolError(f'invalid topic name {name!r}')
    if name.startswith('/'):
        return name
    return namespace.rstrip('/') + '/' + body


def parse_allow_entries(entries, namespace='/'):
    """Parse allow-list entries ``'topic:pkg/msg/Type'`` into ``{resolved_topic: type}``.

    Raises:
        ValueError: on an entry without ``:``, an invalid topic or an invalid type.

    """
    out = {}
    for entry in entries:
        if not isinstance(entry, str) or ':' not in entry:
            raise ValueError(f'allow-list entry {entry!r} must look like "topic:pkg/msg/Type"')
        topic, type_name = entry.rsplit(':', 1)
        try:
            out[resolve_topic(topic, namespace)] = normalize_type(type_name)
        except ProtocolError as exc:
            raise ValueError(f'allow-list entry {entry!r}: {exc}') from None
    return out
