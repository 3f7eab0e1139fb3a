"""Reading the real sensors through Adafruit's CircuitPython drivers (Blinka on Linux).

``adafruit_vl6180x``, ``adafruit_vl53l0x`` and Blinka's ``board`` are imported lazily inside the
functions (Blinka raises on unknown hardware, so importing this module must not touch them).

**Sharing the bus with the MotorHAT.** The driver node (and its motor watchdog) and this node
are separate processes on one Linux I2C bus. That is safe because each transfer is atomic in the
kernel, and no two processes talk to the same device: Blinka's ``busio.I2C`` on Linux
(``adafruit_blinka.microcontroller.generic_linux.i2c``, over ``Adafruit_PureIO.smbus``) turns
``writeto`` into one ``write()`` and ``readfrom_into`` into one ``read()`` on ``/dev/i2c-1``
(after the per-file-descriptor ``I2C_SLAVE`` address ioctl), and ``writeto_then_readfrom`` into
one ``I2C_RDWR`` ioctl carrying both messages (a repeated start); the kernel's i2c-dev turns
each into one ``i2c_transfer()``, which holds the adapter's bus lock for all its messages. So a
MotorHAT write can fall *between* two transfers of a sensor read (the VL6180X driver sets the
register index in one transfer and reads in the next), never inside one; and since the index
lives in the sensor, not on the bus, a transfer to another address (the PCA9685 at 0x60)
cannot disturb it. (Checked by reading Blinka 10.0 and Adafruit_PureIO 1.1.12 as installed here; in
the kernel, i2c-dev's read/write go through ``i2c_master_recv``/``i2c_master_send`` and its
``I2C_RDWR`` through ``i2c_transfer``, which locks the adapter around ``__i2c_transfer``,
drivers/i2c/i2c-core-base.c.)
What is not safe: two processes driving the *same* chip; both ST sensors answer at 0x29 after
power-up, so this node refuses two sensors at one address.
"""

from kropbot_common.errors import StartupError

from kropbot_range.models import vl53l0x_range, vl6180x_range

#: Prefix of an ``i2c_bus`` value naming a fake bus with a scene file (tests, demos).
FAKE_BUS_PREFIX = 'fake:'
#: Longest wait for one VL53L0X measurement before the driver raises, s.
VL53L0X_IO_TIMEOUT = 0.5


class SensorError(StartupError):
    """A sensor or its bus cannot be opened (one-line message)."""


def open_bus(spec, sensors):
    """Open the I2C bus named by an ``i2c_bus`` parameter value.

    Args:
        spec: ``''`` for ``board.I2C()`` (the Pi's bus 1, Blinka), or ``'fake:<path>'`` for a
            :class:`~kropbot_range.fake_tof.FakeTofBus` carrying a fake of each sensor, seeing
            the scene file ``<path>``.
        sensors: ``(role, model, address)`` of every sensor on it (for the fake bus).

    Raises:
        SensorError: bad ``spec`` or the bus cannot be opened.

    """
    try:
        if spec.startswith(FAKE_BUS_PREFIX) and spec[len(FAKE_BUS_PREFIX):].strip():
            from kropbot_range.fake_tof import FakeTofBus, Scene
            return FakeTofBus.for_sensors(sensors, Scene(spec[len(FAKE_BUS_PREFIX):]))
        if spec:
            raise ValueError(f"i2c_bus must be '' (board.I2C()) or 'fake:<path>', got {spec!r}")
        import board  # lazy: Blinka raises on unknown hardware
        return board.I2C()
    except (ImportError, AttributeError, NotImplementedError, RuntimeError, OSError,
            ValueError) as exc:
        raise SensorError(f'cannot open the I2C bus {spec or "board.I2C()"}: '
                          f'{type(exc).__name__}: {exc}') from exc


class VL6180XSensor:
    """A VL6180X read in single-shot mode through ``adafruit_vl6180x``.

    Each :meth:`read` starts one measurement and waits for it (the driver polls; at most the
    chip's maximum convergence time, ~50 ms with no target).

    Args:
        i2c: a ``busio.I2C``-like bus.
        address: 7-bit I2C address.
        min_range: m (REP 117 ``-inf`` below).
        max_range: m (``+inf`` beyond).

    Raises:
        RuntimeError, OSError, ValueError: from the driver when the chip does not answer or is
            not a VL6180X.

    """

    model = 'vl6180x'

    def __init__(self, i2c, address, min_range, max_range):
        import adafruit_vl6180x  # lazy: it imports Blinka
        self._sensor = adafruit_vl6180x.VL6180X(i2c, address=address)
        self._limits = (min_range, max_range)

    def read(self):
        """Measure once; return the REP 117 range in m (NaN for an erroneous reading).

        Raises:
            OSError: an I2C transfer failed (unplugged).

        """
        millimetres = self._sensor.range
        return vl6180x_range(millimetres, self._sensor.range_status, *self._limits)

    def close(self):
        """Nothing to stop (single-shot mode)."""


class VL53L0XSensor:
    """A VL53L0X in back-to-back continuous mode through ``adafruit_vl53l0x``.

    The chip measures on its own (one timing budget, ~33 ms, per sample); :meth:`read` returns
    None until a new sample is ready, so it never blocks the node for long.

    Args:
        i2c: a ``busio.I2C``-like bus.
        address: 7-bit I2C address.
        min_range: m.
        max_range: m.

    Raises:
        RuntimeError, OSError, ValueError: from the driver (no chip, wrong ids, a timeout of
            :data:`VL53L0X_IO_TIMEOUT`).

    """

    model = 'vl53l0x'

    def __init__(self, i2c, address, min_range, max_range):
        import adafruit_vl53l0x  # lazy: it imports Blinka
        self._sensor = adafruit_vl53l0x.VL53L0X(i2c, address=address,
                                                io_timeout_s=VL53L0X_IO_TIMEOUT)
        self._sensor.start_continuous()
        self._limits = (min_range, max_range)

    def read(self):
        """Return the newest sample as a REP 117 range in m, or None if none is ready yet.

        Raises:
            OSError: an I2C transfer failed. RuntimeError: the chip timed out.

        """
        if not self._sensor.data_ready:
            return None
        return vl53l0x_range(self._sensor.range, *self._limits)

    def close(self):
        """Stop continuous ranging (errors ignored: the sensor may be gone)."""
        try:
            self._sensor.stop_continuous()
        except (OSError, RuntimeError):
            pass


#: Reader classes by model name.
READERS = {'vl6180x': VL6180XSensor, 'vl53l0x': VL53L0XSensor}


def open_sensor(i2c, model, address, min_range, max_range):
    """Return a reader for ``model`` at ``address`` on ``i2c``.

    Raises:
        SensorError: the sensor does not answer or is not that model (the message says which
            address and model, and what to check).

    """
    try:
        return READERS[model](i2c, address, min_range, max_range)
    except (KeyError, RuntimeError, OSError, ValueError, AssertionError) as exc:
        raise SensorError(f'cannot open the {model} at I2C address 0x{address:02x}: '
                          f'{type(exc).__name__}: {exc} (is it wired and powered? use '
                          f'backend:=sim without hardware)') from exc


class HardwareSensors:
    """The fitted sensors on one bus, reopened after failures (time injected, s).

    A sensor that raises is closed and reopened every ``retry_period`` s; meanwhile it yields
    no reading, so the guard sees it stale (an unplugged sensor is never "clear").

    Args:
        i2c: the bus (:func:`open_bus`).
        sensors: ``{role: settings}`` from :func:`kropbot_range.params.check_config`.
        retry_period: s.
        opener: ``(i2c, model, address, min_range, max_range) -> reader`` (default
            :func:`open_sensor`).

    Raises:
        SensorError: a sensor cannot be opened at start-up.

    Attributes:
        errors: ``{role: count}`` of failed reads and reopen attempts.
        last_error: ``{role: text}`` of the newest failure ('' when none).

    """

    def __init__(self, i2c, sensors, retry_period=2.0, opener=open_sensor):
        self._i2c = i2c
        self._sensors = sensors
        self.retry_period = retry_period
        self._opener = opener
        self.errors = {role: 0 for role in sensors}
        self.last_error = {role: '' for role in sensors}
        self._readers = {role: self._open(role) for role in sensors}
        self._retry_at = {role: 0.0 for role in sensors}

    def _open(self, role):
        s = self._sensors[role]
        return self._opener(self._i2c, s['model'], s['i2c_address'], s['min_range'],
                            s['max_range'])

    def read(self, now):
        """Read every working sensor; return ``{role: range}`` of those with a new reading.

        Returns also, as a second value, the list of ``(role, text)`` failures of this call.
        """
        readings, failures = {}, []
        for role in self._sensors:
            reader = self._readers[role]
            try:
                if reader is None:
                    if now < self._retry_at[role]:
                        continue
                    self._readers[role] = reader = self._open(role)
                value = reader.read()
            except (OSError, RuntimeError, ValueError, SensorError) as exc:
                text = f'{type(exc).__name__}: {exc}'
                self.errors[role] += 1
                self.last_error[role] = text
                failures.append((role, text))
                if reader is not None:
                    reader.close()
                self._readers[role] = None
                self._retry_at[role] = now + self.retry_period
                continue
            self.last_error[role] = ''
            if value is not None:
                readings[role] = value
        return readings, failures

    def working(self, role):
        """Return True if ``role``'s sensor is open (not waiting to be reopened)."""
        return self._readers.get(role) is not None

    def close(self):
        """Close every sensor."""
        for reader in self._readers.values():
            if reader is not None:
                reader.close()
