"""The REAL Adafruit drivers on the fake sensors: readings, REP 117 conversion, failures."""
import math

import adafruit_vl53l0x
import adafruit_vl6180x
from kropbot_range.fake_tof import FakeTofBus, FakeVL6180X, Scene
from kropbot_range.hardware import (
    HardwareSensors,
    SensorError,
    VL53L0XSensor,
    VL6180XSensor,
    open_bus,
    open_sensor,
)
from kropbot_range.models import vl53l0x_range, vl6180x_range
import pytest


@pytest.fixture
def scene():
    return Scene()


def bus_with(scene, *sensors):
    return FakeTofBus.for_sensors(sensors, scene)


def test_vl6180x_driver_reads_the_scene_distance(scene):
    bus = bus_with(scene, ('cliff', 'vl6180x', 0x29))
    scene.set('cliff', 0.031)
    sensor = adafruit_vl6180x.VL6180X(bus)
    assert sensor.range == 31 and sensor.range_status == adafruit_vl6180x.ERROR_NONE
    scene.set('cliff', None)                          # over the stairwell: no return
    assert sensor.range == 255 and sensor.range_status == adafruit_vl6180x.ERROR_NOCONVERGE
    sensor.offset = -5                               # the part-to-part offset register applies
    scene.set('cliff', 0.031)
    assert sensor.range == 26
    assert bus.devices[0x29].measurements == 3


def test_vl6180x_continuous_mode_and_history(scene):
    bus = bus_with(scene, ('cliff', 'vl6180x', 0x29))
    sensor = adafruit_vl6180x.VL6180X(bus)
    sensor.start_range_continuous(20)
    assert sensor.continuous_mode_enabled
    scene.set('cliff', 0.05)
    assert sensor.range == 50 and sensor.range_from_history == 50
    sensor.stop_range_continuous()
    assert not sensor.continuous_mode_enabled


def test_vl53l0x_driver_initialises_and_reads(scene):
    bus = bus_with(scene, ('front', 'vl53l0x', 0x29))
    scene.set('front', 0.42)
    sensor = adafruit_vl53l0x.VL53L0X(bus, io_timeout_s=0.5)
    assert sensor.range == 420
    assert 20000 <= sensor.measurement_timing_budget <= 50000    # the init's register values
    sensor.start_continuous()
    scene.set('front', 0.8)
    assert sensor.data_ready and sensor.range == 800
    scene.set('front', None)
    assert sensor.range == 8190                                   # out of range
    sensor.stop_continuous()
    assert not sensor.is_continuous_mode


def test_wrong_chip_or_missing_chip_is_a_clear_error(scene):
    bus = bus_with(scene, ('front', 'vl53l0x', 0x29))
    with pytest.raises(SensorError, match='vl6180x at I2C address 0x29'):
        open_sensor(bus, 'vl6180x', 0x29, 0.005, 0.2)             # a VL53L0X answers there
    with pytest.raises(SensorError, match='0x30'):
        open_sensor(bus, 'vl53l0x', 0x30, 0.03, 1.2)               # nothing at 0x30


@pytest.mark.parametrize('mm,status,expected', [
    (31, 0, 0.031), (255, 7, math.inf), (255, 6, math.inf), (255, 15, math.inf),
    (0, 14, -math.inf), (0, 12, -math.inf), (40, 11, math.nan), (40, 1, math.nan),
    (3, 0, -math.inf), (250, 0, math.inf)])
def test_vl6180x_rep117(mm, status, expected):
    got = vl6180x_range(mm, status, 0.005, 0.2)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_vl53l0x_rep117():
    assert vl53l0x_range(8190, 0.03, 1.2) == math.inf
    assert vl53l0x_range(8191, 0.03, 1.2) == math.inf
    assert vl53l0x_range(1500, 0.03, 1.2) == math.inf
    assert vl53l0x_range(20, 0.03, 1.2) == -math.inf
    assert vl53l0x_range(420, 0.03, 1.2) == pytest.approx(0.42)


def test_readers_give_rep117_ranges_and_vl53l0x_does_not_block(scene):
    bus = bus_with(scene, ('cliff', 'vl6180x', 0x29), ('front', 'vl53l0x', 0x30))
    cliff = VL6180XSensor(bus, 0x29, 0.005, 0.2)
    front = VL53L0XSensor(bus, 0x30, 0.03, 1.2)
    scene.set('cliff', 0.03)
    scene.set('front', 0.5)
    assert cliff.read() == pytest.approx(0.03) and front.read() == pytest.approx(0.5)
    scene.set('cliff', None)
    scene.set('front', 1.9)
    assert cliff.read() == math.inf and front.read() == math.inf
    scene.set('cliff', 0.03, status=11)                  # too much ambient light
    assert math.isnan(cliff.read())
    front.close()


def test_unplugged_sensor_stops_readings_and_comes_back(scene):
    bus = bus_with(scene, ('cliff', 'vl6180x', 0x29), ('front', 'vl53l0x', 0x30))
    sensors = {'cliff': dict(model='vl6180x', i2c_address=0x29, min_range=0.005, max_range=0.2),
               'front': dict(model='vl53l0x', i2c_address=0x30, min_range=0.03, max_range=1.2)}
    hw = HardwareSensors(bus, sensors, retry_period=1.0)
    scene.set('cliff', 0.03)
    scene.set('front', 0.6)
    readings, failures = hw.read(0.0)
    assert readings == {'cliff': pytest.approx(0.03), 'front': pytest.approx(0.6)}
    assert not failures
    scene.set('cliff', 0.03, fail=True)                   # unplugged
    readings, failures = hw.read(0.1)
    assert 'cliff' not in readings and failures[0][0] == 'cliff'
    assert 'EREMOTEIO' in failures[0][1] or 'Errno 121' in failures[0][1]
    assert not hw.working('cliff') and hw.errors['cliff'] == 1
    scene.set('cliff', 0.03)                              # plugged back in (power-on state)
    bus.devices[0x29] = FakeVL6180X(scene, 'cliff')
    assert 'cliff' not in hw.read(0.5)[0]                 # waits for the retry period
    assert hw.read(1.2)[0]['cliff'] == pytest.approx(0.03)
    hw.close()


def test_scene_file_is_reread_when_it_changes(tmp_path):
    path = tmp_path / 'scene.json'
    bus = open_bus(f'fake:{path}', [('cliff', 'vl6180x', 0x29)])
    sensor = VL6180XSensor(bus, 0x29, 0.005, 0.2)
    assert sensor.read() == math.inf                      # no file: no target
    Scene.write(path, {'cliff': {'distance': 0.04}})
    assert sensor.read() == pytest.approx(0.04)
    Scene.write(path, {'cliff': {'distance': 0.04, 'fail': True}})
    with pytest.raises(OSError):
        sensor.read()


def test_bad_bus_specs():
    with pytest.raises(SensorError, match='i2c_bus must be'):
        open_bus('/dev/i2c-1', [])
    with pytest.raises(SensorError, match='two sensors'):
        open_bus('fake:/tmp/x.json', [('cliff', 'vl6180x', 0x29), ('front', 'vl53l0x', 0x29)])
