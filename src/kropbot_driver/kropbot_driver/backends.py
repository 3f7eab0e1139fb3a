"""Motor backends: the real Adafruit MotorHAT (``MotorKitBackend``) and a simulation.

The simulation (``SimBackend``) lives in :mod:`kropbot_driver.sim_backend` and is re-exported
here.

Both expose the same small interface, used by the node's control loop:

- ``set_throttles(left, right)``: throttles in [-1, 1]; 0.0 means "stop" and is applied per
  ``stop_mode`` (brake or coast);
- ``stop()``: stop both motors per ``stop_mode``;
- ``release()``: turn both H-bridges off (``throttle = None``), idempotent; used at shutdown;
- ``throttles``: the last applied ``(left, right)`` (None = released/coasting).

``adafruit_motorkit`` (and Blinka's ``board``) are imported lazily inside
:class:`MotorKitBackend`: Blinka raises on unknown hardware, so importing this module must not
touch them.
"""

from kropbot_common.errors import StartupError

from kropbot_driver.config import FAKE_BUS_PREFIX, check_i2c_bus
from kropbot_driver.mixing import clamp_unit
from kropbot_driver.params import STOP_MODES
from kropbot_driver.sim_backend import SimBackend  # noqa: F401 - re-exported


class BackendError(StartupError):
    """The motor hardware or the sim world could not be opened (clear, one-line message).

    A :class:`kropbot_common.errors.StartupError`: raised while the node starts, ``run_node``
    logs it as one FATAL line and exits 1.
    """


def open_i2c(spec, address=0x60):
    """Open the I2C bus named by an ``i2c_bus`` parameter value.

    Args:
        spec: ``''`` for ``board.I2C()`` (Blinka, imported here lazily), or ``'fake:<path>'``
            for a :class:`~kropbot_driver.fake_pca9685.FakePCA9685Bus` at ``address`` whose
            registers are the 256-byte file ``<path>`` (created with power-on values if missing).
        address: 7-bit address of the (simulated) PCA9685.

    Returns:
        A ``busio.I2C``-like bus object.

    Raises:
        BackendError: bad ``spec`` or the bus cannot be opened (one-line message).

    """
    error = check_i2c_bus(spec)
    if error:
        raise BackendError(error)
    try:
        if spec.startswith(FAKE_BUS_PREFIX):
            from kropbot_driver.fake_pca9685 import FakePCA9685Bus
            return FakePCA9685Bus.from_file(spec[len(FAKE_BUS_PREFIX):], address)
        import board  # lazy: Blinka raises on unknown hardware
        return board.I2C()
    except (ImportError, AttributeError, NotImplementedError, RuntimeError, OSError,
            ValueError) as exc:
        raise BackendError(f'cannot open the I2C bus {spec or "board.I2C()"}: '
                           f'{type(exc).__name__}: {exc}') from exc


def _safe_throttle(value):
    """Return ``value`` as a throttle in [-1, 1] (NaN becomes 0.0, a stop)."""
    try:
        return clamp_unit(value)
    except ValueError:
        return 0.0


def _check_stop_mode(stop_mode):
    if stop_mode not in STOP_MODES:
        raise ValueError(f'stop_mode must be one of {", ".join(STOP_MODES)}; got {stop_mode!r}')
    return stop_mode


class MotorKitBackend:
    """Two DC motors on an Adafruit DC & Stepper Motor HAT through ``adafruit_motorkit``.

    Args:
        i2c: a ``busio.I2C``-like bus (e.g. :class:`kropbot_driver.fake_pca9685.FakePCA9685Bus`);
            None opens ``board.I2C()``.
        address: 7-bit I2C address of the HAT's PCA9685.
        left_motor: HAT terminal of the left motor, 1..4.
        right_motor: HAT terminal of the right motor, 1..4 (different from ``left_motor``).
        stop_mode: ``'brake'`` (``throttle = 0.0``: both inputs full on, a short brake in
            adafruit_motor) or ``'coast'`` (``throttle = None``: both inputs off).
        pwm_frequency: PCA9685 PWM frequency, Hz.

    Raises:
        ValueError: on bad arguments.
        BackendError: if the bus or the chip cannot be opened (message says why).

    """

    name = 'motorkit'

    def __init__(self, *, i2c=None, address=0x60, left_motor=1, right_motor=2,
                 stop_mode='brake', pwm_frequency=1600.0):
        for label, motor in (('left_motor', left_motor), ('right_motor', right_motor)):
            if motor not in (1, 2, 3, 4):
                raise ValueError(f'{label} must be 1..4, got {motor!r}')
        if left_motor == right_motor:
            raise ValueError(f'left_motor and right_motor must differ, both are {left_motor}')
        self.stop_mode = _check_stop_mode(stop_mode)
        self.hardware_id = f'pca9685@0x{address:02x}'
        try:
            if i2c is None:
                import board  # lazy: Blinka raises on unknown hardware
                i2c = board.I2C()
            from adafruit_motorkit import MotorKit  # lazy: it imports board
            self._kit = MotorKit(i2c=i2c, address=address, pwm_frequency=pwm_frequency)
            self._left = getattr(self._kit, f'motor{left_motor}')
            self._right = getattr(self._kit, f'motor{right_motor}')
        except (ImportError, AttributeError, NotImplementedError, RuntimeError, OSError,
                ValueError) as exc:
            raise BackendError(
                f'cannot open the MotorHAT at I2C address 0x{address:02x}: '
                f'{type(exc).__name__}: {exc} (is I2C enabled and the HAT connected? '
                f'use backend:=sim without hardware)') from exc
        self.throttles = (None, None)
        self.release()

    def _stop_value(self):
        return 0.0 if self.stop_mode == 'brake' else None

    def set_throttles(self, left, right):
        """Apply throttles (clamped to [-1, 1]; 0.0 stops per ``stop_mode``).

        Raises:
            OSError: if an I2C transfer fails.

        """
        stop = self._stop_value()
        values = []
        for motor, value in ((self._left, left), (self._right, right)):
            value = _safe_throttle(value)
            value = stop if value == 0.0 else value
            motor.throttle = value
            values.append(value)
        self.throttles = tuple(values)

    def stop(self):
        """Stop both motors per ``stop_mode`` (brake: 0.0, coast: None)."""
        self.set_throttles(0.0, 0.0)

    def release(self):
        """Turn both motors off (``throttle = None``); tries both even if one transfer fails.

        Raises:
            OSError: the first I2C error, after both motors were attempted.

        """
        error = None
        for motor in (self._left, self._right):
            try:
                motor.throttle = None
            except OSError as exc:
                error = error or exc
        self.throttles = (None, None)
        if error is not None:
            raise error

    def close(self):
        """Release the motors; the backend must not be used afterwards."""
        self.release()
