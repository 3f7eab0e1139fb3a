import math

from hypothesis import given
from hypothesis import strategies as st
from kropbot_driver.mixing import (
    THROTTLE_EPSILON,
    MixConfig,
    NonFiniteCommandError,
    clamp_unit,
    mix,
    twist_to_wheel_speeds,
)
import pytest

CFG = MixConfig(wheel_separation=0.12, max_wheel_speed=0.5)
any_float = st.floats(allow_nan=True, allow_infinity=True)
finite = st.floats(allow_nan=False, allow_infinity=False)
configs = st.builds(
    MixConfig,
    wheel_separation=st.floats(0.01, 2.0), max_wheel_speed=st.floats(0.01, 10.0),
    trim_left=st.floats(0.0, 1.0), trim_right=st.floats(0.0, 1.0),
    invert_left=st.booleans(), invert_right=st.booleans())


@given(finite, finite, configs)
def test_outputs_always_finite_and_in_unit_range(v, w, cfg):
    for t in mix(v, w, cfg):
        assert math.isfinite(t)
        assert -1.0 <= t <= 1.0
        assert t == 0.0 or abs(t) >= THROTTLE_EPSILON
        assert math.copysign(1.0, t) == 1.0 or t != 0.0  # never -0.0


non_finite = st.sampled_from([math.nan, -math.nan, math.inf, -math.inf])


@given(non_finite, any_float, st.booleans())
def test_non_finite_is_rejected(bad, other, bad_is_linear):
    v, w = (bad, other) if bad_is_linear else (other, bad)
    with pytest.raises(NonFiniteCommandError):
        mix(v, w, CFG)


@given(finite, finite)
def test_mirror_symmetry(v, w):
    left, right = mix(v, w, CFG)
    assert mix(v, -w, CFG) == (right, left)
    assert mix(-v, -w, CFG) == (-left, -right)


@given(st.floats(0.01, 100.0))
def test_pure_rotation_gives_opposite_signs(w):
    left, right = mix(0.0, w, CFG)
    assert left < 0.0 < right  # CCW (left turn): left wheel backwards, right forwards
    assert left == -right


@given(st.floats(-1e6, 1e6))
def test_straight_gives_equal_throttles(v):
    left, right = mix(v, 0.0, CFG)
    assert left == right
    assert left == clamp_unit(v / CFG.max_wheel_speed)


def test_contract_formula_values():
    assert twist_to_wheel_speeds(0.2, 1.0, 0.12) == pytest.approx((0.14, 0.26))
    assert mix(0.25, 0.0, CFG) == pytest.approx((0.5, 0.5))
    assert mix(0.2, 1.0, CFG) == pytest.approx((0.28, 0.52))
    assert mix(1.0, 0.0, CFG) == (1.0, 1.0)            # clamped
    assert mix(-1e9, 0.0, CFG) == (-1.0, -1.0)
    assert mix(1e308, 1e308, CFG) == (1.0, 1.0)        # overflow to inf is clamped


def test_trim_and_inversion():
    cfg = MixConfig(max_wheel_speed=0.5, trim_left=0.5, trim_right=0.8, invert_right=True)
    assert mix(0.25, 0.0, cfg) == pytest.approx((0.25, -0.4))


@pytest.mark.parametrize('tiny', [-0.0, 5e-324, -5e-324, 1e-310, THROTTLE_EPSILON / 4])
def test_tiny_values_flush_to_positive_zero(tiny):
    for t in mix(tiny, tiny, CFG):
        assert t == 0.0 and math.copysign(1.0, t) == 1.0


def test_clamp_unit_rejects_nan():
    with pytest.raises(NonFiniteCommandError):
        clamp_unit(float('nan'))
    assert clamp_unit(float('inf')) == 1.0 and clamp_unit(-float('inf')) == -1.0
