"""The guard node over real DDS: cmd_vel in, cmd_vel_safe out, guard/state and diagnostics."""
import math
from pathlib import Path
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import Twist
from kropbot_common.params import readme_table_errors
from kropbot_guard.params import PARAMETERS, config_from_values
from kropbot_testing.processes import ROBOT_YAML, SIM_YAML
import pytest
from sensor_msgs.msg import Range
from std_msgs.msg import String

README = Path(__file__).resolve().parents[1] / 'README.md'


def twist(v, w=0.0):
    msg = Twist()
    msg.linear.x, msg.angular.z = float(v), float(w)
    return msg


def reading(value):
    msg = Range()
    msg.radiation_type = Range.INFRARED
    msg.range = float(value)
    return msg


class Rig:
    """Test-side publishers of cmd_vel and the two ranges, collectors of the guard's outputs."""

    def __init__(self, ros):
        node = ros.node
        self.cmd = node.create_publisher(Twist, 'cmd_vel', 10)
        self.cliff = node.create_publisher(Range, 'cliff/range', 5)
        self.front = node.create_publisher(Range, 'front/range', 5)
        self.safe = ros.collect(Twist, 'cmd_vel_safe')
        self.state = ros.collect(String, 'guard/state')
        self.diag = ros.collect(DiagnosticArray, 'diagnostics')

    def ranges(self, cliff, front=math.inf):
        self.cliff.publish(reading(cliff))
        self.front.publish(reading(front))

    def drive(self, v, w=0.0, cliff=0.03, front=math.inf):
        """Send fresh readings and one command (then poll :meth:`last`); return True."""
        self.ranges(cliff, front)
        self.cmd.publish(twist(v, w))
        return True

    def last(self):
        return (self.safe[-1][1].linear.x, self.safe[-1][1].angular.z) if self.safe else None

    def state_text(self):
        return self.state[-1][1].data if self.state else None


@pytest.fixture
def rig(ros):
    return Rig(ros)


def test_readme_table_matches_the_schema():
    assert readme_table_errors(README.read_text(), PARAMETERS) == []


def test_parameter_cross_rules():
    values = {p.name: p.default for p in PARAMETERS}
    assert config_from_values(values).cliff_mode == 'enforce'
    from kropbot_common.params import ParameterError
    with pytest.raises(ParameterError, match='slow_distance'):
        config_from_values({**values, 'slow_distance': 0.05})


@pytest.mark.dds
def test_guard_passes_clear_commands_refuses_the_edge_at_once_and_lets_the_crowd_back_off(
        rig, start_node, wait_for):
    start_node('kropbot_guard', 'guard_node', 'guard')
    wait_for(lambda: rig.drive(0.2, 0.3) and rig.last() == pytest.approx((0.2, 0.3)), 15,
             period=0.05, message='a clear forward command passed through')
    assert rig.state_text() == 'clear'
    # the floor disappears: the guard republishes a stop at once, without a new cmd_vel
    rig.cmd.publish(twist(0.2, 0.3))
    time.sleep(0.1)
    count = len(rig.safe)
    rig.ranges(math.inf)
    wait_for(lambda: len(rig.safe) > count and rig.last() == (0.0, 0.3), 2, period=0.01,
             message='an immediate stop on the cliff reading')
    wait_for(lambda: rig.state_text() == 'cliff', 2, message="guard/state 'cliff'")
    # reversing and turning in place still pass at the edge
    wait_for(lambda: rig.drive(-0.2, 0.0, cliff=math.inf) and rig.last() == (-0.2, 0.0), 5,
             period=0.05, message='reversing allowed at the edge')
    wait_for(lambda: rig.drive(0.0, 1.0, cliff=math.inf) and rig.last() == (0.0, 1.0), 5,
             period=0.05, message='turning in place allowed at the edge')
    # back on the floor, forward stays refused (the cliff latch) until the robot backed off
    assert rig.drive(0.2) and wait_for(lambda: rig.last() == (0.0, 0.0), 5, period=0.05,
                                       message='latched: forward still refused on floor')
    for _ in range(5):                       # 5 x 0.1 s at -0.2 m/s: 10 cm back
        rig.drive(-0.2)
        time.sleep(0.1)
    wait_for(lambda: rig.drive(0.2) and rig.last() == (0.2, 0.0), 5, period=0.05,
             message='forward again after backing off')
    # an obstacle halfway in the slow-down zone halves forward speed; NaN and clamp
    wait_for(lambda: rig.drive(0.2, front=0.25) and rig.last()[0] == pytest.approx(0.1), 5,
             period=0.05, message='slowed to half speed by an obstacle at 0.25 m')
    assert rig.state_text() == 'obstacle'
    wait_for(lambda: rig.drive(math.nan, 0.5) and rig.last() == (0.0, 0.0), 5, period=0.05,
             message='non-finite command stopped')
    wait_for(lambda: rig.drive(9.0, -9.0) and rig.last() == (0.3, -1.5), 5, period=0.05,
             message='clamped')


@pytest.mark.dds
def test_stale_readings_stop_forward_motion_within_the_timeout(rig, start_node, wait_for):
    start_node('kropbot_guard', 'guard_node', 'guard')
    wait_for(lambda: rig.drive(0.2) and rig.last() == (0.2, 0.0), 15, period=0.05,
             message='forward passes with fresh readings')
    # the sensors fall silent while the crowd keeps commanding forward
    silent_at = time.monotonic()
    stopped = None
    while time.monotonic() - silent_at < 3.0:
        rig.cmd.publish(twist(0.2))
        time.sleep(0.05)
        if rig.last() == (0.0, 0.0):
            stopped = next(t for t, m in reversed(rig.safe) if m.linear.x == 0.0)
            break
    assert stopped is not None, 'forward motion never refused'
    # reading_timeout 0.25 s; allow one 10 Hz command period and scheduling slack
    assert stopped - silent_at < 0.25 + 0.1 + 0.25
    wait_for(lambda: rig.state_text() == 'stale', 2, message="guard/state 'stale'")

    def stale_error():
        for _, arr in rig.diag:
            for status in arr.status:
                if status.hardware_id == 'guard' and status.level == DiagnosticStatus.ERROR:
                    return 'no fresh reading' in status.message
        return False
    wait_for(stale_error, 5, message='diagnostics ERROR for the stale sensors')


@pytest.mark.dds
def test_front_warn_mode_needs_no_forward_sensor(rig, start_node, wait_for):
    """robot.yaml (the documented robot: cliff sensor only) drives on cliff readings alone."""
    start_node('kropbot_guard', 'guard_node', 'guard', params_files=(ROBOT_YAML,))

    def forward_with_cliff_only():
        rig.cliff.publish(reading(0.03))
        rig.cmd.publish(twist(0.2))
        return rig.last() == (0.2, 0.0)
    wait_for(forward_with_cliff_only, 15, period=0.05, message='forward without front/range')
    assert rig.state_text() == 'clear'


@pytest.mark.dds
def test_maintenance_bypass_is_loud_and_lets_everything_through(rig, start_node, wait_for):
    proc = start_node('kropbot_guard', 'guard_node', 'guard',
                      params_files=(ROBOT_YAML, SIM_YAML), params={'maintenance_bypass': True})
    wait_for(lambda: rig.drive(0.2, cliff=math.inf) and rig.last() == (0.2, 0.0), 15,
             period=0.05, message='forward over the edge with the bypass on')
    assert 'MAINTENANCE BYPASS IS ON' in proc.log()

    def bypass_reported():
        return any(s.hardware_id == 'guard' and s.level == DiagnosticStatus.ERROR
                   and 'BYPASS' in s.message for _, arr in rig.diag for s in arr.status)
    wait_for(bypass_reported, 5, message='diagnostics ERROR for the bypass')


@pytest.mark.dds
def test_bad_parameter_exits_with_one_fatal_line(start_node, wait_for):
    proc = start_node('kropbot_guard', 'guard_node', 'guard',
                      params={'stop_distance': 0.5, 'slow_distance': 0.4})
    wait_for(lambda: not proc.alive(), 15, message='exit')
    assert proc.proc.returncode == 1
    assert 'cannot start' in proc.log() and 'slow_distance' in proc.log()
