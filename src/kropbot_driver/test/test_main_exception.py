"""main(): an unexpected exception in the control loop still releases the motors."""
from kropbot_driver.backends import MotorKitBackend
from kropbot_driver.fake_pca9685 import FakePCA9685Bus
import pytest

from kropbot_driver import driver_node

FULL = 0xFFFF


class ExplodingBackend(MotorKitBackend):
    def stop(self):
        raise RuntimeError('boom')


def test_exception_in_spin_releases_motors(monkeypatch):
    bus = FakePCA9685Bus(0x60)
    backend = ExplodingBackend(i2c=bus)
    backend.set_throttles(1.0, -1.0)
    assert bus.motor_duties(1) == (FULL, FULL, 0)
    real = driver_node.DriverNode
    monkeypatch.setattr(driver_node, 'DriverNode', lambda: real(backend=backend))
    with pytest.raises(RuntimeError, match='boom'):
        driver_node.main(args=['--ros-args', '-p', 'backend:=motorkit'])
    assert bus.motor_duties(1) == bus.motor_duties(2) == (FULL, 0, 0)
