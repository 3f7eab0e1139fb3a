"""Tests of the gateway's asyncio server with the in-memory bridge and raw WebSocket clients.

No rclpy: the server is ROS-free; the real node is covered by tests/test_gateway_*.py.
"""

import asyncio
import base64
import json
import time
import urllib.error
import urllib.request

import cbor2
from kropbot_gateway.admission import origin_allowed
from kropbot_gateway.bridge import MemoryBridge
from kropbot_gateway.config import config_from_params
from kropbot_gateway.http import static_file
from kropbot_gateway.server import GatewayServer
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

CAM = '/camera/image_raw/compressed'
STATUS = '/crowd/status'


class Log:
    def __init__(self):
        self.lines = []

    def info(self, text):
        self.lines.append(text)

    warning = error = info


def make_config(**kw):
    return config_from_params({'port': 0, **kw}, '/')


def run(coro_fn, **config):
    """Start a server with ``config`` overrides and run ``coro_fn(server, url, bridge)``."""
    async def main():
        bridge = MemoryBridge()
        server = GatewayServer(make_config(**config), bridge, Log())
        await server.start()
        try:
            return await asyncio.wait_for(
                coro_fn(server, f'ws://127.0.0.1:{server.port}', bridge), 30)
        finally:
            await server.stop()
    return asyncio.run(main())


async def recv_json(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def test_config_validation():
    assert make_config().publish_allow == {'/crowd/vote': 'geometry_msgs/msg/TwistStamped',
                                           '/crowd/mode_vote': 'std_msgs/msg/String'}
    limits = make_config(abuse_bytes_per_second=2048, max_errors=3).limits
    assert (limits.abuse_bytes_per_second, limits.max_errors) == (2048, 3)
    for bad in ({'port': 70000}, {'votes_per_second': 0.0}, {'max_connections': 'many'},
                {'allow_publish': ['cmd_vel:geometry_msgs/msg/Twist']},
                {'allow_subscribe': ['nocolon']}, {'allowed_origins': ['evil.com']},
                {'address': ''}, {'ping_timeout': -1.0}, {'abuse_bytes_per_second': 100},
                {'max_errors': 0}, {'allow_publish': ['x:std_msgs/msg/Int32']},
                {'allow_subscribe': ['crowd/you:std_msgs/msg/String']},
                {'allow_publish': ['crowd/moderation:std_msgs/msg/String']},
                {'max_votes_per_address': -1}, {'kick_duration': -1.0},
                {'vote_node': 'no good'}):
        with pytest.raises(ValueError):
            make_config(**bad)


def test_origin_rules():
    assert origin_allowed(None, 'h:9090', ())
    assert origin_allowed('http://h:9090', 'h:9090', ())
    assert origin_allowed('https://bot.example', 'h:9090', ('https://bot.example',))
    assert origin_allowed('http://a', 'h:1', ('*',))
    assert not origin_allowed('http://evil.example', 'h:9090', ())
    assert not origin_allowed('http://h:9091', 'h:9090', ())
    assert not origin_allowed('null', 'h:9090', ())


def test_static_file_mapping(tmp_path):
    (tmp_path / 'index.html').write_text('<h1>hi</h1>')
    (tmp_path / 'assets').mkdir()
    (tmp_path / 'assets' / 'app.js').write_text('x')
    (tmp_path.parent / 'secret.txt').write_text('s')
    assert static_file(str(tmp_path), '/') == (tmp_path / 'index.html').resolve()
    assert static_file(str(tmp_path), '/assets/app.js?v=1').name == 'app.js'
    for bad in ('/../secret.txt', '/%2e%2e/secret.txt', '/nope', '/.git/config'):
        assert static_file(str(tmp_path), bad) is None
    assert static_file(None, '/') is None


def test_http_static_and_websocket_on_one_port(tmp_path):
    (tmp_path / 'index.html').write_text('<title>KropBot</title>')
    (tmp_path / 'app.js').write_text('console.log(1)')

    async def body(server, url, bridge):
        http_url = url.replace('ws://', 'http://')
        page = await asyncio.to_thread(lambda: urllib.request.urlopen(http_url + '/').read())
        assert b'KropBot' in page
        def get_js():
            with urllib.request.urlopen(http_url + '/app.js') as resp:
                return resp.headers['Content-Type'], resp.read()
        ctype, js = await asyncio.to_thread(get_js)
        assert ctype.startswith(('text/javascript', 'application/javascript'))
        assert js == b'console.log(1)'
        with pytest.raises(urllib.error.HTTPError) as err:
            await asyncio.to_thread(urllib.request.urlopen, http_url + '/missing')
        assert err.value.code == 404
        err.value.close()
        async with connect(url) as ws:
            await ws.send(json.dumps({'op': 'subscribe', 'id': 1, 'topic': 'crowd/status'}))
            await asyncio.sleep(0.1)
            assert bridge.subscribed == [STATUS]
    run(body, web_root=str(tmp_path))


def test_no_web_root_gives_clear_404_and_websocket_works():
    async def body(server, url, bridge):
        with pytest.raises(urllib.error.HTTPError) as err:
            await asyncio.to_thread(urllib.request.urlopen, url.replace('ws', 'http') + '/')
        assert err.value.code == 404 and b'not built' in err.value.read()
        async with connect(url) as ws:
            await ws.send('{"op": "bogus", "id": "x"}')
            assert (await recv_json(ws))['id'] == 'x'
    run(body)


def test_errors_malformed_unknown_unsupported():
    async def body(server, url, bridge):
        async with connect(url) as ws:
            await ws.send('{not json')
            reply = await recv_json(ws)
            assert reply['op'] == 'status' and reply['level'] == 'error'
            for op in ('call_service', 'get_param', 'dance'):
                await ws.send(json.dumps({'op': op, 'id': op}))
                reply = await recv_json(ws)
                assert (reply['level'], reply['id']) == ('error', op)
            await ws.send(json.dumps({'op': 'advertise', 'id': 'a', 'topic': 'cmd_vel',
                                      'type': 'geometry_msgs/Twist'}))
            assert (await recv_json(ws))['id'] == 'a'
            await ws.send(json.dumps({'op': 'subscribe', 'id': 's', 'topic': 'odom'}))
            assert (await recv_json(ws))['id'] == 's'
        assert bridge.votes == [] and bridge.subscribed == []
    run(body)


@pytest.mark.parametrize('payload, code', [
    (b'\x01\x02', 1003),          # binary frame
    ('x' * 5000, 1009),           # above max_message_size
])
def test_close_codes(payload, code):
    async def body(server, url, bridge):
        async with connect(url, max_size=None) as ws:
            await ws.send(payload)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == code
    run(body, max_message_size=4096)


def test_invalid_utf8_closes_1007():
    async def body(server, url, bridge):
        async with connect(url) as ws:
            await ws.send(b'{"op": "\xff"}', text=True)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1007
    run(body)


def test_origin_check_on_handshake():
    async def body(server, url, bridge):
        with pytest.raises(InvalidStatus) as err:
            async with connect(url, origin='http://evil.example'):
                pass
        assert err.value.response.status_code == 403
        async with connect(url, origin='https://bot.example') as ws:
            await ws.send('{"op": "x"}')
            await recv_json(ws)
        async with connect(url, origin=f'http://127.0.0.1:{server.port}') as ws:  # same origin
            await ws.send('{"op": "x"}')
            await recv_json(ws)
        assert server.stats['refused_origin'] == 1
    run(body, allowed_origins=['https://bot.example'])


def test_connection_limits():
    async def body(server, url, bridge):
        clients = [await connect(url) for _ in range(3)]
        with pytest.raises(InvalidStatus) as err:
            await connect(url)
        assert err.value.response.status_code == 429
        await clients.pop().close()
        await asyncio.sleep(0.1)
        clients.append(await connect(url))  # a slot is free again
        for c in clients:
            await c.close()
        assert server.stats['refused_per_address'] == 1
    run(body, max_connections_per_address=3)

    async def total(server, url, bridge):
        clients = [await connect(url) for _ in range(2)]
        with pytest.raises(InvalidStatus) as err:
            await connect(url)
        assert err.value.response.status_code == 503
        for c in clients:
            await c.close()
    run(total, max_connections=2)


def test_simultaneous_handshakes_cannot_exceed_the_limits():
    async def body(server, url, bridge):
        async def one():
            try:
                return await connect(url)
            except InvalidStatus as exc:
                return exc.response.status_code
        results = await asyncio.gather(*(one() for _ in range(60)))
        opened = [r for r in results if not isinstance(r, int)]
        assert len(opened) == 5 and results.count(429) == 55
        assert server.connection_counts() == (5, {'127.0.0.1': 5})
        for c in opened:
            await c.close()
        await asyncio.sleep(0.1)
        assert server.connection_counts() == (0, {})  # every slot released on close
    run(body, max_connections_per_address=5)


def test_handshake_refused_after_admission_releases_the_slot():
    async def body(server, url, bridge):
        port = int(url.rsplit(':', 1)[1])
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        writer.write(b'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
                     b'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n')  # no key
        assert b' 400 ' in await asyncio.wait_for(reader.read(100), 5)
        writer.close()
        await asyncio.sleep(0.2)
        assert server.connection_counts() == (0, {})
    run(body, max_connections_per_address=1)


def test_raise_fd_limit_with_a_fake_resource_module():
    from kropbot_gateway.server import FD_RESERVE, raise_fd_limit

    class Fake:
        RLIMIT_NOFILE, RLIM_INFINITY = 7, -1

        def __init__(self, soft, hard):
            self.limits = (soft, hard)

        def getrlimit(self, which):
            return self.limits

        def setrlimit(self, which, limits):
            self.limits = limits

    fake = Fake(1024, 4096)
    assert raise_fd_limit(1000, fake) == (1000 + FD_RESERVE, 1000 + FD_RESERVE)
    assert fake.limits == (1000 + FD_RESERVE, 4096)
    fake = Fake(256, 512)  # the hard limit caps it: the caller warns
    assert raise_fd_limit(1000, fake) == (512, 1000 + FD_RESERVE)
    fake = Fake(65536, -1)  # already enough: unchanged
    assert raise_fd_limit(1000, fake) == (65536, 1000 + FD_RESERVE)


def vote(x, z, frame_id='me'):
    return json.dumps({'op': 'publish', 'topic': 'crowd/vote', 'msg': {
        'header': {'frame_id': frame_id}, 'twist': {'linear': {'x': x}, 'angular': {'z': z}}}})


def test_votes_get_connection_identity():
    async def body(server, url, bridge):
        a, b = await connect(url), await connect(url)
        for i in range(5):
            await a.send(vote(0.1, 0.0, frame_id=f'forged-{i}'))
        await b.send(vote(-0.1, 0.2))
        await asyncio.sleep(0.2)
        ids = {v.voter_id for v in bridge.votes}
        assert len(bridge.votes) == 6 and len(ids) == 2
        assert not any(i.startswith('forged') for i in ids)
        await a.close()
        await b.close()
    run(body)


def test_votes_end_with_their_connection_clean_or_not():
    async def body(server, url, bridge):
        clean, lost, viewer = await connect(url), await connect(url), await connect(url)
        await clean.send(vote(0.1, 0.0))
        await lost.send(vote(-0.1, 0.0))
        await viewer.send(json.dumps({'op': 'subscribe', 'topic': 'crowd/status'}))
        await asyncio.sleep(0.2)
        ids = {v.voter_id: v.linear_x for v in bridge.votes}
        clean_id = next(i for i, x in ids.items() if x > 0)
        lost_id = next(i for i, x in ids.items() if x < 0)
        assert bridge.left == []
        await clean.close()  # close handshake
        await asyncio.sleep(0.2)
        assert bridge.left == [(clean_id, '/crowd/vote')]
        lost.transport.abort()  # TCP reset, no close frame: the connection is lost
        await asyncio.sleep(0.2)
        assert bridge.left == [(clean_id, '/crowd/vote'), (lost_id, '/crowd/vote')]
        await viewer.close()  # never voted: nothing to end
        await asyncio.sleep(0.2)
        assert len(bridge.left) == 2 and server.stats['voters_left'] == 2
    run(body)


def test_vote_flood_is_rate_limited_then_closed():
    async def body(server, url, bridge):
        async with connect(url) as ws:
            replies = []

            async def reader():
                try:
                    while True:
                        replies.append(json.loads(await ws.recv()))
                except ConnectionClosed:
                    pass
            task = asyncio.create_task(reader())
            start = time.monotonic()
            sent = 0
            with pytest.raises(ConnectionClosed):
                while time.monotonic() - start < 10:
                    await ws.send(vote(0.1, 0.0))
                    sent += 1
                    if sent % 10 == 0:
                        await asyncio.sleep(0.01)
            elapsed = time.monotonic() - start
            await task
            assert ws.close_code == 1008
            assert replies and all(r['level'] == 'warning' for r in replies)
            assert len(replies) <= elapsed + 1  # warnings are throttled to 1/s
        accepted = len(bridge.votes)
        assert accepted <= 4 + 2 * elapsed + 1  # burst + rate x time
        # Every processed message but the one that triggered the close was a vote.
        assert accepted + server.stats['vote_rate_limited'] == server.stats['messages'] - 1
        assert server.stats['messages'] <= sent
    run(body, votes_per_second=2.0, vote_burst=4)


def test_fanout_encodes_once_and_unsubscribes_when_last_viewer_leaves():
    async def body(server, url, bridge):
        viewers = [await connect(url) for _ in range(6)]
        for i, ws in enumerate(viewers):
            await ws.send(json.dumps({'op': 'subscribe', 'id': i, 'topic': 'crowd/status',
                                      'compression': 'cbor' if i % 2 else 'none'}))
        await asyncio.sleep(0.2)
        assert bridge.subscribed == [STATUS]  # one ROS subscription for six viewers
        for n in range(3):
            server.deliver(STATUS, {'data': f'status {n}'})
            for i, ws in enumerate(viewers):
                raw = await asyncio.wait_for(ws.recv(), 5)
                msg = cbor2.loads(raw) if i % 2 else json.loads(raw)
                assert msg == {'op': 'publish', 'topic': 'crowd/status',
                               'msg': {'data': f'status {n}'}}
        assert server.stats['encodes'] == 3 * 2  # per frame and compression, not per viewer
        for ws in viewers[:-1]:
            await ws.close()
        await asyncio.sleep(0.1)
        assert bridge.unsubscribed == []
        await viewers[-1].send(json.dumps({'op': 'unsubscribe', 'topic': 'crowd/status'}))
        await asyncio.sleep(0.1)
        assert bridge.unsubscribed == [STATUS]
        await viewers[-1].close()
    run(body)


def test_image_uint8_encoding_json_and_cbor():
    jpeg = bytes(range(256)) * 4

    async def body(server, url, bridge):
        j, c = await connect(url), await connect(url)
        await j.send(json.dumps({'op': 'subscribe', 'topic': CAM}))
        await c.send(json.dumps({'op': 'subscribe', 'topic': CAM, 'compression': 'cbor'}))
        await asyncio.sleep(0.1)
        server.deliver(CAM, {'header': {'stamp': {'sec': 1, 'nanosec': 5},
                                        'frame_id': 'camera_optical_frame'},
                             'format': 'jpeg', 'data': jpeg})
        text = await asyncio.wait_for(j.recv(), 5)
        assert isinstance(text, str)
        assert base64.b64decode(json.loads(text)['msg']['data']) == jpeg
        raw = await asyncio.wait_for(c.recv(), 5)
        assert isinstance(raw, bytes) and cbor2.loads(raw)['msg']['data'] == jpeg
        await j.close()
        await c.close()
    run(body)


def test_throttle_rate_per_subscriber():
    async def body(server, url, bridge):
        fast, slow = await connect(url), await connect(url)
        await fast.send(json.dumps({'op': 'subscribe', 'topic': STATUS}))
        await slow.send(json.dumps({'op': 'subscribe', 'topic': STATUS, 'throttle_rate': 300}))
        await asyncio.sleep(0.1)
        counts = {'fast': 0, 'slow': 0}

        async def count(ws, key):
            try:
                while True:
                    await ws.recv()
                    counts[key] += 1
            except ConnectionClosed:
                pass
        tasks = [asyncio.create_task(count(fast, 'fast')),
                 asyncio.create_task(count(slow, 'slow'))]
        start = time.monotonic()
        for n in range(30):
            server.deliver(STATUS, {'data': str(n)})
            await asyncio.sleep(0.033)
        await asyncio.sleep(0.4)
        elapsed = time.monotonic() - start
        await fast.close()
        await slow.close()
        await asyncio.gather(*tasks)
        assert counts['fast'] >= 25
        assert 2 <= counts['slow'] <= elapsed / 0.3 + 2
    run(body)


def test_stalled_viewer_does_not_delay_others():
    frame = bytes(200_000)

    async def body(server, url, bridge):
        stalled = await connect(url, max_queue=1, max_size=None)
        await stalled.send(json.dumps({'op': 'subscribe', 'topic': CAM,
                                       'compression': 'cbor'}))
        good = await connect(url, max_size=None)
        await good.send(json.dumps({'op': 'subscribe', 'topic': CAM, 'compression': 'cbor'}))
        await asyncio.sleep(0.1)
        received = 0

        async def reader():
            nonlocal received
            try:
                while True:
                    await good.recv()
                    received += 1
            except ConnectionClosed:
                pass
        task = asyncio.create_task(reader())
        for n in range(60):
            server.deliver(CAM, {'format': 'jpeg', 'data': frame + bytes([n])})
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        await good.close()
        await task
        assert received >= 50  # the stalled reader (never reads) costs the others nothing
        assert server.stats['encodes'] <= 60
        stalled.transport.abort()
    run(body, ping_interval=0.0)


def http_get(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.headers, resp.read()


def test_config_json_tells_the_page_the_server_assigns_voter_ids(tmp_path):
    (tmp_path / 'config.json').write_text('{"voter_id": "client"}')  # generated one wins

    async def body(server, url, bridge):
        headers, data = await asyncio.to_thread(
            http_get, url.replace('ws://', 'http://') + '/config.json?x=1')
        assert json.loads(data) == {'voter_id': 'server'}
        assert headers['Cache-Control'] == 'no-cache'
        assert headers['Content-Type'].startswith('application/json')
        assert server.stats['http_config'] == 1
    run(body, web_root=str(tmp_path))


def test_websocket_off_serves_the_page_and_refuses_upgrades(tmp_path):
    (tmp_path / 'index.html').write_text('<title>KropBot</title>')

    async def body(server, url, bridge):
        http_url = url.replace('ws://', 'http://')
        _, page = await asyncio.to_thread(http_get, http_url + '/')
        assert b'KropBot' in page
        _, data = await asyncio.to_thread(http_get, http_url + '/config.json')
        assert json.loads(data) == {'voter_id': 'client', 'rosbridge_port': 9191}
        with pytest.raises(InvalidStatus) as err:
            async with connect(url):
                pass
        response = err.value.response
        assert response.status_code == 404 and b'port 9191' in response.body
        assert server.stats['refused_websocket_off'] == 1
        assert server.connection_counts() == (0, {})
        assert bridge.votes == [] and bridge.subscribed == []
    run(body, web_root=str(tmp_path), websocket=False, rosbridge_port=9191)


def test_memory_bridge_delivers_from_another_thread():
    assert MemoryBridge().topics == {}
    with pytest.raises(RuntimeError):
        MemoryBridge().deliver(STATUS, {'data': 'x'})  # no server attached yet

    async def body(server, url, bridge):
        async with connect(url) as ws:
            await ws.send(json.dumps({'op': 'subscribe', 'topic': 'crowd/status'}))
            await asyncio.sleep(0.1)
            assert bridge.topics == {STATUS: 'std_msgs/msg/String'}
            await asyncio.to_thread(bridge.deliver, STATUS, {'data': 'from a thread'})
            assert (await recv_json(ws))['msg'] == {'data': 'from a thread'}
        await asyncio.sleep(0.1)
        assert bridge.topics == {} and bridge.unsubscribed == [STATUS]
    run(body)
