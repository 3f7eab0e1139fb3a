"""KropBot crowd gateway node: rosbridge v2 subset over WebSocket plus the web page, one port.

Thin ROS wiring: declares :data:`kropbot_gateway.config.PARAMETERS`, builds the
:class:`~kropbot_gateway.server.GatewayServer` on a :class:`~kropbot_gateway.ros_bridge.RosBridge`
and runs it in its own thread (:class:`~kropbot_gateway.server.ServerThread`). With parameter
``websocket`` false (launch ``bridge:=rosbridge``) it serves the page only. See doc/gateway.md.
"""

import os

from kropbot_common.errors import StartupError
from kropbot_common.ros import declare_parameters, run_node
from rclpy.node import Node

from kropbot_gateway.config import PARAMETERS, config_from_params
from kropbot_gateway.ros_bridge import RosBridge
from kropbot_gateway.server import GatewayServer, ServerThread, raise_fd_limit


def default_web_root():
    """Return ``<share of kropbot_bringup>/web`` or '' if that package is not installed."""
    try:
        from ament_index_python.packages import get_package_share_directory

        return os.path.join(get_package_share_directory('kropbot_bringup'), 'web')
    except (ImportError, LookupError, ValueError):
        return ''


class GatewayNode(Node):
    """The ``gateway`` node: declares parameters, starts the server thread, bridges topics.

    Raises:
        ParameterError: on an invalid parameter (from the parameter file or ``-p``).
        StartupError: when the port cannot be bound.

    """

    def __init__(self):
        super().__init__('gateway')
        values = declare_parameters(self, PARAMETERS)
        if not values['web_root']:
            values['web_root'] = default_web_root()
        config = config_from_params(values, self.get_namespace())
        log = self.get_logger()
        if not config.web_root or not os.path.isdir(config.web_root):
            log.warning(f'web page not found at {config.web_root!r}: GET / answers 404 '
                        '(build web/ and reinstall kropbot_bringup)')
            config.web_root = None
        self._check_fd_limit(config.max_connections)
        # Page only (websocket false): no vote publisher; stock rosbridge publishes the votes.
        # Operator command publishers exist only with operator access (auth_secret_file).
        on = config.websocket
        bridge = RosBridge(self, config.vote_topics() if on else (),
                           config.roles.teleop_topics() if on and config.verifier else (),
                           config.mode_vote_topics() if on else (),
                           config.vote_node if on else None)
        self.server = GatewayServer(config, bridge, log)
        self.thread = ServerThread(self.server)
        try:
            self.thread.start()
        except OSError as exc:
            self.thread.stop()
            raise StartupError(f'cannot listen on {config.address}:{config.port}: {exc}') \
                from None
        if config.verifier is not None:
            log.info(f'operator access on: {config.verifier!r}, bots {sorted(config.bot_names)}')
        log.info(f'KropBot crowd gateway on http://{config.address}:{self.server.port}/')
        if not config.websocket:
            log.warning(
                'websocket is false: this port serves the page only, and the page sends its '
                f'votes to the rosbridge server on port {config.rosbridge_port} with its own '
                "voter id. Stock rosbridge has none of the gateway's limits and cannot stop "
                'ballot stuffing: use this mode on a trusted network only.')

    def _check_fd_limit(self, max_connections):
        try:
            soft, needed = raise_fd_limit(max_connections)
        except (OSError, ValueError) as exc:
            self.get_logger().warning(
                f'cannot raise the file descriptor limit ({exc}): raise it (ulimit -n) or '
                'lower max_connections')
            return
        if soft < needed:
            self.get_logger().warning(
                f'file descriptor limit {soft} is below max_connections + reserve '
                f'({needed}): raise it (ulimit -n) or lower max_connections')

    def destroy_node(self):
        """Close all WebSockets and the listening socket, then destroy the node."""
        thread = getattr(self, 'thread', None)
        if thread is not None:
            thread.stop()
            if self.context.ok():  # after SIGINT/SIGTERM rosout is gone: nothing to log to
                self.get_logger().info(f'gateway stopped; stats: {self.server.stats}')
        return super().destroy_node()


def main(args=None):
    """Run the gateway until SIGINT/SIGTERM; exit 1 with one FATAL line if it cannot start."""
    return run_node(GatewayNode, args, name='gateway')


if __name__ == '__main__':
    raise SystemExit(main())
