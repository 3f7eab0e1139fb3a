"""Video fan-out: N WebSocket viewers of camera/image_raw/compressed through the gateway.

For each frame size and rate the benchmark starts a camera node (``source: test_pattern``,
``width``/``height``/``fps`` set) and a gateway; then for each viewer count, compression
(``none`` = JSON with base64, ``cbor`` = binary) and with/without one deliberately stalled
viewer (subscribes, never reads) it connects the viewers from worker processes, and measures
for ``--duration`` s: frames/s delivered per viewer (min, median), frame latency = receipt time
- ``header.stamp`` (the camera's capture stamp, decoded by each client from the JSON or CBOR
message) p50/p95/p99, the p95 of the first and second half of the window (growth), and the
gateway's CPU and peak RSS. Client CPU is reported too (clients share this machine).

With ``--url`` an existing rosbridge-protocol server is used (only ``subscribe``); the camera
must then already publish (its size/fps are whatever it runs with) and server CPU is not
measured.
"""

import math
import multiprocessing
import os
import time

from common import (
    ProcessSampler,
    int_list,
    median,
    parser,
    percentile,
    print_table,
    str_list,
    write_json,
)
from stack import LocalStack, sample_loop
from tqdm import tqdm
from websockets.asyncio.client import connect
from wsclients import AsyncThread, WorkerPool, split, subscribe_op, viewer_worker


async def stalled_viewer(url, compression):
    """Open a viewer that subscribes and never reads; return the connection.

    ``max_queue=1``: the client stops reading the socket once one message waits, so TCP flow
    control backs the server's writes up, as with a frozen browser tab.
    """
    ws = await connect(url, ping_interval=None, compression=None, max_queue=1, max_size=2**24)
    await ws.send(subscribe_op(compression))
    return ws


async def _abort(ws):
    ws.transport.abort()


def run_viewers(args, ctx, url, pids, n, compression, stalled, label, bar):
    """Measure one (viewers, compression, stalled) configuration; return a partial row."""
    bar.set_postfix_str(f'{label}: connecting')
    aio = AsyncThread()
    stall = aio.run(stalled_viewer(url, compression), 30) if stalled else None
    pool = WorkerPool(ctx, viewer_worker, [(url, k, compression) for k in split(n, args.workers)])
    connected, errors = pool.wait_ready()
    time.sleep(args.warmup)
    bar.set_postfix_str(f'{label}: measuring')
    sampler = ProcessSampler(list(pids.values())) if pids else None
    if sampler:
        sampler.start()
    t0 = time.monotonic()
    pool.events['measure'].set()
    if sampler:
        sample_loop(sampler, t0 + args.duration)
    else:
        time.sleep(args.duration)
    usage = sampler.stop() if sampler else {}
    results = pool.finish()
    if stall is not None:
        aio.run(_abort(stall), 5)
    aio.close()
    window = median([r['window_s'] for r in results])
    fps = [c / r['window_s'] for r in results for c in r['counts']]
    samples = [s for r in results for s in r['samples']]
    lat = [s[1] * 1000.0 for s in samples]
    half = args.duration / 2
    first = [s[1] * 1000.0 for s in samples if s[0] < half]
    second = [s[1] * 1000.0 for s in samples if s[0] >= half]
    row = {'viewers': n, 'compression': compression, 'stalled': int(stalled),
           'connected': connected, 'fps_min': min(fps) if fps else math.nan,
           'fps_median': median(fps), 'frames': len(lat),
           'p50_ms': percentile(lat, 50), 'p95_ms': percentile(lat, 95),
           'p99_ms': percentile(lat, 99), 'max_ms': max(lat) if lat else math.nan,
           'p95_first_half_ms': percentile(first, 95),
           'p95_second_half_ms': percentile(second, 95),
           'client_cpu_pct': 100.0 * sum(r['cpu_s'] for r in results) / window,
           'window_s': window, 'connect_errors': len(errors)}
    if pids:
        gw = usage[pids['gateway']]
        row.update({'gateway_cpu_pct': gw['cpu_pct'], 'gateway_cpu_s': gw['cpu_s'],
                    'gateway_rss_mb': gw['peak_rss_mb']})
        cam = usage.get(pids.get('camera'))
        if cam:
            row['camera_cpu_pct'] = cam['cpu_pct']
    return row


def main():
    """Run the benchmark and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'video_fanout')
    p.add_argument('--url', default='',
                   help='use an existing rosbridge-protocol server (subscribe only) whose camera '
                        'already publishes; --sizes/--fps are then labels only and server CPU '
                        'is not measured')
    p.add_argument('--viewers', type=int_list, default=[10, 100, 500], help='viewer counts')
    p.add_argument('--sizes', type=str_list, default=['320x240', '640x480'], help='WxH list')
    p.add_argument('--fps', type=str_list, default=['10', '15'], help='camera rates (Hz)')
    p.add_argument('--compression', type=str_list, default=['none', 'cbor'],
                   help='rosbridge compression: none (JSON) and/or cbor')
    p.add_argument('--stalled', choices=['both', 'off', 'on'], default='both',
                   help='run without and/or with one stalled viewer')
    p.add_argument('--duration', type=float, default=8.0, help='measured seconds per config '
                   '(use 600 for the 10-minute latency-growth check)')
    p.add_argument('--warmup', type=float, default=2.0, help='seconds before measuring')
    p.add_argument('--workers', type=int, default=max(2, os.cpu_count() or 2),
                   help='client worker processes')
    args = p.parse_args()
    if args.short:
        args.viewers, args.sizes, args.fps = [3], ['320x240'], ['10']
        args.duration, args.warmup = 1.0, 0.5
    stalled = {'both': [False, True], 'off': [False], 'on': [True]}[args.stalled]
    ctx = multiprocessing.get_context('spawn')
    groups = [(s, float(f)) for s in args.sizes for f in args.fps]
    per_group = [(n, c, st) for n in args.viewers for c in args.compression for st in stalled]
    rows = []
    bar = tqdm(total=len(groups) * len(per_group), desc='video_fanout', unit='config')
    for size, fps in groups:
        width, height = (int(v) for v in size.lower().split('x'))
        stack = None if args.url else LocalStack()
        try:
            if stack:
                stack.start('kropbot_camera', 'camera_node', 'camera',
                            {'source': 'test_pattern', 'width': width, 'height': height,
                             'fps': fps}, ready='publishing camera/image_raw/compressed')
                stack.start_gateway()
            url = stack.url if stack else args.url
            pids = stack.pids() if stack else {}
            for (n, comp, st) in per_group:
                label = f'{size}@{fps:g} {n} {comp}{" +stalled" if st else ""}'
                row = run_viewers(args, ctx, url, pids, n, comp, st, label, bar)
                rows.append({'size': size, 'fps': fps, **row})
                bar.update(1)
        finally:
            if stack:
                stack.stop_all()
    bar.close()
    print_table('Video fan-out: per-viewer frames/s, frame latency (stamp -> receipt), gateway',
                ['size', 'fps', 'viewers', 'compression', 'stalled', 'connected', 'fps_min',
                 'fps_median', 'p50_ms', 'p95_ms', 'p99_ms', 'p95_first_half_ms',
                 'p95_second_half_ms', 'gateway_cpu_pct', 'gateway_rss_mb', 'camera_cpu_pct',
                 'client_cpu_pct'], rows)
    print('cpu_pct: % of one core over the window. stalled=1: one extra viewer that never reads.')
    write_json(args.json, 'video_fanout',
               {'url': args.url or 'local', 'viewers': args.viewers, 'sizes': args.sizes,
                'fps': args.fps, 'compression': args.compression, 'stalled': args.stalled,
                'duration': args.duration, 'warmup': args.warmup, 'workers': args.workers,
                'short': args.short,
                'targets': {'viewers_320x240_10fps': 500, 'p95_ms': 50,
                            'gateway_cpu_pct': 100}}, rows)


if __name__ == '__main__':
    main()
