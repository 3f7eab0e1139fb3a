"""A minimal rosbridge-protocol server that, like stock rosbridge_suite, trusts its clients.

For tests of what KropBot does with a server that assigns no voter identity and has no limits
(``robot.launch.py bridge:=rosbridge``; ``bench/crowd_latency.py --url``), where stock
rosbridge_suite cannot be installed. Like rosbridge with the launch file's ``topics_glob``:

- ``advertise``/``publish`` on ``crowd/vote``: the client's ``TwistStamped`` is published AS
  SENT (``header.frame_id`` and stamp from the client; integers accepted for float fields);
- ``subscribe``/``unsubscribe`` of ``crowd/status`` and ``camera/image_raw/compressed``,
  ``compression`` ``none`` or ``cbor``, newest message only per client and topic;
- anything else (other topics, ``cmd_vel``, services, malformed JSON) gets a ``status`` error.

No Origin check, no rate or size limit, no identity: that is the point. It serves nothing but
the WebSocket (plain HTTP requests are refused by ``websockets``).

Run it in its own process (rclpy executor in a thread, asyncio in the main thread)::

    PYTHONPATH=testing:$PYTHONPATH python -m kropbot_testing.rosbridge_standin --port 9090

It prints ``standin listening on <port>`` once it accepts connections (``--port 0``: a free
port, the line tells which) and exits 0 on SIGINT/SIGTERM. :func:`start_standin` does that
from a test. Needs rclpy, the message packages and kropbot_gateway (its encoder and msgconv).
"""

import argparse
import asyncio
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import threading

from kropbot_gateway.encoding import encode_publish
from kropbot_gateway.errors import ProtocolError
from kropbot_gateway.msgconv import import_message, msg_to_dict
from kropbot_gateway.names import resolve_topic
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from kropbot_testing.msgs import dict_to_msg
from kropbot_testing.processes import wait_for

TESTING = Path(__file__).resolve().parents[1]  # the repository's testing/ folder
VOTE_TOPIC = '/crowd/vote'
VOTE_TYPE = 'geometry_msgs/msg/TwistStamped'
#: Topics clients may subscribe to -> (type, QoS depth, best effort).
SUBSCRIBABLE = {
    '/crowd/status': ('std_msgs/msg/String', 10, False),
    '/camera/image_raw/compressed': ('sensor_msgs/msg/CompressedImage', 1, True),
}
READY = 'standin listening on'


class Client:
    """One WebSocket client: its subscriptions and whether a send is in flight per topic."""

    def __init__(self, ws):
        self.ws = ws
        self.subscriptions = {}  # resolved topic -> (client topic, compression)
        self.pending = {}  # resolved topic -> newest encoded message not yet sent, or None


class Standin:
    """The protocol side: clients, subscriptions, votes (runs on the asyncio loop).

    Args:
        vote_class: the ``TwistStamped`` message class.
        publish_vote: callable taking a ``TwistStamped`` to publish (thread-safe).

    """

    def __init__(self, vote_class, publish_vote):
        self.vote_class = vote_class
        self.publish_vote = publish_vote
        self.clients = set()

    async def handle(self, ws):
        """Serve one WebSocket connection until it closes."""
        client = Client(ws)
        self.clients.add(client)
        try:
            async for text in ws:
                reply = self.on_message(client, text)
                if reply is not None:
                    await ws.send(json.dumps(reply))
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(client)

    def on_message(self, client, text):
        """Handle one client frame; return a ``status`` reply dict or None."""
        try:
            request = json.loads(text)
            op, op_id = request.get('op'), request.get('id')
        except (ValueError, AttributeError) as exc:
            return {'op': 'status', 'level': 'error', 'msg': f'bad message: {exc}'}
        if op not in ('advertise', 'publish', 'unadvertise', 'subscribe', 'unsubscribe'):
            return _error(op_id, f'op {op!r} not supported by the stand-in')
        try:
            topic = resolve_topic(request.get('topic'))
        except ProtocolError as exc:
            return _error(op_id, f'{op}: {exc}')
        if op in ('advertise', 'publish', 'unadvertise'):
            if topic != VOTE_TOPIC:
                return _error(op_id, f'{op}: {topic} is not in topics_glob')
            if op == 'publish':
                try:
                    self.publish_vote(dict_to_msg(self.vote_class, request.get('msg') or {}))
                except Exception as exc:  # noqa: BLE001 - like rosbridge: a status error
                    return _error(op_id, f'publish: {exc}')
            return None
        if op == 'subscribe':
            if topic not in SUBSCRIBABLE:
                return _error(op_id, f'subscribe: {topic} is not in topics_glob')
            compression = request.get('compression') or 'none'
            if compression not in ('none', 'cbor'):
                return _error(op_id, f'subscribe: compression {compression!r} not supported')
            client.subscriptions[topic] = (request['topic'], compression)
            return None
        client.subscriptions.pop(topic, None)  # unsubscribe
        return None

    def deliver(self, topic, msg):
        """Send ``msg`` (plain dict) of ``topic`` to its subscribers (newest only)."""
        for client in self.clients:
            sub = client.subscriptions.get(topic)
            if sub is None:
                continue
            data = encode_publish(sub[0], msg, sub[1])
            busy = topic in client.pending
            client.pending[topic] = data
            if not busy:
                asyncio.get_running_loop().create_task(self._send(client, topic))

    async def _send(self, client, topic):
        while (data := client.pending.get(topic)) is not None:
            client.pending[topic] = None  # a message arriving meanwhile replaces this None
            try:
                await client.ws.send(data)
            except ConnectionClosed:
                break
        client.pending.pop(topic, None)


def _error(op_id, text):
    reply = {'op': 'status', 'level': 'error', 'msg': text}
    if op_id is not None:
        reply['id'] = op_id
    return reply


async def _serve(address, port):
    from geometry_msgs.msg import TwistStamped  # ROS imports here: start_standin needs none
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    rclpy.init(signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    node = rclpy.create_node('rosbridge_standin')
    loop = asyncio.get_running_loop()
    pub = node.create_publisher(TwistStamped, VOTE_TOPIC, QoSProfile(depth=100))
    standin = Standin(TwistStamped, pub.publish)
    for topic, (type_name, depth, best_effort) in SUBSCRIBABLE.items():
        qos = QoSProfile(depth=depth, reliability=ReliabilityPolicy.BEST_EFFORT if best_effort
                         else ReliabilityPolicy.RELIABLE)
        node.create_subscription(
            import_message(type_name), topic,
            lambda msg, topic=topic: loop.call_soon_threadsafe(
                standin.deliver, topic, msg_to_dict(msg)), qos)
    executor = SingleThreadedExecutor()
    executor.add_node(node)

    def spin():
        try:
            executor.spin()
        except ExternalShutdownException:
            pass

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with serve(standin.handle, address, port, compression=None,
                         max_size=2 ** 24) as server:
            print(f'{READY} {server.sockets[0].getsockname()[1]}', flush=True)
            await stop.wait()
    finally:
        executor.shutdown()
        spinner.join(5)  # exiting while the executor thread waits in rcl aborts the process
        node.destroy_node()
        rclpy.try_shutdown()


def main(argv=None):
    """Run the stand-in until SIGINT/SIGTERM; return the exit code."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--port', type=int, required=True, help='TCP port (0 = a free one)')
    p.add_argument('--address', default='127.0.0.1', help='address to bind')
    args = p.parse_args(argv)
    asyncio.run(_serve(args.address, args.port))
    return 0


def start_standin(port, log_path):
    """Start the stand-in as a process on ``port``; return the ``Popen`` once it is ready.

    Its output goes to ``log_path``. The caller stops it (``terminate()`` + ``wait()``). The
    process gets this repository's ``testing/`` on its ``PYTHONPATH`` (no install needed).

    Raises:
        AssertionError: if it exits or does not log :data:`READY` within 20 s (with its log).

    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(TESTING), os.environ.get('PYTHONPATH')) if p))
    log = open(log_path, 'wb')
    proc = subprocess.Popen([sys.executable, '-m', 'kropbot_testing.rosbridge_standin',
                             '--port', str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    text = Path(log_path).read_text
    wait_for(lambda: READY in text(errors='replace') or proc.poll() is not None, 20,
             message='the rosbridge stand-in to listen')
    assert proc.poll() is None, f'rosbridge stand-in exited:\n{text(errors="replace")}'
    return proc


if __name__ == '__main__':
    sys.exit(main())
