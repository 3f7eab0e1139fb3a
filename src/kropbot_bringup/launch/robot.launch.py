"""Start the whole KropBot stack: camera, vote node, guard, range sensors, gateway and driver.

Usage (on a ROS 2 Jazzy/Kilted install, after ``colcon build``)::

    ros2 launch kropbot_bringup robot.launch.py                 # real robot (MotorHAT + camera)
    ros2 launch kropbot_bringup robot.launch.py sim:=true       # simulated drive and camera
    ros2 launch kropbot_bringup robot.launch.py sim:=true sim_view:=fpv   # first-person camera
    ros2 launch kropbot_bringup robot.launch.py bridge:=rosbridge video:=web_video_server
    ros2 launch kropbot_bringup robot.launch.py relay:=tcp/relay.example.org:7447  # + cloud relay

``bridge:=rosbridge`` runs stock rosbridge_suite on ``port`` and the gateway node with its
WebSocket off (``websocket: false``) on ``page_port``, serving only the page; the page then
connects to rosbridge and sends its own voter id. That mode allows ballot stuffing and has none
of the gateway's limits: LAN or trusted setups only (kropbot_gateway/doc/gateway.md).

``address`` defaults to 0.0.0.0 here (the robot serves browsers on its LAN), while the ROS-less
runner ``tools/run`` defaults to 127.0.0.1 (a development machine): set it explicitly either way.

Every node reads its parameters from ``params_file`` (default ``config/robot.yaml`` of this
package, keyed by node name); ``sim:=true`` overlays ``config/sim.yaml``, and
``sim_view:=fpv`` then ``config/sim_fpv.yaml`` (the camera on the simulated robot instead of the
top-down view; both draw ``config/sim_world.yaml``). Every node is respawned ``respawn_delay``
s after it dies (``respawn:=false`` turns that off). The ROS-less runner (``tools/run``:
supervisord, configured from the ``Procfile``) starts the same executables with the same
files; the test ``test_launch.py`` keeps the two in agreement.

Command chain (docs/SAFETY.md): vote node → ``cmd_vel`` → ``guard`` (cliff and obstacle guard,
reading ``cliff/range`` and ``front/range`` from ``range_sensors``) → ``cmd_vel_safe`` → driver,
whose ``cmd_vel`` subscription is remapped to ``cmd_vel_safe`` here (and in the Procfile), so
no command reaches the motors around the guard.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

# Topics the crowd may reach when stock rosbridge_suite is used instead of the KropBot gateway
# (bridge:=rosbridge). rosbridge cannot tell publish from subscribe nor give voters an identity:
# see docs in kropbot_gateway/doc/gateway.md.
ROSBRIDGE_TOPICS_GLOB = '[/crowd/vote, /crowd/status, /camera/image_raw/compressed]'
ROSBRIDGE_DENY_ALL_GLOB = '[/kropbot/none]'
# The driver takes its commands from the guard only (the Procfile's driver line has the same).
DRIVER_REMAPPINGS = [('cmd_vel', 'cmd_vel_safe')]


def _true(context, name):
    return LaunchConfiguration(name).perform(context).strip().lower() in ('1', 'true', 'yes', 'on')


def _launch_setup(context):
    share = FindPackageShare('kropbot_bringup')
    params = [LaunchConfiguration('params_file')]
    sim_view = LaunchConfiguration('sim_view').perform(context)
    if sim_view not in ('top', 'fpv'):
        raise ValueError(f"sim_view must be 'top' or 'fpv', got {sim_view!r}")
    if _true(context, 'sim'):
        params.append(PathJoinSubstitution([share, 'config', 'sim.yaml']))
        if sim_view == 'fpv':
            params.append(PathJoinSubstitution([share, 'config', 'sim_fpv.yaml']))
    port = int(LaunchConfiguration('port').perform(context))
    page_port = int(LaunchConfiguration('page_port').perform(context))
    address = LaunchConfiguration('address')
    bridge = LaunchConfiguration('bridge').perform(context)
    video = LaunchConfiguration('video').perform(context)
    if bridge not in ('kropbot', 'rosbridge'):
        raise ValueError(f"bridge must be 'kropbot' or 'rosbridge', got {bridge!r}")
    if video not in ('bridge', 'web_video_server'):
        raise ValueError(f"video must be 'bridge' or 'web_video_server', got {video!r}")
    respawn = _true(context, 'respawn')
    respawn_delay = float(LaunchConfiguration('respawn_delay').perform(context))
    if not respawn_delay >= 0.0:
        raise ValueError(f'respawn_delay must be >= 0 s, got {respawn_delay!r}')

    actions = [
        Node(package='kropbot_camera', executable='camera_node', name='camera',
             parameters=params, output='screen',
             respawn=respawn, respawn_delay=respawn_delay),
        Node(package='kropbot_vote', executable='vote_node', name='vote',
             parameters=params, output='screen',
             respawn=respawn, respawn_delay=respawn_delay),
        Node(package='kropbot_range', executable='range_sensors', name='range_sensors',
             parameters=params, output='screen',
             respawn=respawn, respawn_delay=respawn_delay),
        Node(package='kropbot_guard', executable='guard_node', name='guard',
             parameters=params, output='screen',
             respawn=respawn, respawn_delay=respawn_delay),
        Node(package='kropbot_driver', executable='driver_node', name='driver',
             parameters=params, output='screen', remappings=DRIVER_REMAPPINGS,
             respawn=respawn, respawn_delay=respawn_delay),
    ]
    if bridge == 'kropbot':
        actions.append(Node(
            package='kropbot_gateway', executable='gateway_node', name='gateway',
            parameters=params + [{'port': port, 'address': address}], output='screen',
            respawn=respawn, respawn_delay=respawn_delay))
    else:
        actions.append(Node(
            package='rosbridge_server', executable='rosbridge_websocket',
            name='rosbridge_websocket', output='screen',
            respawn=respawn, respawn_delay=respawn_delay,
            parameters=[{
                'port': port,
                'address': address,
                'topics_glob': ROSBRIDGE_TOPICS_GLOB,
                'services_glob': ROSBRIDGE_DENY_ALL_GLOB,
                'params_glob': ROSBRIDGE_DENY_ALL_GLOB,
            }]))
        # The page still comes from the gateway's static server (rosbridge serves no page):
        # WebSocket off, and /config.json tells the page to use rosbridge on `port`.
        actions.append(Node(
            package='kropbot_gateway', executable='gateway_node', name='gateway',
            parameters=params + [{'port': page_port, 'address': address, 'websocket': False,
                                  'rosbridge_port': port}], output='screen',
            respawn=respawn, respawn_delay=respawn_delay))
    relay = [e.strip() for e in LaunchConfiguration('relay').perform(context).split(',')
             if e.strip()]
    if relay:  # the relay tier (docs/DEPLOY.md): outbound link to a Zenoh router
        actions.append(Node(
            package='kropbot_relay', executable='relay_link', name='relay_link',
            parameters=params + [{'connect': relay}], output='screen',
            respawn=respawn, respawn_delay=respawn_delay))
    if video == 'web_video_server':
        actions.append(Node(
            package='web_video_server', executable='web_video_server', name='web_video_server',
            output='screen', respawn=respawn, respawn_delay=respawn_delay,
            parameters=[{'port': int(LaunchConfiguration('video_port').perform(context)),
                         'address': address}]))
    return actions


def generate_launch_description():
    """Return the KropBot LaunchDescription (arguments: sim, params_file, port, page_port, ...)."""
    default_params = PathJoinSubstitution(
        [FindPackageShare('kropbot_bringup'), 'config', 'robot.yaml'])
    return LaunchDescription([
        DeclareLaunchArgument(
            'sim', default_value='false',
            description='true: simulated drive (odom) and a camera drawing the simulated robot '
                        'instead of the MotorHAT and the camera device'),
        DeclareLaunchArgument(
            'sim_view', default_value='top',
            description="with sim:=true, what the camera shows: 'top' (the arena from above) or "
                        "'fpv' (what a camera on the simulated robot sees)"),
        DeclareLaunchArgument(
            'params_file', default_value=default_params,
            description='YAML file with the parameters of every node, keyed by node name'),
        DeclareLaunchArgument(
            'port', default_value='9090',
            description='TCP port of the crowd WebSocket (bridge:=kropbot: also the page; '
                        'bridge:=rosbridge: the rosbridge server)'),
        DeclareLaunchArgument(
            'page_port', default_value='8000',
            description='TCP port of the page when bridge:=rosbridge (served by the gateway '
                        'node with its WebSocket off); unused with bridge:=kropbot'),
        DeclareLaunchArgument(
            'address', default_value='0.0.0.0',
            description='address the page and the crowd WebSocket listen on (0.0.0.0: every '
                        'interface, for browsers on the LAN; 127.0.0.1: this machine only; put '
                        'a TLS reverse proxy in front on the internet). The ROS-less runner '
                        'defaults to 127.0.0.1'),
        DeclareLaunchArgument(
            'bridge', default_value='kropbot',
            description="crowd gateway: 'kropbot' (voter identity, allow-list, rate limits) or "
                        "'rosbridge' (stock rosbridge_suite restricted with topics_glob; the "
                        'page sends its own voter id: ballot stuffing possible, no limits; '
                        'trusted networks only)'),
        DeclareLaunchArgument(
            'video', default_value='bridge',
            description="how browsers get video: 'bridge' (camera topic through the gateway) or "
                        "'web_video_server' (also start web_video_server on video_port)"),
        DeclareLaunchArgument(
            'video_port', default_value='8080',
            description='TCP port of web_video_server when video:=web_video_server'),
        DeclareLaunchArgument(
            'relay', default_value='',
            description="Zenoh router locator(s) of the cloud relay tier, comma-separated (e.g. "
                        "'tcp/relay.example.org:7447'): also start relay_link; '' = no relay"),
        DeclareLaunchArgument(
            'respawn', default_value='true',
            description='true: start a node again respawn_delay s after it died (any exit '
                        'while the launch runs); false: a dead node stays dead'),
        DeclareLaunchArgument(
            'respawn_delay', default_value='1.0',
            description='s between the death of a node and its respawn (respawn:=true)'),
        OpaqueFunction(function=_launch_setup),
    ])
