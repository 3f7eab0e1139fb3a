"""Relay scaling: the robot's cost as the crowd on the cloud relay gateways grows.

Starts, on this machine, a Zenoh router (``kropbot-router``), the robot side (vote node with
strategy mean, camera ``test_pattern`` 320x240 at 10 fps, ``relay_link``) and ``--gateways``
relay gateways (``kropbot-gateway``). For each crowd size it connects that many page-like
clients spread evenly over the gateways (each on one WebSocket: votes forward at 2 Hz and views
the camera, CBOR, like the page) and measures over ``--duration`` s:

- the robot side's uplink: bytes/s the ``relay_link`` process sends to the router (TCP
  ``bytes_acked`` of its connection, from ``ss -ti``: Zenoh framing included) and messages/s (the
  camera and status samples it puts, counted by an observer session in this process);
  downlink bytes/s (vote batches) likewise;
- ``relay_link``'s CPU (% of one core) and the vote node's; the gateways' CPU;
- vote -> ``cmd_vel`` latency: a probe connection on the first gateway flips its vote's
  angular sign (the crowd's angular mean is 0; method of ``crowd_latency.py``); latency = probe
  send -> first ``cmd_vel`` of the new sign, p50/p99;
- frame latency at the viewers (camera stamp -> receipt), p95, and frames/s per viewer.

Goal (issue 12): uplink and link CPU at 1500 clients within 10 % of those at 10 clients.
"""

import math
import multiprocessing
import os
from pathlib import Path
import re
import subprocess
import sys
import tempfile
import threading
import time

from common import ProcessSampler, int_list, parser, percentile, print_table, write_json
from crowd_latency import DdsProbe, latencies, probe_loop
import psutil
from stack import GATEWAY_BENCH_PARAMS, LocalStack, free_port, sample_loop, wait_for
from tqdm import tqdm
from wsclients import AsyncThread, WorkerPool, page_worker, split

INSTALL = Path(os.environ.get('KROPBOT_INSTALL', Path(__file__).resolve().parents[1] / 'install'))
BIN = INSTALL / 'kropbot_gateway' / 'lib' / 'kropbot_gateway'
_SS = re.compile(r'\b(bytes_acked|bytes_received|segs_out|segs_in):(\d+)')


class RelayStack(LocalStack):
    """LocalStack plus the router and the relay gateways (plain processes, not ROS nodes)."""

    def __init__(self):
        super().__init__()
        self.relay_dir = tempfile.mkdtemp(prefix='kropbot_relay_')
        os.environ['KROPBOT_RELAY_DIR'] = self.relay_dir  # demo credentials for everyone
        self.zport = free_port()
        self.locator = f'tcp/127.0.0.1:{self.zport}'
        self.procs = {}
        self.gateway_ports = []

    def _spawn(self, name, args, ready):
        log = open(Path(self.log_dir) / f'{name}.log', 'wb')
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = (proc, log)
        path = Path(self.log_dir) / f'{name}.log'
        try:
            wait_for(lambda: ready in path.read_text(errors='replace') or proc.poll() is not None,
                     60, message=f'{name} to log {ready!r}')
        except AssertionError as exc:
            raise RuntimeError(f'{exc}\n{path.read_text(errors="replace")}') from None
        if proc.poll() is not None:
            raise RuntimeError(f'{name} exited:\n{path.read_text(errors="replace")}')
        return proc

    def start_router(self):
        """Start ``kropbot-router`` on a free loopback port."""
        return self._spawn('router', [str(BIN / 'kropbot-router'), '--listen', self.locator],
                           'listening on')

    def start_relay_gateway(self, name):
        """Start one ``kropbot-gateway`` (benchmark limits); wait until it sees the robot."""
        port = free_port()
        args = [str(BIN / 'kropbot-gateway'), '--zenoh', self.locator, '--port', str(port),
                '--name', name]
        for key, value in GATEWAY_BENCH_PARAMS.items():
            args += ['-p', f'{key}={value}']
        self.gateway_ports.append(port)
        return self._spawn(name, args, 'robot kropbot online')

    def pids(self):
        """Return ``{name: pid}`` of the nodes and relay processes."""
        out = super().pids()
        out.update({name: p.pid for name, (p, _) in self.procs.items()})
        return out

    def stop_all(self):
        """Stop the relay processes and the nodes."""
        for proc, _ in self.procs.values():
            proc.terminate()
        for proc, log in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
        self.procs.clear()
        return super().stop_all()


def link_socket_counters(pid, router_port):
    """Return TCP counters of ``pid``'s connection(s) to the router, summed (``ss -ti``).

    Keys ``bytes_acked``, ``bytes_received``, ``segs_out``, ``segs_in``; empty if none is found.
    """
    proc = psutil.Process(pid)
    ports = [c.laddr.port for c in proc.net_connections(kind='tcp')
             if c.raddr and c.raddr.port == router_port and c.status == 'ESTABLISHED']
    total = {}
    for port in ports:
        out = subprocess.run(['ss', '-tinH', 'state', 'established', 'sport', f'= :{port}',
                              'dport', f'= :{router_port}'], capture_output=True, text=True,
                             timeout=10).stdout
        for key, value in _SS.findall(out):
            total[key] = total.get(key, 0) + int(value)
    return total


class UplinkCounter:
    """Count the samples the robot puts (camera + status) with a Zenoh session in this process."""

    def __init__(self, locator, credentials_file, robot='kropbot'):
        from kropbot_gateway.keys import KeySpace
        import zenoh

        from kropbot_gateway import relay_auth, relay_config

        keys = KeySpace(robot)
        cfg = relay_config.client_config([locator], relay_auth.read_credentials(credentials_file))
        self.session = zenoh.open(relay_config.to_zenoh(cfg))
        self.messages = 0
        self.payload_bytes = 0
        self._lock = threading.Lock()
        self._subs = [self.session.declare_subscriber(k, self._on) for k in
                      (keys.camera, keys.status)]

    def _on(self, sample):
        n = len(sample.payload)
        with self._lock:
            self.messages += 1
            self.payload_bytes += n

    def snapshot(self):
        """Return ``(messages, payload_bytes)`` so far."""
        with self._lock:
            return self.messages, self.payload_bytes

    def close(self):
        """Close the observer session."""
        self.session.close()


def run_size(args, ctx, stack, dds, counter, n, bar):
    """Measure one crowd size; return a result row."""
    urls = [f'ws://127.0.0.1:{p}/' for p in stack.gateway_ports]
    per_worker = max(1, args.workers // len(urls))
    arg_list = [(urls[g], k, 2.0, args.compression)
                for g, n_g in enumerate(split(n, len(urls))) for k in split(n_g, per_worker)
                if k]
    bar.set_postfix_str(f'{n} clients: connecting')
    pool = WorkerPool(ctx, page_worker, arg_list)
    connected, errors = pool.wait_ready(timeout=300)
    pool.events['go'].set()
    time.sleep(args.warmup)
    bar.set_postfix_str(f'{n} clients: measuring')
    pids = stack.pids()
    gateways = [name for name in pids if name.startswith('gw')]
    sampler = ProcessSampler([pids['relay_link'], pids['vote'], *(pids[g] for g in gateways)])
    aio = AsyncThread()
    sends = []
    dds.cmd.clear()
    sock0 = link_socket_counters(pids['relay_link'], stack.zport)
    up0 = counter.snapshot()
    sampler.start()
    t0 = time.monotonic()
    pool.events['measure'].set()
    probe = aio.submit(probe_loop(urls[0], args.duration, sends))
    sample_loop(sampler, t0 + args.duration)
    probe.result(args.duration + 30)
    window = time.monotonic() - t0
    usage = sampler.stop()
    sock1 = link_socket_counters(pids['relay_link'], stack.zport)
    up1 = counter.snapshot()
    results = pool.finish()
    aio.close()
    time.sleep(0.3)
    lat, missed = latencies(sends, list(dds.cmd))
    frame_ms = [s[1] * 1000.0 for r in results for s in r['samples']]
    fps = [r['frames'] / window / max(1, r['connected']) for r in results]

    def rate(key):
        if key not in sock0 or key not in sock1:
            return math.nan
        return (sock1[key] - sock0[key]) / window

    return {'clients': n, 'connected': connected,
            'uplink_bytes_s': rate('bytes_acked'), 'uplink_msgs_s': (up1[0] - up0[0]) / window,
            'uplink_payload_bytes_s': (up1[1] - up0[1]) / window,
            'uplink_segs_s': rate('segs_out'), 'downlink_bytes_s': rate('bytes_received'),
            'link_cpu_pct': usage[pids['relay_link']]['cpu_pct'],
            'vote_cpu_pct': usage[pids['vote']]['cpu_pct'],
            'gateways_cpu_pct': sum(usage[pids[g]]['cpu_pct'] for g in gateways),
            'probes': len(sends), 'missed': missed,
            'p50_ms': percentile([x * 1000 for x in lat], 50),
            'p99_ms': percentile([x * 1000 for x in lat], 99),
            'frame_p95_ms': percentile(frame_ms, 95),
            'fps_per_client': percentile(fps, 50) if fps else math.nan,
            'votes_sent_s': sum(r['sent'] for r in results) / window,
            'client_cpu_pct': 100.0 * sum(r['cpu_s'] for r in results) / window,
            'window_s': window, 'connect_errors': errors[:3]}


def main():
    """Run the benchmark and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'relay_scaling')
    p.add_argument('--clients', type=int_list, default=[10, 100, 500, 1000, 1500],
                   help='crowd sizes (page-like clients over all gateways)')
    p.add_argument('--gateways', type=int, default=3, help='relay gateways')
    p.add_argument('--duration', type=float, default=20.0, help='measured seconds per size')
    p.add_argument('--warmup', type=float, default=3.0, help='seconds before measuring')
    p.add_argument('--compression', choices=['none', 'cbor'], default='cbor')
    p.add_argument('--workers', type=int, default=max(3, os.cpu_count() or 2),
                   help='client worker processes (spread over the gateways)')
    args = p.parse_args()
    if args.short:
        args.clients, args.duration, args.warmup = [6], 1.5, 0.5
    ctx = multiprocessing.get_context('spawn')
    rows = []
    with RelayStack() as stack:
        stack.start_router()
        stack.start('kropbot_vote', 'vote_node', 'vote', {'strategy': 'mean'},
                    ready='fusing crowd/vote')
        stack.start('kropbot_camera', 'camera_node', 'camera',
                    {'source': 'test_pattern', 'width': 320, 'height': 240, 'fps': 10.0},
                    ready='publishing camera/image_raw/compressed')
        stack.start('kropbot_relay', 'relay_link', 'relay_link', {'connect': [stack.locator]},
                    ready='relay link up')
        for i in range(args.gateways):
            stack.start_relay_gateway(f'gw{i + 1}')
        dds = DdsProbe()
        counter = UplinkCounter(stack.locator, Path(stack.relay_dir) / 'gateway.cred')
        try:
            bar = tqdm(args.clients, desc='relay_scaling', unit='size', file=sys.stderr)
            for n in bar:
                rows.append(run_size(args, ctx, stack, dds, counter, n, bar))
        finally:
            counter.close()
            dds.close()
    print_table(f'Relay scaling: 1 robot, {args.gateways} relay gateways, page-like clients '
                '(vote 2 Hz + view 320x240 10 fps)',
                ['clients', 'connected', 'uplink_bytes_s', 'uplink_msgs_s', 'downlink_bytes_s',
                 'link_cpu_pct', 'vote_cpu_pct', 'gateways_cpu_pct', 'p50_ms', 'p99_ms',
                 'missed', 'frame_p95_ms', 'fps_per_client', 'client_cpu_pct'], rows)
    print('uplink/downlink: relay_link <-> router TCP bytes/s (ss -ti); msgs: camera + status '
          'samples/s; cpu_pct: % of one core; latency includes the vote node timer (10 Hz).')
    write_json(args.json, 'relay_scaling',
               {'clients': args.clients, 'gateways': args.gateways, 'duration': args.duration,
                'warmup': args.warmup, 'workers': args.workers, 'compression': args.compression,
                'short': args.short,
                'targets': {'p99_ms': 120, 'uplink_and_link_cpu_growth_pct': 10}}, rows)


if __name__ == '__main__':
    main()
