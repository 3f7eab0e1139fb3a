"""Full ROS 2 message definitions for MCAP schemas, as rosbag2 writes them (ROS-free).

An MCAP file in the ``ros2`` profile carries, per schema, the ``.msg`` text of the type followed
by the text of every type it depends on (``schema encoding: ros2msg``), so that a reader with no
ROS installation (Foxglove, ``mcap_ros2``) can decode the CDR messages. The layout follows
rosbag2's ``rosbag2_cpp/message_definitions/local_message_definition_source.cpp`` (read, not
copied), which ``ros2 bag record -s mcap`` uses:

* the root type's ``.msg`` file verbatim;
* then, depth first, for each dependency not written yet (sorted by name, as rosbag2's
  ``std::set``): a line of 80 ``=``, a line ``MSG: <package>/<Type>`` and that type's text;
* dependencies are the field types of a ``.msg`` that are not primitive; a type without a
  package (``Header``) belongs to the package of the file it appears in.

The ``.msg`` files are looked up in ``<prefix>/share/<package>/msg/<Type>.msg`` for every
prefix of ``AMENT_PREFIX_PATH`` (a sourced ROS install, e.g. ``/opt/ros/jazzy``) and then
``sys.prefix`` (the virtualenv of the ROS 2 PyPI wheels, whose ``share/`` holds them).
"""

import os
import re
import sys

#: Schema encoding of a ``.msg`` based definition (MCAP well-known schema encodings).
ROS2MSG = 'ros2msg'
#: The line between two definitions (rosbag2: 80 ``=``).
SEPARATOR = '=' * 80

_TYPE_NAME = re.compile(r'^([a-zA-Z0-9_]+)/(?:msg/)?([a-zA-Z0-9_]+)$')
# A field line: optional indentation, the type (maybe with a package), optional array bounds,
# then whitespace (rosbag2's MSG_FIELD_TYPE_REGEX).
_FIELD_TYPE = re.compile(r'(?:^|\n)\s*([a-zA-Z0-9_/]+)(?:\[[^\]]*\])?\s+')
#: Built-in field types (rosbag2's list, plus ``wstring``, also a ROS 2 primitive).
PRIMITIVES = frozenset({'bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16',
                        'uint16', 'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring'})
_MAX_DEPTH = 50


class MessageDefinitionError(LookupError):
    """A message type's ``.msg`` file cannot be found or its name is not understood."""


def search_prefixes(environ=None):
    """Return the install prefixes searched for ``share/<package>/msg`` (in order).

    Every entry of ``AMENT_PREFIX_PATH`` (``os.pathsep`` separated), then ``sys.prefix``;
    duplicates removed.
    """
    environ = os.environ if environ is None else environ
    prefixes = [p for p in environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep) if p]
    prefixes.append(sys.prefix)
    return list(dict.fromkeys(prefixes))


def split_type(type_name):
    """Return ``(package, Type)`` of ``pkg/msg/Type`` or ``pkg/Type``.

    Raises:
        MessageDefinitionError: for any other shape (e.g. a service or action type).

    """
    match = _TYPE_NAME.match(type_name)
    if match is None:
        raise MessageDefinitionError(f'message type name {type_name!r} not understood '
                                     '(expected package/msg/Type)')
    return match.group(1), match.group(2)


def dependencies(text, package):
    """Return the sorted non-primitive field types of ``.msg`` ``text`` as ``pkg/Type`` names.

    Args:
        text: the ``.msg`` file's content.
        package: the package the file belongs to (for types written without a package).

    """
    found = set()
    for match in _FIELD_TYPE.finditer(text):
        name = match.group(1)
        if name in PRIMITIVES:
            continue
        found.add(name if '/' in name else f'{package}/{name}')
    return sorted(found)


def find_msg_file(type_name, prefixes=None):
    """Return the path of the ``.msg`` file of ``type_name``.

    Raises:
        MessageDefinitionError: the name is not understood or no prefix has the file.

    """
    package, name = split_type(type_name)
    prefixes = search_prefixes() if prefixes is None else prefixes
    for prefix in prefixes:
        path = os.path.join(prefix, 'share', package, 'msg', name + '.msg')
        if os.path.isfile(path):
            return path
    raise MessageDefinitionError(
        f'no {package}/msg/{name}.msg under {", ".join(prefixes) or "no prefix"} (source the '
        'ROS installation that provides the package)')


def full_text(type_name, prefixes=None):
    """Return the full ``ros2msg`` definition of ``type_name`` (see the module docstring).

    Args:
        type_name: ``pkg/msg/Type`` (or ``pkg/Type``).
        prefixes: install prefixes to search (default :func:`search_prefixes`).

    Returns:
        str: the schema data of an MCAP ``ros2msg`` schema.

    Raises:
        MessageDefinitionError: a ``.msg`` file (the root's or a dependency's) is missing.

    """
    prefixes = search_prefixes() if prefixes is None else prefixes
    cache = {}
    seen = set()

    def load(name):
        if name not in cache:
            with open(find_msg_file(name, prefixes), encoding='utf-8') as f:
                cache[name] = f.read()
        return cache[name]

    def append(name, depth):
        if depth <= 0:
            raise MessageDefinitionError(f'dependencies of {type_name} nest too deeply')
        text = load(name)
        out = [text]
        for dep in dependencies(text, split_type(name)[0]):
            if dep not in seen:
                seen.add(dep)
                out.append(f'\n{SEPARATOR}\nMSG: {dep}\n')
                out.append(append(dep, depth - 1))
        return ''.join(out)

    return append(type_name, _MAX_DEPTH)
