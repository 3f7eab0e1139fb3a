"""ROS 2 node ``range_sensors``: the cliff and forward range sensors as ``sensor_msgs/Range``.

Thin wiring around :mod:`kropbot_range.hardware` (the real sensors through Adafruit's drivers,
or fakes on a fake bus) and :mod:`kropbot_range.sim_source` (readings from the sim world).
Publishes ``cliff/range`` and ``front/range`` (``sensor_msgs/msg/Range``, REP 117: ``+inf`` no
return, ``-inf`` too close, NaN erroneous; ``radiation_type`` INFRARED) at ``rate`` for each
fitted sensor, and ``diagnostics`` (1 Hz). The sim backend subscribes ``odom`` (the sim driver's
true pose) and publishes nothing before the first one.
"""

import math
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from kropbot_common.ros import declare_parameters, run_node
from kropbot_common.throttled_log import ThrottledLog
from kropbot_sim.kinematics import Pose2D, yaw_from_quaternion
from kropbot_sim.world import world_from_parameter
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import Range

from kropbot_range.hardware import HardwareSensors, SensorError, open_bus
from kropbot_range.params import PARAMETERS, check_config
from kropbot_range.qos import DIAGNOSTICS_QOS, ODOM_QOS, RANGE_QOS
from kropbot_range.sim_source import Mount, SimRanges


def range_message(settings, value, stamp):
    """Return the ``sensor_msgs/Range`` of one reading (m) for a sensor's ``settings``."""
    msg = Range()
    msg.header.stamp = stamp
    msg.header.frame_id = settings['frame_id']
    msg.radiation_type = Range.INFRARED
    msg.field_of_view = float(settings['field_of_view'])
    msg.min_range = float(settings['min_range'])
    msg.max_range = float(settings['max_range'])
    msg.range = float(value)
    return msg


class RangeSensorNode(Node):
    """The ``range_sensors`` node (see the module docstring).

    Args:
        node_name: node name (default ``range_sensors``, its section of robot.yaml).
        **kwargs: passed to ``rclpy.node.Node``.

    Raises:
        kropbot_common.params.ParameterError: a parameter is invalid.
        kropbot_common.errors.StartupError: a sensor, the bus or the sim world cannot be
            opened (the message says which and why).

    """

    def __init__(self, *, node_name='range_sensors', **kwargs):
        super().__init__(node_name, **kwargs)
        self._hardware = None
        self._pose = None
        values = declare_parameters(self, PARAMETERS)
        self._sensors = check_config(values)
        self._backend = values['backend']
        self._published = {role: 0 for role in self._sensors}
        self._last = {role: None for role in self._sensors}
        self._log = ThrottledLog(self.get_logger().error, 5.0)
        self._pubs = {role: self.create_publisher(Range, f'{role}/range', RANGE_QOS)
                      for role in self._sensors}
        self._diag_pub = self.create_publisher(DiagnosticArray, 'diagnostics', DIAGNOSTICS_QOS)
        if self._backend == 'sim':
            try:
                world = world_from_parameter(values['sim_world'], values['sim_arena_size'])
            except ValueError as exc:  # WorldError
                raise SensorError(str(exc)) from None
            mounts = {role: Mount(s['x'], s['height'], s['min_range'], s['max_range'],
                                  s['field_of_view'], s['noise_std'])
                      for role, s in self._sensors.items()}
            self._sim = SimRanges(world, mounts, values['seed'])
            self.create_subscription(Odometry, 'odom', self._on_odom, ODOM_QOS)
            source = f'sim world {world.name!r}'
        else:
            i2c = open_bus(values['i2c_bus'], [(role, s['model'], s['i2c_address'])
                                               for role, s in self._sensors.items()])
            self._hardware = HardwareSensors(i2c, self._sensors, values['retry_period'])
            source = f'I2C {values["i2c_bus"] or "board.I2C()"}'
        self.create_timer(1.0 / values['rate'], self._on_timer)
        self.create_timer(1.0, self._publish_diagnostics)
        fitted = ', '.join(f'{role}/range: {s["model"]} @0x{s["i2c_address"]:02x}'
                           if self._backend == 'hardware' else f'{role}/range'
                           for role, s in self._sensors.items()) or 'no sensor fitted'
        self.get_logger().info(f'range sensors ({self._backend}, {source}) at '
                               f'{values["rate"]} Hz: {fitted}')

    def _on_odom(self, msg):
        p = msg.pose.pose
        yaw = yaw_from_quaternion(p.orientation.x, p.orientation.y, p.orientation.z,
                                  p.orientation.w)
        if all(math.isfinite(v) for v in (p.position.x, p.position.y, yaw)):
            self._pose = Pose2D(p.position.x, p.position.y, yaw)

    def _on_timer(self):
        now = time.monotonic()
        if self._hardware is not None:
            readings, failures = self._hardware.read(now)
            for role, text in failures:
                self._log(role, f'{role} sensor failed: {text}; reopening every '
                                f'{self._hardware.retry_period} s (no {role}/range meanwhile)',
                          now)
        elif self._pose is not None:
            readings = self._sim.read(self._pose)
        else:
            return
        if not self.context.ok():
            return
        stamp = self.get_clock().now().to_msg()
        for role, value in readings.items():
            self._pubs[role].publish(range_message(self._sensors[role], value, stamp))
            self._published[role] += 1
            self._last[role] = value

    def _publish_diagnostics(self):
        if not self.context.ok():
            return
        msg = DiagnosticArray()
        msg.header.stamp = self.get_clock().now().to_msg()
        for role, s in self._sensors.items():
            working = self._hardware.working(role) if self._hardware else self._pose is not None
            error = self._hardware.last_error[role] if self._hardware else ''
            level = DiagnosticStatus.OK if working else DiagnosticStatus.ERROR
            message = ('reading' if working else
                       f'no reading: {error}' if error else 'no reading (no odom yet)')
            values = {'model': s['model'] if self._backend == 'hardware' else 'sim',
                      'published': str(self._published[role]), 'last_range': str(self._last[role]),
                      'errors': str(self._hardware.errors[role] if self._hardware else 0)}
            if self._backend == 'hardware':
                values['i2c_address'] = f'0x{s["i2c_address"]:02x}'
            msg.status.append(DiagnosticStatus(
                level=level, name=f'{self.get_name()}: {role}/range', message=message,
                hardware_id=s['frame_id'],
                values=[KeyValue(key=k, value=v) for k, v in values.items()]))
        self._diag_pub.publish(msg)

    def destroy_node(self):
        """Close the sensors (idempotent), then destroy the node."""
        if self._hardware is not None:
            self._hardware.close()
            self._hardware = None
        return super().destroy_node()


def main(args=None):
    """Run the range sensor node until SIGINT/SIGTERM; return 1 on a start-up error, else 0."""
    return run_node(RangeSensorNode, args, name='range_sensors')


if __name__ == '__main__':
    raise SystemExit(main())
