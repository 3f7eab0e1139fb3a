"""The ``busio.I2C`` surface of the simulated I2C buses (ROS-free): one base for every fake chip.

``adafruit_bus_device.i2c_device.I2CDevice`` (under the real Adafruit drivers: MotorKit and
PCA9685, VL6180X, VL53L0X) uses ``try_lock``, ``unlock``, ``scan``, ``writeto``,
``readfrom_into`` and ``writeto_then_readfrom`` of the bus it is given. :class:`FakeI2CBus`
holds the bus lock, counts transactions and makes the combined write-then-read one transaction;
a subclass models its chips: ``writeto`` and ``readfrom_into`` (each starting with
:meth:`FakeI2CBus._start_transfer`), ``scan``, and, for a bus shared between processes,
:meth:`FakeI2CBus.transaction`. Used by :class:`kropbot_driver.fake_pca9685.FakePCA9685Bus`
and :class:`kropbot_range.fake_tof.FakeTofBus`.
"""

from contextlib import nullcontext
import errno


def no_ack(address):
    """Return the ``OSError`` (``EREMOTEIO``) of a transfer to an ``address`` that does not answer,
    as Linux's I2C adapters report it.
    """  # noqa: D205 - the errno does not fit the first line
    return OSError(errno.EREMOTEIO, f'no ACK from I2C address 0x{address:02x}')


class FakeI2CBus:
    """Base of the simulated buses: the bus lock and the transaction count.

    Attributes:
        transactions: transfers so far (``writeto``, ``readfrom_into``; a combined
            ``writeto_then_readfrom`` counts once).

    """

    def __init__(self):
        self.transactions = 0
        self._locked = False

    def try_lock(self):
        """Take the bus lock; return False if it is already held."""
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self):
        """Release the bus lock."""
        self._locked = False

    def transaction(self):
        """Context manager around one transaction (a subclass may lock across processes)."""
        return nullcontext()

    def writeto_then_readfrom(self, address, out_buffer, in_buffer, *, out_start=0,
                              out_end=None, in_start=0, in_end=None):
        """Write (the register pointer) then read back with a repeated start: one transaction."""
        with self.transaction():
            self.writeto(address, out_buffer, start=out_start, end=out_end)
            self.transactions -= 1  # one combined transaction
            self.readfrom_into(address, in_buffer, start=in_start, end=in_end)

    def deinit(self):
        """Release the bus (nothing to free here)."""

    def _check_locked(self):
        if not self._locked:
            raise RuntimeError('I2C bus used without try_lock()')

    def _start_transfer(self):
        """Start one transfer: the bus must be locked (as busio insists); count it.

        Raises:
            RuntimeError: the bus is not locked.

        """
        self._check_locked()
        self.transactions += 1
