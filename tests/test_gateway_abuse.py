"""Abuse tests of the real crowd gateway process (over loopback), with bystanders measured.

The attack tests share one real ``gateway_node`` and ``vote_node`` (strategy ``mean``, cmd_vel
at 100 Hz so the fusion timer adds at most 10 ms), checked alive and traceback-free after each
test; every attack comes from its own loopback address and ends its connections. Three well-behaved
voters (:class:`Bystanders`, from 127.0.0.1, in this process) keep voting during every attack:
one flips its vote between +0.3 and -0.3 m/s every 250 ms while the two others vote stop, so
``cmd_vel.linear.x`` is +-0.1 exactly while all three votes are live; the time from the flip to
the first matching ``cmd_vel`` (rclpy subscriber of the ``ros`` fixture) is one latency sample,
and p99 must stay < 100 ms. A sample that does not arrive in 250 ms counts as infinite.

Attacks run in a separate process (this file run as a script, ``python test_gateway_abuse.py
<attack> <port> ...``, with the repository's ``testing/`` put on its ``PYTHONPATH``) from other
loopback addresses (127.0.0.2...), so the attacker neither shares this process's GIL with the
latency probe nor the per-address budget of the bystanders. Raw sockets
(:mod:`kropbot_testing.rawws`) are used wherever ``websockets`` would refuse to send the bad
bytes.
Gateway memory and CPU are read with psutil from its pid.
"""

import asyncio
import base64
import json
import math
import os
from pathlib import Path
import socket
import struct
import subprocess
import sys
import threading
import time

from kropbot_testing.rawws import frame, raw_open, read_close_code, send_ignoring_reset
import pytest

pytestmark = pytest.mark.dds
TESTING = Path(__file__).resolve().parents[1] / 'testing'  # kropbot_testing, for the child

HANDSHAKE_TIMEOUT = 2.0  # s, gateway parameter set for these tests
PER_ADDRESS = 20  # the gateway's default max_connections_per_address
RSS_GROWTH_MAX = 50 * 2 ** 20  # bytes
P99_MAX = 0.100  # s
FLIP_PERIOD = 0.25  # s, 4 votes/s per bystander, under the 5/s token bucket


# --- attacker side (runs in a child process; no rclpy) ----------------------------------------

def attack_frames(port, kind, seconds):
    """Repeat one malformed-frame attack for ``seconds``; return the close codes seen."""
    codes, statuses, extensions = [], [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        headers = ''
        if kind == 'deflate':
            headers = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n'
        sock, status, head = raw_open(port, '127.0.0.2', headers)
        statuses.append(status)
        extensions.append('sec-websocket-extensions' in head.lower())
        with sock:
            if kind == 'big':  # a 2 MiB text message
                send_ignoring_reset(sock, frame(1, b'x' * (2 * 2 ** 20)))
            elif kind == 'deep_over':  # 100,000-deep, 200 kB: over max size
                send_ignoring_reset(sock, frame(1, b'[' * 100_000 + b']' * 100_000))
            elif kind == 'deep_under':  # 30,000-deep (60 kB, under max size), then close
                send_ignoring_reset(sock, frame(1, b'[' * 30_000 + b']' * 30_000))
                send_ignoring_reset(sock, frame(1, b'{"a":' * 1000 + b'1' + b'}' * 1000))
                send_ignoring_reset(sock, frame(8, struct.pack('!H', 1000)))
            elif kind == 'utf8':
                send_ignoring_reset(sock, frame(1, b'{"op":"\xff\xfe\xc3\x28"}'))
            elif kind == 'binary':
                send_ignoring_reset(sock, frame(2, b'\x00\x01' * 100))
            elif kind == 'deflate':  # a "compressed" bomb frame on a connection without deflate
                bomb = bytes.fromhex('edc1010d000000c2a0f74f6d0e37a00000') * 100
                send_ignoring_reset(sock, frame(1, bomb, rsv1=True))
            codes.append(read_close_code(sock))
    return {'codes': codes, 'statuses': statuses, 'extensions': extensions}


async def _garbage(port, total_bytes):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    chunk = '{}' * 30_000  # 60 kB frames, under the 64 KiB max size
    sent, codes = 0, []
    while sent < total_bytes:
        ws = await connect(f'ws://127.0.0.1:{port}', local_addr=('127.0.0.2', 0),
                           max_size=None)
        try:
            while sent < total_bytes:
                await ws.send(chunk)
                sent += len(chunk)
        except ConnectionClosed:
            pass
        await ws.close()
        codes.append(ws.close_code)
    return {'codes': codes, 'sent': sent}


def attack_slowloris(port, count):
    """Open ``count`` sockets and trickle an HTTP request at 1 byte/s on each.

    Returns each socket's lifetime (s) until the server closed it, or None if still open
    after 10 s.
    """
    request = b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
    socks, opened = [], []
    for _ in range(count):
        s = socket.create_connection(('127.0.0.1', port), source_address=('127.0.0.3', 0))
        s.setblocking(False)
        socks.append(s)
        opened.append(time.monotonic())
    lifetimes = [None] * count
    start = time.monotonic()
    i = 0
    import select

    while time.monotonic() - start < 10 and any(t is None for t in lifetimes):
        for k, s in enumerate(socks):
            if lifetimes[k] is None:
                try:
                    s.send(request[i % len(request):i % len(request) + 1])
                except OSError:
                    lifetimes[k] = time.monotonic() - opened[k]
        i += 1
        tick = time.monotonic() + 1.0
        while time.monotonic() < tick:
            live = [s for k, s in enumerate(socks) if lifetimes[k] is None]
            if not live:
                break
            readable, _, _ = select.select(live, [], [], max(0.0, tick - time.monotonic()))
            for s in readable:
                k = socks.index(s)
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b''
                if not data:
                    lifetimes[k] = time.monotonic() - opened[k]
    for s in socks:
        s.close()
    return {'lifetimes': lifetimes}


async def _burst(port, count):
    import resource

    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def one():
        try:
            return await connect(f'ws://127.0.0.1:{port}', local_addr=('127.0.0.4', 0),
                                 open_timeout=30)
        except InvalidStatus as exc:
            return exc.response.status_code
        except Exception as exc:  # noqa: BLE001 - reported to the test
            return type(exc).__name__

    results = await asyncio.gather(*(one() for _ in range(count)))
    opened = [r for r in results if not isinstance(r, (int, str))]
    out = {'opened': len(opened),
           'refused': {str(k): sum(1 for r in results if r == k)
                       for k in {r for r in results if isinstance(r, (int, str))}}}
    await asyncio.sleep(1.0)  # hold them while the test checks the bystanders
    for ws in opened:
        await ws.close()
    return out


def attack_stalled_viewers(port, count, seconds):
    """Subscribe ``count`` raw viewers to the camera and never read; hold for ``seconds``."""
    socks = []
    for _ in range(count):
        sock, status, _ = raw_open(port, '127.0.0.5')
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(frame(1, json.dumps({'op': 'subscribe',
                                          'topic': 'camera/image_raw/compressed'}).encode()))
        socks.append(sock)
    time.sleep(seconds)
    for s in socks:
        s.close()
    return {'viewers': len(socks)}


def _main(argv):
    name, port = argv[0], int(argv[1])
    if name == 'frames':
        out = attack_frames(port, argv[2], float(argv[3]))
    elif name == 'garbage':
        out = asyncio.run(_garbage(port, int(argv[2])))
    elif name == 'slowloris':
        out = attack_slowloris(port, int(argv[2]))
    elif name == 'burst':
        out = asyncio.run(_burst(port, int(argv[2])))
    elif name == 'stalled':
        out = attack_stalled_viewers(port, int(argv[2]), float(argv[3]))
    else:
        raise SystemExit(f'unknown attack {name}')
    print(json.dumps(out), flush=True)


# --- test side --------------------------------------------------------------------------------

class Attack:
    """This file run as an attacker process; ``result()`` waits and returns its JSON output."""

    def __init__(self, *args):
        self.started = time.monotonic()
        path = os.pathsep.join(p for p in (str(TESTING), os.environ.get('PYTHONPATH')) if p)
        self.proc = subprocess.Popen([sys.executable, __file__, *map(str, args)],
                                     env=dict(os.environ, PYTHONPATH=path),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ended = None

    def result(self, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        self.ended = time.monotonic()
        assert self.proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


class Sampler:
    """Sample a process's RSS (bytes) and CPU (% of one core) every ``period`` s in a thread."""

    def __init__(self, pid, period=0.1):
        import psutil

        self.proc = psutil.Process(pid)
        self.period = period
        self.samples = []  # (monotonic s, rss bytes, cpu % over the last period)
        self._stop = threading.Event()
        self.proc.cpu_percent(None)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.period):
            self.samples.append((time.monotonic(), self.proc.memory_info().rss,
                                 self.proc.cpu_percent(None)))

    def window(self, start, end):
        return [s for s in self.samples if start <= s[0] <= end]

    def close(self):
        self._stop.set()
        self._thread.join(2)


def p99(values):
    """The 99th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


class Bystanders:
    """Three well-behaved voters on their own asyncio loop; the first measures latency.

    Args:
        port: gateway port.
        cmd: the ``ros.collect(Twist, 'cmd_vel')`` list of ``(monotonic s, Twist)``.

    """

    def __init__(self, port, cmd):
        self.port = port
        self.cmd = cmd
        self.samples = []  # (flip time, latency s or inf)
        self.closed = []
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._task = asyncio.run_coroutine_threadsafe(self._run(), self.loop)

    async def _run(self):
        from websockets.asyncio.client import connect

        url = f'ws://127.0.0.1:{self.port}'
        clients = [await connect(url, local_addr=('127.0.0.1', 0)) for _ in range(3)]
        self.clients = clients
        try:
            for ws in clients:
                ws_task = asyncio.get_running_loop().create_task(self._drain(ws))
                ws.drain_task = ws_task
            sign, seen = 1.0, 0
            while True:
                sign = -sign
                t0 = time.monotonic()
                for i, ws in enumerate(clients):
                    await ws.send(json.dumps({
                        'op': 'publish', 'topic': 'crowd/vote',
                        'msg': {'twist': {'linear': {'x': 0.3 * sign if i == 0 else 0.0}}}}))
                latency = math.inf
                while time.monotonic() < t0 + FLIP_PERIOD:
                    while seen < len(self.cmd):
                        stamp, msg = self.cmd[seen]
                        seen += 1
                        if stamp > t0 and abs(msg.linear.x - 0.1 * sign) < 0.01:
                            latency = stamp - t0
                    if latency < math.inf:
                        break
                    await asyncio.sleep(0.002)
                self.samples.append((t0, latency))
                await asyncio.sleep(max(0.0, t0 + FLIP_PERIOD - time.monotonic()))
        finally:
            for ws in clients:
                await ws.close()

    async def _drain(self, ws):
        from websockets.exceptions import ConnectionClosed

        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        self.closed.append(ws.close_code)

    def wait_ready(self, timeout=20.0):
        """Wait until three consecutive flips reached cmd_vel (DDS matched, votes live)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._task.done():
                self._task.result()
            last = [lat for _, lat in self.samples[-3:]]
            if len(last) == 3 and all(lat < math.inf for lat in last):
                return
            time.sleep(0.1)
        raise AssertionError(f'bystander votes never reached cmd_vel: {self.samples[-5:]}')

    def latencies(self, start, end):
        return [lat for t0, lat in self.samples if start <= t0 <= end]

    def check(self, start, end, what, min_samples=4):
        """Assert p99 < 100 ms for flips in [start, end] and no bystander was closed."""
        lats = self.latencies(start, end)
        assert len(lats) >= min_samples, f'{what}: only {len(lats)} samples'
        worst = p99(lats)
        assert worst < P99_MAX, f'{what}: bystander p99 latency {worst:.3f} s, samples ' \
            f'{sorted(round(x, 3) for x in lats)}'
        assert not self.closed, f'{what}: a bystander was closed: {self.closed}'
        return worst

    def close(self):
        async def cancel():
            task = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in task:
                t.cancel()
            await asyncio.gather(*task, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(cancel(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(3)
        self.loop.close()


@pytest.fixture(scope='module')
def shared_stack(tmp_path_factory):
    """Gateway + vote node + the bystanders, shared by the attacks of this module.

    Each attack comes from its own loopback address and ends its connections, and each test
    measures its own attack's window, so one stack serves them all (one start-up instead of
    six); :func:`stack` checks it before and after every test.
    """
    from geometry_msgs.msg import Twist
    from kropbot_testing.processes import NodeProcess, free_port, wait_for
    from kropbot_testing.ros_harness import RosHarness

    logs = tmp_path_factory.mktemp('abuse')
    port = free_port()
    procs = [NodeProcess('kropbot_gateway', 'gateway_node', 'gateway', logs,
                         params={'port': port, 'handshake_timeout': HANDSHAKE_TIMEOUT}),
             NodeProcess('kropbot_vote', 'vote_node', 'vote', logs,
                         params={'strategy': 'mean', 'rate': 100.0, 'max_rate': 100.0})]
    gateway = procs[0]
    ros = RosHarness()
    bystanders = None
    try:
        wait_for(lambda: 'crowd gateway on http://' in gateway.log() or not gateway.alive(), 20,
                 message='gateway start')
        assert gateway.alive(), gateway.log()
        bystanders = Bystanders(port, ros.collect(Twist, 'cmd_vel'))
        yield port, gateway, bystanders
    finally:
        if bystanders is not None:
            bystanders.close()
        ros.close()
        for proc in procs:
            proc.interrupt()
        for proc in procs:
            proc.stop()
            print(f'----- {proc.name} log -----\n{proc.log()[-3000:]}')


@pytest.fixture
def stack(shared_stack):
    """Yield ``(port, gateway_proc, bystanders)``: the bystanders' votes reach cmd_vel before
    the test; afterwards the gateway is still up and logged no traceback."""
    port, gateway, bystanders = shared_stack
    assert gateway.alive(), gateway.log()
    bystanders.wait_ready()
    yield shared_stack
    assert gateway.alive(), 'the gateway died'
    assert 'Traceback' not in gateway.log(), gateway.log()


@pytest.mark.timeout(120)
def test_malformed_frames_close_with_the_right_code(stack):
    port, gateway, bystanders = stack
    sampler = Sampler(gateway.proc.pid)
    expected = {'big': 1009, 'deep_over': 1009, 'deep_under': 1000, 'utf8': 1007,
                'binary': 1003, 'deflate': 1002}
    try:
        for kind, code in expected.items():
            rss0 = sampler.proc.memory_info().rss
            attack = Attack('frames', port, kind, 2.0)
            out = attack.result()
            assert out['codes'] and set(out['codes']) == {code}, (kind, out['codes'])
            assert set(out['statuses']) == {101}, (kind, out['statuses'])
            assert not any(out['extensions']), 'permessage-deflate must not be negotiated'
            peak = max(rss for _, rss, _ in sampler.window(attack.started, attack.ended))
            assert peak - rss0 < RSS_GROWTH_MAX, (kind, peak - rss0)
            bystanders.check(attack.started, attack.ended, kind)
    finally:
        sampler.close()
    log = gateway.log()
    assert 'connection handler failed' not in log and 'RecursionError' not in log, log


@pytest.mark.timeout(120)
def test_garbage_stream_is_closed_and_cpu_recovers(stack):
    port, gateway, bystanders = stack
    sampler = Sampler(gateway.proc.pid, period=0.25)
    try:
        time.sleep(2.0)
        baseline = [cpu for _, _, cpu in sampler.samples[-6:]]
        rss0 = sampler.proc.memory_info().rss
        attack = Attack('garbage', port, 10 * 2 ** 20)
        out = attack.result()
        assert out['sent'] >= 10 * 2 ** 20
        assert set(out['codes']) == {1008}, out['codes']
        # Cut by the byte budget (16 kB/s x 5 s) after two 60 kB frames; what the client had
        # already written before it read the close frame is discarded unparsed by the server.
        assert 'byte flood' in gateway.log(), gateway.log()
        time.sleep(2.0)
        after = [cpu for t, _, cpu in sampler.window(attack.ended + 1.0, attack.ended + 2.0)]
        base = sorted(baseline)[len(baseline) // 2]
        assert after and max(after) <= max(2 * base, base + 15.0), (baseline, after)
        peak = max(rss for _, rss, _ in sampler.window(attack.started, attack.ended))
        assert peak - rss0 < RSS_GROWTH_MAX
        bystanders.check(attack.started, attack.ended, 'garbage')
    finally:
        sampler.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize('count', [1, 50])
def test_slowloris_is_cut_at_the_handshake_timeout(stack, count):
    port, gateway, bystanders = stack
    attack = Attack('slowloris', port, count)
    time.sleep(1.0)

    async def newcomer():  # a new client can still connect during the attack
        from websockets.asyncio.client import connect

        async with connect(f'ws://127.0.0.1:{port}', open_timeout=2) as ws:
            await ws.send(json.dumps({'op': 'subscribe', 'topic': 'crowd/status'}))
            return json.loads(await asyncio.wait_for(ws.recv(), 5))['op']
    assert asyncio.run(newcomer()) == 'publish'
    out = attack.result()
    lifetimes = out['lifetimes']
    assert all(t is not None and t < HANDSHAKE_TIMEOUT + 1.5 for t in lifetimes), lifetimes
    bystanders.check(attack.started, attack.ended, f'slowloris x{count}')


@pytest.mark.timeout(120)
def test_connection_burst_is_capped_per_address(stack):
    port, gateway, bystanders = stack
    attack = Attack('burst', port, 1000)
    out = attack.result(timeout=90)
    assert out['opened'] == PER_ADDRESS, out  # never more, even for simultaneous handshakes
    assert out['refused'] == {'429': 1000 - PER_ADDRESS}, out
    bystanders.check(attack.started, attack.ended, 'burst of 1000')


@pytest.mark.timeout(120)
def test_stalled_viewers_do_not_slow_others_real_camera(stack, start_node):
    port, gateway, bystanders = stack
    start_node('kropbot_camera', 'camera_node', 'camera',
               params={'source': 'test_pattern', 'width': 320, 'height': 240, 'fps': 10.0})
    sampler = Sampler(gateway.proc.pid)

    async def good_viewer():
        from websockets.asyncio.client import connect

        async with connect(f'ws://127.0.0.1:{port}') as ws:
            await ws.send(json.dumps({'op': 'subscribe',
                                      'topic': 'camera/image_raw/compressed'}))
            await asyncio.wait_for(ws.recv(), 20)  # the camera is up
            attack = Attack('stalled', port, 5, 6.0)
            await asyncio.sleep(1.0)  # the stalled viewers are subscribed and their buffers full
            rss0 = sampler.proc.memory_info().rss
            start, count = time.monotonic(), 0
            while time.monotonic() - start < 4.0:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert base64.b64decode(msg['msg']['data'])[:2] == b'\xff\xd8'
                count += 1
            return attack, rss0, count / (time.monotonic() - start)

    try:
        attack, rss0, rate = asyncio.run(good_viewer())
        out = attack.result()
        assert out['viewers'] == 5
        assert rate >= 8.0, rate  # camera 10 fps; stalled viewers cost the others nothing
        peak = max(rss for _, rss, _ in sampler.window(attack.started, attack.ended))
        assert peak - rss0 < RSS_GROWTH_MAX, peak - rss0
        bystanders.check(attack.started, attack.ended, 'stalled viewers')
    finally:
        sampler.close()


@pytest.mark.timeout(60)
def test_only_the_gateway_listens_and_dds_stays_on_loopback(start_node, wait_for):
    """Only the gateway's TCP port listens, on 127.0.0.1; DDS stays in LOCALHOST mode.

    What Fast DDS (rmw_fastrtps, Kilted wheels) binds with ROS_AUTOMATIC_DISCOVERY_RANGE=
    LOCALHOST (tools/env.sh, conftest), as observed with ``ss -uanp``: receive sockets on the
    wildcard 0.0.0.0 (metatraffic and user unicast ports 7410+250*domain+2*participant(+1),
    and a few others), and one *sender* socket per interface bound to the interface address with
    an ephemeral port; no socket on the multicast discovery port 7400+250*domain (SUBNET mode
    opens it), and no TCP listener. So the assertion is: UDP sockets bound to a specific
    non-loopback address use ephemeral ports only, and nobody binds the multicast discovery
    port. Checked with psutil, like ``ss -lntup``.
    """
    import ipaddress

    from kropbot_testing.processes import free_port
    import psutil

    port = free_port()
    procs = [start_node('kropbot_gateway', 'gateway_node', 'gateway', params={'port': port}),
             start_node('kropbot_vote', 'vote_node', 'vote'),
             start_node('kropbot_driver', 'driver_node', 'driver'),
             start_node('kropbot_camera', 'camera_node', 'camera',
                        params={'source': 'test_pattern'})]
    wait_for(lambda: 'crowd gateway on http://' in procs[0].log(), 20, message='gateway')
    time.sleep(2.0)  # DDS participants up and discovered
    assert all(p.alive() for p in procs), [p.log() for p in procs]
    listening, udp = [], []
    for p in procs:
        for conn in psutil.Process(p.proc.pid).net_connections(kind='inet'):
            if conn.type == socket.SOCK_STREAM and conn.status == psutil.CONN_LISTEN:
                listening.append((p.name, conn.laddr.ip, conn.laddr.port))
            elif conn.type == socket.SOCK_DGRAM:
                udp.append((p.name, conn.laddr.ip, conn.laddr.port))
    assert listening == [('gateway', '127.0.0.1', port)], listening
    assert udp, 'no DDS sockets found: is the check blind?'
    with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
        ephemeral = int(f.read().split()[0])
    multicast_port = 7400 + 250 * int(os.environ['ROS_DOMAIN_ID'])
    for name, ip, udp_port in udp:
        addr = ipaddress.ip_address(ip)
        assert addr.is_loopback or addr.is_unspecified or udp_port >= ephemeral, \
            (name, ip, udp_port)
        assert udp_port != multicast_port, f'{name} joined multicast discovery: {udp}'


if __name__ == '__main__':
    _main(sys.argv[1:])
