"""Fake time-of-flight sensors on a fake I2C bus, for tests and demos without hardware.

The real Adafruit drivers (``adafruit_vl6180x.VL6180X``, ``adafruit_vl53l0x.VL53L0X``) run
unchanged on :class:`FakeTofBus`, which implements the part of ``busio.I2C`` that
``adafruit_bus_device.i2c_device.I2CDevice`` uses (``try_lock``, ``unlock``, ``scan``,
``writeto``, ``readfrom_into``, ``writeto_then_readfrom``; its base
:class:`kropbot_common.fake_i2c.FakeI2CBus` is also that of
:class:`kropbot_driver.fake_pca9685.FakePCA9685Bus`). Each device is a register model of its
chip, written from ST's datasheets and the register use of the Adafruit drivers (checked
against adafruit-circuitpython-vl6180x 1.4.21 and -vl53l0x 3.6.19):

**VL6180X** (:class:`FakeVL6180X`; datasheet DS10868 section 6): 16-bit register index sent
MSB first, then data bytes (auto-increment); a read returns bytes from the index. Modelled:
``IDENTIFICATION__MODEL_ID`` (0x000) = 0xB4; ``SYSTEM__FRESH_OUT_OF_RESET`` (0x016) = 1 at power
on; writing bit 0 of ``SYSRANGE__START`` (0x018) runs one measurement at once (bit 1: continuous
mode, every read of the interrupt status then has a new sample): ``RESULT__RANGE_VAL`` (0x062,
mm), ``RESULT__RANGE_STATUS`` (0x04D: error code in bits 7:4, bit 0 = device ready) and bit 2 of
``RESULT__INTERRUPT_STATUS_GPIO`` (0x04F, new sample) are set; ``SYSTEM__INTERRUPT_CLEAR``
(0x015) clears the status bits it names; ``SYSRANGE__PART_TO_PART_RANGE_OFFSET`` (0x024, signed
mm) is added to results. A target beyond :attr:`FakeVL6180X.reach` (or none) gives error 7
("max convergence": no return in time) with value 255; a result below 0 mm gives error 14
("range underflow") with 0; above 255 mm error 15 ("range overflow") with 255. Every other
register stores what is written.

**VL53L0X** (:class:`FakeVL53L0X`; datasheet DS11555 and ST's API register map as used by the
driver, which follows Pololu's vl53l0x-arduino): 8-bit index, auto-increment; register 0xFF
selects a page and every other register is stored per page, so the driver's page-1/6/7
accesses never hit page 0's registers. Page 0 is modelled: ``IDENTIFICATION_MODEL_ID``
(0xC0..0xC2) = EE AA 10; writing bit 0 of ``SYSRANGE_START`` (0x00) runs one measurement at
once (the bit reads back cleared; value 0x02 = back-to-back continuous mode, a new sample is
always ready) and sets ``RESULT_INTERRUPT_STATUS`` (0x13) to 0x04 (new sample ready), the range
in mm at 0x1E..0x1F (``RESULT_RANGE_STATUS`` + 10, big-endian); ``SYSTEM_INTERRUPT_CLEAR``
(0x0B) clears 0x13. No target (or one beyond :attr:`FakeVL53L0X.reach`) reads 8190 mm, the
value the chip reports out of range. The SPAD-info handshake of its start-up (0x83 polled until
non-zero on page 7) completes at once.

**The scene.** What the sensors see comes from :class:`Scene`: in process, set
``bus.scene.set('cliff', 0.03)``; across processes (a node started with
``i2c_bus: fake:<path>``), the JSON file ``<path>``, re-read whenever it changes::

    {"cliff": {"distance": 0.03}, "front": {"distance": null, "status": 11, "fail": false}}

per sensor role: ``distance`` in m (null or missing: no target), optional ``status`` (force a
VL6180X error code), optional ``fail`` (true: the device stops acknowledging, as an unplugged
sensor; every transfer raises ``OSError(EREMOTEIO)``). A missing file is an empty scene.
"""

import json
import os

from kropbot_common.fake_i2c import FakeI2CBus, no_ack

#: VL6180X registers the model gives behaviour to (16-bit indices).
VL6180X_MODEL_ID = 0x000
VL6180X_INTERRUPT_CLEAR = 0x015
VL6180X_FRESH_OUT_OF_RESET = 0x016
VL6180X_SYSRANGE_START = 0x018
VL6180X_RANGE_OFFSET = 0x024
VL6180X_RESULT_RANGE_STATUS = 0x04D
VL6180X_RESULT_INTERRUPT_STATUS = 0x04F
VL6180X_RESULT_HISTORY_0 = 0x052
VL6180X_RESULT_RANGE_VAL = 0x062
#: VL6180X error codes (RESULT__RANGE_STATUS bits 7:4, datasheet table "range error codes").
VL6180X_MAX_CONVERGENCE = 7
VL6180X_RANGE_UNDERFLOW = 14
VL6180X_RANGE_OVERFLOW = 15

#: VL53L0X page-0 registers the model gives behaviour to.
VL53L0X_SYSRANGE_START = 0x00
VL53L0X_INTERRUPT_CLEAR = 0x0B
VL53L0X_RESULT_INTERRUPT_STATUS = 0x13
VL53L0X_RESULT_RANGE = 0x1E
VL53L0X_PAGE = 0xFF
#: VL53L0X reading when no target is in range, mm.
VL53L0X_OUT_OF_RANGE = 8190


class Scene:
    """What each fake sensor sees: per role, a distance (m or None), forced status, failure.

    Args:
        path: optional JSON file (see the module docstring) re-read when its modification
            time or size changes; None keeps the scene in memory only.

    """

    def __init__(self, path=None):
        self.path = path
        self._roles = {}
        self._stamp = None

    def set(self, role, distance, *, status=None, fail=False):
        """Set what ``role`` sees (in memory; a file-backed scene is re-read when it changes).

        Args:
            role: sensor role, e.g. ``'cliff'``.
            distance: m to the target, or None (no target).
            status: force this VL6180X error code (None: derived from the distance).
            fail: True makes the device stop acknowledging (unplugged).

        """
        self._roles[role] = {'distance': distance, 'status': status, 'fail': fail}

    def get(self, role):
        """Return ``{'distance', 'status', 'fail'}`` for ``role`` (no target if unknown)."""
        self._reload()
        entry = self._roles.get(role) or {}
        return {'distance': entry.get('distance'), 'status': entry.get('status'),
                'fail': bool(entry.get('fail', False))}

    def _reload(self):
        if self.path is None:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._roles, self._stamp = {}, None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        with open(self.path, encoding='utf-8') as f:
            data = json.load(f)
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise ValueError(f'{self.path}: a fake scene is a JSON object of objects, e.g. '
                             f'{{"cliff": {{"distance": 0.03}}}}')
        self._roles, self._stamp = data, stamp

    @staticmethod
    def write(path, roles):
        """Write ``{role: {'distance': m or None, ...}}`` to ``path`` atomically (tests)."""
        tmp = f'{path}.tmp{os.getpid()}'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(roles, f)
        os.replace(tmp, path)


class _Device:
    """Common part of the register models: the scene, the role and a transfer counter."""

    def __init__(self, scene, role):
        self.scene = scene
        self.role = role
        self.measurements = 0

    @property
    def failing(self):
        """True while the scene says this device is unplugged."""
        return self.scene.get(self.role)['fail']


class FakeVL6180X(_Device):
    """Register model of an ST VL6180X (see the module docstring).

    Args:
        scene: the :class:`Scene`.
        role: its key in the scene (``'cliff'``).

    Attributes:
        registers: 64 KiB register file (16-bit indices).
        reach: m; no target is seen beyond this (the datasheet's typical maximum, 200 mm).
        measurements: measurements run so far.

    """

    model = 'vl6180x'
    reach = 0.2

    def __init__(self, scene, role):
        super().__init__(scene, role)
        self.registers = bytearray(0x10000)
        self.registers[VL6180X_MODEL_ID] = 0xB4
        self.registers[VL6180X_FRESH_OUT_OF_RESET] = 0x01
        self.registers[VL6180X_RESULT_RANGE_STATUS] = 0x01   # device ready, no error
        self._index = 0

    def write(self, data):
        """Handle one write transfer: a 16-bit index, then data bytes (auto-increment)."""
        if len(data) < 2:
            return
        self._index = (data[0] << 8) | data[1]
        for value in data[2:]:
            self._store(self._index, value)
            self._index = (self._index + 1) & 0xFFFF

    def read(self, count):
        """Handle one read transfer of ``count`` bytes from the current index."""
        out = bytearray()
        for _ in range(count):
            if self.registers[VL6180X_SYSRANGE_START] & 0x02 and \
                    self._index == VL6180X_RESULT_INTERRUPT_STATUS:
                self._measure()  # continuous mode: a new sample is always ready
            out.append(self.registers[self._index])
            self._index = (self._index + 1) & 0xFFFF
        return bytes(out)

    def _store(self, index, value):
        regs = self.registers
        if index == VL6180X_SYSRANGE_START:
            if value & 0x01:
                if value & 0x02:                       # start continuous
                    regs[index] = 0x03
                elif regs[index] & 0x02:               # start/stop toggles continuous off
                    regs[index] = 0x00
                else:                                  # single shot: bit 0 self-clears
                    regs[index] = 0x00
                    self._measure()
            else:
                regs[index] = value & 0x02
        elif index == VL6180X_INTERRUPT_CLEAR:
            regs[VL6180X_RESULT_INTERRUPT_STATUS] &= ~value & 0xFF
        else:
            regs[index] = value

    def _measure(self):
        seen = self.scene.get(self.role)
        distance = seen['distance']
        offset = int.from_bytes(bytes([self.registers[VL6180X_RANGE_OFFSET]]), 'big',
                                signed=True)
        if distance is None or distance > self.reach:
            status, value = VL6180X_MAX_CONVERGENCE, 255
        else:
            mm = round(distance * 1000.0) + offset
            status, value = ((VL6180X_RANGE_UNDERFLOW, 0) if mm < 0 else
                             (VL6180X_RANGE_OVERFLOW, 255) if mm > 255 else (0, mm))
        if seen['status'] is not None:
            status = int(seen['status'])
        self.registers[VL6180X_RESULT_RANGE_VAL] = value
        self.registers[VL6180X_RESULT_HISTORY_0] = value
        self.registers[VL6180X_RESULT_RANGE_STATUS] = (status << 4) | 0x01
        self.registers[VL6180X_RESULT_INTERRUPT_STATUS] |= 0x04
        self.measurements += 1


class FakeVL53L0X(_Device):
    """Register model of an ST VL53L0X (see the module docstring).

    Args:
        scene: the :class:`Scene`.
        role: its key in the scene (``'front'``).

    Attributes:
        reach: m; no target is seen beyond this (2 m, the datasheet's long-range maximum).
        measurements: measurements run so far.

    """

    model = 'vl53l0x'
    reach = 2.0

    def __init__(self, scene, role):
        super().__init__(scene, role)
        self._pages = {0: bytearray(256)}
        self._page = 0
        self._index = 0
        self._continuous = False
        page0 = self._pages[0]
        page0[0xC0], page0[0xC1], page0[0xC2] = 0xEE, 0xAA, 0x10
        page0[0x91] = 0x3C                      # stop variable
        page0[0xB0:0xB6] = b'\xff' * 6          # reference SPAD map
        self._regs(7)[0x92] = 0x85               # SPAD info: 5 aperture SPADs

    def _regs(self, page):
        return self._pages.setdefault(page, bytearray(256))

    def write(self, data):
        """Handle one write transfer: an 8-bit index, then data bytes (auto-increment)."""
        if not data:
            return
        self._index = data[0]
        for value in data[1:]:
            self._store(self._index, value)
            self._index = (self._index + 1) & 0xFF

    def read(self, count):
        """Handle one read transfer of ``count`` bytes from the current index."""
        out = bytearray()
        for _ in range(count):
            if self._index == VL53L0X_PAGE:
                out.append(self._page)
            else:
                if self._continuous and self._page == 0 and \
                        self._index == VL53L0X_RESULT_INTERRUPT_STATUS:
                    self._measure()   # back-to-back mode: a new sample is always ready
                out.append(self._regs(self._page)[self._index])
            self._index = (self._index + 1) & 0xFF
        return bytes(out)

    def _store(self, index, value):
        if index == VL53L0X_PAGE:
            self._page = value
            return
        regs = self._regs(self._page)
        if self._page == 0 and index == VL53L0X_SYSRANGE_START:
            self._continuous = bool(value & 0x02)
            regs[index] = value & ~0x01 & 0xFF
            if value & 0x01 or value & 0x02:
                self._measure()
            return
        if self._page == 0 and index == VL53L0X_INTERRUPT_CLEAR:
            regs[VL53L0X_RESULT_INTERRUPT_STATUS] = 0
            return
        if index == 0x83 and value == 0x00:
            value = 0x10          # SPAD info handshake: ready at once
        regs[index] = value

    def _measure(self):
        distance = self.scene.get(self.role)['distance']
        if distance is None or distance > self.reach:
            mm = VL53L0X_OUT_OF_RANGE
        else:
            mm = max(0, min(0xFFFF, round(distance * 1000.0)))
        page0 = self._pages[0]
        page0[VL53L0X_RESULT_RANGE:VL53L0X_RESULT_RANGE + 2] = mm.to_bytes(2, 'big')
        page0[VL53L0X_RESULT_INTERRUPT_STATUS] = 0x04
        self.measurements += 1


#: Fake device classes by sensor model name.
FAKE_MODELS = {'vl6180x': FakeVL6180X, 'vl53l0x': FakeVL53L0X}


class FakeTofBus(FakeI2CBus):
    """An I2C bus carrying fake time-of-flight sensors (``busio.I2C`` surface).

    Args:
        devices: ``{address: device}`` (:class:`FakeVL6180X` / :class:`FakeVL53L0X`).

    Attributes:
        transactions: transfers so far (a combined write-then-read counts once).

    """

    def __init__(self, devices):
        super().__init__()
        self.devices = dict(devices)

    @classmethod
    def for_sensors(cls, sensors, scene):
        """Return a bus with one fake device per ``(role, model, address)`` in ``sensors``.

        Raises:
            ValueError: an unknown model, or two sensors at one address.

        """
        devices = {}
        for role, model, address in sensors:
            if model not in FAKE_MODELS:
                raise ValueError(f'no fake for sensor model {model!r} (known: '
                                 f'{", ".join(FAKE_MODELS)})')
            if address in devices:
                raise ValueError(f'two sensors at I2C address 0x{address:02x}')
            devices[address] = FAKE_MODELS[model](scene, role)
        return cls(devices)

    def scan(self):
        """Return the addresses that acknowledge."""
        return sorted(a for a, d in self.devices.items() if not d.failing)

    def _device(self, address):
        self._start_transfer()
        device = self.devices.get(address)
        if device is None or device.failing:
            raise no_ack(address)
        return device

    def writeto(self, address, buffer, *, start=0, end=None):
        """Write ``buffer[start:end]`` to the device at ``address``."""
        device = self._device(address)
        device.write(bytes(buffer[start:len(buffer) if end is None else end]))

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        """Read into ``buffer[start:end]`` from the device at ``address``."""
        device = self._device(address)
        end = len(buffer) if end is None else end
        buffer[start:end] = device.read(end - start)
