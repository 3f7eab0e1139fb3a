"""Start the whole KropBot stack: camera, vote node, crowd gateway and motor driver.

Usage (on a ROS 2 Jazzy/Kilted install, after ``colcon build``)::

    ros2 launch kropbot_bringup robot.launch.py                 # real robot (MotorHAT + camera)
    ros2 launch kropbot_bringup robot.launch.py sim:=true       # simulated drive and camera
    ros2 launch kropbot_bringup robot.launch.py bridge:=rosbridge video:=web_video_server

Every node reads its parameters from ``params_file`` (default ``config/robot.yaml`` of this
package, keyed by node name); ``sim:=true`` overlays ``config/sim.yaml``. Every node is
respawned ``respawn_delay`` s after it dies (``respawn:=false`` turns that off). The ROS-less
runner (``tools/run``: supervisord, configured from the ``Procfile``) starts the same
executables with the same files; the test ``test_launch.py`` keeps the two in agreement.
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


def _true(context, name):
    return LaunchConfiguration(name).perform(context).strip().lower() in ('1', 'true', 'yes', 'on')


def _launch_setup(context):
    share = FindPackageShare('kropbot_bringup')
    params = [LaunchConfiguration('params_file')]
    if _true(context, 'sim'):
        params.append(PathJoinSubstitution([share, 'config', 'sim.yaml']))
    port = int(LaunchConfiguration('port').perform(context))
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
        Node(package='kropbot_driver', executable='driver_node', name='driver',
             parameters=params, output='screen',
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
    if video == 'web_video_server':
        actions.append(Node(
            package='web_video_server', executable='web_video_server', name='web_video_server',
            output='screen', respawn=respawn, respawn_delay=respawn_delay,
            parameters=[{'port': int(LaunchConfiguration('video_port').perform(context)),
                         'address': address}]))
    return actions


def generate_launch_description():
    """Return the KropBot LaunchDescription (arguments: sim, params_file, port, bridge, ...)."""
    default_params = PathJoinSubstitution(
        [FindPackageShare('kropbot_bringup'), 'config', 'robot.yaml'])
    return LaunchDescription([
        DeclareLaunchArgument(
            'sim', default_value='false',
            description='true: simulated drive (odom) and a camera drawing the simulated robot '
                        'instead of the MotorHAT and the camera device'),
        DeclareLaunchArgument(
            'params_file', default_value=default_params,
            description='YAML file with the parameters of every node, keyed by node name'),
        DeclareLaunchArgument(
            'port', default_value='9090',
            description='TCP port of the crowd WebSocket (page and rosbridge v2 protocol)'),
        DeclareLaunchArgument(
            'address', default_value='0.0.0.0',
            description='address the crowd WebSocket listens on (0.0.0.0: every interface; '
                        'put a TLS reverse proxy in front of it on the internet)'),
        DeclareLaunchArgument(
            'bridge', default_value='kropbot',
            description="crowd gateway: 'kropbot' (voter identity, allow-list, rate limits) or "
                        "'rosbridge' (stock rosbridge_suite restricted with topics_glob)"),
        DeclareLaunchArgument(
            'video', default_value='bridge',
            description="how browsers get video: 'bridge' (camera topic through the gateway) or "
                        "'web_video_server' (also start web_video_server on video_port)"),
        DeclareLaunchArgument(
            'video_port', default_value='8080',
            description='TCP port of web_video_server when video:=web_video_server'),
        DeclareLaunchArgument(
            'respawn', default_value='true',
            description='true: start a node again respawn_delay s after it died (any exit '
                        'while the launch runs); false: a dead node stays dead'),
        DeclareLaunchArgument(
            'respawn_delay', default_value='1.0',
            description='s between the death of a node and its respawn (respawn:=true)'),
        OpaqueFunction(function=_launch_setup),
    ])
