"""A short soak of the real gateway: 30 s, 50 voters at 2 Hz, 10 of them watching the camera.

Real ``gateway_node`` + ``vote_node`` + ``camera_node`` (test_pattern, 320x240, 10 fps) started
with ``start_node``; the clients run on one asyncio loop in this process, spread over five
loopback addresses (10 per address, under ``max_connections_per_address``).

Stability criterion (documented in doc/gateway.md): the gateway's RSS, open file descriptors
and threads are sampled every 0.5 s with psutil. After a warm-up of the first sixth of the run,
the baseline is the median of the samples in the second sixth and the end value the median of
the samples in the last third (30 s run: warm-up 5 s, baseline 5-10 s, end 20-30 s; the 60 s
run this test once was: 10 s, 10-20 s, 40-60 s); medians ignore a single GC or allocator blip.
The end value must be within 5 % of the baseline (RSS: 5 % or 2 MiB, whichever is larger, as
the Python heap moves in small steps). ``bench/soak.py`` is the long version (10 minutes).
"""

import asyncio
import json
import statistics
import time

import pytest

pytestmark = pytest.mark.dds

DURATION = 30.0  # s
#: The sampling rule, in fractions of DURATION: warm-up, baseline window, end window.
BASELINE = (DURATION / 6, DURATION / 3)  # s
END = (DURATION * 2 / 3, DURATION)  # s
VOTERS = 50
VIEWERS = 10
ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']


async def run_clients(port, samples, proc):
    from websockets.asyncio.client import connect

    url = f'ws://127.0.0.1:{port}'
    frames = [0] * VIEWERS
    closed = []
    start = time.monotonic()

    async def voter(i):
        async with connect(url, local_addr=(ADDRESSES[i % len(ADDRESSES)], 0)) as ws:
            if i < VIEWERS:
                await ws.send(json.dumps({'op': 'subscribe',
                                          'topic': 'camera/image_raw/compressed'}))

            async def reader():
                async for message in ws:
                    if i < VIEWERS and '"camera/image_raw/compressed"' in message[:200]:
                        frames[i] += 1

            read_task = asyncio.get_running_loop().create_task(reader())
            await asyncio.sleep(i * 0.5 / VOTERS)  # spread the votes over the period
            k = 0
            while time.monotonic() - start < DURATION:
                x = 0.1 + 0.1 * (k % 2)
                await ws.send(json.dumps({'op': 'publish', 'topic': 'crowd/vote',
                                          'msg': {'twist': {'linear': {'x': x}}}}))
                k += 1
                await asyncio.sleep(0.5)
            read_task.cancel()
        closed.append(ws.close_code)

    async def sampler():
        while time.monotonic() - start < DURATION:
            samples.append((time.monotonic() - start, proc.memory_info().rss, proc.num_fds(),
                            proc.num_threads()))
            await asyncio.sleep(0.5)

    await asyncio.gather(sampler(), *(voter(i) for i in range(VOTERS)))
    return frames, closed


def _median(samples, column, t0, t1):
    return statistics.median(s[column] for s in samples if t0 <= s[0] <= t1)


@pytest.mark.timeout(120)
def test_soak_30s_50_voters_10_viewers_resources_stable(start_node, ros, wait_for):
    from kropbot_testing.processes import free_port
    import psutil
    from std_msgs.msg import String

    port = free_port()
    # 10 voters per loopback address stand for 10 people each: no per-address vote cap
    gateway = start_node('kropbot_gateway', 'gateway_node', 'gateway',
                         params={'port': port, 'max_votes_per_address': 0})
    start_node('kropbot_vote', 'vote_node', 'vote')
    start_node('kropbot_camera', 'camera_node', 'camera',
               params={'source': 'test_pattern', 'width': 320, 'height': 240, 'fps': 10.0})
    status = ros.collect(String, 'crowd/status')
    wait_for(lambda: 'crowd gateway on http://' in gateway.log() or not gateway.alive(), 20,
             message='gateway start')
    wait_for(lambda: status, 20, message='crowd/status')
    proc = psutil.Process(gateway.proc.pid)
    samples = []
    frames, closed = asyncio.run(run_clients(port, samples, proc))

    assert gateway.alive() and 'Traceback' not in gateway.log(), gateway.log()
    assert closed == [1000] * VOTERS, closed  # every client ended normally
    voters = [json.loads(m.data)['voters'] for t, m in status
              if t > time.monotonic() - DURATION / 2]
    assert max(voters) == VOTERS, voters  # all 50 votes reached the vote node
    for count in frames:
        assert count >= 0.8 * 10 * (DURATION - 5), frames  # ~10 fps for each viewer
    for column, name, floor in ((1, 'rss', 2 * 2 ** 20), (2, 'fds', 0), (3, 'threads', 0)):
        base = _median(samples, column, *BASELINE)
        end = _median(samples, column, *END)
        print(f'gateway {name}: {base} in {BASELINE} s, {end} in {END} s')
        assert abs(end - base) <= max(0.05 * base, floor), \
            f'gateway {name}: {base} in {BASELINE} s, {end} in {END} s'
