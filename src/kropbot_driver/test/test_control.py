"""The driver's pure control core: freshness, non-finite commands, watchdog gating (no sleeps)."""

import math

from hypothesis import given
from hypothesis import strategies as st
from kropbot_driver.control import STOP, ControlCore
from kropbot_driver.mixing import MixConfig, mix
import pytest

TIMEOUT = 0.5
MIX = MixConfig(wheel_separation=0.12, max_wheel_speed=0.5)


def core():
    return ControlCore(MIX, TIMEOUT)


def test_nothing_received_stops():
    c = core()
    step = c.step(100.0)
    assert step.throttles == STOP and not step.timed_out and not c.fresh
    assert c.command_age(100.0) is None


def test_fresh_command_is_mixed_until_exactly_the_timeout():
    c = core()
    assert c.command(0.25, 0.0, 10.0)
    assert c.step(10.0).throttles == (0.5, 0.5)
    assert c.step(10.0 + TIMEOUT - 1e-6).throttles == (0.5, 0.5)
    assert c.command_age(10.2) == pytest.approx(0.2)
    step = c.step(10.0 + TIMEOUT)  # now - arrival == timeout: stale (kropbot_common rule)
    assert step.throttles == STOP and step.timed_out and c.timeouts == 1
    step = c.step(11.0)
    assert step.throttles == STOP and not step.timed_out and c.timeouts == 1  # counted once


def test_a_new_command_refreshes():
    c = core()
    c.command(0.25, 0.0, 10.0)
    c.command(-0.25, 0.0, 10.4)
    assert c.step(10.8).throttles == (-0.5, -0.5)


@pytest.mark.parametrize('bad', [(math.nan, 0.0), (0.1, math.inf), (-math.inf, math.nan)])
def test_non_finite_rejects_and_forgets_the_previous_command(bad):
    c = core()
    c.command(0.25, 0.0, 10.0)
    assert c.step(10.1).throttles == (0.5, 0.5)
    assert not c.command(*bad, 10.2)
    assert c.rejected == 1 and not c.fresh
    step = c.step(10.2)
    assert step.throttles == STOP and not step.timed_out  # a reject, not a timeout
    assert c.timeouts == 0
    assert c.command_age(10.3) == pytest.approx(0.3)  # age of the last valid command
    assert c.command(0.0, 4.0, 10.3)
    assert c.step(10.3).throttles == mix(0.0, 4.0, MIX)


def test_unarmed_watchdog_holds_the_motors_stopped():
    c = core()
    c.command(0.25, 0.0, 10.0)
    assert c.step(10.0).throttles == (0.5, 0.5)
    step = c.step(10.1, armed=False)
    assert step.throttles == STOP and not step.timed_out and not c.fresh
    assert c.step(10.2, armed=True).throttles == (0.5, 0.5)  # re-armed, still fresh
    c.step(10.3, armed=False)
    step = c.step(11.0, armed=True)  # stale by now: no timeout event, it was not driving
    assert step.throttles == STOP and not step.timed_out and c.timeouts == 0


def test_calibration_change_applies_from_the_next_step():
    c = core()
    c.command(0.25, 0.0, 10.0)
    c.mix_config = MixConfig(wheel_separation=0.12, max_wheel_speed=0.5, trim_right=0.5,
                             invert_left=True)
    assert c.step(10.1).throttles == (-0.5, 0.25)


@given(st.floats(allow_nan=True, allow_infinity=True),
       st.floats(allow_nan=True, allow_infinity=True),
       st.floats(0.0, 1e6), st.floats(0.0, 10.0), st.booleans())
def test_throttles_are_finite_bounded_and_zero_unless_fresh_and_armed(v, w, t0, dt, armed):
    c = core()
    accepted = c.command(v, w, t0)
    now = t0 + dt
    step = c.step(now, armed=armed)
    assert accepted == (math.isfinite(v) and math.isfinite(w))
    assert all(math.isfinite(x) and -1.0 <= x <= 1.0 for x in step.throttles)
    if not (accepted and armed and now - t0 < TIMEOUT):
        assert step.throttles == STOP
    else:
        assert step.throttles == mix(v, w, MIX)
