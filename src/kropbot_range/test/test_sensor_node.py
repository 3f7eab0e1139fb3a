"""The range_sensors node over real DDS: fake sensors (real Adafruit drivers) and the sim."""
import math
from pathlib import Path

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import PoseWithCovarianceStamped
from kropbot_common.params import ParameterError, readme_table_errors
from kropbot_range.fake_tof import Scene
from kropbot_range.params import PARAMETERS, check_config
from kropbot_testing.processes import ROBOT_YAML
import pytest
from sensor_msgs.msg import Range

README = Path(__file__).resolve().parents[1] / 'README.md'
DEFAULTS = {p.name: p.default for p in PARAMETERS}


def test_readme_table_matches_the_schema():
    assert readme_table_errors(README.read_text(), PARAMETERS) == []


@pytest.mark.parametrize('changes,fragment', [
    ({'cliff.min_range': 0.3}, 'less than'),
    ({'front.max_range': 3.0}, 'outside what a vl53l0x measures'),
    ({'cliff.frame_id': '1bad'}, 'frame id'),
    ({}, 'both at I2C address 0x29'),
    ({'front.model': 'none', 'i2c_bus': '/dev/i2c-1'}, 'i2c_bus'),
])
def test_config_rules(changes, fragment):
    with pytest.raises(ParameterError, match=fragment):
        check_config({**DEFAULTS, **changes})


def test_config_fitted_sensors():
    sensors = check_config({**DEFAULTS, 'front.model': 'none'})
    assert list(sensors) == ['cliff'] and sensors['cliff']['model'] == 'vl6180x'
    assert set(check_config({**DEFAULTS, 'backend': 'sim'})) == {'cliff', 'front'}


def _latest(collected):
    return collected[-1][1] if collected else None


@pytest.mark.dds
def test_fake_hardware_node_publishes_rep117_ranges_and_goes_silent_when_unplugged(
        ros, start_node, wait_for, tmp_path):
    scene = tmp_path / 'scene.json'
    Scene.write(scene, {'cliff': {'distance': 0.031}, 'front': {'distance': 0.55}})
    cliff = ros.collect(Range, 'cliff/range')
    front = ros.collect(Range, 'front/range')
    diag = ros.collect(DiagnosticArray, 'diagnostics')
    start_node('kropbot_range', 'range_sensors', 'range_sensors', params_files=(ROBOT_YAML,),
               params={'i2c_bus': f'fake:{scene}', 'front.model': 'vl53l0x',
                       'front.i2c_address': 0x30, 'retry_period': 0.5})
    wait_for(lambda: cliff and front, 20, message='both ranges')
    msg = _latest(cliff)
    assert msg.range == pytest.approx(0.031) and msg.header.frame_id == 'cliff_sensor_link'
    assert msg.radiation_type == Range.INFRARED
    assert (msg.min_range, msg.max_range) == pytest.approx((0.005, 0.2))
    assert msg.field_of_view == pytest.approx(math.radians(25), abs=1e-3)
    assert _latest(front).range == pytest.approx(0.55)
    assert _latest(front).header.frame_id == 'front_sensor_link'

    Scene.write(scene, {'cliff': {'distance': None}, 'front': {'distance': None}})
    wait_for(lambda: _latest(cliff).range == math.inf and _latest(front).range == math.inf, 5,
             message='+inf (no return) from both')
    Scene.write(scene, {'cliff': {'distance': 0.03, 'status': 11}, 'front': {}})
    wait_for(lambda: math.isnan(_latest(cliff).range), 5, message='NaN for an erroneous one')

    Scene.write(scene, {'cliff': {'distance': 0.03, 'fail': True}, 'front': {}})
    wait_for(lambda: any(s.level == DiagnosticStatus.ERROR and s.name.endswith('cliff/range')
                         for _, a in diag[-2:] for s in a.status), 5,
             message='diagnostics ERROR for the unplugged cliff sensor')
    count = len(cliff)
    wait_for(lambda: len(front) > 10, 5, message='front keeps publishing')
    assert len(cliff) <= count + 1          # nothing from the unplugged sensor

    Scene.write(scene, {'cliff': {'distance': 0.04}, 'front': {}})   # plugged back in
    wait_for(lambda: len(cliff) > count + 1 and _latest(cliff).range == pytest.approx(0.04), 10,
             message='the cliff sensor reopened')


def _pose(x, y, yaw):
    msg = PoseWithCovarianceStamped()
    msg.header.frame_id = 'odom'
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    msg.pose.pose.orientation.z = math.sin(yaw / 2)
    msg.pose.pose.orientation.w = math.cos(yaw / 2)
    return msg


@pytest.mark.dds
def test_sim_backend_sees_the_floor_the_stairwell_and_walls(ros, start_node, wait_for):
    cliff = ros.collect(Range, 'cliff/range')
    front = ros.collect(Range, 'front/range')
    set_pose = ros.node.create_publisher(PoseWithCovarianceStamped, 'sim/set_pose', 10)
    start_node('kropbot_driver', 'driver_node', 'driver')
    start_node('kropbot_range', 'range_sensors', 'range_sensors')   # robot.yaml + sim.yaml
    wait_for(lambda: cliff and front, 20, message='sim ranges')
    assert _latest(cliff).range == pytest.approx(0.03)   # the floor, 3 cm below
    assert _latest(front).range == math.inf              # the far wall is beyond 1.2 m

    def at(x, y, yaw, check):
        set_pose.publish(_pose(x, y, yaw))
        return check()
    # facing the stairwell, the sensor's spot 3 cm inside it (the centre 5 cm outside)
    wait_for(lambda: at(0.65, 0.95, 0.0, lambda: _latest(cliff).range == math.inf), 10,
             period=0.1, message='no floor (+inf) over the stairwell')
    # facing the east wall at x = 2: 2 - 1.5 - 0.08 = 0.42 m from the sensor
    wait_for(lambda: at(1.5, -1.7, 0.0, lambda: _latest(front).range == pytest.approx(
        0.42, abs=0.005) and _latest(cliff).range == pytest.approx(0.03)), 10, period=0.1,
        message='the wall 0.42 m ahead')
