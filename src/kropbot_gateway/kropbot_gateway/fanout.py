"""Fan-out of subscribed topics to WebSocket viewers: newest message only, encoded once.

ROS-free; runs on the server's asyncio loop. One :class:`Channel` per subscribed topic keeps
only the newest message and a cache of its encodings (one per compression and topic spelling),
so a frame is serialized once whatever the number of viewers. Each viewer has a sender task
that waits on an event and sends the newest message (newest-only slot): a stalled viewer
blocks only its own task, and memory per viewer is bounded by the socket write buffer plus one
shared frame. The bridge is asked for one subscription per topic, and only while the topic has
a viewer.
"""

import asyncio
from dataclasses import dataclass, field
import time

from websockets.exceptions import ConnectionClosed

from kropbot_gateway.encoding import encode_publish
from kropbot_gateway.session import Subscribe


class Channel:
    """The newest message of one topic plus its encodings (each made at most once)."""

    def __init__(self, topic):
        self.topic = topic
        self.seq = 0
        self.msg = None
        self.viewers = {}  # connection -> Viewer
        self._encoded = {}

    def update(self, msg):
        """Replace the newest message (plain dict) and wake every viewer."""
        self.seq += 1
        self.msg = msg
        self._encoded = {}
        for viewer in self.viewers.values():
            viewer.event.set()

    def encoded(self, client_topic, compression, stats):
        """Return the newest message encoded for ``(client_topic, compression)`` (cached)."""
        key = (client_topic, compression)
        data = self._encoded.get(key)
        if data is None:
            data = encode_publish(client_topic, self.msg, compression)
            self._encoded[key] = data
            stats['encodes'] = stats.get('encodes', 0) + 1
        return data


@dataclass
class Viewer:
    """One connection's subscription to a channel: options, wake-up event, sender task."""

    options: Subscribe
    event: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None


class Fanout:
    """The channels of one server and their viewers (use on the server's loop only).

    Args:
        bridge: the :class:`~kropbot_gateway.bridge.Bridge` asked to (un)subscribe topics.
        stats: the server's counter dict (``encodes``, ``sent_messages``), updated in place.
        count: callable ``(stats_key, log_text)`` for errors (counted, logged throttled).

    """

    def __init__(self, bridge, stats, count):
        self.bridge = bridge
        self.stats = stats
        self._count = count
        self._channels = {}

    def deliver(self, topic, msg):
        """Make ``msg`` (plain dict) the newest message of resolved ``topic``; wake its viewers.

        Ignored when nobody views ``topic`` (e.g. a message that was in flight when the last
        viewer left).
        """
        channel = self._channels.get(topic)
        if channel is not None:
            channel.update(msg)

    def add_viewer(self, connection, viewers, options):
        """Subscribe ``connection`` to ``options.topic``, or update its options.

        ``viewers`` is that connection's ``{topic: Viewer}``; ``options`` a
        :class:`~kropbot_gateway.session.Subscribe`. The first viewer of a topic makes the
        bridge subscribe; a viewer joining later gets the newest message at once.
        """
        channel = self._channels.get(options.topic)
        if channel is None:
            channel = self._channels[options.topic] = Channel(options.topic)
            self.bridge.subscribe(options.topic, options.type)
        viewer = viewers.get(options.topic)
        if viewer is not None:
            viewer.options = options
            return
        viewer = viewers[options.topic] = Viewer(options)
        channel.viewers[connection] = viewer
        viewer.task = asyncio.get_running_loop().create_task(
            self._send_loop(connection, channel, viewer))
        if channel.msg is not None:
            viewer.event.set()

    def drop_viewer(self, connection, viewers, topic):
        """Stop ``connection``'s viewer of ``topic``; the last viewer's leave unsubscribes."""
        viewer = viewers.pop(topic, None)
        if viewer is None:
            return
        viewer.task.cancel()
        channel = self._channels.get(topic)
        if channel is not None:
            channel.viewers.pop(connection, None)
            if not channel.viewers:
                del self._channels[topic]
                self.bridge.unsubscribe(topic)

    def drop_all(self, connection, viewers):
        """Stop every viewer of ``connection`` (it closed)."""
        for topic in list(viewers):
            self.drop_viewer(connection, viewers, topic)

    async def _send_loop(self, connection, channel, viewer):
        """Send the newest message of ``channel`` whenever it changes, honouring throttle."""
        last_seq = 0
        last_sent = float('-inf')
        while True:
            await viewer.event.wait()
            viewer.event.clear()
            if channel.seq == last_seq or channel.msg is None:
                continue
            delay = last_sent + viewer.options.throttle_rate / 1000.0 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            seq = channel.seq
            try:
                data = channel.encoded(viewer.options.client_topic, viewer.options.compression,
                                       self.stats)
            except (ValueError, TypeError) as exc:
                self._count('encode_errors', f'cannot encode {channel.topic}: {exc}')
                last_seq = seq
                continue
            try:
                await connection.send(data)
            except ConnectionClosed:
                return
            self.stats['sent_messages'] = self.stats.get('sent_messages', 0) + 1
            last_seq = seq
            last_sent = time.monotonic()
            if channel.seq != last_seq:
                viewer.event.set()  # newer frames arrived while sending
