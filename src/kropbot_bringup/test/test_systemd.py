"""The robot's systemd service: the unit template, its installer and the launch wrapper.

The rendered unit is checked key by key (what makes the stack start at boot with the ROS
environment, restart on failure and stop with SIGINT so the motors are released) and, where
``systemd-analyze`` exists, by ``systemd-analyze verify`` (which reports bad values as warnings,
so any output fails the test). The wrapper runs for real against a stand-in ROS installation.
"""

import ast
import getpass
import os
from pathlib import Path
import shutil
import subprocess

from kropbot_bringup.install_service import UnitError, render_unit
import pytest

PKG = Path(__file__).resolve().parents[1]
ROOT = PKG.parents[1]
TEMPLATE = PKG / 'systemd' / 'kropbot.service.in'
WRAPPER = PKG / 'systemd' / 'kropbot-launch'


def unit_entries(text):
    """Return {section: [(key, value), ...]} of a unit file (keys may repeat)."""
    sections, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(('#', ';')):
            continue
        if line.startswith('['):
            current = sections.setdefault(line.strip('[]'), [])
            continue
        key, value = line.split('=', 1)
        current.append((key, value))
    return sections


def rendered(**overrides):
    values = dict(user=getpass.getuser(), workspace=str(ROOT), ros_distro='jazzy', domain_id=7,
                  discovery_range='SUBNET', launch_args='port:=9090  video:=web_video_server')
    values.update(overrides)
    return render_unit(TEMPLATE.read_text(), **values)


def test_unit_starts_the_launch_file_at_boot_and_stops_it_with_sigint():
    entries = unit_entries(rendered())
    service = entries['Service']
    single = dict(service)
    env = dict(v.strip('"').split('=', 1) for k, v in service if k == 'Environment')
    assert single['User'] == getpass.getuser()
    assert env['ROS_DOMAIN_ID'] == '7' and env['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'SUBNET'
    assert env['ROS_DISTRO'] == 'jazzy' and env['KROPBOT_WORKSPACE'] == str(ROOT)
    assert env['KROPBOT_LAUNCH_ARGS'] == 'port:=9090 video:=web_video_server'
    wrapper = f'{ROOT}/install/kropbot_bringup/share/kropbot_bringup/systemd/kropbot-launch'
    assert single['ExecStart'] == f'/bin/bash "{wrapper}" $KROPBOT_LAUNCH_ARGS'
    assert 'exec ros2 launch kropbot_bringup robot.launch.py "$@"' in WRAPPER.read_text()
    # stop: SIGINT to ros2 launch only (it stops the nodes; the driver releases the motors)
    assert single['KillSignal'] == 'SIGINT' and single['KillMode'] == 'mixed'
    # longer than ros2 launch's own escalation (SIGTERM after 5 s, SIGKILL after 10 s)
    assert 10 < int(single['TimeoutStopSec']) <= 60
    assert single['Restart'] == 'on-failure' and int(single['RestartSec']) >= 1
    assert single['Type'] == 'exec'
    assert dict(entries['Install'])['WantedBy'] == 'multi-user.target'
    assert dict(entries['Unit'])['After'] == 'network-online.target'


@pytest.mark.skipif(not shutil.which('systemd-analyze'), reason='systemd-analyze not installed')
def test_systemd_analyze_verify_accepts_the_rendered_unit(tmp_path):
    unit = tmp_path / 'kropbot.service'
    unit.write_text(rendered(workspace=str(tmp_path)))
    wrapper = tmp_path / 'install' / 'kropbot_bringup' / 'share' / 'kropbot_bringup' / 'systemd'
    wrapper.mkdir(parents=True)
    shutil.copy(WRAPPER, wrapper)
    result = subprocess.run(['systemd-analyze', 'verify', str(unit)], capture_output=True,
                            text=True)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result
    # and it does complain about a broken unit (the check can fail)
    unit.write_text(rendered().replace('KillSignal=SIGINT', 'KillSignal=SIGNOPE'))
    result = subprocess.run(['systemd-analyze', 'verify', str(unit)], capture_output=True,
                            text=True)
    assert 'SIGNOPE' in result.stderr


@pytest.mark.parametrize('bad', [dict(user='Robot Admin'), dict(workspace='relative/ws'),
                                 dict(workspace='/home/pi/50%'), dict(domain_id=300),
                                 dict(discovery_range='LAN'), dict(launch_args='a:=$HOME'),
                                 dict(ros_distro='../x')])
def test_values_that_would_break_the_unit_are_refused(bad):
    with pytest.raises(UnitError):
        rendered(**bad)


def test_installer_prints_and_installs_the_unit(tmp_path):
    exe = ROOT / 'install' / 'kropbot_bringup' / 'lib' / 'kropbot_bringup' / 'install_service'
    assert exe.exists(), 'run tools/setup.sh'
    args = ['--user', getpass.getuser(), '--workspace', str(ROOT), '--domain-id', '7',
            '--discovery-range', 'SUBNET', '--launch-args', 'port:=9090 video:=web_video_server']
    printed = subprocess.run([str(exe), '--print', *args], capture_output=True, text=True,
                             check=True).stdout
    assert printed == rendered()
    result = subprocess.run([str(exe), *args, '--unit-dir', str(tmp_path), '--no-start'],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'kropbot.service').read_text() == printed
    bad = subprocess.run([str(exe), '--print', '--user', 'no body'], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and 'user must be a user name' in bad.stderr


def test_unit_files_are_installed_to_share():
    setup = ast.parse((PKG / 'setup.py').read_text())
    text = ast.unparse(setup)
    assert "('share/' + package_name + '/systemd', glob('systemd/*'))" in text
    assert 'install_service = kropbot_bringup.install_service:main' in text


def _fake_ros(tmp_path):
    """A stand-in /opt/ros/<distro>/setup.bash whose ``ros2`` prints its arguments and pid."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    ros2 = bin_dir / 'ros2'
    ros2.write_text('#!/bin/sh\necho "pid=$$ overlay=$KROPBOT_OVERLAY args=$*"\n')
    ros2.chmod(0o755)
    setup = tmp_path / 'ros_setup.bash'
    setup.write_text(f'export PATH="{bin_dir}:$PATH"\n')
    workspace = tmp_path / 'ws'
    (workspace / 'install').mkdir(parents=True)
    (workspace / 'install' / 'setup.bash').write_text('export KROPBOT_OVERLAY=sourced\n')
    return setup, workspace


def test_wrapper_sources_ros_and_the_workspace_then_execs_ros2_launch(tmp_path):
    setup, workspace = _fake_ros(tmp_path)
    env = dict(os.environ, ROS_SETUP=str(setup), KROPBOT_WORKSPACE=str(workspace))
    proc = subprocess.Popen(['/bin/bash', str(WRAPPER), 'sim:=true', 'port:=9090'], env=env,
                            stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    # the same process (exec): systemd's SIGINT reaches ros2 launch itself
    assert out.strip() == (f'pid={proc.pid} overlay=sourced '
                           'args=launch kropbot_bringup robot.launch.py sim:=true port:=9090')
    env.pop('KROPBOT_WORKSPACE')
    missing = subprocess.run(['/bin/bash', str(WRAPPER)], env=env, capture_output=True,
                             text=True)
    assert missing.returncode != 0 and 'KROPBOT_WORKSPACE' in missing.stderr
