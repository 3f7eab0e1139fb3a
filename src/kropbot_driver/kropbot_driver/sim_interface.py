"""The driver's ROS interface to its sim backend: pose reset and incident logs (thin wiring).

Around :class:`kropbot_driver.sim_backend.SimBackend` (relative names):

- service ``sim/reset`` (``std_srvs/srv/Trigger``): put the robot back on its start pose
  (``sim_start``), standing and not fallen; the response message says where;
- topic ``sim/set_pose`` (``geometry_msgs/msg/PoseWithCovarianceStamped``, the type of rviz2's
  "2D Pose Estimate": ``-r initialpose:=sim/set_pose`` on rviz2's side): put the robot on any
  free pose of the world (a pose in a wall, box or pit, in another frame or not finite is
  refused with a warning; :func:`kropbot_driver.messages.pose_from_set_pose` reads it);
- one log line per collision or fall.

The sim's ``diagnostics`` keys (``sim_world``, ``collisions``, ``falls``, ``fallen``,
``in_contact``, ``pose``; WARN while fallen) are built by
:func:`kropbot_driver.messages.motor_status`; QoS is :mod:`kropbot_driver.qos`'s.
"""

from geometry_msgs.msg import PoseWithCovarianceStamped
from std_srvs.srv import Trigger

from kropbot_driver.messages import pose_from_set_pose
from kropbot_driver.qos import SIM_SET_POSE_QOS


class SimInterface:
    """Creates the sim service/topic on ``node`` and logs ``backend``'s incidents.

    Args:
        node: the driver node (an ``rclpy.node.Node``).
        backend: its :class:`~kropbot_driver.sim_backend.SimBackend`.
        frame_id: the odom frame id; ``sim/set_pose`` poses must be in it (or have '').

    """

    def __init__(self, node, backend, frame_id):
        self._backend = backend
        self._frame_id = frame_id
        self._logger = node.get_logger()
        self._seen = (backend.state.collisions, backend.state.falls)
        self._service = node.create_service(Trigger, 'sim/reset', self._on_reset)
        self._sub = node.create_subscription(PoseWithCovarianceStamped, 'sim/set_pose',
                                             self._on_set_pose, SIM_SET_POSE_QOS)
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
        pose, error = pose_from_set_pose(msg, self._frame_id)
        if pose is not None:
            try:
                self._backend.reset(pose)
            except ValueError as exc:
                error = str(exc)
        if error:
            self._logger.warning(f'sim/set_pose ignored: {error}')
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
