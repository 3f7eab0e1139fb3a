"""The guard's pure core: properties over every reading, command and mode (hypothesis)."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from kropbot_guard.core import (
    GuardConfig,
    GuardCore,
    assess,
    clamp,
    floor_present,
    guard_command,
    slowdown_factor,
)
import pytest

CFG = GuardConfig()
NOW = 100.0

readings = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                     st.floats(min_value=0.0, max_value=2.0))
commands = st.floats(allow_nan=True, allow_infinity=True, width=64)
ages = st.floats(min_value=0.0, max_value=5.0)


def fresh(value, age=0.0):
    return (value, NOW - age)


def no_floor():
    """Readings a downward sensor gives with no floor within the threshold."""
    return st.one_of(st.just(math.inf), st.just(-math.inf), st.just(math.nan),
                     st.floats(min_value=CFG.cliff_threshold, exclude_min=True,
                               allow_infinity=False, allow_nan=False))


@given(cliff=no_floor(), front=readings, v=commands, w=commands)
def test_never_forward_when_the_cliff_flag_is_set(cliff, front, v, w):
    core = GuardCore(CFG)
    core.reading('cliff', cliff, NOW)
    core.reading('front', front, NOW)
    decision = core.filter(v, w, NOW)
    assert decision.linear <= 0.0
    assert decision.assessment.cliff and decision.assessment.state == 'cliff'


@given(cliff=readings, front=readings, stale_sensor=st.sampled_from(['cliff', 'front', 'both']),
       age=st.floats(min_value=CFG.reading_timeout, max_value=1e6), v=commands, w=commands)
def test_never_forward_when_a_reading_is_stale_or_missing(cliff, front, stale_sensor, age, v,
                                                          w):
    latest = {'cliff': fresh(cliff), 'front': fresh(front)}
    for name in (('cliff', 'front') if stale_sensor == 'both' else (stale_sensor,)):
        latest[name] = None if age > 1e5 else fresh(latest[name][0], age)
    a = assess(CFG, latest['cliff'], latest['front'], NOW)
    linear, _ = guard_command(v, w, a.factor, CFG)
    assert linear <= 0.0
    assert a.state in ('cliff', 'stale')


@given(cliff=readings, front=readings, cliff_age=ages, front_age=ages,
       v=st.floats(min_value=-10.0, max_value=0.0), w=commands)
def test_reversing_and_turning_always_pass(cliff, front, cliff_age, front_age, v, w):
    a = assess(CFG, fresh(cliff, cliff_age), fresh(front, front_age), NOW)
    linear, angular = guard_command(v, w, a.factor, CFG)
    assert linear == clamp(v, CFG.max_linear)
    assert angular == clamp(w, CFG.max_angular)


@given(d1=st.floats(allow_nan=False), d2=st.floats(allow_nan=False),
       stop=st.floats(min_value=0.01, max_value=1.0), gap=st.floats(min_value=0.01, max_value=2))
def test_slowdown_is_monotone_in_distance(d1, d2, stop, gap):
    low, high = sorted((d1, d2))
    slow = stop + gap
    assert 0.0 <= slowdown_factor(low, stop, slow) <= slowdown_factor(high, stop, slow) <= 1.0


@given(d1=st.floats(min_value=0, max_value=3), d2=st.floats(min_value=0, max_value=3),
       v=st.floats(min_value=0.0, max_value=CFG.max_linear))
def test_forward_speed_monotone_in_obstacle_distance(d1, d2, v):
    low, high = sorted((d1, d2))
    out = [guard_command(v, 0.0, assess(CFG, fresh(0.03), fresh(d), NOW).factor, CFG)[0]
           for d in (low, high)]
    assert 0.0 <= out[0] <= out[1] <= v


@given(v=commands, w=commands, cliff=readings, front=readings)
def test_output_is_always_finite_and_clamped(v, w, cliff, front):
    core = GuardCore(CFG)
    core.reading('cliff', cliff, NOW)
    core.reading('front', front, NOW)
    d = core.filter(v, w, NOW)
    assert math.isfinite(d.linear) and abs(d.linear) <= CFG.max_linear
    assert math.isfinite(d.angular) and abs(d.angular) <= CFG.max_angular
    if not (math.isfinite(v) and math.isfinite(w)):
        assert (d.linear, d.angular) == (0.0, 0.0) and d.nonfinite


def test_floor_and_thresholds():
    assert floor_present(0.03, 0.06) and floor_present(0.06, 0.06)
    for reading in (0.0601, math.inf, -math.inf, math.nan, None, 'x'):
        assert not floor_present(reading, 0.06)
    assert slowdown_factor(0.1, 0.1, 0.4) == 0.0
    assert slowdown_factor(0.25, 0.1, 0.4) == pytest.approx(0.5)
    assert slowdown_factor(math.inf, 0.1, 0.4) == 1.0
    assert slowdown_factor(-math.inf, 0.1, 0.4) == 0.0
    assert slowdown_factor(math.nan, 0.1, 0.4) == 0.0


def test_clear_floor_and_far_obstacle_pass_unchanged():
    core = GuardCore(CFG)
    core.reading('cliff', 0.03, NOW)
    core.reading('front', math.inf, NOW)
    d = core.filter(0.3, 0.5, NOW)
    assert (d.linear, d.angular, d.limited, d.assessment.state) == (0.3, 0.5, False, None)
    d = core.filter(0.3, 0.0, NOW + CFG.reading_timeout)   # exactly the timeout: stale
    assert d.linear == 0.0 and d.assessment.state == 'stale'
    assert (core.limited, core.refused) == (1, 1)


def test_state_precedence_cliff_then_stale_then_obstacle():
    assert assess(CFG, fresh(math.inf), fresh(0.05), NOW).state == 'cliff'
    assert assess(CFG, fresh(math.inf), None, NOW).state == 'cliff'
    assert assess(CFG, None, fresh(0.05), NOW).state == 'stale'
    a = assess(CFG, fresh(0.03), fresh(0.25), NOW)
    assert a.state == 'obstacle' and a.factor == pytest.approx(0.5)


@settings(max_examples=50)
@given(cliff=readings, front=readings, v=commands)
def test_warn_mode_reports_but_never_limits(cliff, front, v):
    cfg = GuardConfig(cliff_mode='warn', front_mode='warn')
    a = assess(cfg, fresh(cliff), None, NOW)
    assert a.factor == 1.0 and a.state is None
    assert guard_command(v, 0.0, a.factor, cfg)[0] == clamp(v, cfg.max_linear)
    assert any('front' in w for w in a.warnings)     # the missing forward sensor is reported


def test_front_in_warn_mode_does_not_need_the_sensor_but_cliff_is_enforced():
    cfg = GuardConfig(front_mode='warn')
    assert assess(cfg, fresh(0.03), None, NOW).factor == 1.0
    assert assess(cfg, fresh(math.inf), None, NOW).state == 'cliff'
    assert assess(cfg, None, None, NOW).state == 'stale'


def test_maintenance_bypass_passes_everything_clamped_and_says_so():
    cfg = GuardConfig(bypass=True)
    a = assess(cfg, fresh(math.inf), None, NOW)
    assert a.factor == 1.0 and a.state is None and a.cliff
    assert a.warnings[0].startswith('MAINTENANCE BYPASS')
    assert guard_command(5.0, math.nan, a.factor, cfg) == (cfg.max_linear, 0.0)


@pytest.mark.parametrize('kwargs,fragment', [
    ({'stop_distance': 0.5, 'slow_distance': 0.4}, 'slow_distance'),
    ({'cliff_mode': 'off'}, 'cliff_mode'),
    ({'reading_timeout': math.nan}, 'reading_timeout'),
    ({'max_linear': 0.0}, 'max_linear'),
])
def test_bad_configs_are_refused(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        GuardConfig(**kwargs)


def test_unknown_sensor_and_non_numbers():
    core = GuardCore(CFG)
    with pytest.raises(ValueError, match='cliff, front'):
        core.reading('rear', 0.03, NOW)
    core.reading('cliff', 'garbage', NOW)
    assert math.isnan(core.latest('cliff')[0])


def test_cliff_latch_holds_until_the_robot_turned_or_backed_away():
    core = GuardCore(CFG)
    t = NOW
    core.reading('front', math.inf, t)
    core.reading('cliff', math.inf, t)                 # the edge
    core.published(0.0, 0.0, t)
    core.reading('cliff', 0.03, t + 0.04)              # floor again (the spot flickered back)
    d = core.filter(0.3, 0.0, t + 0.05)
    assert d.linear == 0.0 and d.assessment.state == 'cliff' and d.assessment.latched
    # turning 0.3 rad is not enough; 0.3 rad the other way cancels it (net turn counts)
    core.published(0.0, 1.0, t + 0.05)
    core.published(0.0, -1.0, t + 0.35)
    core.published(0.0, 0.0, t + 0.65)
    core.reading('front', math.inf, t + 0.66)
    core.reading('cliff', 0.03, t + 0.66)
    assert core.filter(0.3, 0.0, t + 0.67).linear == 0.0
    # turning 0.6 rad the same way releases it
    core.published(0.0, 1.0, t + 0.7)
    core.published(0.0, 1.0, t + 1.0)                  # commands keep coming (10 Hz)
    core.published(0.0, 0.0, t + 1.3)
    core.reading('front', math.inf, t + 1.3)
    core.reading('cliff', 0.03, t + 1.3)
    d = core.filter(0.3, 0.0, t + 1.31)
    assert d.linear == 0.3 and d.assessment.state is None


def test_cliff_latch_released_by_backing_up_and_rearmed_by_a_new_edge():
    core = GuardCore(CFG)
    core.reading('front', math.inf, NOW)
    core.reading('cliff', math.inf, NOW)
    core.published(-0.2, 0.0, NOW)
    core.published(0.0, 0.0, NOW + 0.2)                # 4 cm back: not yet
    core.reading('cliff', 0.03, NOW + 0.2)
    assert core.latched
    core.published(-0.2, 0.0, NOW + 0.2)
    core.published(0.0, 0.0, NOW + 0.3)                # 6 cm in all
    assert not core.latched
    core.reading('cliff', math.nan, NOW + 0.3)         # an invalid reading re-arms it
    core.reading('cliff', 0.03, NOW + 0.31)
    assert core.latched


@given(turns=st.lists(st.floats(min_value=-1.5, max_value=1.5), min_size=1, max_size=20))
def test_latch_never_releases_while_the_floor_is_missing(turns):
    core = GuardCore(CFG)
    t = NOW
    for w in turns:
        core.reading('cliff', math.inf, t)
        core.reading('front', math.inf, t)
        core.published(0.0, w, t)
        t += 0.1
        assert core.filter(0.3, w, t).linear == 0.0
