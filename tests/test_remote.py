"""The desktop client (``remote``) against the real stack: gateway, vote, sim driver, camera.

Every node and the client are separate processes; the client connects over the gateway's
WebSocket like a desktop across the internet would. Its gamepad is a recorded event file
(``--gamepad FILE``, no device needed); its window runs under Xvfb, where xdotool types.
"""

import json
import os
from pathlib import Path
import signal
import subprocess
import time

import cv2
from geometry_msgs.msg import Twist
from kropbot_remote.overlay import LINE_HEIGHT
from kropbot_testing.processes import INSTALL, free_port
from nav_msgs.msg import Odometry
import pytest
from std_msgs.msg import String

pytestmark = pytest.mark.dds

ROOT = Path(__file__).resolve().parents[1]
REMOTE = INSTALL / 'kropbot_remote' / 'lib' / 'kropbot_remote' / 'remote'
FIXTURE = ROOT / 'src' / 'kropbot_remote' / 'test' / 'fixtures' / 'xbox_drive.jsonl'
ARTIFACTS = ROOT / 'artifacts'
WIDTH, HEIGHT = 320, 240  # camera size asked for below (px)


class Remote:
    """The client as a process; its output goes to ``<tmp>/remote.log``."""

    def __init__(self, tmp_path, *args, env=None, exe=REMOTE):
        self.log_path = tmp_path / 'remote.log'
        self._log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen([str(exe), *args], stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env or os.environ.copy(),
                                     start_new_session=True)

    def log(self):
        return self.log_path.read_text(errors='replace')

    def stop(self):
        """SIGINT; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)
        finally:
            self._log.close()


@pytest.fixture
def remote(tmp_path):
    started = []

    def _start(*args, **kwargs):
        r = Remote(tmp_path, *args, **kwargs)
        started.append(r)
        return r

    yield _start
    for r in started:
        r.stop()
        print(f'----- remote log -----\n{r.log()}')


OPERATOR_SECRET = 'desk-operator-4f9a0c2e7b1d'


@pytest.fixture
def stack(request, start_node, wait_for, tmp_path):
    """Gateway (free port) + vote + sim driver + sim camera; returns the gateway URL.

    Marked ``@pytest.mark.parametrize('stack', ['operator'], indirect=True)``, the gateway
    has operator access with :data:`OPERATOR_SECRET` (``auth_secret_file``).
    """
    port = free_port()
    params = {'port': port}
    if getattr(request, 'param', None) == 'operator':
        secrets = tmp_path / 'gateway.secrets'
        secrets.write_text(f'desk: {OPERATOR_SECRET}\n')
        params['auth_secret_file'] = str(secrets)
    gateway = start_node('kropbot_gateway', 'gateway_node', 'gateway', params=params)
    start_node('kropbot_vote', 'vote_node', 'vote')
    start_node('kropbot_driver', 'driver_node', 'driver')
    start_node('kropbot_camera', 'camera_node', 'camera',
               params={'width': WIDTH, 'height': HEIGHT, 'fps': 15.0})
    wait_for(lambda: 'crowd gateway on http://' in gateway.log() or not gateway.alive(), 20,
             message='gateway start')
    assert gateway.alive(), gateway.log()
    return f'ws://127.0.0.1:{port}/'


def moving(odom):
    return odom and odom[-1][1].twist.twist.linear.x > 0.05


def test_headless_client_sees_frames_and_drives_then_stops_on_release(stack, remote, ros,
                                                                      wait_for, tmp_path):
    odom = ros.collect(Odometry, 'odom')
    wait_for(lambda: odom, 20, message='odom from the sim driver')
    x0 = odom[-1][1].pose.pose.position.x
    frames = tmp_path / 'frames'
    client = remote('--url', stack, '--headless', '--gamepad', str(FIXTURE),
                    '--save-frames', str(frames))
    started = wait_for(lambda: moving(odom) and odom[-1][0], 20, message='robot moving')
    stopped = wait_for(lambda: next((t for t, m in odom if t > started
                                     and m.twist.twist.linear.x == 0.0), None), 10,
                       message='robot stopped after the stick was released')
    # The recording pushes the stick for ~2.7 s and then releases it: the stop comes from the
    # client's zero vote at release, not from the vote expiring (3 s after the last vote).
    assert stopped - started < 4.0, stopped - started
    x1 = odom[-1][1].pose.pose.position.x
    assert x1 > x0 + 0.2, (x0, x1)
    time.sleep(1.0)
    assert abs(odom[-1][1].pose.pose.position.x - x1) < 0.01  # stays stopped
    assert client.stop() == 0
    log = client.log()
    assert 'remote: crowd client for' in log and 'remote: connected' in log
    assert 'Traceback' not in log, log
    jpegs = sorted(frames.glob('frame_*.jpg'))
    assert len(jpegs) >= 10, len(jpegs)
    for path in (jpegs[0], jpegs[-1]):
        assert cv2.imread(str(path)).shape == (HEIGHT, WIDTH, 3)


def test_operator_token_refused_is_shown_and_moves_nothing(stack, remote, ros, wait_for,
                                                           tmp_path):
    """The gateway here has no secret for this token: the refusal must be visible."""
    token = tmp_path / 'token'
    token.write_text('0123456789abcdef\n')
    cmd = ros.collect(Twist, 'cmd_vel')
    client = remote('--url', stack, '--headless', '--gamepad', str(FIXTURE),
                    '--token-file', str(token))
    wait_for(lambda: 'gateway error' in client.log() and 'auth' in client.log(), 20,
             message='the auth refusal in the client output')
    time.sleep(3.5)  # the recording drives forward meanwhile
    assert cmd and all(m.linear.x == 0.0 and m.angular.z == 0.0 for _, m in cmd)
    assert client.stop() == 0
    log = client.log()
    assert 'remote: operator client for' in log
    assert '0123456789abcdef' not in log  # the secret is never printed


@pytest.mark.parametrize('stack', ['operator'], indirect=True)
def test_operator_token_drives_via_teleop_and_overrides_the_crowd(stack, remote, ros, wait_for,
                                                                  tmp_path):
    """--token-file against a gateway with that secret: teleop/cmd_vel, status operator: true."""
    token = tmp_path / 'desk.token'
    token.write_text(OPERATOR_SECRET + '\n')  # rosauth's one-line format
    teleop = ros.collect(Twist, 'teleop/cmd_vel')
    odom = ros.collect(Odometry, 'odom')
    statuses = []
    ros.node.create_subscription(String, 'crowd/status',
                                 lambda m: statuses.append(json.loads(m.data)), 10)
    client = remote('--url', stack, '--headless', '--gamepad', str(FIXTURE),
                    '--token-file', str(token))
    wait_for(lambda: 'auth: authenticated as operator' in client.log(), 20,
             message='the gateway accepting the token')
    wait_for(lambda: any(m.linear.x > 0.05 for _, m in teleop), 20,
             message='forward on teleop/cmd_vel (the recorded stick)')
    wait_for(lambda: any(s['operator'] for s in statuses), 10, message='status operator: true')
    wait_for(lambda: moving(odom), 10, message='the robot moving under the operator')
    # the recording releases the stick: the operator's stop holds the robot (heartbeat 0.1 s)
    first_forward = next(t for t, m in teleop if m.linear.x > 0.05)
    stopped = wait_for(lambda: next((t for t, m in teleop if t > first_forward
                                     and m.linear.x == 0.0), None), 15,
                       message='stop on teleop/cmd_vel after the release')
    wait_for(lambda: odom[-1][0] > stopped and odom[-1][1].twist.twist.linear.x == 0.0, 10,
             message='the robot stopped')
    assert statuses[-1]['operator'] is True  # still the operator: it keeps sending stop
    assert client.stop() == 0
    log = client.log()
    assert 'remote: operator client for' in log and 'Traceback' not in log
    assert OPERATOR_SECRET not in log


def test_reconnects_with_backoff_when_the_gateway_appears(start_node, remote, wait_for):
    """Run through ``tools/remote``, the checkout's wrapper (the console script on PATH)."""
    port = free_port()
    client = remote('--url', f'ws://127.0.0.1:{port}/', '--headless', '--gamepad', 'none',
                    exe=ROOT / 'tools' / 'remote')
    wait_for(lambda: 'reconnecting cannot connect' in client.log(), 10,
             message='the client reporting the refused connection')
    start_node('kropbot_gateway', 'gateway_node', 'gateway', params={'port': port})
    wait_for(lambda: 'remote: connected' in client.log(), 30, message='reconnected')
    assert client.stop() == 0


def test_window_under_xvfb_shows_the_camera_and_the_keyboard_drives(stack, remote, ros,
                                                                     wait_for, tmp_path):
    from kropbot_testing.xdisplay import Xvfb

    odom = ros.collect(Odometry, 'odom')
    frames = tmp_path / 'frames'
    with Xvfb((800, 600)) as x:
        env = dict(os.environ, DISPLAY=x.display, SDL_VIDEODRIVER='x11',
                   SDL_AUDIODRIVER='dummy')
        env.pop('WAYLAND_DISPLAY', None)
        client = remote('--url', stack, '--scale', '2', '--gamepad', 'none',
                        '--save-frames', str(frames), env=env)
        wait_for(lambda: len(list(frames.glob('frame_*.jpg'))) >= 10, 30,
                 message='frames in the client')
        time.sleep(0.5)
        shot = x.screenshot()
        ARTIFACTS.mkdir(exist_ok=True)
        cv2.imwrite(str(ARTIFACTS / 'remote_window.png'), shot)
        # The window shows the newest frame at 2x: find its lower part (below the overlay)
        newest = cv2.imread(str(sorted(frames.glob('frame_*.jpg'))[-1]))
        scaled = cv2.resize(newest, (2 * WIDTH, 2 * HEIGHT), interpolation=cv2.INTER_NEAREST)
        template = scaled[200:, :]
        _, score, _, (left, row) = cv2.minMaxLoc(
            cv2.matchTemplate(shot, template, cv2.TM_CCOEFF_NORMED))
        assert score > 0.9, score
        top = row - 200                                  # the window's first row on the screen
        band = shot[:120, :]
        assert ((band[:, :, 1] > 180) & (band[:, :, 0] < 120)).sum() > 50  # green "connected"

        # Keyboard: focus the window, hold Up → the robot drives; release → it stops
        def xdo(*args):
            subprocess.run(['xdotool', *args], env=env, check=True, timeout=10,
                           capture_output=True)

        tree = subprocess.run(['xwininfo', '-root', '-tree'], env=env, capture_output=True,
                              text=True, timeout=10).stdout
        window = [line.split()[0] for line in tree.splitlines() if '"KropBot remote' in line]
        assert window, f'no client window on the display:\n{tree}'
        xdo('windowfocus', '--sync', window[0])
        xdo('keydown', 'Up')
        started = wait_for(lambda: moving(odom) and odom[-1][0], 10,
                           message='robot moving while Up is held')
        time.sleep(1.0)
        xdo('keyup', 'Up')
        released = time.monotonic()
        stopped = wait_for(lambda: next((t for t, m in odom if t > released
                                         and m.twist.twist.linear.x == 0.0), None), 5,
                           message='robot stopped after Up was released')
        assert stopped - released < 1.0 and stopped > started

        # Focus loss with Up still held → stop (the window cannot see the release any more)
        xdo('keydown', 'Up')
        wait_for(lambda: moving(odom), 10, message='robot moving again')
        root = tree.split('Window id: ')[1].split()[0]
        xdo('windowfocus', '--sync', root)
        blurred = time.monotonic()
        stopped = wait_for(lambda: next((t for t, m in odom if t > blurred
                                         and m.twist.twist.linear.x == 0.0), None), 5,
                           message='robot stopped when the window lost focus')
        assert stopped - blurred < 1.0
        time.sleep(0.3)
        blurred_shot = x.screenshot()
        cv2.imwrite(str(ARTIFACTS / 'remote_window_unfocused.png'), blurred_shot)
        xdo('keyup', 'Up')

        def red_text(image):
            """Red pixels of the overlay's first four lines (connection, role, crowd, you: the
            stop note). They lie on the dark band, which keeps 35 % of the frame (red <= 90),
            so the camera's picture (the sim world has a red box) cannot count here."""
            band = image[top:top + 8 + LINE_HEIGHT * 4, left:left + 2 * WIDTH]
            b, g, r = (band[:, :, i].astype(int) for i in range(3))
            return int(((r > 200) & (g < 120) & (b < 120)).sum())
        assert red_text(shot) == 0 and red_text(blurred_shot) > 50
        assert client.stop() == 0


@pytest.mark.parametrize('stack', ['operator'], indirect=True)
def test_moderation_flags_pause_resume_and_set_the_mode(stack, ros, wait_for, tmp_path):
    """``remote --token-file F --pause`` (``--mode``, ``--resume``; ``--kick`` of an unknown
    token): one command, the gateway's answer printed, exit 0 when done, 1 when refused."""
    token = tmp_path / 'desk.token'
    token.write_text(OPERATOR_SECRET + '\n')
    statuses = []
    ros.node.create_subscription(String, 'crowd/status',
                                 lambda m: statuses.append(json.loads(m.data)), 10)

    def once(*flags):
        done = subprocess.run([str(REMOTE), '--url', stack, '--token-file', str(token), *flags],
                              capture_output=True, text=True, timeout=30)
        assert OPERATOR_SECRET not in done.stdout + done.stderr
        return done.returncode, done.stdout.strip()

    assert once('--pause') == (0, 'remote: crowd paused')
    wait_for(lambda: statuses and statuses[-1]['paused'] is True, 10, message='paused')
    assert once('--mode', 'democracy') == (0, 'remote: mode set to democracy')
    wait_for(lambda: statuses[-1]['mode'] == 'democracy', 10, message='democracy')
    assert once('--resume') == (0, 'remote: crowd resumed')
    wait_for(lambda: statuses[-1]['paused'] is False, 10, message='resumed')
    assert once('--kick', '00000000') == (1, 'remote: no connection has the token 00000000')
    bad = subprocess.run([str(REMOTE), '--url', stack, '--pause'], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2 and 'needs the operator' in bad.stderr
