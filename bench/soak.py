"""Long soak: many page-like clients vote and view for minutes; is the server stable.

Starts vote node, camera (``test_pattern`` 320x240 at 10 fps) and gateway, then ``--clients``
connections (each like one browser page: advertise + vote at 2 Hz + camera subscription, CBOR)
from worker processes for ``--duration`` s. Every ``--period`` s it samples the gateway's and the
vote node's RSS, open file descriptors and threads. Reported per process: the baseline (median of
the samples in the first window after warm-up) and the end (median of the last window), and the
change in %; plus the camera frame latency p95 per window, to show whether latency grows over the
run. The same stability properties are asserted at a small scale by ``tests/test_soak.py``; this
benchmark only reports.
"""

import multiprocessing
import os
import statistics
import time

from common import parser, percentile, print_table, write_json
import psutil
from stack import LocalStack
from tqdm import tqdm
from wsclients import WorkerPool, page_worker, split


def process_sample(proc):
    """Return ``(rss_mb, fds, threads)`` of a ``psutil.Process``."""
    with proc.oneshot():
        return proc.memory_info().rss / 2**20, proc.num_fds(), proc.num_threads()


def change_pct(first, last):
    """Return the relative change from ``first`` to ``last`` in % (0 when both are 0)."""
    return 0.0 if first == last else 100.0 * (last - first) / first if first else float('inf')


def main():
    """Run the soak and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'soak')
    p.add_argument('--clients', type=int, default=200, help='page-like connections')
    p.add_argument('--duration', type=float, default=600.0, help='measured seconds')
    p.add_argument('--warmup', type=float, default=10.0, help='seconds before measuring')
    p.add_argument('--period', type=float, default=5.0, help='seconds between samples')
    p.add_argument('--window', type=float, default=60.0,
                   help='seconds per baseline/end window and per latency row')
    p.add_argument('--compression', choices=['none', 'cbor'], default='cbor')
    p.add_argument('--workers', type=int, default=max(2, os.cpu_count() or 2),
                   help='client worker processes')
    args = p.parse_args()
    if args.short:
        args.clients, args.duration, args.warmup = 6, 3.0, 1.0
        args.period, args.window = 0.5, 1.0
    ctx = multiprocessing.get_context('spawn')
    with LocalStack() as stack:
        stack.start('kropbot_vote', 'vote_node', 'vote', ready='fusing crowd/vote')
        stack.start('kropbot_camera', 'camera_node', 'camera',
                    {'source': 'test_pattern', 'width': 320, 'height': 240, 'fps': 10.0},
                    ready='publishing camera/image_raw/compressed')
        stack.start_gateway()
        procs = {name: psutil.Process(pid) for name, pid in stack.pids().items()
                 if name in ('gateway', 'vote')}
        pool = WorkerPool(ctx, page_worker, [(stack.url, k, 2.0, args.compression)
                                             for k in split(args.clients, args.workers)])
        connected, errors = pool.wait_ready()
        pool.events['go'].set()
        time.sleep(args.warmup)
        pool.events['measure'].set()
        t0 = time.monotonic()
        samples = {name: [] for name in procs}  # name -> [(t, rss, fds, threads)]
        with tqdm(total=int(args.duration), desc='soak', unit='s') as bar:
            while (elapsed := time.monotonic() - t0) < args.duration:
                for name, proc in procs.items():
                    samples[name].append((elapsed, *process_sample(proc)))
                bar.n = int(elapsed)
                bar.refresh()
                time.sleep(args.period)
        results = pool.finish()
    rows = []
    for name, series in samples.items():
        first = [s for s in series if s[0] <= args.window]
        last = [s for s in series if s[0] >= args.duration - args.window]
        row = {'process': name, 'samples': len(series)}
        for i, key in ((1, 'rss_mb'), (2, 'fds'), (3, 'threads')):
            a = statistics.median(s[i] for s in first)
            b = statistics.median(s[i] for s in last)
            row.update({f'{key}_start': a, f'{key}_end': b, f'{key}_change_pct': change_pct(a, b)})
        rows.append(row)
    lat_rows = []
    all_samples = [s for r in results for s in r['samples']]
    windows = max(1, int(args.duration // args.window))
    for w in range(windows):
        lo, hi = w * args.window, (w + 1) * args.window
        lat = [lat * 1000 for t, lat in all_samples if lo <= t < hi]
        lat_rows.append({'window': w, 'from_s': w * args.window, 'frames': len(lat),
                         'p50_ms': percentile(lat, 50), 'p95_ms': percentile(lat, 95)})
    print_table(f'Soak: {connected} page clients for {args.duration:g} s (baseline = first '
                f'{args.window:g} s, end = last {args.window:g} s; medians of samples)',
                ['process', 'samples', 'rss_mb_start', 'rss_mb_end', 'rss_mb_change_pct',
                 'fds_start', 'fds_end', 'fds_change_pct', 'threads_start', 'threads_end',
                 'threads_change_pct'], rows)
    print_table('Soak: camera frame latency (stamp -> receipt) per window',
                ['window', 'from_s', 'frames', 'p50_ms', 'p95_ms'], lat_rows)
    votes = sum(r['sent'] for r in results)
    print(f'votes sent: {votes}; connections closed early: {sum(r["closed"] for r in results)}; '
          f'connect errors: {errors[:3]}')
    write_json(args.json, 'soak',
               {'clients': args.clients, 'connected': connected, 'duration': args.duration,
                'warmup': args.warmup, 'period': args.period, 'window': args.window,
                'compression': args.compression, 'short': args.short, 'votes_sent': votes,
                'latency': lat_rows, 'targets': {'change_pct': 5}}, rows)


if __name__ == '__main__':
    main()
