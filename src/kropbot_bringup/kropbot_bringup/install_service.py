"""Install the KropBot systemd service on the robot: ``ros2 run kropbot_bringup install_service``.

Renders ``share/kropbot_bringup/systemd/kropbot.service.in`` (:func:`render_unit`: the robot's
user, the workspace, the ROS distro, ``ROS_DOMAIN_ID``, ``ROS_AUTOMATIC_DISCOVERY_RANGE``,
launch arguments), writes it to ``/etc/systemd/system/kropbot.service`` (through ``sudo`` when
not root), then runs ``systemctl daemon-reload`` and ``systemctl enable --now kropbot``.
``--print`` only prints the unit. The service runs ``ros2 launch kropbot_bringup
robot.launch.py`` at boot through the ``kropbot-launch`` wrapper, restarts it on failure and
stops it with SIGINT (the driver releases the motors).
"""

import argparse
import getpass
import os
from pathlib import Path
import re
import shlex
import subprocess
import sys
import tempfile

UNIT_NAME = 'kropbot.service'
#: Characters a value may not contain: they would need systemd quoting or are specifiers.
_UNSAFE = re.compile(r'["\\%$\n\r]')
_USER = re.compile(r'^[a-z_][a-z0-9_-]*$')
_RANGES = ('LOCALHOST', 'SUBNET', 'SYSTEM_DEFAULT', 'OFF')


class UnitError(ValueError):
    """A value cannot go into the unit (the message names it)."""


def render_unit(template, *, user, workspace, ros_distro='jazzy', domain_id=0,
                discovery_range='LOCALHOST', launch_args=''):
    """Fill in the unit template.

    Args:
        template: text of ``kropbot.service.in``.
        user: the robot's user the stack runs as (must exist on the robot; in the ``i2c`` and
            ``video`` groups for the HAT and the camera).
        workspace: absolute path of the colcon workspace (holds ``install/setup.bash``).
        ros_distro: ROS 2 distribution under ``/opt/ros``.
        domain_id: ``ROS_DOMAIN_ID``, 0..232.
        discovery_range: ``ROS_AUTOMATIC_DISCOVERY_RANGE``: LOCALHOST (default: nothing on the
            LAN sees the robot's DDS), SUBNET (rviz2/teleop on the LAN), SYSTEM_DEFAULT, OFF.
        launch_args: launch arguments, e.g. ``'sim:=true port:=9090'``.

    Returns:
        The unit text.

    Raises:
        UnitError: a value that is invalid or would need quoting in a unit.

    """
    if not _USER.match(user):
        raise UnitError(f'user must be a user name, got {user!r}')
    if not os.path.isabs(workspace):
        raise UnitError(f'workspace must be an absolute path, got {workspace!r}')
    if not re.match(r'^[a-z]+$', ros_distro):
        raise UnitError(f'ros_distro must be a distribution name like jazzy, got {ros_distro!r}')
    if not 0 <= int(domain_id) <= 232:
        raise UnitError(f'domain_id must be in 0..232, got {domain_id!r}')
    if discovery_range not in _RANGES:
        raise UnitError(f'discovery_range must be one of {", ".join(_RANGES)}, '
                        f'got {discovery_range!r}')
    for name, value in (('workspace', workspace), ('launch_args', launch_args)):
        if _UNSAFE.search(value):
            raise UnitError(f'{name} must not contain " \\ % $ or line breaks: {value!r}')
    values = {'USER': user, 'WORKSPACE': os.path.normpath(workspace), 'ROS_DISTRO': ros_distro,
              'ROS_DOMAIN_ID': str(int(domain_id)), 'ROS_AUTOMATIC_DISCOVERY_RANGE':
              discovery_range, 'LAUNCH_ARGS': ' '.join(launch_args.split())}
    text = template
    for key, value in values.items():
        text = text.replace(f'@{key}@', value)
    leftover = re.search(r'@[A-Z_]+@', text)
    if leftover:
        raise UnitError(f'the template has an unknown placeholder {leftover.group(0)}')
    return text


def _share_dir():
    try:
        from ament_index_python.packages import get_package_share_directory
        return Path(get_package_share_directory('kropbot_bringup'))
    except (ImportError, LookupError):
        return Path(__file__).resolve().parents[1]  # the source tree


def _default_workspace(share):
    """``<ws>/install/kropbot_bringup/share/kropbot_bringup`` -> ``<ws>`` (or the source tree)."""
    parts = share.parts
    if len(parts) >= 4 and parts[-4] == 'install':
        return share.parents[3]
    return Path(__file__).resolve().parents[3]


def _parse_args(argv):
    share = _share_dir()
    parser = argparse.ArgumentParser(
        prog='install_service',
        description='Install and start the KropBot systemd service (ros2 launch '
                    'kropbot_bringup robot.launch.py at boot).')
    parser.add_argument('--user', default=os.environ.get('SUDO_USER') or getpass.getuser(),
                        help='user the stack runs as (default: you)')
    parser.add_argument('--workspace', default=str(_default_workspace(share)),
                        help='colcon workspace with install/setup.bash (default: this one)')
    parser.add_argument('--ros-distro', default=os.environ.get('ROS_DISTRO', 'jazzy'))
    parser.add_argument('--domain-id', type=int,
                        default=int(os.environ.get('ROS_DOMAIN_ID', '0') or 0))
    parser.add_argument('--discovery-range', choices=_RANGES, default='LOCALHOST',
                        help='ROS_AUTOMATIC_DISCOVERY_RANGE (SUBNET for rviz2 on the LAN)')
    parser.add_argument('--launch-args', default='',
                        help="launch arguments, e.g. 'port:=9090 video:=web_video_server'")
    parser.add_argument('--template', default=str(share / 'systemd' / 'kropbot.service.in'))
    parser.add_argument('--unit-dir', default='/etc/systemd/system')
    parser.add_argument('--print', action='store_true', help='only print the unit')
    parser.add_argument('--no-start', action='store_true',
                        help='install only; do not run systemctl')
    return parser.parse_args(argv)


def _run(cmd, sudo):
    cmd = (['sudo'] if sudo else []) + cmd
    print('+ ' + shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main(argv=None):
    """Console-script entry point; return the exit status."""
    args = _parse_args(argv)
    try:
        unit = render_unit(Path(args.template).read_text(), user=args.user,
                           workspace=args.workspace, ros_distro=args.ros_distro,
                           domain_id=args.domain_id, discovery_range=args.discovery_range,
                           launch_args=args.launch_args)
    except (OSError, UnitError) as exc:
        print(f'install_service: {exc}', file=sys.stderr)
        return 2
    if args.print:
        sys.stdout.write(unit)
        return 0
    target = Path(args.unit_dir) / UNIT_NAME
    sudo = os.geteuid() != 0 and not os.access(args.unit_dir, os.W_OK)
    with tempfile.NamedTemporaryFile('w', suffix='.service', delete=False) as tmp:
        tmp.write(unit)
    try:
        _run(['install', '-m', '644', tmp.name, str(target)], sudo)
        if not args.no_start:
            _run(['systemctl', 'daemon-reload'], sudo)
            _run(['systemctl', 'enable', '--now', UNIT_NAME], sudo)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f'install_service: {exc}', file=sys.stderr)
        return 1
    finally:
        os.unlink(tmp.name)
    print(f'installed {target}; logs: journalctl -u kropbot -f; stop: sudo systemctl stop '
          f'kropbot (releases the motors)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
