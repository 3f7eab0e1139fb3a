"""One parameter schema for every KropBot node: declaration data, validation, README tables.

ROS-free. Each node lists its parameters once as a tuple of :class:`Param` (its *schema*); the
ROS side (:mod:`kropbot_common.ros`) turns each entry into a ``ParameterDescriptor`` and declares
it, the pure side validates values (:func:`check`, :func:`check_values`) and renders the
package README's parameter table (:func:`markdown_table`, kept in sync by
:func:`readme_table_errors` in each package's tests).

Types follow the default value: ``bool``, ``int``, ``float``, ``str`` or a list of ``str``.
A parameter is read-only (set at start-up only, from the parameter file or ``-p``) unless its
:class:`Param` says ``read_only=False``, which must mean that the node really applies a change
at run time.
"""

from dataclasses import dataclass
import math

#: Marker lines around the generated parameter table in a package README.
TABLE_BEGIN = '<!-- parameters:begin (generated from the schema; see kropbot_common.params) -->'
TABLE_END = '<!-- parameters:end -->'


class ParameterError(ValueError):
    """A parameter value is invalid; the message names the parameter, the value and the rule."""


@dataclass(frozen=True)
class Param:
    """Declaration data for one node parameter.

    Attributes:
        name: parameter name.
        default: default value; its Python type is the parameter type (bool, int, float, str,
            or a list of str; an empty list is a string array).
        description: one line of human text (what it does; units in ``unit``).
        unit: SI unit or kind of the value (``'m/s'``, ``'s'``, ``'Hz'``, ``'px'``...), '' if
            none.
        low: inclusive lower bound for numbers, else None.
        high: inclusive upper bound for numbers, else None.
        choices: allowed values of an enumerated string, else empty.
        read_only: True (default) if the node accepts the value at start-up only.

    """

    name: str
    default: object
    description: str
    unit: str = ''
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    read_only: bool = True

    @property
    def kind(self):
        """Return the type name: ``'bool'``, ``'int'``, ``'float'``, ``'str'`` or ``'str[]'``."""
        if isinstance(self.default, bool):
            return 'bool'
        if isinstance(self.default, int):
            return 'int'
        if isinstance(self.default, float):
            return 'float'
        if isinstance(self.default, (list, tuple)):
            return 'str[]'
        return 'str'


def check(param, value):
    """Validate one ``value`` for ``param``; return None if valid, else a one-line reason.

    Numbers must have the parameter's type (an int is accepted for a float), be finite and lie
    in ``[low, high]``; enumerated strings must be one of ``choices``; string arrays must hold
    strings only.
    """
    kind = param.kind
    name = param.name
    if kind == 'bool':
        if not isinstance(value, bool):
            return f'parameter {name!r} must be true or false, got {value!r}'
        return None
    if kind in ('int', 'float'):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            wanted = 'an integer' if kind == 'int' else 'a number'
            return f'parameter {name!r} must be {wanted}, got {value!r}'
        if kind == 'int' and not isinstance(value, int):
            return f'parameter {name!r} must be an integer, got {value!r}'
        if not math.isfinite(value):
            return f'parameter {name!r} must be finite, got {value!r}'
        if param.low is not None and value < param.low or \
                param.high is not None and value > param.high:
            return (f'parameter {name!r} = {value!r} is out of range '
                    f'[{_fmt(param.low)}, {_fmt(param.high)}]{_unit(param)}')
        return None
    if kind == 'str[]':
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            return f'parameter {name!r} must be a list of strings, got {value!r}'
        return None
    if not isinstance(value, str):
        return f'parameter {name!r} must be a string, got {value!r}'
    if param.choices and value not in param.choices:
        return f'parameter {name!r} must be one of {", ".join(param.choices)}, got {value!r}'
    return None


def check_values(schema, values):
    """Validate a mapping of parameter values against ``schema``; return a complete dict.

    Args:
        schema: iterable of :class:`Param`.
        values: mapping name -> value; missing names take their defaults, unknown names are
            ignored. Ints given for float parameters become floats; string arrays become lists.

    Returns:
        dict name -> value for every parameter of the schema.

    Raises:
        ParameterError: naming the first invalid parameter.

    """
    out = {}
    for param in schema:
        value = values.get(param.name, param.default)
        error = check(param, value)
        if error:
            raise ParameterError(error)
        if param.kind == 'float':
            value = float(value)
        elif param.kind == 'str[]':
            value = list(value)
        out[param.name] = value
    return out


def by_name(schema):
    """Return ``{name: Param}`` of a schema."""
    return {param.name: param for param in schema}


def _fmt(value):
    if value is None:
        return ''
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return repr(value) if not isinstance(value, str) else value


def _unit(param):
    return f' {param.unit}' if param.unit else ''


def _default_text(param):
    value = param.default
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return f"`'{value}'`" if value == '' else f'`{value}`'
    if isinstance(value, (list, tuple)):
        return '`[' + ', '.join(value) + ']`' if value else '`[]`'
    return f'`{value!r}`'


def _allowed_text(param):
    if param.choices:
        return ' \\| '.join(f'`{c}`' for c in param.choices)
    if param.low is not None or param.high is not None:
        return f'[{_fmt(param.low)}, {_fmt(param.high)}]'
    return ''


def markdown_table(schema):
    """Render the README parameter table of ``schema`` (markdown, one row per parameter).

    Columns: name, type, default, range or choices, unit, whether a run-time change is
    accepted (``ros2 param set``), description. Pipes in descriptions are escaped.
    """
    rows = ['| name | type | default | range / choices | unit | run-time change | description |',
            '|---|---|---|---|---|---|---|']
    for p in schema:
        description = p.description.replace('|', '\\|')
        rows.append(f'| `{p.name}` | {p.kind} | {_default_text(p)} | {_allowed_text(p)} | '
                    f'{p.unit} | {"no" if p.read_only else "yes"} | {description} |')
    return '\n'.join(rows)


def readme_table_errors(readme_text, schema):
    """Return a list of problems with the generated table in ``readme_text`` (empty if none).

    The table must stand between :data:`TABLE_BEGIN` and :data:`TABLE_END` and equal
    :func:`markdown_table` of ``schema``. ``python -m kropbot_common.params README.md
    module:SCHEMA`` rewrites it.
    """
    if TABLE_BEGIN not in readme_text or TABLE_END not in readme_text:
        return [f'README has no generated parameter table ({TABLE_BEGIN!r} ... {TABLE_END!r})']
    current = readme_text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip()
    wanted = markdown_table(schema)
    if current != wanted:
        return ['README parameter table differs from the schema; regenerate it with '
                '`python -m kropbot_common.params <README.md> <module>:<SCHEMA>`']
    return []


def replace_readme_table(readme_text, schema):
    """Return ``readme_text`` with the generated table (between the markers) rewritten."""
    head, rest = readme_text.split(TABLE_BEGIN, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f'{head}{TABLE_BEGIN}\n{markdown_table(schema)}\n{TABLE_END}{tail}'


def _main(argv):
    """Rewrite a README's table: ``python -m kropbot_common.params README.md pkg.mod:SCHEMA``."""
    import importlib
    from pathlib import Path

    readme, target = argv
    module, attr = target.split(':')
    schema = getattr(importlib.import_module(module), attr)
    path = Path(readme)
    path.write_text(replace_readme_table(path.read_text(), schema))


if __name__ == '__main__':
    import sys

    _main(sys.argv[1:])
