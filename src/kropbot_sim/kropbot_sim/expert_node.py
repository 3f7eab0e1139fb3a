"""ROS 2 node ``expert``: the scripted expert drives the sim robot from its true pose.

Subscribes ``odom`` (nav_msgs/Odometry: the sim backend publishes the true pose there) and
publishes ``teleop/cmd_vel`` (geometry_msgs/Twist) at ``rate``: the operator override of the
vote node, so the expert's commands reach the driver through the same chain as everyone's
(vote node → ``cmd_vel`` → driver, and any guard in between) and a recording of ``cmd_vel`` holds
them as labels. Run it without the vote node with ``-r teleop/cmd_vel:=cmd_vel``. The policy is
:func:`kropbot_sim.expert.expert_policy` (``policy: wander``) or
:func:`kropbot_sim.teacher.teacher_policy` (``policy: camera``); this module only wires it
(parameters in :mod:`kropbot_sim.params`, QoS in :mod:`kropbot_sim.qos`).
"""

import math
import time

from geometry_msgs.msg import Twist
from kropbot_common.errors import StartupError
from kropbot_common.freshness import is_fresh
from kropbot_common.ros import declare_parameters, run_node
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.node import Node

from kropbot_sim.expert import ExpertParams, make_expert
from kropbot_sim.kinematics import Pose2D, yaw_from_quaternion
from kropbot_sim.params import PARAMETERS
from kropbot_sim.qos import ODOM_QOS, TELEOP_QOS
from kropbot_sim.teacher import TeacherParams, make_teacher
from kropbot_sim.world import WorldError, world_from_parameter


class ExpertNode(Node):
    """Publishes the expert's command for the newest ``odom`` pose at ``rate``.

    Raises:
        ParameterError: a parameter is invalid.
        StartupError: the world file cannot be loaded.

    """

    def __init__(self, **kwargs):
        super().__init__('expert', **kwargs)
        try:
            cfg = declare_parameters(self, PARAMETERS)
            try:
                self.world = world_from_parameter(cfg['sim_world'], cfg['sim_arena_size'])
            except WorldError as exc:
                raise StartupError(str(exc)) from None
        except BaseException:
            self.destroy_node()
            raise
        self.cfg = cfg
        if cfg['policy'] == 'camera':
            self._policy = make_teacher(TeacherParams(max_linear=cfg['max_linear'],
                                                      max_angular=cfg['max_angular']))
        else:
            self._policy = make_expert(ExpertParams(max_linear=cfg['max_linear'],
                                                    max_angular=cfg['max_angular'],
                                                    noise=cfg['noise']))
        self._rng = np.random.default_rng(cfg['seed'])
        self._pose = None
        self._pose_time = None
        self._warned_stale = False
        self.create_subscription(Odometry, 'odom', self._on_odom, ODOM_QOS)
        self._pub = self.create_publisher(Twist, 'teleop/cmd_vel', TELEOP_QOS)
        self.create_timer(1.0 / cfg['rate'], self._tick)
        self.get_logger().info(
            f'expert ({cfg["policy"]}) driving in {self.world.name!r} at {cfg["rate"]:g} Hz, '
            f'up to {cfg["max_linear"]:g} m/s, {cfg["max_angular"]:g} rad/s -> teleop/cmd_vel')

    def _on_odom(self, msg):
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        yaw = yaw_from_quaternion(q.x, q.y, q.z, q.w)
        if all(math.isfinite(v) for v in (p.x, p.y, yaw)):
            self._pose = Pose2D(p.x, p.y, yaw)
            self._pose_time = time.monotonic()

    def _tick(self):
        if not is_fresh(self._pose_time, time.monotonic(), self.cfg['odom_timeout']):
            if self._pose_time is not None and not self._warned_stale:
                self.get_logger().warning('odom is stale: not driving')
            self._warned_stale = self._pose_time is not None
            return
        self._warned_stale = False
        v, w = self._policy(self._pose, self.world, self._rng)
        msg = Twist()
        msg.linear.x, msg.angular.z = float(v), float(w)
        self._pub.publish(msg)


def main(args=None):
    """Run the expert node until SIGINT/SIGTERM; exit code 1 on a start-up error."""
    return run_node(ExpertNode, args, name='expert')


if __name__ == '__main__':
    raise SystemExit(main())
