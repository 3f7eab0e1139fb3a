"""Motor watchdog core (heartbeat logic, all-off sequence) and the watchdog process itself."""
import os
import signal
import subprocess
import sys
import threading
import time

from adafruit_bus_device.i2c_device import I2CDevice
from kropbot_driver.backends import BackendError, MotorKitBackend, open_i2c
from kropbot_driver.fake_pca9685 import MODE1, FakePCA9685Bus
from kropbot_driver.watchdog import (
    BEAT,
    QUIT,
    WatchdogError,
    WatchdogProcess,
    wait_for_trip,
    write_all_off,
)
import pytest

from kropbot_driver import config


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def test_trip_on_eof(pipe):
    r, w = pipe
    os.write(w, BEAT * 3)
    os.close(w)
    assert wait_for_trip(r, timeout=10.0) == 'eof'


def test_trip_on_quit(pipe):
    r, w = pipe
    os.write(w, BEAT + QUIT)
    assert wait_for_trip(r, timeout=10.0) == 'quit'


def test_heartbeats_keep_it_alive_then_silence_trips(pipe):
    r, w = pipe
    stop = threading.Event()

    def beats():
        for _ in range(20):
            os.write(w, BEAT)
            time.sleep(0.01)
        stop.set()
    thread = threading.Thread(target=beats)
    start = time.monotonic()
    thread.start()
    assert wait_for_trip(r, timeout=0.15) == 'timeout'
    thread.join()
    assert stop.is_set()                         # it kept waiting while the beats came
    assert time.monotonic() - start >= 0.15


def test_first_timeout_is_separate(pipe):
    r, _ = pipe
    now = [0.0]

    def clock():
        now[0] += 0.05
        return now[0]
    # the select never sees data; the fake clock reaches the first-beat deadline
    assert wait_for_trip(r, timeout=0.01, first_timeout=0.3, clock=clock) == 'timeout'
    assert now[0] >= 0.3


@pytest.mark.parametrize('auto_increment', [True, False])
def test_write_all_off_turns_a_driving_hat_off(auto_increment):
    bus = FakePCA9685Bus(0x60)
    motors = MotorKitBackend(i2c=bus)
    motors.set_throttles(1.0, -0.6)
    if not auto_increment:
        bus.registers[MODE1] &= ~0x20
    assert not bus.all_off()
    before = bus.transactions
    write_all_off(I2CDevice(bus, 0x60, probe=False))
    assert bus.all_off()
    assert bus.transactions - before == 4         # one transaction per ALL_LED register


def test_write_all_off_raises_on_a_dead_bus():
    bus = FakePCA9685Bus(0x60, fail=True)
    with pytest.raises(OSError):
        write_all_off(I2CDevice(bus, 0x60, probe=False), attempts=2)
    assert bus.transactions == 2                  # first register tried twice, then given up


def test_file_backed_bus_is_shared_and_logs_writes(tmp_path):
    path = str(tmp_path / 'hat.bin')
    a = FakePCA9685Bus.from_file(path)
    b = FakePCA9685Bus.from_file(path)
    assert os.path.getsize(path) == 256 and a.sleeping        # power-on values
    motors = MotorKitBackend(i2c=a)
    motors.set_throttles(0.5, 0.0)
    assert b.motor_duties(1) == a.motor_duties(1) and b.motor_duties(1)[1] > 0
    seq = b.write_seq
    assert seq > 0 and b.channel_write_seq(9) <= seq
    write_all_off(I2CDevice(b, 0x60, probe=False))
    assert a.all_off() and a.write_seq == seq + 4
    assert all(a.channel_write_seq(ch) == seq + 4 for ch in range(16))
    buf = bytearray(1)
    a.try_lock()
    a.writeto_then_readfrom(0x60, bytes([0x50]), buf)          # the log is invisible over I2C
    a.unlock()
    assert buf == b'\x00'
    a.deinit()
    b.deinit()


def test_file_of_wrong_size_is_refused(tmp_path):
    path = tmp_path / 'bad.bin'
    path.write_bytes(b'x' * 10)
    with pytest.raises(ValueError, match='256 bytes'):
        FakePCA9685Bus.from_file(str(path))
    with pytest.raises(BackendError, match='256 bytes'):
        open_i2c(f'fake:{path}')


@pytest.mark.parametrize('spec,ok', [('', True), ('fake:/tmp/x', True), ('fake:', False),
                                     ('/dev/i2c-1', False), ('fake: ', False)])
def test_i2c_bus_validation(spec, ok):
    assert (config.check_parameter('i2c_bus', spec) is None) == ok


def test_watchdog_timeout_must_cover_two_control_periods():
    values = {s.name: s.default for s in config.PARAMETERS}
    values.update(update_rate=5.0, watchdog_timeout=0.25)
    with pytest.raises(config.ConfigError, match='watchdog_timeout'):
        config.check_config(values)


def test_process_sigterm_turns_off_and_exits(tmp_path):
    spec = f'fake:{tmp_path / "hat.bin"}'
    bus = open_i2c(spec)
    MotorKitBackend(i2c=bus).set_throttles(0.7, 0.7)
    watchdog = WatchdogProcess.start(i2c_bus=spec, timeout=5.0)
    assert watchdog.beat() and not bus.all_off()
    watchdog.proc.send_signal(signal.SIGTERM)
    assert watchdog.proc.wait(5.0) == 0
    assert bus.all_off()
    assert not watchdog.beat()
    watchdog.close()


def test_process_with_parent_gone_turns_off_at_once(tmp_path):
    spec = f'fake:{tmp_path / "hat.bin"}'
    bus = open_i2c(spec)
    MotorKitBackend(i2c=bus).set_throttles(0.7, 0.7)
    r, w = os.pipe()
    try:
        result = subprocess.run(
            [sys.executable, '-m', 'kropbot_driver.watchdog', '--heartbeat-fd', str(r),
             '--i2c-bus', spec, '--parent-pid', '1', '--timeout', '30'],
            pass_fds=(r,), capture_output=True, text=True, timeout=20)
    finally:
        os.close(r)
        os.close(w)
    assert result.returncode == 0
    assert 'already gone at start' in result.stderr and bus.all_off()


def test_process_with_a_bad_bus_does_not_arm(tmp_path):
    bad = tmp_path / 'bad.bin'
    bad.write_bytes(b'x')
    with pytest.raises(WatchdogError, match='did not arm'):
        WatchdogProcess.start(i2c_bus=f'fake:{bad}', timeout=0.25)
