"""A fake I2C bus with one PCA9685 PWM controller on it, for tests and benchmarks.

:class:`FakePCA9685Bus` implements the part of the ``busio.I2C`` interface that
``adafruit_bus_device.i2c_device.I2CDevice`` uses (``try_lock``, ``unlock``, ``writeto``,
``readfrom_into``, ``writeto_then_readfrom``, ``scan``), so the real ``adafruit_motorkit.MotorKit``
(and ``adafruit_pca9685``) can run on it unchanged. Register writes are decoded the way the
PCA9685 does (NXP PCA9685 datasheet, rev. 4, section 7.3):

- a write transaction starts with the register pointer, then data bytes; the pointer
  auto-increments after each byte only while MODE1.AI (0x20) is set, and wraps to MODE1 after
  register 0x45 (LED15_OFF_H) and after 0xFE (PRE_SCALE);
- writes to the reserved range 0x46..0xF9 are ignored, reads there return 0;
- PRE_SCALE (0xFE) is only written while MODE1.SLEEP (0x10) is set;
- writing MODE1.RESTART (0x80) restarts the PWM and clears the bit;
- ALL_LED_ON_L..ALL_LED_OFF_H (0xFA..0xFD) load the same byte into all 16 channels;
- bit 4 of LEDn_ON_H is "full on", bit 4 of LEDn_OFF_H is "full off" (full off wins).

The register file is a plain ``bytearray(256)`` (or any writable buffer of 256 bytes passed as
``registers``, e.g. an ``mmap`` shared with another process). :meth:`FakePCA9685Bus.from_file`
maps a 256-byte file, so several processes (the driver and its motor watchdog) drive one simulated
HAT; each transaction then holds an ``flock`` on the file, as the kernel's I2C adapter lock makes a
real transfer atomic.

Write log (test aid, invisible over I2C): the chip ignores the reserved registers 0x46..0xF9 and
reads them as 0, so the fake keeps there a little-endian ``uint32`` write sequence number
(:attr:`FakePCA9685Bus.write_seq`, +1 per write transaction carrying data) and, per channel, the
sequence number of the last transaction that wrote one of its registers
(:meth:`FakePCA9685Bus.channel_write_seq`; ALL_LED writes stamp every channel).
"""

from contextlib import contextmanager
import fcntl
import mmap
import os

from kropbot_common.fake_i2c import FakeI2CBus, no_ack

MODE1 = 0x00
MODE2 = 0x01
LED0_ON_L = 0x06
LED15_OFF_H = 0x45
ALL_LED_ON_L = 0xFA
ALL_LED_OFF_H = 0xFD
PRE_SCALE = 0xFE

MODE1_RESTART = 0x80
MODE1_AI = 0x20
MODE1_SLEEP = 0x10
FULL_BIT = 0x10

#: Power-on register values (datasheet table 4): MODE1 = SLEEP|ALLCALL, MODE2 = OUTDRV,
#: SUBADR1..3, ALLCALLADR, every LEDn_OFF_H full off, PRE_SCALE = 0x1E (200 Hz).
_POWER_ON = {0x00: 0x11, 0x01: 0x04, 0x02: 0xE2, 0x03: 0xE4, 0x04: 0xE8, 0x05: 0xE0,
             ALL_LED_OFF_H: FULL_BIT, PRE_SCALE: 0x1E}

#: Adafruit MotorKit channel map, motor number -> (PWM channel, IN+ channel, IN- channel), as in
#: adafruit_motorkit.MotorKit.motor1..motor4 (v1.6.21).
MOTORKIT_CHANNELS = {1: (8, 9, 10), 2: (13, 11, 12), 3: (2, 3, 4), 4: (7, 5, 6)}

#: PCA9685 internal oscillator, Hz (datasheet section 7.3.5).
OSCILLATOR_HZ = 25_000_000

#: Write log in the reserved register range (see the module docstring): global sequence number,
#: then 16 per-channel sequence numbers, each a little-endian uint32.
LOG_SEQ = 0x48
LOG_CHANNEL_SEQ = 0x4C


class FakePCA9685Bus(FakeI2CBus):
    """An I2C bus holding one simulated PCA9685 at ``address`` (:mod:`kropbot_common.fake_i2c`).

    Args:
        address: 7-bit I2C address of the chip (MotorHAT default 0x60).
        registers: optional writable buffer of 256 bytes to use as the register file
            (default: a fresh ``bytearray(256)`` with power-on values).
        fail: if True every transaction raises ``OSError(EREMOTEIO)`` (a dead bus).
        lock_fd: optional file descriptor ``flock``-ed around every transaction (set by
            :meth:`from_file`, so transactions of several processes do not interleave).

    Attributes:
        registers: the register file.
        transactions: number of ``writeto``/``readfrom_into``/``writeto_then_readfrom`` calls.
        bytes_written: data bytes written to the chip (register pointers included).
        bytes_read: bytes read from the chip.
        fail: set True to make later transactions fail.

    """

    def __init__(self, address=0x60, *, registers=None, fail=False, lock_fd=None):
        super().__init__()
        self.address = address
        self._lock_fd = lock_fd
        self._lock_depth = 0
        if registers is None:
            registers = bytearray(256)
            self.power_on_reset(registers)
        if len(registers) != 256:
            raise ValueError('registers must be a buffer of 256 bytes')
        self.registers = registers
        self.fail = fail
        self.bytes_written = 0
        self.bytes_read = 0
        self._pointer = 0

    @staticmethod
    def power_on_reset(registers):
        """Fill ``registers`` (256 bytes) with the PCA9685 power-on values."""
        registers[:] = bytes(256)
        for index in range(16):
            registers[LED0_ON_L + 4 * index + 3] = FULL_BIT
        for reg, value in _POWER_ON.items():
            registers[reg] = value

    @classmethod
    def from_file(cls, path, address=0x60):
        """Open a simulated HAT whose register file is ``mmap`` -ed from the file ``path``.

        A missing or empty file is created with the power-on register values. Every process
        that opens the same file sees (and drives) the same chip.

        Raises:
            OSError: the file cannot be created, opened or mapped.
            ValueError: the file exists but is not 256 bytes long.

        """
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                size = os.fstat(fd).st_size
                if size == 0:
                    initial = bytearray(256)
                    cls.power_on_reset(initial)
                    os.write(fd, initial)
                elif size != 256:
                    raise ValueError(f'{path} is {size} bytes, a simulated PCA9685 register '
                                     f'file must be 256 bytes')
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            registers = mmap.mmap(fd, 256)
        except BaseException:
            os.close(fd)
            raise
        return cls(address, registers=registers, lock_fd=fd)

    @contextmanager
    def transaction(self):
        """Context manager: hold the inter-process lock (if any), e.g. for a consistent snapshot.

        Re-entrant; used by every transaction, so a reader inside it never sees half a write.
        """
        if self._lock_fd is None:
            yield
            return
        if self._lock_depth == 0:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # --- busio.I2C interface (try_lock, unlock, writeto_then_readfrom: FakeI2CBus) -------------

    def scan(self):
        """Return the list of addresses that acknowledge: ``[address]``."""
        self._check_locked()
        return [] if self.fail else [self.address]

    def writeto(self, address, buffer, *, start=0, end=None):
        """Write ``buffer[start:end]``: a register pointer followed by data bytes.

        Raises:
            OSError: ``EREMOTEIO`` if nothing answers at ``address`` or the bus is failing.
            RuntimeError: if the bus is not locked (as busio does).

        """
        with self.transaction():
            self._begin(address)
            data = bytes(buffer[start:len(buffer) if end is None else end])
            if not data:
                return  # an address probe
            self.bytes_written += len(data)
            self._pointer = data[0]
            if len(data) > 1:
                seq = self.write_seq + 1
                self._put_u32(LOG_SEQ, seq)
            for value in data[1:]:
                self._write_register(self._pointer, value, seq)
                self._advance()

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        """Read registers from the current pointer into ``buffer[start:end]``."""
        with self.transaction():
            self._begin(address)
            end = len(buffer) if end is None else end
            for index in range(start, end):
                buffer[index] = self._read_register(self._pointer)
                self._advance()
            self.bytes_read += max(0, end - start)

    def deinit(self):
        """Release the bus: unmap and close a file-backed register store (else a no-op)."""
        if self._lock_fd is not None:
            self.registers.close()
            os.close(self._lock_fd)
            self._lock_fd = None

    # --- decoding helpers ----------------------------------------------------------------------

    def channel_registers(self, channel):
        """Return ``(on, off, full_on, full_off)`` of PWM ``channel`` (0..15), 12-bit counts."""
        base = LED0_ON_L + 4 * channel
        on_l, on_h, off_l, off_h = self.registers[base:base + 4]
        return (on_l | (on_h & 0x0F) << 8, off_l | (off_h & 0x0F) << 8,
                bool(on_h & FULL_BIT), bool(off_h & FULL_BIT))

    def duty_cycle(self, channel):
        """Return the 16-bit duty cycle of ``channel`` as ``adafruit_pca9685`` defines it.

        0 when full off (which wins over full on), 0xFFFF when full on, otherwise the
        high-time ``(off - on) mod 4096`` shifted to 16 bits.
        """
        on, off, full_on, full_off = self.channel_registers(channel)
        if full_off:
            return 0
        if full_on:
            return 0xFFFF
        return ((off - on) % 4096) << 4

    def motor_duties(self, motor):
        """Return ``(pwm, in_positive, in_negative)`` duty cycles of MotorKit motor 1..4."""
        return tuple(self.duty_cycle(ch) for ch in MOTORKIT_CHANNELS[motor])

    def all_off(self):
        """Return True if every channel's effective duty cycle is 0 (no output drives)."""
        return all(self.duty_cycle(ch) == 0 for ch in range(16))

    @property
    def write_seq(self):
        """Number of data-carrying write transactions since power-on (write log)."""
        return self._get_u32(LOG_SEQ)

    def channel_write_seq(self, channel):
        """Return :attr:`write_seq` of the last transaction that wrote ``channel`` (0 = never)."""
        return self._get_u32(LOG_CHANNEL_SEQ + 4 * channel)

    def _get_u32(self, offset):
        return int.from_bytes(self.registers[offset:offset + 4], 'little')

    def _put_u32(self, offset, value):
        self.registers[offset:offset + 4] = (value & 0xFFFFFFFF).to_bytes(4, 'little')

    @property
    def sleeping(self):
        """True while MODE1.SLEEP is set (oscillator off, no PWM output)."""
        return bool(self.registers[MODE1] & MODE1_SLEEP)

    @property
    def frequency(self):
        """PWM frequency in Hz from PRE_SCALE: ``25 MHz / 4096 / (prescale + 1)``."""
        return OSCILLATOR_HZ / 4096 / (self.registers[PRE_SCALE] + 1)

    # --- chip model ----------------------------------------------------------------------------

    def _begin(self, address):
        self._start_transfer()
        if self.fail or address != self.address:
            raise no_ack(address)

    def _advance(self):
        if not self.registers[MODE1] & MODE1_AI:
            return
        if self._pointer in (LED15_OFF_H, PRE_SCALE):
            self._pointer = MODE1
        else:
            self._pointer = (self._pointer + 1) & 0xFF

    def _read_register(self, reg):
        if LED15_OFF_H < reg < ALL_LED_ON_L:
            return 0
        return self.registers[reg]

    def _write_register(self, reg, value, seq):
        regs = self.registers
        if reg == MODE1:
            regs[MODE1] = value & ~MODE1_RESTART & 0xFF
        elif reg <= LED15_OFF_H:
            regs[reg] = value
            if reg >= LED0_ON_L:
                self._put_u32(LOG_CHANNEL_SEQ + 4 * ((reg - LED0_ON_L) // 4), seq)
        elif ALL_LED_ON_L <= reg <= ALL_LED_OFF_H:
            regs[reg] = value
            offset = reg - ALL_LED_ON_L
            for channel in range(16):
                regs[LED0_ON_L + 4 * channel + offset] = value
                self._put_u32(LOG_CHANNEL_SEQ + 4 * channel, seq)
        elif reg == PRE_SCALE:
            if regs[MODE1] & MODE1_SLEEP:
                regs[PRE_SCALE] = value
        # reserved registers 0x46..0xF9 and 0xFF: ignored
