"""ZenohBridge without a router: vote batching, heartbeats, voters leaving, robot online/offline.

The Zenoh publisher and session are faked; the bridge runs on a real asyncio loop and is
attached the way GatewayServer.start attaches it (``attach(deliver)`` on the loop).
"""

import asyncio
import json

from kropbot_gateway.keys import KeySpace
from kropbot_gateway.relay_wire import decode_batch
from kropbot_gateway.session import PublishVote
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
    bridge.attach(server.deliver)  # on the running loop, as GatewayServer.start does
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


def test_a_voter_that_leaves_is_listed_once_in_the_next_batch():
    async def scenario():
        loop = asyncio.get_running_loop()
        bridge, server = make_bridge(loop)
        bridge._on_robot_token(True)
        bridge._on_status({'voters': 0})
        bridge.publish_vote(vote(1))
        bridge.publish_vote(vote(2))
        await asyncio.sleep(0.05)
        first = [b for _, b in bridge._votes_pub.puts if b.votes]
        assert {c for c, _, _ in first[0].votes} == {'ws-0001', 'ws-0002'}
        assert first[0].left == ()
        # ws-0001 votes again and leaves before the batch goes: only its departure is sent
        bridge.publish_vote(vote(1, 0.2))
        bridge.voter_left('ws-0001', '/crowd/vote')
        bridge.voter_left('ws-0009', '/other/topic')  # not the vote topic: ignored
        t_left = loop.time()
        await asyncio.sleep(0.05)
        after = [(t, b) for t, b in bridge._votes_pub.puts if t >= t_left]
        with_left = [(t, b) for t, b in after if b.left]
        assert len(with_left) == 1, after
        t, batch = with_left[0]
        assert batch.left == ('ws-0001',) and batch.votes == ()
        assert t - t_left <= 0.03  # within one batch interval
        assert bridge.stats['voters_left'] == 1
        # a voter leaving while the robot is offline sends nothing (the link withdrew them all)
        bridge._on_robot_token(False)
        count = len(bridge._votes_pub.puts)
        bridge.voter_left('ws-0002', '/crowd/vote')
        await asyncio.sleep(0.15)
        assert len(bridge._votes_pub.puts) == count
        bridge.close()
    asyncio.run(scenario())
