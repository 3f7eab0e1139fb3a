import errno

from kropbot_driver.fake_pca9685 import LED0_ON_L, MODE1, PRE_SCALE, FakePCA9685Bus
import pytest


def write(bus, *data, address=0x60):
    assert bus.try_lock()
    try:
        bus.writeto(address, bytes(data))
    finally:
        bus.unlock()


def read(bus, reg, n):
    buf = bytearray(n)
    assert bus.try_lock()
    try:
        bus.writeto_then_readfrom(0x60, bytes([reg]), buf)
    finally:
        bus.unlock()
    return bytes(buf)


def led(channel):
    return LED0_ON_L + 4 * channel


def test_power_on_state():
    bus = FakePCA9685Bus()
    assert bus.sleeping and all(bus.duty_cycle(ch) == 0 for ch in range(16))
    assert bus.frequency == pytest.approx(25e6 / 4096 / 31)
    assert bus.try_lock() and not bus.try_lock()
    assert bus.scan() == [0x60]
    bus.unlock()


def test_auto_increment_and_full_bits():
    bus = FakePCA9685Bus()
    write(bus, MODE1, 0x20)                       # AI on, awake
    write(bus, led(3), 0x00, 0x00, 0xFF, 0x07)    # on=0, off=0x7FF
    assert bus.duty_cycle(3) == 0x7FF << 4
    write(bus, led(3), 0x00, 0x10, 0x00, 0x00)    # full on
    assert bus.duty_cycle(3) == 0xFFFF
    write(bus, led(3), 0x00, 0x10, 0x00, 0x10)    # full off wins
    assert bus.duty_cycle(3) == 0
    assert read(bus, led(3), 4) == bytes([0, 0x10, 0, 0x10])
    assert bus.transactions == 5 and bus.bytes_written == 2 + 3 * 5 + 1 and bus.bytes_read == 4


def test_without_auto_increment_bytes_hit_one_register():
    bus = FakePCA9685Bus()
    write(bus, MODE1, 0x00)
    write(bus, led(0) + 2, 0x11, 0x22, 0x33)
    assert bus.registers[led(0) + 2] == 0x33 and bus.registers[led(0) + 3] == 0x10


def test_auto_increment_wraps_after_led15_to_mode1():
    bus = FakePCA9685Bus()
    write(bus, MODE1, 0x20)
    write(bus, led(15) + 3, 0x00, 0x21)           # LED15_OFF_H then MODE1
    assert bus.registers[MODE1] == 0x21


def test_all_led_and_prescale_and_reserved():
    bus = FakePCA9685Bus()
    write(bus, MODE1, 0x20)
    write(bus, 0xFA, 0x00, 0x10, 0x00, 0x00)      # ALL_LED full on
    assert all(bus.duty_cycle(ch) == 0xFFFF for ch in range(16))
    write(bus, PRE_SCALE, 3)                      # blocked while awake
    assert bus.registers[PRE_SCALE] == 0x1E
    write(bus, MODE1, 0x30)
    write(bus, PRE_SCALE, 3)
    assert bus.registers[PRE_SCALE] == 3
    write(bus, 0x50, 0xAA)
    assert read(bus, 0x50, 1) == b'\x00'
    write(bus, MODE1, 0xA0)                       # RESTART bit is self-clearing
    assert bus.registers[MODE1] == 0x20 and not bus.sleeping


def test_errors():
    bus = FakePCA9685Bus()
    with pytest.raises(RuntimeError):
        bus.writeto(0x60, b'\x00')                # not locked
    with pytest.raises(OSError) as info:
        write(bus, 0, address=0x61)
    assert info.value.errno == errno.EREMOTEIO
    bus.fail = True
    with pytest.raises(OSError):
        write(bus, 0)
    with pytest.raises(ValueError):
        FakePCA9685Bus(registers=bytearray(10))


def test_external_register_buffer_is_used():
    shared = bytearray(256)
    FakePCA9685Bus.power_on_reset(shared)
    bus = FakePCA9685Bus(registers=shared)
    write(bus, MODE1, 0x20)
    assert shared[MODE1] == 0x20
