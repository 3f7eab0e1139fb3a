"""The real DriverNode with the real MotorKit on the fake bus, driven over DDS."""
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
from kropbot_driver.backends import MotorKitBackend
from kropbot_driver.driver_node import DriverNode
from kropbot_driver.fake_pca9685 import FakePCA9685Bus
import pytest
from rclpy.parameter import Parameter

pytestmark = pytest.mark.dds
FULL = 0xFFFF
TIMEOUT = 0.5


def twist(v, w):
    msg = Twist()
    msg.linear.x, msg.angular.z = v, w
    return msg


@pytest.fixture
def rig(ros):
    """(bus, driver, publisher) with the driver spun by the harness executor."""
    made = []

    def build(stop_mode='brake', **params):
        bus = FakePCA9685Bus(0x60)
        overrides = [Parameter('stop_mode', value=stop_mode), Parameter('max_wheel_speed',
                     value=0.5), Parameter('cmd_vel_timeout', value=TIMEOUT)]
        overrides += [Parameter(k, value=v) for k, v in params.items()]
        driver = DriverNode(backend=MotorKitBackend(i2c=bus), context=ros.context,
                            parameter_overrides=overrides)
        made.append(driver)
        ros.executor.add_node(driver)
        pub = ros.node.create_publisher(Twist, 'cmd_vel', 10)
        return bus, driver, pub

    yield build
    for driver in made:
        if driver in ros.executor.get_nodes():
            ros.executor.remove_node(driver)
        driver.destroy_node()


def publish_until(pub, msg, predicate, wait_for, timeout=5.0):
    """Publish ``msg`` every 50 ms until ``predicate()`` holds; return the last publish time."""
    sent = []

    def step():
        sent.append(time.monotonic())
        pub.publish(msg)
        return predicate()
    wait_for(step, timeout, period=0.05, message='driver reaction')
    return sent[-1]


def diag(driver):
    return {kv.key: kv.value for kv in driver.diagnostics().values}


@pytest.mark.parametrize('mode,stop_pins', [('brake', (FULL, FULL)), ('coast', (0, 0))])
def test_drive_timeout_and_release(rig, ros, wait_for, mode, stop_pins):
    bus, driver, pub = rig(stop_mode=mode)
    last = publish_until(pub, twist(0.5, 0.0), lambda: bus.motor_duties(1) == (FULL, FULL, 0)
                         and bus.motor_duties(2) == (FULL, FULL, 0), wait_for)
    assert diag(driver)['timeouts'] == '0'
    wait_for(lambda: bus.motor_duties(1)[1:] == stop_pins
             and bus.motor_duties(2)[1:] == stop_pins, 3.0, period=0.005,
             message='stop after timeout')
    elapsed = time.monotonic() - last
    assert TIMEOUT - 0.05 <= elapsed <= TIMEOUT + 0.1
    assert diag(driver)['timeouts'] == '1'
    assert diag(driver)['throttle_left'] == ('0.0000' if mode == 'brake' else 'released')
    ros.executor.remove_node(driver)
    driver.destroy_node()
    assert bus.motor_duties(1) == bus.motor_duties(2) == (FULL, 0, 0)


def test_spin_left_and_trim(rig, wait_for):
    bus, driver, pub = rig(trim_right=0.5, invert_left=True)
    # w = 4 rad/s: wheels at -/+0.24 m/s -> throttles -0.48/+0.48; invert_left, trim_right 0.5
    publish_until(pub, twist(0.0, 4.0), lambda: bus.motor_duties(1)[1] > 0, wait_for)
    assert bus.motor_duties(1) == (FULL, int(0xFFFF * 0.48) >> 4 << 4, 0)
    assert bus.motor_duties(2) == (FULL, int(0xFFFF * 0.24) >> 4 << 4, 0)


def test_non_finite_stops_and_warns(rig, ros, wait_for):
    bus, driver, pub = rig()
    diags = ros.collect(DiagnosticArray, 'diagnostics')
    publish_until(pub, twist(0.5, 0.0), lambda: bus.motor_duties(1)[1] == FULL, wait_for)
    publish_until(pub, twist(float('nan'), 0.0),
                  lambda: bus.motor_duties(1)[1:] == (FULL, FULL), wait_for)
    publish_until(pub, twist(0.1, float('inf')), lambda: driver.control.rejected >= 2, wait_for)
    assert bus.motor_duties(2)[1:] == (FULL, FULL)
    wait_for(lambda: any(kv.key == 'rejected_nonfinite' and int(kv.value) >= 2
                         for _, m in diags for kv in m.status[0].values), 3.0,
             message='diagnostics with rejected count')
    publish_until(pub, twist(-0.5, 0.0), lambda: bus.motor_duties(1) == (FULL, 0, FULL),
                  wait_for)  # still alive and obeying


def test_runtime_parameter_validation(rig):
    bus, driver, pub = rig()
    results = driver.set_parameters([Parameter('stop_mode', value='banana')])
    assert not results[0].successful and 'brake, coast' in results[0].reason
    results = driver.set_parameters([Parameter('max_wheel_speed', value=5.0)])
    assert not results[0].successful                          # read-only safety limit
    assert driver.set_parameters([Parameter('stop_mode', value='coast')])[0].successful
    assert driver.cfg['stop_mode'] == 'coast' and driver.backend.stop_mode == 'coast'


def test_bad_parameter_never_touches_the_motors(ros):
    bus = FakePCA9685Bus(0x60)
    backend = MotorKitBackend(i2c=bus)
    before = bus.transactions
    with pytest.raises(ValueError, match='stop_mode'):
        DriverNode(backend=backend, context=ros.context,
                   parameter_overrides=[Parameter('stop_mode', value='banana')])
    assert bus.transactions == before
