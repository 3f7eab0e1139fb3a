import math

from hypothesis import given
from hypothesis import strategies as st
from kropbot_common.freshness import is_fresh
from kropbot_common.params import (
    TABLE_BEGIN,
    TABLE_END,
    Param,
    ParameterError,
    check,
    check_values,
    markdown_table,
    readme_table_errors,
    replace_readme_table,
)
import pytest

SCHEMA = (
    Param('rate', 10.0, 'publish rate', 'Hz', 1.0, 100.0, read_only=False),
    Param('count', 3, 'how many', '', 0, 10),
    Param('mode', 'a', 'which mode', choices=('a', 'b')),
    Param('enabled', True, 'on or off'),
    Param('names', [], 'a | list'),
)


def test_kinds():
    assert [p.kind for p in SCHEMA] == ['float', 'int', 'str', 'bool', 'str[]']


@pytest.mark.parametrize('name,value,fragment', [
    ('rate', 0.5, 'out of range [1.0, 100.0] Hz'),
    ('rate', math.nan, 'finite'),
    ('rate', 'x', 'number'),
    ('rate', True, 'number'),
    ('count', 2.5, 'integer'),
    ('count', True, 'integer'),
    ('count', 11, 'out of range'),
    ('mode', 'c', 'one of a, b'),
    ('enabled', 1, 'true or false'),
    ('names', ['a', 2], 'list of strings'),
])
def test_check_refuses_with_a_reason_naming_the_parameter(name, value, fragment):
    spec = {p.name: p for p in SCHEMA}[name]
    error = check(spec, value)
    assert error and fragment in error and repr(name) in error


def test_check_values_fills_defaults_and_converts():
    values = check_values(SCHEMA, {'rate': 20, 'unknown': 1})
    assert values == {'rate': 20.0, 'count': 3, 'mode': 'a', 'enabled': True, 'names': []}
    assert isinstance(values['rate'], float)
    with pytest.raises(ParameterError, match="'count'"):
        check_values(SCHEMA, {'count': -1})


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_float_check_accepts_exactly_the_finite_range(value):
    ok = check(SCHEMA[0], value) is None
    assert ok == (math.isfinite(value) and 1.0 <= value <= 100.0)


def test_markdown_table_rows_and_readme_round_trip():
    table = markdown_table(SCHEMA)
    lines = table.splitlines()
    assert len(lines) == 2 + len(SCHEMA)
    assert lines[2] == ('| `rate` | float | `10.0` | [1.0, 100.0] | Hz | yes | publish rate |')
    assert '`a` \\| `b`' in lines[4] and 'a \\| list' in lines[6]
    readme = f'# pkg\n\n{TABLE_BEGIN}\nold\n{TABLE_END}\n\nmore\n'
    assert readme_table_errors(readme, SCHEMA)
    fixed = replace_readme_table(readme, SCHEMA)
    assert readme_table_errors(fixed, SCHEMA) == []
    assert fixed.endswith('\n\nmore\n')
    assert readme_table_errors('# no table', SCHEMA)


def test_freshness_boundary():
    assert not is_fresh(None, 5.0, 1.0)
    assert is_fresh(4.0, 4.999, 1.0)
    assert not is_fresh(4.0, 5.0, 1.0)


def test_freshness_is_elementwise_on_arrays():
    import numpy as np

    fresh = is_fresh(np.array([3.0, 4.0, 4.5]), 5.0, 1.0)
    assert fresh.tolist() == [False, False, True]
