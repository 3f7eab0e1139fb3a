"""Moderation in the real server (in-memory bridge, real WebSockets from several loopback
addresses): vote slots and crowd/you, kick, ban (403 at the handshake, kept in ban_file across
a restart), unban, pause/mode through the bridge, commands from the ROS side."""

import asyncio
import json

from kropbot_common.voter_token import voter_token
from kropbot_gateway.auth import auth_op
from kropbot_gateway.bridge import MemoryBridge
from kropbot_gateway.config import config_from_params
from kropbot_gateway.server import GatewayServer
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

SECRET = 'alice-secret-0123456789'


class Log:
    def __init__(self):
        self.lines = []

    def info(self, text):
        self.lines.append(text)

    warning = error = info


@pytest.fixture
def secrets_file(tmp_path):
    path = tmp_path / 'operators'
    path.write_text(f'alice: {SECRET}\n')
    return path


def run(coro_fn, tmp_path, bridge=None, **params):
    """Run ``coro_fn(server, url, bridge, log)`` against a server with ``params``."""
    async def main():
        b = bridge or MemoryBridge()
        log = Log()
        config = config_from_params({'port': 0, 'ban_file': str(tmp_path / 'bans.json'),
                                     **params}, '/')
        server = GatewayServer(config, b, log)
        await server.start()
        try:
            return await asyncio.wait_for(
                coro_fn(server, f'ws://127.0.0.1:{server.port}', b, log), 30)
        finally:
            await server.stop()
    return asyncio.run(main())


async def client(url, address='127.0.0.1'):
    return await connect(url, local_addr=(address, 0))


async def next_publish(ws, topic, timeout=5):
    """Return the next ``publish`` of ``topic`` (its data parsed), skipping other frames."""
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if msg.get('op') == 'publish' and msg['topic'] == topic:
            return json.loads(msg['msg']['data'])


async def next_status(ws, timeout=5):
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if msg.get('op') == 'status':
            return msg


def vote(x=0.2):
    return json.dumps({'op': 'publish', 'topic': 'crowd/vote',
                       'msg': {'twist': {'linear': {'x': x}}}})


def moderation(op_id=None, **obj):
    return json.dumps({'op': 'publish', 'topic': 'crowd/moderation', 'id': op_id,
                       'msg': {'data': json.dumps(obj)}})


async def operator(url, address='127.0.0.1'):
    ws = await client(url, address)
    await ws.send(json.dumps(auth_op(SECRET, 'test', 'robot')))
    assert (await next_status(ws))['msg'] == 'auth: authenticated as operator'
    return ws


async def subscribe_you(ws):
    await ws.send(json.dumps({'op': 'subscribe', 'topic': 'crowd/you'}))
    return await next_publish(ws, 'crowd/you')


def test_votes_beyond_max_votes_per_address_watch_until_a_slot_frees(tmp_path):
    async def body(server, url, bridge, log):
        a, b, c = [await client(url) for _ in range(3)]
        other = await client(url, '127.0.0.2')
        you = [await subscribe_you(ws) for ws in (a, b, c, other)]
        assert [y['counted'] for y in you] == [True, True, False, True]
        assert 'too many voters from your network' in you[2]['why']
        assert you[0]['max_votes_per_address'] == 2 and you[0]['role'] == 'crowd'
        for ws in (a, b, c, other):
            await ws.send(vote())
        warning = await next_status(c)
        assert warning['level'] == 'warning' and 'you are watching' in warning['msg']
        await asyncio.sleep(0.1)
        voters = {v.voter_id for v in bridge.votes}
        assert len(voters) == 3 and {voter_token(v) for v in voters} == \
            {you[0]['you'], you[1]['you'], you[3]['you']}
        await a.close()  # a slot frees: the watcher of 127.0.0.1 takes it
        promoted = await next_publish(c, 'crowd/you')
        assert promoted['counted'] is True and promoted['why'] is None
        await c.send(vote(0.1))
        await asyncio.sleep(0.1)
        assert voter_token(bridge.votes[-1].voter_id) == you[2]['you']
        assert server.stats['votes_not_counted'] == 1 and server.stats['promoted'] == 1
        for ws in (b, c, other):
            await ws.close()
    run(body, tmp_path, max_votes_per_address=2)


def test_kick_closes_the_connection_ends_its_vote_and_refuses_its_address(tmp_path,
                                                                          secrets_file):
    async def body(server, url, bridge, log):
        op = await operator(url)
        griefer = await client(url, '127.0.0.2')
        bystander = await client(url, '127.0.0.3')
        await griefer.send(vote(-0.3))
        await op.send(json.dumps({'op': 'subscribe', 'topic': 'crowd/connections'}))
        listed = await next_publish(op, 'crowd/connections')
        row = next(r for r in listed['connections'] if r['address'] == '127.0.0.2')
        assert row['votes'] == 1 and row['last_vote'] == [-0.3, 0.0] and row['counted']
        assert listed['total'] == 3 and listed['bans'] == []
        await op.send(moderation('k1', action='kick', token=row['token']))
        answer = await next_status(op)
        assert answer['id'] == 'k1' and answer['level'] == 'info'
        assert 'kicked 1 connection' in answer['msg'] and '127.0.0.2 refused for 30 s' in \
            answer['msg']
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(griefer.recv(), 5)
        assert griefer.close_code == 1008 and griefer.close_reason == 'kicked by the operator'
        assert bridge.left and voter_token(bridge.left[0][0]) == row['token']  # vote ended
        with pytest.raises(InvalidStatus) as err:
            await client(url, '127.0.0.2')
        assert err.value.response.status_code == 403
        assert server.stats['refused_banned'] == 1
        await bystander.send(vote(0.1))  # others unaffected
        unknown = moderation('k2', action='kick', token='00000000')
        await op.send(unknown)
        assert (await next_status(op))['msg'] == \
            'moderation: no connection has the token 00000000'
        assert any(f"action=kick target={row['token']} operator='alice': kicked 1" in t
                   for t in log.lines)
        assert SECRET not in '\n'.join(log.lines)
        for ws in (op, bystander):
            await ws.close()
    run(body, tmp_path, auth_secret_file=str(secrets_file), kick_duration=30.0)


def test_bans_survive_a_restart_and_unban_lifts_them(tmp_path, secrets_file):
    params = {'auth_secret_file': str(secrets_file)}

    async def ban(server, url, bridge, log):
        op = await operator(url)
        a = await client(url, '127.0.0.2')
        b = await client(url, '127.0.0.2')  # a second tab from the banned address
        await a.send(vote())
        await op.send(moderation('b0', action='ban', address='127.0.0.1'))
        refused = await next_status(op)
        assert (refused['level'], refused['msg']) == \
            ('error', 'moderation: 127.0.0.1 is your own address')
        y = await subscribe_you(a)
        await op.send(moderation('b1', action='ban', token=y['you'], duration=600))
        answer = await next_status(op)
        assert answer['msg'] == 'moderation: 127.0.0.2 banned for 600 s, 2 connection(s) closed'
        for ws in (a, b):
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert (ws.close_code, ws.close_reason) == (1008, 'banned by the operator')
        await op.close()
    run(ban, tmp_path, **params)
    saved = json.loads((tmp_path / 'bans.json').read_text())
    assert [(b['address'], b['action'], b['operator']) for b in saved['bans']] == \
        [('127.0.0.2', 'ban', 'alice')]

    async def restarted(server, url, bridge, log):
        assert any('1 banned address(es)' in line for line in log.lines)
        with pytest.raises(InvalidStatus) as err:
            await client(url, '127.0.0.2')
        assert err.value.response.status_code == 403
        op = await operator(url)
        await op.send(json.dumps({'op': 'subscribe', 'topic': 'crowd/connections'}))
        assert [b['address'] for b in (await next_publish(op, 'crowd/connections'))['bans']] \
            == ['127.0.0.2']
        await op.send(moderation('u1', action='unban', address='127.0.0.2'))
        assert (await next_status(op))['msg'] == 'moderation: 127.0.0.2 may connect again'
        await (await client(url, '127.0.0.2')).close()
        await op.close()
    run(restarted, tmp_path, **params)


def test_pause_resume_and_mode_go_to_the_bridge_and_ros_commands_act(tmp_path, secrets_file):
    async def body(server, url, bridge, log):
        op = await operator(url)
        crowd = await client(url, '127.0.0.2')
        await crowd.send(moderation(action='pause'))  # not an operator
        assert 'needs the operator role' in (await next_status(crowd))['msg']
        for text, answer in ((moderation('p', action='pause'), 'moderation: crowd paused'),
                             (moderation('p', action='pause'), 'moderation: crowd already '
                                                               'paused'),
                             (moderation('m', action='mode', mode='queue'),
                              'moderation: mode set to queue'),
                             (moderation('r', action='resume'), 'moderation: crowd resumed')):
            await op.send(text)
            assert (await next_status(op))['msg'] == answer
        assert bridge.modes == ['queue'] and bridge.paused is False
        y = await subscribe_you(crowd)
        bridge.moderate(json.dumps({'action': 'kick', 'token': y['you'], 'operator': 'lan'}))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(crowd.recv(), 5)
        bridge.moderate('{"action": "dance"}')  # refused, logged
        await asyncio.sleep(0.1)
        assert any(f"action=kick target={y['you']} operator='lan'" in t for t in log.lines)
        assert server.stats['moderation_refused'] == 1
        assert sum('action=pause' in t for t in log.lines) == 2
        await op.close()
    run(body, tmp_path, auth_secret_file=str(secrets_file))
