"""ZenohBridge offline: vote batching, heartbeats, robot online/offline (fake publisher)."""

import asyncio
import json

from kropbot_gateway.keys import KeySpace
from kropbot_gateway.protocol import PublishVote
from kropbot_gateway.relay_wire import decode_batch
from kropbot_gateway.zenoh_bridge import ZenohBridge


class Log:
    def __init__(self):
        self.lines = []

    def info(self, text):
        self.lines.append(text)

    warning = error = info


class Publisher:
    def __init__(self, loop):
        self.loop, self.puts = loop, []

    def put(self, payload):
        self.puts.append((self.loop.time(), decode_batch(payload)))


class Session:
    def close(self):
        pass


class Server:
    def __init__(self):
        self.delivered = []

    def deliver(self, topic, msg):
        self.delivered.append((topic, msg))


def make_bridge(loop):
    bridge = ZenohBridge(KeySpace('bot'), 'gw1', Log(), batch_interval=0.025, heartbeat=0.1,
                         robot_timeout=0.5)
    server = Server()
    bridge.start(server, loop)
    bridge._session = Session()  # attached (the Zenoh entities are faked)
    bridge._votes_pub = Publisher(loop)
    return bridge, server


def vote(i, linear=0.1):
    return PublishVote('/crowd/vote', f'ws-{i:04d}', linear, 0.0)


def test_batches_are_rate_limited_whatever_the_vote_rate():
    async def scenario():
        loop = asyncio.get_running_loop()
        bridge, server = make_bridge(loop)
        bridge._on_robot_token(True)
        bridge._on_status({'voters': 0})
        assert bridge.online
        t0 = loop.time()
        n = 0
        while loop.time() - t0 < 0.5:  # ~2000 votes/s from 200 connections
            for _ in range(20):
                bridge.publish_vote(vote(n % 200))
                n += 1
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        puts = [(t, b) for t, b in bridge._votes_pub.puts if t >= t0]
        assert n > 800
        # at most one batch per 25 ms: <= 4 per 0.1 s control period (+1 at the edge)
        assert len(puts) <= 0.55 / 0.025 + 1, len(puts)
        assert all(b2 - b1 >= 0.024 for (b1, _), (b2, _) in zip(puts, puts[1:]))
        assert [b.seq for _, b in puts] == sorted(b.seq for _, b in puts)
        sent = [v for _, b in puts for v in b.votes]
        assert all(len({c for c, _, _ in b.votes}) == len(b.votes) for _, b in puts)
        assert {c for c, _, _ in sent} == {f'ws-{i:04d}' for i in range(200)}
        bridge.close()
    asyncio.run(scenario())


def test_heartbeat_when_idle_and_offline_drops_votes():
    async def scenario():
        loop = asyncio.get_running_loop()
        bridge, server = make_bridge(loop)
        bridge.publish_vote(vote(1))  # robot not seen yet: dropped
        assert bridge.stats['votes_dropped_offline'] == 1
        bridge._on_robot_token(True)
        bridge._on_status({'voters': 2, 'strategy': 'median'})
        await asyncio.sleep(0.35)
        beats = bridge._votes_pub.puts
        assert 2 <= len(beats) <= 5 and all(b.votes == () for _, b in beats)
        assert json.loads(server.delivered[-1][1]['data'])['robot'] == 'online'
        bridge.publish_vote(vote(2))
        bridge._on_robot_token(False)  # gone before the batch left: never sent
        await asyncio.sleep(0.1)
        assert not any(b.votes for _, b in bridge._votes_pub.puts)
        offline = json.loads(server.delivered[-1][1]['data'])
        assert offline['robot'] == 'offline' and offline['voters'] == 0
        assert offline['strategy'] == 'median'
        count = len(bridge._votes_pub.puts)
        await asyncio.sleep(0.25)
        assert len(bridge._votes_pub.puts) == count  # no heartbeat while offline
        # token back, but status stale (older than robot_timeout): still offline
        await asyncio.sleep(0.3)
        bridge._on_robot_token(True)
        assert not bridge.online
        bridge._on_status({'voters': 0})
        assert bridge.online
        bridge.close()
    asyncio.run(scenario())
