"""The driver's ROS interface to its sim backend: pose reset, diagnostics keys, incident logs.

Thin wiring around :class:`kropbot_driver.sim_backend.SimBackend` (relative names):

- service ``sim/reset`` (``std_srvs/srv/Trigger``): put the robot back on its start pose
  (``sim_start``), standing and not fallen; the response message says where;
- topic ``sim/set_pose`` (``geometry_msgs/msg/PoseWithCovarianceStamped``, the type of rviz2's
  "2D Pose Estimate": ``-r initialpose:=sim/set_pose`` on rviz2's side): put the robot on any
  free pose of the world (a pose in a wall, box or pit is refused with a warning);
- keys for the driver's ``diagnostics``: ``sim_world``, ``collisions`` and ``falls`` (counts
  since start), ``fallen``, ``in_contact``, ``pose``; and the status level: WARN while fallen.
"""

from diagnostic_msgs.msg import DiagnosticStatus
from geometry_msgs.msg import PoseWithCovarianceStamped
from kropbot_sim.kinematics import Pose2D, yaw_from_quaternion
from rclpy.qos import QoSProfile
from std_srvs.srv import Trigger

#: RELIABLE, VOLATILE, KEEP_LAST 10 (the shared QoS of command topics).
QOS = QoSProfile(depth=10)


class SimInterface:
    """Creates the sim service/topic on ``node`` and reports on ``backend``.

    Args:
        node: the driver node (an ``rclpy.node.Node``).
        backend: its :class:`~kropbot_driver.sim_backend.SimBackend`.
        frame_id: the odom frame id; ``sim/set_pose`` poses must be in it (or have '').

    """

    def __init__(self, node, backend, frame_id):
        self._node = node
        self._backend = backend
        self._frame_id = frame_id
        self._logger = node.get_logger()
        self._seen = (backend.state.collisions, backend.state.falls)
        node.create_service(Trigger, 'sim/reset', self._on_reset)
        node.create_subscription(PoseWithCovarianceStamped, 'sim/set_pose', self._on_set_pose,
                                 QOS)
        world = backend.world
        self._logger.info(
            f'sim world {world.name!r} ({world.source or "built in"}): '
            f'{world.size[0]:g} x {world.size[1]:g} m, {len(world.boxes)} box(es), '
            f'{len(world.pits)} pit(s); start {backend.start}')

    def _on_reset(self, request, response):
        pose = self._backend.reset()
        state = self._backend.state
        response.success = True
        response.message = (f'reset to ({pose.x:g}, {pose.y:g}, yaw {pose.yaw:g}); '
                            f'{state.falls} fall(s), {state.collisions} collision(s) since start')
        self._logger.info(f'sim/reset: {response.message}')
        return response

    def _on_set_pose(self, msg):
        if msg.header.frame_id not in ('', self._frame_id):
            self._logger.warning(f'sim/set_pose ignored: frame_id {msg.header.frame_id!r} is '
                                 f'not {self._frame_id!r}')
            return
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        pose = Pose2D(p.x, p.y, yaw_from_quaternion(q.x, q.y, q.z, q.w))
        try:
            self._backend.reset(pose)
        except ValueError as exc:
            self._logger.warning(f'sim/set_pose ignored: {exc}')
            return
        self._logger.info(f'sim/set_pose: robot put at ({pose.x:g}, {pose.y:g}, '
                          f'yaw {pose.yaw:g})')

    def after_step(self):
        """Log new incidents after a simulation step (one line per collision or fall)."""
        state = self._backend.state
        collisions, falls = self._seen
        if state.falls > falls:
            pit = self._backend.world.geometry.pit_at(state.pose.x, state.pose.y)
            name = self._backend.world.pits[pit].name if pit is not None else 'a pit'
            self._logger.warning(
                f'the robot fell into {name!r} at ({state.pose.x:.2f}, {state.pose.y:.2f}) '
                f'(fall {state.falls} since start): stopped until sim/reset')
        elif state.collisions > collisions:
            self._logger.info(f'collision at ({state.pose.x:.2f}, {state.pose.y:.2f}) '
                              f'(collision {state.collisions} since start)')
        self._seen = (state.collisions, state.falls)

    def diagnose(self, status, pairs):
        """Add the sim's keys to ``pairs`` (dict) and raise ``status`` to WARN while fallen."""
        state = self._backend.state
        pose = state.pose
        pairs.update({
            'sim_world': self._backend.world.name,
            'collisions': str(state.collisions),
            'falls': str(state.falls),
            'fallen': 'true' if state.fallen else 'false',
            'in_contact': 'true' if state.in_contact else 'false',
            'pose': f'{pose.x:.3f} {pose.y:.3f} {pose.yaw:.3f}',
        })
        if state.fallen and status.level < DiagnosticStatus.WARN:
            status.level = DiagnosticStatus.WARN
            status.message = 'fallen into a pit: stopped until sim/reset'
