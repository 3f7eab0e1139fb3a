"""Desktop client latency: gamepad event → cmd_vel, and camera capture → frame in the client.

Method (see bench/README.md): the benchmark runs the real desktop client in-process
(``kropbot_remote``: its UI loop, the arbiter, the asyncio WebSocket client) headless, with a
gamepad whose events are injected into the client's event queue exactly as SDL events arrive.
A probe alternates the left stick between full forward and full back (dead-man held) every
0.4..0.6 s (random, so the events fall at every phase of the vote node's timer); the latency
is from the injection to the first ``cmd_vel`` whose ``linear.x`` has the new sign, received
by an rclpy subscriber in this process (same monotonic clock). As a crowd voter the client is
the only voter, so ``cmd_vel`` is its vote; with ``--operator`` it is the operator
(``teleop/cmd_vel``): the local gateway gets operator access with a fresh random secret, which
the client uses (``--token-file F`` instead: that secret, for a ``--url`` gateway holding it).
Camera: every received frame's arrival (wall clock) minus its ``header.stamp`` (the camera
node's capture time, same machine). Without ``--url`` the benchmark starts its own vote node,
camera node (test pattern) and gateway; with ``--url`` it connects to a running stack whose
DDS graph (this ROS_DOMAIN_ID) it also reads.
"""

import argparse
import os
import random
import threading
import time

from common import parser, print_table, summary_ms, write_json
from stack import LocalStack

MAX_LINEAR = 0.3  # m/s, robot.yaml vote.max_linear: the sign is what the probe looks at


def run_client(url, token, source):
    """Start the real client (headless UI loop in a thread); return (client, frames, stop)."""
    from kropbot_remote.app import App
    from kropbot_remote.client import RemoteClient
    from kropbot_remote.main import run_loop
    from kropbot_remote.teleop import Arbiter, Limits

    frames = []  # (arrival wall s, stamp s)
    client = RemoteClient(url, token=token, on_wake=source.wake,
                          on_frame=lambda f, arrival: frames.append((arrival, f.stamp)))
    app = App(client, Arbiter(Limits(MAX_LINEAR, 1.5)), fixed_limits=True)
    stop = threading.Event()
    args = argparse.Namespace(headless=True, scale=1.0, url=url)
    client.start()
    threading.Thread(target=run_loop, args=(app, client, source, args, stop),
                     daemon=True).start()
    return client, frames, stop


def main():
    p = parser(__doc__.split('\n')[0], 'remote_latency')
    p.add_argument('--probes', type=int, default=200, help='stick reversals measured')
    p.add_argument('--fps', type=float, default=30.0, help='camera rate of the local stack')
    p.add_argument('--url', help='measure a running stack at this gateway URL instead')
    p.add_argument('--token-file', help='drive as the operator (teleop/cmd_vel) with this secret')
    p.add_argument('--operator', action='store_true',
                   help='drive as the operator with a fresh secret the local gateway is given')
    args = p.parse_args()
    probes = 5 if args.short else args.probes
    from geometry_msgs.msg import Twist
    from kropbot_gateway.auth import load_token
    from kropbot_remote.sources import QueueSource
    from kropbot_testing.ros_harness import RosHarness

    if args.operator and not args.token_file:
        import secrets
        import tempfile

        handle, args.token_file = tempfile.mkstemp(prefix='kropbot_operator_', text=True)
        with os.fdopen(handle, 'w') as f:
            f.write(secrets.token_urlsafe(24) + '\n')
    token = load_token(args.token_file) if args.token_file else None
    with LocalStack() as stack:
        if args.url:
            url = args.url
        else:
            stack.start('kropbot_vote', 'vote_node', 'vote', ready='fusing')
            stack.start('kropbot_camera', 'camera_node', 'camera',
                        {'source': 'test_pattern', 'fps': args.fps}, ready='publishing')
            stack.start_gateway(**({'auth_secret_file': args.token_file} if token else {}))
            url = stack.url
        ros = RosHarness(f'kropbot_bench_{os.getpid()}')
        cmd = ros.collect(Twist, 'cmd_vel')
        source = QueueSource()
        client, frames, stop = run_client(url, token, source)
        try:
            deadline = time.monotonic() + 20
            while not frames or client.snapshot().state != 'connected':
                if time.monotonic() > deadline:
                    raise SystemExit(f'no frames from {url} within 20 s')
                time.sleep(0.05)
            for event in ({'type': 'CONTROLLERDEVICEADDED', 'instance_id': 0, 'name': 'bench'},
                          {'type': 'CONTROLLERBUTTONDOWN', 'instance_id': 0, 'button': 10}):
                source.inject(event)
            frames.clear()
            rng = random.Random(1)
            latencies, missed, sign = [], 0, 1
            for i in range(probes + 1):  # reversal 0 only sets the starting direction
                time.sleep(rng.uniform(0.4, 0.6))
                sign = -sign
                seen = len(cmd)
                sent = time.monotonic()
                source.inject({'type': 'CONTROLLERAXISMOTION', 'instance_id': 0, 'axis': 1,
                               'value': -32768 if sign > 0 else 32767})
                hit = None
                while time.monotonic() - sent < 1.0 and hit is None:
                    hit = next((t for t, m in cmd[seen:] if m.linear.x * sign > 0), None)
                    time.sleep(0.001)
                if i == 0:
                    continue
                if hit is None:
                    missed += 1
                else:
                    latencies.append(hit - sent)
            camera = [arrival - stamp for arrival, stamp in frames]
        finally:
            source.inject({'type': 'CONTROLLERDEVICEREMOVED', 'instance_id': 0})
            time.sleep(0.1)
            stop.set()
            source.wake()
            client.close()
            ros.close()
    rows = [dict(path='gamepad event -> cmd_vel', role=client.role, missed=missed,
                 **summary_ms(latencies)),
            dict(path='camera capture -> client', role=client.role, missed=0,
                 **summary_ms(camera))]
    print_table(f'Desktop client latency ({url}, loopback)',
                ['path', 'role', 'n', 'missed', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms'], rows)
    write_json(args.json, 'remote_latency', {'probes': probes, 'fps': args.fps, 'url': url,
                                             'role': client.role}, rows)


if __name__ == '__main__':
    main()
