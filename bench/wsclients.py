"""WebSocket load clients for the server benchmarks (rosbridge v2 ops), run in worker processes.

Each worker process runs one asyncio loop holding many connections (``websockets``), so the
clients are spread over several processes and cores and do not share the benchmark's GIL. The
parent drives the phases with ``multiprocessing`` events: connect -> ``go`` (start voting /
reading) -> ``measure`` (start counting) -> ``stop``; each worker reports through a queue:
``('ready', wid, connected, errors)`` then ``('done', wid, result)``.

Only ops both the KropBot gateway and stock rosbridge_suite support are used: ``advertise``,
``publish``, ``subscribe`` (``compression`` ``none`` or ``cbor``).
"""

import asyncio
import json
import random
import re
import threading
import time

import cbor2
from websockets.asyncio.client import connect

VOTE_TOPIC = 'crowd/vote'
VOTE_TYPE = 'geometry_msgs/msg/TwistStamped'
IMAGE_TOPIC = 'camera/image_raw/compressed'
IMAGE_TYPE = 'sensor_msgs/msg/CompressedImage'
CONNECT_CONCURRENCY = 32
_STAMP = re.compile(r'"stamp":\s*\{\s*"sec":\s*(-?\d+),\s*"nanosec":\s*(\d+)\s*\}')


def advertise_op():
    """Return the rosbridge ``advertise`` op for votes (JSON text)."""
    return json.dumps({'op': 'advertise', 'topic': VOTE_TOPIC, 'type': VOTE_TYPE})


def voter_id(worker, index):
    """Return the voter id client ``index`` of worker ``worker`` puts in ``header.frame_id``."""
    return f'bench-{worker}-{index}'


def vote_op(linear_x, angular_z, voter=''):
    """Return a rosbridge ``publish`` op of one vote (JSON text); m/s and rad/s.

    ``voter`` goes into ``header.frame_id``: a server without identity assignment (stock
    rosbridge) publishes it as sent and the vote node counts one voter per id; the KropBot
    gateway overwrites it with the connection's own id.
    """
    return json.dumps({'op': 'publish', 'topic': VOTE_TOPIC, 'msg': {
        'header': {'stamp': {'sec': 0, 'nanosec': 0}, 'frame_id': voter},
        'twist': {'linear': {'x': float(linear_x), 'y': 0.0, 'z': 0.0},
                  'angular': {'x': 0.0, 'y': 0.0, 'z': float(angular_z)}}}},
        separators=(',', ':'))


def subscribe_op(compression):
    """Return the rosbridge ``subscribe`` op for the camera topic (JSON text)."""
    return json.dumps({'op': 'subscribe', 'topic': IMAGE_TOPIC, 'type': IMAGE_TYPE,
                       'compression': compression, 'queue_length': 1})


def frame_stamp(message):
    """Return ``header.stamp`` (s since the epoch) of a camera ``publish`` op, JSON or CBOR.

    JSON text: the stamp is read with a regular expression from the message head (the JPEG's
    base64 text follows it), falling back to a full parse; CBOR bytes: ``cbor2.loads``.
    Returns None for anything that is not a message with a stamp (e.g. a ``status`` op).
    """
    if isinstance(message, str):
        match = _STAMP.search(message, 0, 600)
        if match is None:
            try:
                stamp = json.loads(message)['msg']['header']['stamp']
            except (ValueError, KeyError, TypeError):
                return None
            return stamp['sec'] + stamp['nanosec'] * 1e-9
        return int(match.group(1)) + int(match.group(2)) * 1e-9
    try:
        stamp = cbor2.loads(message)['msg']['header']['stamp']
    except (ValueError, KeyError, TypeError, cbor2.CBORDecodeError):
        return None
    return stamp['sec'] + stamp['nanosec'] * 1e-9


async def _wait(event, period=0.02):
    while not event.is_set():
        await asyncio.sleep(period)


async def _connect_all(url, n, first_message, **kwargs):
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one():
        async with sem:
            ws = await connect(url, open_timeout=60, ping_interval=None, compression=None,
                               **kwargs)
            await ws.send(first_message)
            return ws

    results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    conns = [r for r in results if not isinstance(r, BaseException)]
    errors = sorted({f'{type(r).__name__}: {r}' for r in results if isinstance(r, BaseException)})
    return conns, errors


async def _close_all(conns):
    async def close(ws):
        try:
            await asyncio.wait_for(ws.close(), 2.0)
        except Exception:  # noqa: BLE001 - best effort at the end of a run
            ws.transport.abort()
    await asyncio.gather(*(close(ws) for ws in conns), return_exceptions=True)


def voter_worker(wid, url, n, rate, vote, events, out):
    """Process target: ``n`` voters each sending ``vote`` at ``rate`` Hz (random phase).

    Args:
        wid: worker index (reported back).
        url: WebSocket URL.
        n: connections in this worker.
        rate: votes per second per connection.
        vote: ``(linear_x, angular_z)`` every voter sends (m/s, rad/s); voter ``i`` puts its
            own id :func:`voter_id` ``(wid, i)`` in ``header.frame_id``.
        events: dict of ``multiprocessing.Event`` ``go``, ``measure``, ``stop``.
        out: ``multiprocessing.Queue`` for the reports.

    """
    asyncio.run(_voters(wid, url, n, rate, vote, events, out))


async def _voters(wid, url, n, rate, vote_values, events, out):
    conns, errors = await _connect_all(url, n, advertise_op())
    out.put(('ready', wid, len(conns), errors))
    await _wait(events['go'])
    loop = asyncio.get_running_loop()
    state = {'sent': 0, 'warnings': 0, 'errors': 0, 'closed': 0, 'late': 0}
    period = 1.0 / rate
    stop = events['stop']

    async def read(ws):
        try:
            async for message in ws:
                if '"warning"' in message or '"error"' in message:
                    state['warnings'] += 1
        except Exception:  # noqa: BLE001 - a closed connection ends the reader
            pass
        state['closed'] += 1

    async def vote(ws, payload):
        next_t = loop.time() + random.uniform(0.0, period)
        while not stop.is_set():
            delay = next_t - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -period:
                state['late'] += 1
                next_t = loop.time()
            try:
                await ws.send(payload)
            except Exception:  # noqa: BLE001 - connection lost: count and stop this voter
                state['errors'] += 1
                return
            state['sent'] += 1
            next_t += period

    tasks = [loop.create_task(read(ws)) for ws in conns]
    tasks += [loop.create_task(vote(ws, vote_op(*vote_values, voter_id(wid, i))))
              for i, ws in enumerate(conns)]
    await _wait(events['measure'])
    m0 = dict(state, cpu=time.process_time(), t=time.monotonic())
    await _wait(stop)
    m1 = dict(state, cpu=time.process_time(), t=time.monotonic())
    for t in tasks:
        t.cancel()
    await _close_all(conns)
    out.put(('done', wid, {
        'connected': len(conns), 'sent_total': m1['sent'], 'sent_window': m1['sent'] - m0['sent'],
        'window_s': m1['t'] - m0['t'], 'cpu_s': m1['cpu'] - m0['cpu'],
        'warnings': m1['warnings'], 'errors': m1['errors'], 'closed': m1['closed'],
        'late': m1['late']}))


def viewer_worker(wid, url, n, compression, events, out):
    """Process target: ``n`` viewers subscribed to the camera topic, reading every frame.

    Reports per viewer the frames received in the measurement window and, for every frame,
    ``(t since the window start, latency = receipt time - header.stamp)`` (s).
    """
    asyncio.run(_viewers(wid, url, n, compression, events, out))


async def _viewers(wid, url, n, compression, events, out):
    conns, errors = await _connect_all(url, n, subscribe_op(compression), max_size=2**24)
    out.put(('ready', wid, len(conns), errors))
    loop = asyncio.get_running_loop()
    counts = [0] * len(conns)
    samples = []
    state = {'measuring': False, 't0': 0.0, 'bad': 0}

    async def read(i, ws):
        try:
            async for message in ws:
                now = time.time()
                if not state['measuring']:
                    continue
                stamp = frame_stamp(message)
                if stamp is None:
                    state['bad'] += 1
                    continue
                counts[i] += 1
                samples.append((time.monotonic() - state['t0'], now - stamp))
        except Exception:  # noqa: BLE001 - a closed connection ends the reader
            pass

    tasks = [loop.create_task(read(i, ws)) for i, ws in enumerate(conns)]
    await _wait(events['measure'])
    state['t0'] = time.monotonic()
    state['measuring'] = True
    cpu0 = time.process_time()
    await _wait(events['stop'])
    state['measuring'] = False
    cpu = time.process_time() - cpu0
    window = time.monotonic() - state['t0']
    for t in tasks:
        t.cancel()
    await _close_all(conns)
    out.put(('done', wid, {'connected': len(conns), 'counts': counts, 'samples': samples,
                           'window_s': window, 'cpu_s': cpu, 'bad': state['bad']}))


def page_worker(wid, url, n, rate, compression, events, out):
    """Process target: ``n`` page-like clients, each on ONE connection voting and viewing.

    Every connection advertises the vote topic, subscribes to the camera (``compression``),
    sends a forward vote at ``rate`` Hz (random phase) and reads every message. Reports the
    votes sent, frames received and ``(t since measure, frame latency s)`` samples.
    """
    asyncio.run(_pages(wid, url, n, rate, compression, events, out))


async def _pages(wid, url, n, rate, compression, events, out):
    conns, errors = await _connect_all(url, n, advertise_op(), max_size=2**24)
    for ws in conns:
        await ws.send(subscribe_op(compression))
    out.put(('ready', wid, len(conns), errors))
    await _wait(events['go'])
    loop = asyncio.get_running_loop()
    payload = vote_op(0.1, 0.0)
    state = {'sent': 0, 'frames': 0, 'closed': 0, 'measuring': False, 't0': 0.0}
    samples = []
    stop = events['stop']

    async def read(ws):
        try:
            async for message in ws:
                if not state['measuring']:
                    continue
                stamp = frame_stamp(message)
                if stamp is not None:
                    state['frames'] += 1
                    samples.append((time.monotonic() - state['t0'], time.time() - stamp))
        except Exception:  # noqa: BLE001 - a closed connection ends the reader
            pass
        state['closed'] += 1

    async def vote(ws):
        await asyncio.sleep(random.uniform(0.0, 1.0 / rate))
        while not stop.is_set():
            try:
                await ws.send(payload)
            except Exception:  # noqa: BLE001 - connection lost ends this voter
                return
            state['sent'] += 1
            await asyncio.sleep(1.0 / rate)

    tasks = [loop.create_task(read(ws)) for ws in conns]
    tasks += [loop.create_task(vote(ws)) for ws in conns]
    await _wait(events['measure'])
    state['t0'] = time.monotonic()
    state['measuring'] = True
    cpu0 = time.process_time()
    await _wait(stop)
    state['measuring'] = False
    cpu = time.process_time() - cpu0
    for t in tasks:
        t.cancel()
    await _close_all(conns)
    out.put(('done', wid, {'connected': len(conns), 'sent': state['sent'],
                           'frames': state['frames'], 'closed': state['closed'],
                           'samples': samples, 'cpu_s': cpu}))


class AsyncThread:
    """An asyncio loop in a daemon thread of the benchmark process (probe, stalled viewer)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro, timeout=None):
        """Run ``coro`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro):
        """Start ``coro`` on the loop; return its concurrent Future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self):
        """Stop the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


class WorkerPool:
    """Start client worker processes (spawn) and collect their reports.

    Args:
        ctx: a ``multiprocessing`` context.
        target: worker function (``voter_worker`` or ``viewer_worker``).
        arg_list: per-worker argument tuples (after ``wid``, before ``events, out``).

    """

    def __init__(self, ctx, target, arg_list):
        self.events = {k: ctx.Event() for k in ('go', 'measure', 'stop')}
        self.out = ctx.Queue()
        self.procs = [ctx.Process(target=target, args=(wid, *args, self.events, self.out),
                                  daemon=True) for wid, args in enumerate(arg_list)]
        for p in self.procs:
            p.start()

    def _collect(self, kind, timeout):
        got = {}
        deadline = time.monotonic() + timeout
        while len(got) < len(self.procs):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f'client workers: {len(got)}/{len(self.procs)} {kind} '
                                   f'after {timeout} s')
            try:
                msg = self.out.get(timeout=min(remaining, 1.0))
            except Exception:  # noqa: BLE001 - queue.Empty; check the workers are alive
                if not any(p.is_alive() for p in self.procs):
                    raise RuntimeError('client workers died') from None
                continue
            if msg[0] == kind:
                got[msg[1]] = msg[2:] if kind == 'ready' else msg[2]
        return [got[i] for i in sorted(got)]

    def wait_ready(self, timeout=120.0):
        """Return ``(connected, errors)`` summed over workers once all connected."""
        ready = self._collect('ready', timeout)
        return sum(r[0] for r in ready), sorted({e for r in ready for e in r[1]})

    def finish(self, timeout=60.0):
        """Set ``stop``; return the workers' result dicts and join them."""
        self.events['stop'].set()
        try:
            return self._collect('done', timeout)
        finally:
            for p in self.procs:
                p.join(5)
                if p.is_alive():
                    p.kill()


def split(n, parts):
    """Split ``n`` clients over at most ``parts`` workers (no empty worker)."""
    parts = max(1, min(parts, n))
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]
