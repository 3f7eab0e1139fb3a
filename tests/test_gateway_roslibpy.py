"""Gateway integration: real gateway_node + vote_node (+ camera_node) over DDS, roslibpy clients.

roslibpy speaks the stock rosbridge v2 protocol (JSON only), so these tests show that existing
rosbridge clients work unchanged against the KropBot gateway. The last test runs the stock
rosbridge option (``bridge:=rosbridge``): the gateway serves the page only and a rosbridge
stand-in (no identity, like rosbridge_suite) carries the votes.
"""

import asyncio
import base64
import json
import socket
import threading
import time
import urllib.request

import cbor2
from geometry_msgs.msg import Twist
from kropbot_testing.rosbridge_standin import start_standin
import psutil
import pytest
import roslibpy
from sensor_msgs.msg import CompressedImage
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.dds


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway(start_node, wait_for):
    port = free_port()
    # five roslibpy clients on 127.0.0.1 stand for five people: no per-address vote cap
    proc = start_node('kropbot_gateway', 'gateway_node', 'gateway',
                      params={'port': port, 'max_votes_per_address': 0})
    wait_for(lambda: 'crowd gateway on http://' in proc.log() or not proc.alive(), 20,
             message='gateway start')
    assert proc.alive(), proc.log()
    return port, proc


def client(port):
    ros = roslibpy.Ros(host='127.0.0.1', port=port)
    ros.run(timeout=10)
    return ros


def collect_status(ros):
    statuses = []
    topic = roslibpy.Topic(ros, 'crowd/status', 'std_msgs/String')
    topic.subscribe(lambda m: statuses.append(json.loads(m['data'])))
    return statuses


def test_five_voters_drive_forward_and_forged_ids_count_once(gateway, start_node, ros,
                                                             wait_for):
    port, _ = gateway
    start_node('kropbot_vote', 'vote_node', 'vote')
    cmd = ros.collect(Twist, 'cmd_vel')
    clients = [client(port) for _ in range(5)]
    statuses = collect_status(clients[0])
    votes = [roslibpy.Topic(c, '/crowd/vote', 'geometry_msgs/TwistStamped') for c in clients]
    try:
        def vote_all(frame_ids=False):
            for i, t in enumerate(votes):
                t.publish(roslibpy.Message({
                    'header': {'frame_id': f'forged-{i}' if frame_ids else 'me'},
                    'twist': {'linear': {'x': 0.3, 'y': 0.0, 'z': 0.0},
                              'angular': {'x': 0.0, 'y': 0.0, 'z': 0.0}}}))

        def five_voters():
            vote_all()
            time.sleep(0.2)
            return statuses and statuses[-1]['voters'] == 5
        wait_for(five_voters, 15, period=0.3, message='5 voters in crowd/status')
        assert statuses[-1]['histogram']['forward'] == 5
        wait_for(lambda: cmd and cmd[-1][1].linear.x > 0, 5, message='cmd_vel forward')
    finally:
        for c in clients:
            c.close()


def test_one_connection_with_many_frame_ids_is_one_voter(gateway, start_node, wait_for):
    port, _ = gateway
    start_node('kropbot_vote', 'vote_node', 'vote')
    ros_client = client(port)
    statuses = collect_status(ros_client)
    topic = roslibpy.Topic(ros_client, 'crowd/vote', 'geometry_msgs/msg/TwistStamped')
    try:
        wait_for(lambda: statuses, 15, message='crowd/status from the vote node')
        time.sleep(0.5)  # let DDS match the gateway's vote publisher with the vote node
        for i in range(100):  # ~20 pass the rate limit, each with another forged frame_id
            topic.publish(roslibpy.Message({'header': {'frame_id': f'voter-{i}'},
                                            'twist': {'linear': {'x': 0.2}}}))
            time.sleep(0.02)
        wait_for(lambda: statuses and statuses[-1]['voters'] >= 1, 10, message='a voter')
        time.sleep(1.0)
        assert max(s['voters'] for s in statuses) == 1
    finally:
        ros_client.close()


def test_forbidden_publish_and_services_change_nothing(gateway, ros, wait_for):
    port, _ = gateway
    cmd = ros.collect(Twist, 'cmd_vel')
    ros_client = client(port)  # roslibpy ignores status ops; a raw client reads them below
    try:
        roslibpy.Topic(ros_client, 'cmd_vel', 'geometry_msgs/Twist').publish(
            roslibpy.Message({'linear': {'x': 1.0}}))
        roslibpy.Topic(ros_client, 'odom', 'nav_msgs/Odometry').advertise()
        roslibpy.Topic(ros_client, 'teleop/cmd_vel', 'geometry_msgs/Twist').subscribe(print)

        async def raw():
            async with connect(f'ws://127.0.0.1:{port}') as ws:
                requests = [
                    {'op': 'publish', 'id': 'p', 'topic': 'cmd_vel',
                     'msg': {'linear': {'x': 1.0}}},
                    {'op': 'advertise', 'id': 'a', 'topic': 'odom', 'type': 'nav_msgs/Odometry'},
                    {'op': 'subscribe', 'id': 's', 'topic': 'teleop/cmd_vel'},
                    {'op': 'call_service', 'id': 'c', 'service': '/rosapi/topics'},
                ]
                replies = []
                for r in requests:
                    await ws.send(json.dumps(r))
                    replies.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
                return replies
        replies = asyncio.run(raw())
        assert [(r['op'], r['level'], r['id']) for r in replies] == [
            ('status', 'error', i) for i in 'pasc']
        time.sleep(0.5)
        assert cmd == []
        names = dict(ros.node.get_topic_names_and_types())
        assert '/odom' not in names and '/teleop/cmd_vel' not in names
        assert '/cmd_vel' not in names or not ros.node.get_publishers_info_by_topic('/cmd_vel')
    finally:
        ros_client.close()


def test_camera_none_and_cbor_and_stalled_viewer(gateway, start_node, wait_for):
    port, proc = gateway
    start_node('kropbot_camera', 'camera_node', 'camera',
               params={'source': 'test_pattern', 'fps': 15.0})
    ros_client = client(port)
    frames = []
    roslibpy.Topic(ros_client, 'camera/image_raw/compressed',
                   'sensor_msgs/CompressedImage').subscribe(frames.append)
    try:
        wait_for(lambda: frames, 20, message='a JSON camera frame')
        jpeg = base64.b64decode(frames[-1]['data'])
        assert jpeg[:2] == b'\xff\xd8'
        assert frames[-1]['header']['frame_id'] == 'camera_optical_frame'

        rss = psutil.Process(proc.proc.pid)

        async def cbor_and_stalled():
            url = f'ws://127.0.0.1:{port}'
            sub = json.dumps({'op': 'subscribe', 'topic': 'camera/image_raw/compressed',
                              'compression': 'cbor'})
            stalled = [await connect(url, max_queue=1) for _ in range(5)]
            for s in stalled:
                await s.send(sub)  # and never read again
            async with connect(url) as good:
                await good.send(sub)
                rss_start = rss.memory_info().rss
                start = time.monotonic()
                count = 0
                while time.monotonic() - start < 4.0:
                    msg = cbor2.loads(await asyncio.wait_for(good.recv(), 5))
                    assert msg['op'] == 'publish' and msg['msg']['data'][:2] == b'\xff\xd8'
                    count += 1
                rss_end = rss.memory_info().rss
            for s in stalled:
                s.transport.abort()
            return count / 4.0, rss_end - rss_start

        rate, growth = asyncio.run(cbor_and_stalled())
        assert rate >= 5.0, rate  # camera runs at 15 Hz; stalled viewers do not slow this one
        assert growth < 20 * 2**20, growth  # bytes; newest-frame-only slots, no queues
    finally:
        ros_client.close()


def test_sigterm_exits_cleanly(gateway):
    import signal

    port, proc = gateway
    ros_client = client(port)
    closed = threading.Event()
    ros_client.on('close', lambda *_: closed.set())
    proc.signal(signal.SIGTERM)
    assert proc.proc.wait(10) == 0
    assert 'Traceback' not in proc.log()
    ros_client.close()


def test_stock_rosbridge_mode_page_server_and_client_voter_ids(start_node, ros, wait_for,
                                                                tmp_path):
    """websocket:=false: page + /config.json only; clients vote through the stand-in."""
    page_port = free_port()
    rosbridge_port = free_port()
    while rosbridge_port == page_port:
        rosbridge_port = free_port()
    web = tmp_path / 'web'
    web.mkdir()
    (web / 'index.html').write_text('<title>KropBot</title>')
    gateway = start_node('kropbot_gateway', 'gateway_node', 'gateway', params={
        'port': page_port, 'websocket': False, 'rosbridge_port': rosbridge_port,
        'web_root': str(web)})
    start_node('kropbot_vote', 'vote_node', 'vote')
    # The mode warns at start-up, right after the "crowd gateway on" line.
    wait_for(lambda: 'ballot stuffing' in gateway.log() or not gateway.alive(), 20,
             message='gateway start with the page-only warning')
    assert gateway.alive(), gateway.log()
    standin = start_standin(rosbridge_port, tmp_path / 'standin.log')
    page = f'http://127.0.0.1:{page_port}'
    try:
        assert b'KropBot' in urllib.request.urlopen(page + '/', timeout=5).read()
        with urllib.request.urlopen(page + '/config.json', timeout=5) as resp:
            config = json.loads(resp.read())
            assert resp.headers['Cache-Control'] == 'no-cache'
        assert config == {'voter_id': 'client', 'rosbridge_port': rosbridge_port}

        async def upgrade():
            async with connect(f'ws://127.0.0.1:{page_port}/'):
                pass
        with pytest.raises(InvalidStatus) as err:
            asyncio.run(upgrade())
        assert err.value.response.status_code == 404

        # Two "tabs" vote through rosbridge (the stand-in) with their own ids, as the page does.
        tabs = [client(config['rosbridge_port']) for _ in range(2)]
        statuses = collect_status(tabs[0])
        votes = [roslibpy.Topic(c, 'crowd/vote', 'geometry_msgs/TwistStamped') for c in tabs]

        def two_voters():
            for i, topic in enumerate(votes):
                topic.publish(roslibpy.Message({'header': {'frame_id': f'tab-{i}'},
                                                'twist': {'linear': {'x': 0.2}}}))
            time.sleep(0.2)
            return statuses and statuses[-1]['voters'] == 2
        wait_for(two_voters, 15, period=0.3, message='2 voters through the stand-in')
        for c in tabs:
            c.close()
        def vote_publishers():
            return [p.node_name for p in ros.node.get_publishers_info_by_topic('/crowd/vote')]
        wait_for(lambda: vote_publishers() and '_NODE_NAME_UNKNOWN_' not in vote_publishers(),
                 10, message='the vote publishers and their nodes discovered')
        assert vote_publishers() == ['rosbridge_standin']  # none by the gateway

        # The stand-in relays the camera in CBOR, as the page subscribes to it.
        pub = ros.node.create_publisher(CompressedImage, 'camera/image_raw/compressed', 1)

        async def camera():
            async with connect(f'ws://127.0.0.1:{rosbridge_port}/') as ws:
                await ws.send(json.dumps({'op': 'subscribe', 'compression': 'cbor',
                                          'topic': '/camera/image_raw/compressed'}))
                for _ in range(100):
                    pub.publish(CompressedImage(format='jpeg', data=b'\xff\xd8jpeg'))
                    try:
                        return cbor2.loads(await asyncio.wait_for(ws.recv(), 0.2))
                    except asyncio.TimeoutError:
                        continue
        frame = asyncio.run(camera())
        assert frame['op'] == 'publish' and frame['msg']['data'] == b'\xff\xd8jpeg'
    finally:
        standin.terminate()
        assert standin.wait(10) == 0
