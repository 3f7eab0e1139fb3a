"""Register-level tests: the real adafruit_motorkit.MotorKit driving the fake PCA9685 bus."""
import sys
import types

from kropbot_driver.backends import BackendError, MotorKitBackend
from kropbot_driver.fake_pca9685 import MOTORKIT_CHANNELS, FakePCA9685Bus
from kropbot_driver.mixing import MixConfig, mix
import pytest

FULL = 0xFFFF
CFG = MixConfig(wheel_separation=0.12, max_wheel_speed=0.5)


def pca(throttle):
    """Duty the chip ends up with for |throttle| (adafruit_motor -> adafruit_pca9685, 12 bit)."""
    value = int(0xFFFF * abs(throttle))
    if value == 0xFFFF:
        return FULL
    return 0 if value < 0x10 else (value >> 4) << 4


def expected(throttle):
    """(PWM, IN+, IN-) duties of a motor in fast-decay mode."""
    if throttle > 0:
        return (FULL, pca(throttle), 0)
    return (FULL, 0, pca(throttle))


@pytest.fixture
def bus():
    return FakePCA9685Bus(0x60)


@pytest.fixture
def backend(bus):
    return MotorKitBackend(i2c=bus, address=0x60)


def test_init_configures_chip_and_releases(bus, backend):
    assert not bus.sleeping
    assert bus.registers[0xFE] == 3                      # 1600 Hz -> prescale 3
    for motor in (1, 2):
        assert bus.motor_duties(motor) == (FULL, 0, 0)    # PWM on, both IN off (released)
    assert backend.throttles == (None, None)


@pytest.mark.parametrize('v,w,signs', [
    (0.5, 0.0, (1, 1)),      # full forward
    (0.25, 0.0, (1, 1)),     # half forward
    (0.0, 4.0, (-1, 1)),     # spin left (CCW): left back, right forward
    (0.0, -4.0, (1, -1)),    # spin right
    (-0.25, 0.0, (-1, -1)),  # reverse
    (0.2, 2.0, (1, 1)),      # forward left arc
])
def test_cmd_vel_to_registers(bus, backend, v, w, signs):
    left, right = mix(v, w, CFG)
    assert (left > 0, right > 0) == (signs[0] > 0, signs[1] > 0)
    backend.set_throttles(left, right)
    assert bus.motor_duties(1) == expected(left)
    assert bus.motor_duties(2) == expected(right)


def test_full_and_half_forward_exact_duties(bus, backend):
    backend.set_throttles(*mix(0.5, 0.0, CFG))
    assert bus.motor_duties(1) == bus.motor_duties(2) == (FULL, FULL, 0)
    backend.set_throttles(*mix(0.25, 0.0, CFG))
    assert bus.motor_duties(1) == bus.motor_duties(2) == (FULL, 0x7FF0, 0)


def test_trim_and_inversion_reach_the_registers(bus, backend):
    cfg = MixConfig(max_wheel_speed=0.5, trim_left=0.5, invert_right=True)
    backend.set_throttles(*mix(0.5, 0.0, cfg))
    assert bus.motor_duties(1) == (FULL, 0x7FF0, 0)
    assert bus.motor_duties(2) == (FULL, 0, FULL)


@pytest.mark.parametrize('mode,pins', [('brake', (FULL, FULL)), ('coast', (0, 0))])
def test_stop_modes(bus, mode, pins):
    backend = MotorKitBackend(i2c=bus, stop_mode=mode)
    backend.set_throttles(0.7, -0.7)
    backend.stop()
    for motor in (1, 2):
        assert bus.motor_duties(motor)[1:] == pins
    backend.set_throttles(0.0, 0.5)                       # a zero wheel stops per stop_mode
    assert bus.motor_duties(1)[1:] == pins


def test_release_turns_both_inputs_off(bus, backend):
    backend.set_throttles(1.0, -1.0)
    backend.release()
    assert bus.motor_duties(1) == bus.motor_duties(2) == (FULL, 0, 0)
    assert backend.throttles == (None, None)


def test_absurd_throttles_are_clamped(bus, backend):
    backend.set_throttles(1e9, float('-inf'))
    assert bus.motor_duties(1) == (FULL, FULL, 0) and bus.motor_duties(2) == (FULL, 0, FULL)
    backend.set_throttles(float('nan'), 5e-324)           # NaN / subnormal -> stop (brake)
    assert bus.motor_duties(1)[1:] == bus.motor_duties(2)[1:] == (FULL, FULL)


def test_other_terminals(bus):
    backend = MotorKitBackend(i2c=bus, left_motor=3, right_motor=4)
    backend.set_throttles(1.0, -1.0)
    assert bus.motor_duties(3) == (FULL, FULL, 0) and bus.motor_duties(4) == (FULL, 0, FULL)
    assert [bus.duty_cycle(ch) for ch in MOTORKIT_CHANNELS[1][1:]] == [0, 0]


def test_release_tries_both_motors_when_the_bus_fails(bus, backend):
    backend.set_throttles(1.0, 1.0)
    bus.fail = True
    with pytest.raises(OSError):
        backend.release()
    assert bus.transactions >= 2 and backend.throttles == (None, None)


def test_bad_arguments_and_missing_chip():
    with pytest.raises(ValueError):
        MotorKitBackend(i2c=FakePCA9685Bus(), left_motor=2, right_motor=2)
    with pytest.raises(ValueError):
        MotorKitBackend(i2c=FakePCA9685Bus(), stop_mode='banana')
    with pytest.raises(BackendError, match='0x6f'):
        MotorKitBackend(i2c=FakePCA9685Bus(0x60), address=0x6F)


def test_board_i2c_is_used_lazily_when_no_bus_is_given(monkeypatch):
    bus = FakePCA9685Bus(0x6F)
    monkeypatch.setitem(sys.modules, 'board', types.SimpleNamespace(I2C=lambda: bus))
    monkeypatch.delitem(sys.modules, 'adafruit_motorkit', raising=False)
    backend = MotorKitBackend(address=0x6F)
    backend.set_throttles(0.5, 0.5)
    assert bus.motor_duties(1)[1] == pca(0.5)


def test_pwm_frequency_range_matches_the_chip():
    from kropbot_driver.config import check_parameter
    from kropbot_driver.params import PWM_FREQUENCY_RANGE
    low, high = PWM_FREQUENCY_RANGE
    for freq in (low, high):
        bus = FakePCA9685Bus()
        MotorKitBackend(i2c=bus, pwm_frequency=freq)
        assert 3 <= bus.registers[0xFE] <= 255
        assert bus.frequency == pytest.approx(freq, rel=0.25)
    assert check_parameter('pwm_frequency', high + 50.0)
    with pytest.raises(BackendError):
        MotorKitBackend(i2c=FakePCA9685Bus(), pwm_frequency=high + 50.0)
