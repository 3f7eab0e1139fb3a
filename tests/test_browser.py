"""End-to-end: the crowd page in headless Debian Chromium drives the simulated robot.

The whole stack runs as real processes (gateway, vote node, sim driver, sim camera) over DDS;
three browser contexts (three WebSocket connections = three voters) load the built page from
the gateway's ``GET /`` and hold "forward" (mouse on the pad, the up arrow key, a touch finger
on the pad): the sim robot's ``odom`` must move; releasing stops it; killing and restarting the
gateway must be survived by the page on its own. Screenshots (phone width and desktop) go to
``artifacts/`` at the repo root.

Needs ``/usr/bin/chromium`` (Debian package ``chromium``; never ``playwright install``) and the
built page (``web/dist``; built here with npm when missing or older than the sources).
"""

import os
from pathlib import Path
import shutil
import subprocess
import time
import urllib.request

from geometry_msgs.msg import Twist
from kropbot_testing.processes import free_port
from nav_msgs.msg import Odometry
import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / 'web'
DIST = WEB / 'dist'
ARTIFACTS = ROOT / 'artifacts'
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']
PHONE = {'width': 360, 'height': 780}
DESKTOP = {'width': 1280, 'height': 800}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.dds,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f'{CHROMIUM} missing: apt-get install chromium'),
    pytest.mark.timeout(240),
]


def _newest_source_mtime():
    paths = [WEB / 'index.html', WEB / 'vite.config.js', WEB / 'package-lock.json']
    paths += [p for p in (WEB / 'src').rglob('*') if p.is_file()]
    return max(p.stat().st_mtime for p in paths)


@pytest.fixture(scope='module')
def web_dist():
    """The built page: ``web/dist``, (re)built with npm when missing or stale."""
    index = DIST / 'index.html'
    if not index.exists() or index.stat().st_mtime < _newest_source_mtime():
        npm = shutil.which('npm')
        assert npm, 'web/dist is missing or stale and npm is not installed to build it'
        if not (WEB / 'node_modules').exists():
            subprocess.run([npm, 'ci', '--no-audit', '--no-fund'], cwd=WEB, check=True,
                           timeout=300)
        subprocess.run([npm, 'run', 'build'], cwd=WEB, check=True, timeout=300)
    assert index.exists()
    return DIST


def _http_get(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, resp.headers.get('Content-Type', ''), resp.read()


def _page_up(url):
    try:
        return _http_get(url)[0] == 200
    except OSError:
        return False


@pytest.fixture
def browser():
    """Headless Debian Chromium through Python Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Driver:
    """One crowd member: a browser context (own WebSocket connection) with the page open."""

    def __init__(self, browser, url, viewport, touch=False):
        self.context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on('pageerror', lambda e: self.errors.append(str(e)))
        self.page.goto(url)

    def attr(self, testid, name):
        return self.page.get_attribute(f'[data-testid="{testid}"]', name)

    def text(self, testid):
        return self.page.text_content(f'[data-testid="{testid}"]').strip()

    def state(self):
        return self.attr('conn-state', 'data-state')

    def int_attr(self, testid, name):
        value = self.attr(testid, name)
        return int(value) if value else 0

    def _centre(self, button):
        box = self.page.locator(f'[data-testid="pad-{button}"]').bounding_box()
        return box['x'] + box['width'] / 2, box['y'] + box['height'] / 2

    def hold(self, button, via='mouse'):
        """Press and keep holding a pad button ('mouse', 'touch') or the up arrow key."""
        self.via = via
        if via == 'mouse':
            self.page.mouse.move(*self._centre(button))
            self.page.mouse.down()
        elif via == 'touch':  # a finger that stays down: raw CDP touch events
            x, y = self._centre(button)
            self.cdp = self.context.new_cdp_session(self.page)
            self.cdp.send('Input.dispatchTouchEvent',
                          {'type': 'touchStart', 'touchPoints': [{'x': x, 'y': y}]})
        else:
            assert button == 'forward', 'keyboard holds use the up arrow'
            self.page.keyboard.down('ArrowUp')

    def release(self):
        if self.via == 'mouse':
            self.page.mouse.up()
        elif self.via == 'touch':
            self.cdp.send('Input.dispatchTouchEvent', {'type': 'touchEnd', 'touchPoints': []})
        else:
            self.page.keyboard.up('ArrowUp')


def test_page_drives_sim_robot_and_survives_gateway_restart(
        web_dist, browser, start_node, ros, wait_for):
    port = free_port()
    gateway_params = {'port': port, 'web_root': str(web_dist)}
    start_node('kropbot_vote', 'vote_node', 'vote')
    start_node('kropbot_driver', 'driver_node', 'driver')
    start_node('kropbot_camera', 'camera_node', 'camera', params={'source': 'sim'})
    gateway = start_node('kropbot_gateway', 'gateway_node', 'gateway', params=gateway_params)
    odom = ros.collect(Odometry, 'odom')
    url = f'http://127.0.0.1:{port}/'
    wait_for(lambda: _page_up(url), 20, period=0.2, message=f'GET {url}')

    # The page comes from the gateway (the built index.html with hashed relative assets).
    status, ctype, body = _http_get(url)
    assert status == 200 and 'text/html' in ctype
    assert b'./assets/' in body

    ARTIFACTS.mkdir(exist_ok=True)
    phone = Driver(browser, url, PHONE)
    desk = Driver(browser, url, DESKTOP)
    third = Driver(browser, url, PHONE, touch=True)
    drivers = (phone, desk, third)
    assert 'KropBot' in phone.page.title()
    for d in drivers:
        wait_for(lambda d=d: d.state() == 'connected', 15, period=0.1,
                 message='conn-state connected')
    # Behind the gateway the page lets it assign the voter ids (config.json says "server", or
    # there is none): no per-tab id in the votes, no "votes are not authenticated" note.
    for d in drivers:
        assert d.page.get_attribute('body', 'data-voter-mode') == 'server'
        assert d.page.get_attribute('body', 'data-voter-id') is None
    assert phone.page.locator('[data-testid="voter-mode"]').is_hidden()

    # Live camera: frames keep arriving (different stamps) and the newest one is fresh.
    wait_for(lambda: phone.int_attr('camera', 'data-frames') >= 2, 20, period=0.1,
             message='two camera frames displayed')
    first_stamp = phone.attr('camera', 'data-stamp')
    wait_for(lambda: phone.attr('camera', 'data-stamp') != first_stamp, 5, period=0.05,
             message='a newer camera frame')
    assert phone.page.evaluate(
        "document.querySelector('[data-testid=camera]').naturalWidth") > 0
    ages = []
    for _ in range(5):
        ages.append(float(phone.attr('frame-age', 'data-age-ms')))
        time.sleep(0.1)
    assert min(ages) < 1000, f'frame age should be small on loopback, got {ages} ms'
    wait_for(lambda: phone.int_attr('drivers', 'data-updates') >= 1, 15, period=0.1,
             message='crowd/status shown on the page')

    # Three voters hold "forward": the robot drives forward (+x) and the page shows 3 drivers.
    wait_for(lambda: odom, 15, message='odom from the sim driver')
    x0 = odom[-1][1].pose.pose.position.x
    # Mouse, keyboard and a touch finger: three ways of holding "forward".
    for d, via in zip(drivers, ('mouse', 'keyboard', 'touch')):
        d.hold('forward', via)
    for d in drivers:
        wait_for(lambda d=d: d.attr('pad-forward', 'aria-pressed') == 'true', 2, period=0.05,
                 message='the held forward button shown pressed')
    for d in drivers:
        wait_for(lambda d=d: d.text('drivers') == '3', 10, period=0.1,
                 message='3 drivers shown')
    wait_for(lambda: odom[-1][1].pose.pose.position.x > x0 + 0.1, 15, period=0.05,
             message='odom x increases while three voters hold forward')
    wait_for(lambda: phone.attr('command-arrow', 'data-bin') == 'forward', 5, period=0.1,
             message='fused command arrow shows forward')
    assert phone.attr('hist-forward', 'aria-label') == 'forward: 3'
    time.sleep(0.3)  # let the histogram bars finish their transition
    phone.page.screenshot(path=str(ARTIFACTS / 'page-phone.png'), full_page=True)
    desk.page.screenshot(path=str(ARTIFACTS / 'page-desktop.png'))

    # Everybody lets go: one stop vote each, the robot stops.
    for d in drivers:
        d.release()
    wait_for(lambda: abs(odom[-1][1].twist.twist.linear.x) < 1e-3, 5, period=0.05,
             message='odom twist ~0 after all three released')
    x_stopped = odom[-1][1].pose.pose.position.x
    time.sleep(1.0)
    assert abs(odom[-1][1].pose.pose.position.x - x_stopped) < 0.005
    wait_for(lambda: phone.attr('command-arrow', 'data-bin') == 'stop', 5, period=0.1,
             message='fused command arrow shows stop')

    # An operator's teleop/cmd_vel overrides the crowd: the page shows the banner while it lasts.
    teleop = ros.node.create_publisher(Twist, 'teleop/cmd_vel', 10)
    banner = phone.page.locator('[data-testid="operator-banner"]')
    assert banner.is_hidden()

    def operator_shown():
        teleop.publish(Twist())  # zero: the robot stays put
        return banner.is_visible()

    wait_for(operator_shown, 10, period=0.1, message='operator banner while teleop is fresh')
    wait_for(banner.is_hidden, 10, period=0.1, message='operator banner gone after teleop')

    # The gateway dies and comes back on the same port: the page reconnects by itself, and the
    # control still held re-sends its vote on the new connection (nothing stale replayed).
    phone.hold('forward')
    wait_for(lambda: abs(odom[-1][1].twist.twist.linear.x) > 0.05, 10, period=0.05,
             message='robot moving again for one held voter')
    assert gateway.stop() == 0
    for d in drivers:
        wait_for(lambda d=d: d.state() == 'reconnecting', 10, period=0.05,
                 message='conn-state reconnecting after the gateway stopped')
    wait_for(lambda: abs(odom[-1][1].twist.twist.linear.x) < 1e-3, 10, period=0.05,
             message='robot stops once the held vote expired with the gateway gone')
    updates_before = phone.int_attr('drivers', 'data-updates')
    frames_before = phone.int_attr('camera', 'data-frames')
    x_before = odom[-1][1].pose.pose.position.x
    print(f'----- first gateway log -----\n{gateway.log_path.read_text(errors="replace")}')
    start_node('kropbot_gateway', 'gateway_node', 'gateway', params=gateway_params)
    for d in drivers:
        wait_for(lambda d=d: d.state() == 'connected', 20, period=0.1,
                 message='conn-state connected again after the gateway restarted')
    wait_for(lambda: phone.int_attr('drivers', 'data-updates') > updates_before, 10,
             period=0.1, message='crowd/status updates resume')
    wait_for(lambda: phone.int_attr('camera', 'data-frames') > frames_before, 10, period=0.1,
             message='camera frames resume')
    wait_for(lambda: odom[-1][1].pose.pose.position.x > x_before + 0.05, 10, period=0.05,
             message='the held forward vote drives the robot after the reconnect')
    phone.release()
    wait_for(lambda: abs(odom[-1][1].twist.twist.linear.x) < 1e-3, 5, period=0.05,
             message='robot stops after the release')
    status_text = phone.page.evaluate(
        "document.querySelector('[data-testid=conn-state]').textContent")
    assert status_text.startswith('connected')
    for d in drivers:
        assert d.errors == [], f'page errors: {d.errors}'
        d.context.close()


OPERATOR_SECRET = 'page-operator-7c1e9a4b2d'


def test_page_headers_and_operator_mode_override_the_crowd(
        web_dist, browser, start_node, ros, wait_for, tmp_path):
    """The page under its CSP (no violation), hashed assets brotli-compressed and immutable;
    the operator mode: enter the secret, drive (overrides a crowd voter), see the banner, leave.
    """
    secrets = tmp_path / 'secrets'
    secrets.write_text(f'web: {OPERATOR_SECRET}\n')
    port = free_port()
    start_node('kropbot_vote', 'vote_node', 'vote')
    start_node('kropbot_gateway', 'gateway_node', 'gateway',
               params={'port': port, 'web_root': str(web_dist), 'auth_secret_file': str(secrets)})
    cmd = ros.collect(Twist, 'cmd_vel')
    teleop = ros.collect(Twist, 'teleop/cmd_vel')
    url = f'http://127.0.0.1:{port}/'
    wait_for(lambda: _page_up(url), 20, period=0.2, message=f'GET {url}')

    crowd = Driver(browser, url, DESKTOP)
    responses, console = [], []
    crowd.page.on('response', lambda r: responses.append(r))
    crowd.page.on('console', lambda m: console.append(m.text))
    crowd.page.reload()
    wait_for(lambda: crowd.state() == 'connected', 15, period=0.1, message='crowd connected')
    page = next(r for r in responses if r.url == url)
    csp = page.headers['content-security-policy']
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assets = [r for r in responses if '/assets/' in r.url and r.url.endswith('.js')]
    assert assets and all(r.headers.get('content-encoding') == 'br' for r in assets)
    assert all('immutable' in r.headers['cache-control'] for r in assets)
    assert page.headers['cache-control'] == 'no-cache' and page.headers.get('etag')

    crowd.hold('forward')
    wait_for(lambda: cmd and cmd[-1][1].linear.x > 0.1, 15, period=0.05,
             message='the crowd voter drives forward')

    op = Driver(browser, url + '?operator', DESKTOP)
    op_console = []
    op.page.on('console', lambda m: op_console.append(m.text))
    wait_for(lambda: op.state() == 'connected', 15, period=0.1, message='operator page connected')
    assert op.page.locator('[data-testid="operator-panel"]').is_visible()
    assert op.page.evaluate('window.isSecureContext')  # 127.0.0.1: SubtleCrypto available
    op.page.fill('[data-testid="operator-secret"]', 'not-the-operator-secret')
    op.page.click('[data-testid="operator-sign-in"]')
    wait_for(lambda: op.attr('operator-state', 'data-state') == 'refused', 10, period=0.1,
             message='a wrong secret refused')
    assert 'wrong MAC' in op.text('operator-state')
    op.page.fill('[data-testid="operator-secret"]', OPERATOR_SECRET)
    op.page.click('[data-testid="operator-sign-in"]')
    wait_for(lambda: op.attr('operator-state', 'data-state') == 'operator', 10, period=0.1,
             message='signed in as the operator')
    assert op.page.get_attribute('body', 'data-role') == 'operator'
    assert op.page.input_value('[data-testid="operator-secret"]') == ''

    op.hold('right')  # the operator turns in place while the crowd holds forward
    wait_for(lambda: cmd[-1][1].angular.z < -0.5 and cmd[-1][1].linear.x == 0.0, 10,
             period=0.05, message='cmd_vel is the operator turning, not the crowd')
    for d in (crowd, op):
        wait_for(lambda d=d: d.page.locator('[data-testid="operator-banner"]').is_visible(), 10,
                 period=0.1, message='the operator banner on both pages')
    ARTIFACTS.mkdir(exist_ok=True)
    op.page.screenshot(path=str(ARTIFACTS / 'page-operator.png'))

    def steady():  # >= 6 commands in the last second while held (~10 Hz), not one command;
        # waited for: the test's own teleop/cmd_vel reader may be discovered late under load
        last = teleop[-1][0] if teleop else 0.0
        return len([t for t, m in teleop if m.angular.z < -0.5 and t > last - 1.0]) >= 6
    wait_for(steady, 10, period=0.1, message='a steady stream of operator commands')
    op.release()
    wait_for(lambda: teleop[-1][1].angular.z == 0.0 and teleop[-1][1].linear.x == 0.0, 5,
             period=0.05, message='stop on release')
    wait_for(lambda: cmd[-1][1].linear.x > 0.1 and cmd[-1][1].angular.z == 0.0, 10,
             period=0.05, message='the crowd drives again after the operator let go')
    wait_for(lambda: crowd.page.locator('[data-testid="operator-banner"]').is_hidden(), 10,
             period=0.1, message='the banner gone')
    op.page.click('[data-testid="operator-leave"]')
    wait_for(lambda: op.attr('operator-state', 'data-state') == 'off', 5, period=0.1,
             message='left operator mode')
    crowd.release()
    for text in console + op_console:
        assert 'Content Security Policy' not in text, text
    for d in (crowd, op):
        assert d.errors == [], d.errors
        d.context.close()


def test_stock_rosbridge_mode_page_connects_under_its_csp(web_dist, browser, start_node,
                                                         wait_for, tmp_path):
    """The page from the page-only gateway reaches rosbridge on another port: the CSP's
    connect-src lists that WebSocket origin ('self' does not cover another port)."""
    from kropbot_testing.rosbridge_standin import start_standin

    page_port, rosbridge_port = free_port(), free_port()
    start_node('kropbot_gateway', 'gateway_node', 'gateway', params={
        'port': page_port, 'websocket': False, 'rosbridge_port': rosbridge_port,
        'web_root': str(web_dist)})
    url = f'http://127.0.0.1:{page_port}/'
    wait_for(lambda: _page_up(url), 20, period=0.2, message=f'GET {url}')
    standin = start_standin(rosbridge_port, tmp_path / 'standin.log')
    try:
        tab = Driver(browser, url, PHONE)
        console = []
        tab.page.on('console', lambda m: console.append(m.text))
        wait_for(lambda: tab.state() == 'connected', 15, period=0.1,
                 message='the page connected to rosbridge on the other port')
        assert tab.page.get_attribute('body', 'data-voter-mode') == 'client'
        assert not any('Content Security Policy' in text for text in console), console
        assert tab.errors == []
        tab.context.close()
    finally:
        standin.terminate()
        standin.wait(10)
def test_robot_offline_banner_follows_the_relay_status(browser, web_dist, wait_for):
    """A relay gateway's ``"robot": "offline"`` status shows the banner; "online" hides it.

    The ROS-free gateway (``kropbot_gateway.standalone``, the relay gateway's server on an
    in-memory bridge fed through stdin) serves the built page and hands it these statuses.
    """
    import json
    import sys

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, '-m', 'kropbot_gateway.standalone', '--port', str(port),
         '--web-root', str(web_dist)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    try:
        assert json.loads(server.stdout.readline())['event'] == 'listening'
        viewer = Driver(browser, f'http://127.0.0.1:{port}/', PHONE)
        banner = viewer.page.locator('[data-testid="robot-offline"]')
        while json.loads(server.stdout.readline()) != {  # the page subscribed to the status
                'event': 'subscribe', 'topic': '/crowd/status', 'type': 'std_msgs/msg/String'}:
            pass

        def send(robot, voters):
            status = {'voters': voters, 'robot': robot, 'strategy': 'mean',
                      'command': {'linear': 0.0, 'angular': 0.0}}
            server.stdin.write(json.dumps({'topic': '/crowd/status',
                                           'msg': {'data': json.dumps(status)}}) + '\n')
            server.stdin.flush()

        send('online', 2)
        wait_for(lambda: viewer.text('drivers') == '2', 10, period=0.1, message='status shown')
        assert banner.is_hidden()
        send('offline', 0)
        wait_for(banner.is_visible, 10, period=0.1, message='robot offline banner')
        assert 'Robot offline' in banner.text_content()
        send('online', 1)
        wait_for(banner.is_hidden, 10, period=0.1, message='banner gone when back online')
        assert viewer.errors == []
    finally:
        server.stdin.close()
        server.wait(10)


def test_page_shows_the_mode_the_queue_position_and_the_pause(
        web_dist, browser, start_node, ros, wait_for, tmp_path):
    """Crowd modes on the page (issue 13): the operator's moderation panel sets the mode and
    lists the voters by token; a crowd page votes for a mode on the meter; in queue mode the
    second page sees its position; the operator's pause shows "paused by the operator" on
    every page and stops the robot. Screenshots: page-queue.png, page-paused.png,
    page-moderation.png."""
    import json

    from std_msgs.msg import String

    secrets = tmp_path / 'secrets'
    secrets.write_text(f'web: {OPERATOR_SECRET}\n')
    port = free_port()
    start_node('kropbot_vote', 'vote_node', 'vote', params={
        'crowd_switch': True, 'switch_cooldown': 3600.0})
    start_node('kropbot_gateway', 'gateway_node', 'gateway', params={
        'port': port, 'web_root': str(web_dist), 'auth_secret_file': str(secrets),
        'ban_file': str(tmp_path / 'bans.json')})
    cmd = ros.collect(Twist, 'cmd_vel')
    status = ros.collect(String, 'crowd/status')
    url = f'http://127.0.0.1:{port}/'
    wait_for(lambda: _page_up(url), 20, period=0.2, message=f'GET {url}')

    op = Driver(browser, url + '?operator', DESKTOP)
    first = Driver(browser, url, DESKTOP)
    second = Driver(browser, url, PHONE, touch=True)
    for d in (op, first, second):
        wait_for(lambda d=d: d.state() == 'connected', 15, period=0.1, message='connected')
    op.page.fill('[data-testid="operator-secret"]', OPERATOR_SECRET)
    op.page.click('[data-testid="operator-sign-in"]')
    wait_for(lambda: op.attr('operator-state', 'data-state') == 'operator', 10, period=0.1,
             message='signed in as the operator')
    assert op.page.locator('[data-testid="moderation"]').is_visible()

    def mode_shown(mode):
        return all(d.attr('modes', 'data-mode') == mode for d in (op, first, second))

    op.page.select_option('[data-testid="mod-mode"]', 'anarchy')
    wait_for(lambda: mode_shown('anarchy'), 10, period=0.1, message='anarchy on every page')
    wait_for(lambda: op.text('mod-answer') == 'mode set to anarchy', 5, period=0.1,
             message="the gateway's answer in the moderation panel")
    assert first.page.locator('[data-testid="mode-meter"]').is_visible()
    first.page.click('[data-testid="mode-vote-democracy"]')
    wait_for(lambda: status and json.loads(status[-1][1].data)['switch']['democracy'] == 1, 10,
             message='the mode vote counted by the vote node')
    wait_for(lambda: first.text('meter-text').startswith('0 anarchy · 1 democracy'), 10,
             period=0.1, message='the meter shows it')

    op.page.select_option('[data-testid="mod-mode"]', 'queue')
    wait_for(lambda: mode_shown('queue'), 10, period=0.1, message='queue on every page')
    first.hold('forward')
    wait_for(lambda: first.attr('modes', 'data-queue-role') == 'driver', 10, period=0.1,
             message='the first page drives')
    wait_for(lambda: cmd and cmd[-1][1].linear.x > 0.1, 10, period=0.05,
             message="cmd_vel is the driver's forward")
    second.hold('left', 'touch')
    wait_for(lambda: second.attr('modes', 'data-queue-position') == '1', 10, period=0.1,
             message='the second page sees its place in the queue')
    assert second.text('mode-detail').startswith('your turn in 0:')
    assert second.text('mode-detail').endswith('(position 1 of 1)')
    assert second.attr('pad', 'data-pad-state') == 'wait'
    wait_for(lambda: 'queue driver' in op.text('mod-connections')
             and 'queue #1' in op.text('mod-connections'), 10, period=0.1,
             message="the operator's list tags the driver and the waiting voter")
    ARTIFACTS.mkdir(exist_ok=True)
    second.page.screenshot(path=str(ARTIFACTS / 'page-queue.png'))
    op.page.screenshot(path=str(ARTIFACTS / 'page-moderation.png'), full_page=True)

    op.page.click('[data-testid="mod-pause"]')
    for d in (op, first, second):
        wait_for(lambda d=d: d.page.locator('[data-testid="paused-banner"]').is_visible(), 10,
                 period=0.1, message='"paused by the operator" on every page')
    wait_for(lambda: cmd[-1][1].linear.x == 0.0 and cmd[-1][1].angular.z == 0.0, 5,
             period=0.05, message='the robot stopped while paused')
    first.page.screenshot(path=str(ARTIFACTS / 'page-paused.png'))
    op.page.click('[data-testid="mod-resume"]')
    wait_for(lambda: first.page.locator('[data-testid="paused-banner"]').is_hidden(), 10,
             period=0.1, message='the banner gone after resume')
    wait_for(lambda: cmd[-1][1].linear.x > 0.1, 10, period=0.05, message='driving again')
    first.release()
    second.release()
    for d in (op, first, second):
        assert d.errors == [], d.errors
        d.context.close()
