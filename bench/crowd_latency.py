"""Crowd path latency: N WebSocket voters at 2 Hz; time from a probe's vote to cmd_vel changing.

Method (see bench/README.md): the N background voters all vote (0.15 m/s, 0 rad/s); the vote
node fuses with strategy ``mean``. One probe connection alternates its vote between angular.z
= +max_angular and -max_angular (same linear.x), every 0.4..0.6 s (random, so the sends fall at
every phase of the vote node's timer). The background contributes exactly 0 to the mean
angular velocity, so the sign of cmd_vel.angular.z is the sign of the probe's vote whatever N
is (the magnitude is max_angular / (N + 1)). Latency = probe send -> first cmd_vel with the new
sign, received by an rclpy subscriber in this process (same clock as the probe).

Voters run as asyncio clients in separate worker processes (``--workers``); their CPU is
reported. Without ``--url`` the benchmark starts its own vote node (strategy mean) and gateway
(on a free port, with the per-address and per-connection limits raised), and reports their
CPU-seconds and peak RSS. Accepted votes/s = growth of the vote node's ``accepted`` counter
(in ``crowd/status``) over the window: votes that went through the gateway AND reached the
fusion. ``--count-votes`` also counts crowd/vote messages on DDS (what the gateway published),
at the cost of a second DDS reader in this process. With ``--url`` it
uses an existing rosbridge-protocol server (e.g. stock rosbridge_suite) and only the
advertise/publish ops; cmd_vel is then read from the local DDS graph (this ROS_DOMAIN_ID), the
vote node there must use strategy mean, and server CPU/RSS are not measured.

Voter ids: every client puts its own id in ``header.frame_id`` (``bench-<worker>-<i>``, the
probe ``bench-probe``). The KropBot gateway overwrites it with the connection's id (one
connection = one voter, ``voter_ids: server``); a server that assigns no identity, such as
stock rosbridge, publishes it as sent (``voter_ids: client``), so the vote node still sees one
voter per client and the benchmark compares the servers on the same work.
"""

import asyncio
import json
import math
import multiprocessing
import os
import random
import time

from common import (
    ProcessSampler,
    int_list,
    parser,
    print_table,
    summary_ms,
    write_json,
)
from stack import LocalStack, sample_loop
from tqdm import tqdm
from websockets.asyncio.client import connect
from wsclients import AsyncThread, WorkerPool, advertise_op, split, vote_op, voter_worker

PROBE_ID = 'bench-probe'  # the probe's voter id in header.frame_id (see the module docstring)

CROWD_LINEAR = 0.15  # m/s, every voter's forward vote
MAX_ANGULAR = 1.5  # rad/s, robot.yaml vote.max_angular (probe votes +-this)


class DdsProbe:
    """rclpy subscribers to cmd_vel, crowd/status (and crowd/vote) in a background thread.

    Args:
        count_votes: also count crowd/vote messages (serialized, not deserialized): the votes
            the gateway accepted and published. This adds a second DDS reader of the gateway's
            vote publisher, so the gateway's CPU is slightly over- rather than under-estimated.

    """

    def __init__(self, count_votes=False):
        from geometry_msgs.msg import Twist
        from kropbot_testing.ros_harness import RosHarness
        from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
        from std_msgs.msg import String

        self._harness = RosHarness(f'kropbot_bench_{os.getpid()}')
        self.node = self._harness.node
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                         history=HistoryPolicy.KEEP_LAST)
        self.cmd = []  # (monotonic s, angular.z)
        self.voters = []  # (monotonic s, live voters)
        self.accepted = []  # (monotonic s, vote node's cumulative accepted votes)
        self.node.create_subscription(
            Twist, 'cmd_vel', lambda m: self.cmd.append((time.monotonic(), m.angular.z)), qos)
        self.node.create_subscription(String, 'crowd/status', self._on_status, qos)
        self.votes = 0  # crowd/vote messages seen (what the gateway published = accepted)
        if count_votes:
            from geometry_msgs.msg import TwistStamped

            vote_qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                                  history=HistoryPolicy.KEEP_LAST)
            self.node.create_subscription(TwistStamped, 'crowd/vote', self._on_vote, vote_qos,
                                          raw=True)

    def _on_vote(self, _serialized):
        self.votes += 1

    def _on_status(self, msg):
        now = time.monotonic()
        status = json.loads(msg.data)
        self.voters.append((now, status.get('voters')))
        if 'accepted' in status:
            self.accepted.append((now, status['accepted']))

    def accepted_rate(self, t0, t1):
        """Return votes/s accepted by the vote node between monotonic ``t0`` and ``t1``."""
        inside = [(t, n) for t, n in self.accepted if t0 <= t <= t1]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return math.nan
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    def close(self):
        """Shut the subscriber down (the spin thread ends before the process exits)."""
        self._harness.close()


def latencies(sends, cmd):
    """Return ``(latencies_s, missed)``: per probe send, time to the first cmd_vel of its sign.

    Args:
        sends: list of ``(monotonic s, sign)`` probe votes, in order.
        cmd: list of ``(monotonic s, angular.z)`` cmd_vel samples, in order.

    A send whose sign never shows before the next send is counted as missed.

    """
    out, missed = [], 0
    j = 0
    for k, (t, sign) in enumerate(sends):
        until = sends[k + 1][0] if k + 1 < len(sends) else math.inf
        while j < len(cmd) and cmd[j][0] < t:
            j += 1
        hit = next((c for c in cmd[j:] if c[0] < until and math.copysign(1, c[1]) == sign
                    and c[1] != 0.0), None)
        if hit is None:
            missed += 1
        else:
            out.append(hit[0] - t)
    return out, missed


async def probe_loop(url, duration, sends):
    """Connect one probe voter and flip its vote for ``duration`` s; append to ``sends``."""
    async with connect(url, ping_interval=None, compression=None) as ws:
        await ws.send(advertise_op())
        sign = 1.0
        await ws.send(vote_op(CROWD_LINEAR, sign * MAX_ANGULAR, PROBE_ID))
        await asyncio.sleep(0.6)
        end = time.monotonic() + duration
        while time.monotonic() < end:
            sign = -sign
            sends.append((time.monotonic(), sign))
            await ws.send(vote_op(CROWD_LINEAR, sign * MAX_ANGULAR, PROBE_ID))
            await asyncio.sleep(random.uniform(0.4, 0.6))


def run_config(args, ctx, dds, n, rate, bar):
    """Run one (clients, rate) configuration; return a result row."""
    stack = None if args.url else LocalStack()
    try:
        if stack:
            stack.start('kropbot_vote', 'vote_node', 'vote', {'strategy': 'mean'},
                        ready='fusing crowd/vote')
            stack.start_gateway()
            url = stack.url
        else:
            url = args.url
        bar.set_postfix_str(f'{n} clients @ {rate:g} Hz: connecting')
        pool = WorkerPool(ctx, voter_worker,
                          [(url, k, rate, (CROWD_LINEAR, 0.0))
                           for k in split(n, args.workers)])
        connected, errors = pool.wait_ready()
        pool.events['go'].set()
        aio = AsyncThread()
        sends = []
        time.sleep(args.warmup)
        bar.set_postfix_str(f'{n} clients @ {rate:g} Hz: measuring')
        sampler = ProcessSampler(list(stack.pids().values())) if stack else None
        if sampler:
            sampler.start()
        cpu_self0 = time.process_time()
        dds.cmd.clear()
        dds.voters.clear()
        dds.accepted.clear()
        votes0 = dds.votes
        t0 = time.monotonic()
        pool.events['measure'].set()
        probe = aio.submit(probe_loop(url, args.duration, sends))
        if sampler:
            sample_loop(sampler, t0 + args.duration)
        probe.result(args.duration + 30)
        window = time.monotonic() - t0
        votes_seen = dds.votes - votes0
        cpu_self = time.process_time() - cpu_self0
        usage = sampler.stop() if sampler else {}
        results = pool.finish()
        aio.close()
        time.sleep(0.3)  # the last cmd_vel samples
        lat, missed = latencies(sends, list(dds.cmd))
        live = [v for t, v in dds.voters if v is not None]
        pids = stack.pids() if stack else {}
        sent_window = sum(r['sent_window'] for r in results) + len(sends)
        offered = sent_window / window
        accepted = dds.accepted_rate(t0, t0 + window)
        published = votes_seen / window if args.count_votes else math.nan
        s = summary_ms(lat)
        row = {'clients': n, 'rate_hz': rate, 'connected': connected,
               'offered_votes_s': offered, 'accepted_votes_s': accepted,
               'published_votes_s': published,
               'live_voters_max': max(live) if live else math.nan,
               'probes': len(sends), 'missed': missed,
               'p50_ms': s['p50_ms'], 'p95_ms': s['p95_ms'], 'p99_ms': s['p99_ms'],
               'max_ms': s['max_ms'],
               'client_cpu_pct': 100.0 * sum(r['cpu_s'] for r in results) / window,
               'bench_cpu_pct': 100.0 * cpu_self / window,
               'client_errors': sum(r['errors'] for r in results) + len(errors),
               'client_late': sum(r['late'] for r in results), 'window_s': window}
        if stack:
            gw, vote = usage[pids['gateway']], usage[pids['vote']]
            votes_window = accepted * window if math.isfinite(accepted) and accepted > 0 else 0
            row.update({'gateway_cpu_pct': gw['cpu_pct'], 'vote_cpu_pct': vote['cpu_pct'],
                        'vote_cpu_us_per_vote': (1e6 * vote['cpu_s'] / votes_window
                                                 if votes_window else math.nan),
                        'server_cpu_pct': gw['cpu_pct'] + vote['cpu_pct'],
                        'gateway_cpu_s': gw['cpu_s'], 'vote_cpu_s': vote['cpu_s'],
                        'gateway_rss_mb': gw['peak_rss_mb'], 'vote_rss_mb': vote['peak_rss_mb']})
        if errors:
            row['connect_errors'] = errors[:3]
        return row
    finally:
        if stack:
            stack.stop_all()


def main():
    """Run the benchmark and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'crowd_latency')
    p.add_argument('--url', default='',
                   help='use an existing rosbridge-protocol server (e.g. ws://host:9090/) '
                        'instead of starting vote node + gateway; cmd_vel is then read from the '
                        'local DDS graph (ROS_DOMAIN_ID) and its vote node must use strategy '
                        'mean; server CPU/RSS are not measured. The clients set their own '
                        'voter ids (header.frame_id), for servers that assign none')
    p.add_argument('--clients', type=int_list, default=[10, 100, 1000],
                   help='background voters per configuration (comma-separated)')
    p.add_argument('--rate', type=float, default=2.0, help='votes per second per voter')
    p.add_argument('--throughput-rate', type=float, default=5.0,
                   help='extra configuration: the largest --clients at this rate per voter '
                        '(the votes/s target); 0 = none')
    p.add_argument('--duration', type=float, default=25.0, help='measured seconds per config')
    p.add_argument('--warmup', type=float, default=3.0, help='seconds voting before measuring')
    p.add_argument('--count-votes', action='store_true',
                   help='also count crowd/vote messages on DDS (votes the gateway published); '
                        'adds a DDS reader in this process')
    p.add_argument('--workers', type=int, default=max(2, os.cpu_count() or 2),
                   help='client worker processes')
    args = p.parse_args()
    if args.short:
        args.clients, args.duration, args.warmup, args.throughput_rate = [5], 1.5, 0.5, 0.0
    configs = [(n, args.rate) for n in args.clients]
    if args.throughput_rate > 0:
        configs.append((max(args.clients), args.throughput_rate))
    ctx = multiprocessing.get_context('spawn')
    dds = DdsProbe(args.count_votes)
    rows = []
    try:
        bar = tqdm(configs, desc='crowd_latency', unit='config')
        for n, rate in bar:
            rows.append(run_config(args, ctx, dds, n, rate, bar))
    finally:
        dds.close()
    print_table('Crowd path: probe vote -> cmd_vel latency, votes/s, server cost',
                ['clients', 'rate_hz', 'connected', 'offered_votes_s', 'accepted_votes_s',
                 'live_voters_max', 'probes', 'missed', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms',
                 'gateway_cpu_pct', 'vote_cpu_pct', 'vote_cpu_us_per_vote', 'gateway_rss_mb',
                 'vote_rss_mb', 'client_cpu_pct'], rows)
    print("cpu_pct: % of one core over the window; vote_cpu_us_per_vote: the vote node's CPU "
          'over the votes it accepted (fusion and timers included); latency includes the vote '
          "node's fast loop (a vote waits at most one tick, 1/max_rate = 20 ms).")
    voter_ids = 'client' if args.url else 'server'
    if args.url:
        print('voter ids: set by the clients (header.frame_id = bench-<worker>-<i>, probe '
              f'{PROBE_ID}), for servers that assign none; a KropBot gateway overwrites them')
    else:
        print('voter ids: assigned by the server (the gateway overwrites header.frame_id with '
              'one id per connection)')
    write_json(args.json, 'crowd_latency',
               {'url': args.url or 'local', 'voter_ids': voter_ids,
                'clients': args.clients, 'rate': args.rate,
                'throughput_rate': args.throughput_rate, 'duration': args.duration,
                'warmup': args.warmup, 'workers': args.workers, 'short': args.short,
                'strategy': 'mean', 'count_votes': args.count_votes,
                'targets': {'p99_ms_1000_voters_2hz': 30, 'accepted_votes_s': 5000,
                            'server_cpu_pct': 100, 'vote_cpu_us_per_vote_increase_pct': 20}},
               rows)


if __name__ == '__main__':
    main()
