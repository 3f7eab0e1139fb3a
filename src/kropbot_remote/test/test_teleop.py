"""Stick/keys → twist and the input arbitration (kropbot_remote.teleop): pure, hypothesis."""

import math

from hypothesis import given
from hypothesis import strategies as st
from kropbot_remote.teleop import (
    BACK,
    FORWARD,
    LEFT,
    RIGHT,
    STOP,
    Arbiter,
    Inputs,
    Limits,
    Twist,
    keys_to_twist,
    shape_axis,
    stick_to_twist,
)
import pytest

LIMITS = Limits(0.3, 1.5)
axis = st.floats(-1.0, 1.0)
# what SDL really reports: a signed 16-bit position scaled to [-1, 1] (no subnormal floats)
sdl_axis = st.integers(-32768, 32767).map(lambda v: max(-1.0, v / 32767))
any_axis = st.floats(allow_nan=True, allow_infinity=True)
dead_zones = st.floats(0.0, 0.9)
expos = st.floats(0.0, 1.0)
limits_st = st.builds(Limits, st.floats(0.01, 5.0), st.floats(0.01, 20.0))


@given(v=any_axis, dz=dead_zones, e=expos)
def test_shape_is_bounded_and_zero_inside_the_dead_zone(v, dz, e):
    out = shape_axis(v, dz, e)
    assert -1.0 <= out <= 1.0
    if math.isnan(v) or abs(v) <= dz:
        assert out == 0.0


@given(a=axis, b=axis, dz=dead_zones, e=expos)
def test_shape_is_monotonic_and_odd(a, b, dz, e):
    lo, hi = sorted((a, b))
    assert shape_axis(lo, dz, e) <= shape_axis(hi, dz, e)
    assert shape_axis(-a, dz, e) == -shape_axis(a, dz, e)


@given(dz=dead_zones, e=expos)
def test_full_deflection_gives_full_output_and_is_continuous_at_the_dead_zone(dz, e):
    assert shape_axis(1.0, dz, e) == 1.0 and shape_axis(-1.0, dz, e) == -1.0
    assert abs(shape_axis(dz + 1e-9, dz, e)) < 1e-6


def test_expo_gives_finer_control_near_the_centre():
    assert shape_axis(0.5, 0.0, 0.0) == pytest.approx(0.5)
    assert shape_axis(0.5, 0.0, 1.0) == pytest.approx(0.125)
    assert shape_axis(0.5, 0.0, 0.3) == pytest.approx(0.7 * 0.5 + 0.3 * 0.125)


@pytest.mark.parametrize('dz, e', [(-0.1, 0.3), (1.0, 0.3), (0.1, -0.1), (0.1, 1.5)])
def test_shape_rejects_bad_parameters(dz, e):
    with pytest.raises(ValueError):
        shape_axis(0.5, dz, e)


@given(x=any_axis, y=any_axis, limits=limits_st, dz=dead_zones, e=expos)
def test_stick_twist_is_within_bounds(x, y, limits, dz, e):
    twist = stick_to_twist(x, y, limits, dz, e)
    assert math.isfinite(twist.linear) and math.isfinite(twist.angular)
    assert abs(twist.linear) <= limits.max_linear
    assert abs(twist.angular) <= limits.max_angular


@given(x=sdl_axis, y=sdl_axis, dz=dead_zones)
def test_stick_signs_follow_rep_103(x, y, dz):
    """SDL: y grows down, x grows right. Up = +x (forward), left = +yaw (turn left)."""
    twist = stick_to_twist(x, y, LIMITS, dz, 0.3)
    if y < -dz:
        assert twist.linear > 0
    elif y > dz:
        assert twist.linear < 0
    else:
        assert twist.linear == 0.0
    if x < -dz:
        assert twist.angular > 0
    elif x > dz:
        assert twist.angular < 0
    else:
        assert twist.angular == 0.0


def test_stick_corners():
    assert stick_to_twist(0.0, -1.0, LIMITS) == Twist(0.3, 0.0)  # up: forward
    assert stick_to_twist(-1.0, 0.0, LIMITS) == Twist(0.0, 1.5)  # left: turn left
    assert stick_to_twist(1.0, 1.0, LIMITS) == Twist(-0.3, -1.5)
    assert stick_to_twist(0.1, -0.1, LIMITS).is_zero()


@given(keys=st.sets(st.sampled_from([FORWARD, BACK, LEFT, RIGHT, STOP])), limits=limits_st)
def test_keys(keys, limits):
    twist = keys_to_twist(keys, limits)
    assert abs(twist.linear) <= limits.max_linear and abs(twist.angular) <= limits.max_angular
    if STOP in keys or not keys:
        assert twist.is_zero()
    else:
        assert twist.linear == ((FORWARD in keys) - (BACK in keys)) * limits.max_linear
        assert twist.angular == ((LEFT in keys) - (RIGHT in keys)) * limits.max_angular


def test_limits_are_validated():
    for bad in (0, -1, float('nan'), float('inf'), 'x'):
        with pytest.raises(ValueError):
            Limits(bad, 1.0)


PAD = dict(gamepad_connected=True, deadman=True)


def test_arbiter_priorities():
    a = Arbiter(LIMITS)
    assert a.decide(Inputs()).source == 'idle'
    assert a.decide(Inputs(stick=(0.0, -1.0), **PAD)).twist == Twist(0.3, 0.0)
    # keyboard beats the stick
    d = a.decide(Inputs(keys=frozenset({LEFT}), stick=(0.0, -1.0), **PAD))
    assert (d.source, d.twist) == ('keyboard', Twist(0.0, 1.5))
    # hold to drive: no dead-man, no motion
    d = a.decide(Inputs(stick=(0.0, -1.0), gamepad_connected=True))
    assert d.twist.is_zero() and 'hold' in d.note
    assert Arbiter(LIMITS, hold_to_drive=False).decide(
        Inputs(stick=(0.0, -1.0), gamepad_connected=True)).twist == Twist(0.3, 0.0)
    # a disconnected pad's last stick position is ignored
    assert a.decide(Inputs(stick=(0.0, -1.0), deadman=True)).twist.is_zero()


def test_stop_latches_until_everything_is_released():
    a = Arbiter(LIMITS)
    pushed = Inputs(stick=(0.0, -1.0), **PAD)
    assert a.decide(Inputs(stick=(0.0, -1.0), stop_button=True, **PAD)).note == 'stop pressed'
    d = a.decide(pushed)
    assert d.twist.is_zero() and d.source == 'stop'
    assert a.decide(Inputs(keys=frozenset({FORWARD}))).twist.is_zero()  # still latched
    assert a.decide(Inputs(**PAD)).source == 'idle'  # all released: latch cleared
    assert a.decide(pushed).twist == Twist(0.3, 0.0)
    assert a.decide(Inputs(keys=frozenset({STOP, FORWARD}))).twist.is_zero()


def test_focus_loss_stops_and_needs_a_release():
    a = Arbiter(LIMITS)
    pushed = Inputs(stick=(0.0, -1.0), **PAD)
    d = a.decide(Inputs(stick=(0.0, -1.0), focused=False, **PAD))
    assert d.twist.is_zero() and d.note == 'window not focused'
    assert a.decide(pushed).twist.is_zero()  # focus back, stick still pushed: no lurch
    a.decide(Inputs(**PAD))
    assert a.decide(pushed).twist == Twist(0.3, 0.0)


@given(st.lists(st.builds(Inputs, keys=st.frozensets(st.sampled_from(
    [FORWARD, BACK, LEFT, RIGHT, STOP])), focused=st.booleans(),
    gamepad_connected=st.booleans(), stick=st.tuples(any_axis, any_axis),
    deadman=st.booleans(), stop_button=st.booleans()), max_size=20))
def test_arbiter_never_exceeds_limits_and_stops_on_stop_or_blur(sequence):
    a = Arbiter(LIMITS)
    for inputs in sequence:
        d = a.decide(inputs)
        assert abs(d.twist.linear) <= 0.3 and abs(d.twist.angular) <= 1.5
        if (not inputs.focused or STOP in inputs.keys
                or (inputs.gamepad_connected and inputs.stop_button)):
            assert d.twist.is_zero()
        if not inputs.keys and not (inputs.gamepad_connected and inputs.deadman):
            assert d.twist.is_zero()  # released everything → stop
