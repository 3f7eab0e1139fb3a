"""The relay gateway's :class:`~kropbot_gateway.bridge.Bridge` to the robot over Zenoh (no ROS).

A relay gateway runs the same :class:`~kropbot_gateway.server.GatewayServer` as the robot's
gateway (page, rosbridge subset, limits, voter identity, encode-once fan-out); only the bridge
differs: instead of DDS it talks to the robot's ``relay_link`` through a Zenoh router, on the
keys of :mod:`kropbot_gateway.keys` with the payloads of :mod:`kropbot_gateway.relay_wire`.

- Votes: :meth:`ZenohBridge.publish_vote` keeps the newest vote per connection; a batch goes out
  at most every ``batch_interval`` s (leading edge: a vote after a quiet spell leaves at once),
  so the robot gets at most ``control period / batch_interval`` messages per control period
  from this gateway, whatever the vote rate. With no vote, an empty batch every ``heartbeat`` s
  tells the robot the gateway is alive. A connection that voted and closed
  (:meth:`ZenohBridge.voter_left`) goes into the next batch's ``left`` list, and the robot's
  link withdraws its vote (:mod:`kropbot_common.withdrawal`).
- Frames and status: one Zenoh subscription each, however many viewers; the server's channel
  encodes each message once for all of them.
- Robot liveness: the robot is *online* while its liveliness token is present and its
  ``crowd/status`` is fresher than ``robot_timeout``. The status relayed to viewers gets the key
  ``"robot": "online"``; while offline, votes are dropped (never queued: nothing from before an
  outage is sent after it) and viewers get a status with ``"robot": "offline"``, zero voters and
  a zero command (the page's cue to show "robot offline").

Threads: every method except the Zenoh callbacks runs on the server's asyncio loop (the server
calls :meth:`ZenohBridge.attach` from it when it starts); the callbacks only decode and hand
over, with ``loop.call_soon_threadsafe`` or the server's thread-safe ``deliver``.
"""

import asyncio
import json
import secrets
import time

from kropbot_common.directions import HISTOGRAM_KEYS

from kropbot_gateway.bridge import Bridge
from kropbot_gateway.names import resolve_topic
from kropbot_gateway.relay_wire import (
    Batch,
    WireError,
    decode_frame,
    decode_status,
    encode_batch,
)

CAMERA_TOPIC = 'camera/image_raw/compressed'
STATUS_TOPIC = 'crowd/status'
VOTE_TOPIC = 'crowd/vote'


def offline_status(last=None, stamp=None):
    """Return the ``crowd/status`` dict shown while the robot is offline.

    It is the last status seen (if any) with ``"robot": "offline"``, no voters, an empty
    histogram and a zero command; ``stamp`` is the wall-clock time (s).
    """
    status = dict(last or {})
    status.update({'robot': 'offline', 'voters': 0,
                   'histogram': dict.fromkeys(HISTOGRAM_KEYS, 0),
                   'command': {'linear': 0.0, 'angular': 0.0}, 'operator': False,
                   'stamp': time.time() if stamp is None else stamp})
    return status


class ZenohBridge(Bridge):
    """Bridge a :class:`~kropbot_gateway.server.GatewayServer` to a robot over Zenoh.

    The server calls :meth:`attach` (on its loop) when it starts; :meth:`attach_session` then
    hands over the open Zenoh session (``kropbot-gateway`` opens it in a worker thread, so the
    page is served while the router is still unreachable).

    Args:
        keyspace: :class:`~kropbot_gateway.keys.KeySpace` of the robot.
        gateway: this gateway's name (unique per robot; voter ids become
            ``<gateway>/<connection>`` on the robot).
        log: object with ``info``/``warning``/``error`` taking one str.
        namespace: the server's namespace (topics are resolved against it).
        batch_interval: least time between two vote batches, s.
        heartbeat: an empty batch is sent after this long without one, s.
        robot_timeout: the robot is offline when its status is older than this, s.
        clock: monotonic clock (s), injectable for tests.

    Attributes:
        stats: counters (batches, votes_sent, votes_dropped_offline, frames, ...).

    """

    def __init__(self, keyspace, gateway, log, namespace='/', *, batch_interval=0.025,
                 heartbeat=0.1, robot_timeout=2.0, clock=time.monotonic):
        self.keys = keyspace
        self.gateway = gateway
        keyspace.votes(gateway)  # validates the name
        self.log = log
        self.batch_interval = batch_interval
        self.heartbeat = heartbeat
        self.robot_timeout = robot_timeout
        self.clock = clock
        self.stats = {}
        self.boot = secrets.token_hex(4)
        self._camera_topic = resolve_topic(CAMERA_TOPIC, namespace)
        self._status_topic = resolve_topic(STATUS_TOPIC, namespace)
        self._vote_topic = resolve_topic(VOTE_TOPIC, namespace)
        self._deliver = self._loop = self._session = None
        self._declared = []
        self._camera_sub = None
        self._camera_wanted = False
        self._pending = {}  # connection -> (linear_x, angular_z) for the next batch
        self._left = set()  # connections whose votes end with the next batch
        self._seq = 0
        self._last_sent = float('-inf')
        self._flush_handle = None
        self._tick_handle = None
        self._token_present = False
        self._last_status = None  # (monotonic arrival, dict)
        self.online = False

    # --- life cycle (loop thread) -----------------------------------------------------------

    def attach(self, deliver):
        """Take the server's thread-safe ``deliver``; start the liveness/heartbeat tick.

        Called by :meth:`GatewayServer.start <kropbot_gateway.server.GatewayServer.start>` on the
        server's loop, which this bridge then uses for its timers.
        """
        self._deliver = deliver
        self._loop = asyncio.get_running_loop()
        self._tick_handle = self._loop.call_later(self.heartbeat / 2, self._tick)

    def attach_session(self, session):
        """Use the open Zenoh ``session``: declare the token, publisher and subscriptions."""
        import zenoh

        self._session = session
        liveliness = session.liveliness()
        self._declared.append(liveliness.declare_token(self.keys.alive_gateway(self.gateway)))
        self._votes_pub = session.declare_publisher(
            self.keys.votes(self.gateway), congestion_control=zenoh.CongestionControl.DROP,
            priority=zenoh.Priority.INTERACTIVE_HIGH, express=True)
        self._declared.append(self._votes_pub)
        self._declared.append(session.declare_subscriber(self.keys.status,
                                                         self._zenoh_status))
        self._declared.append(liveliness.declare_subscriber(
            self.keys.alive_robot, self._zenoh_robot_token, history=True))
        if self._camera_wanted:
            self._declare_camera()
        self.log.info(f'relay gateway {self.gateway}: Zenoh session {session.info.zid()} open '
                      f'(robot {self.keys.robot})')

    def close(self):
        """Undeclare everything and close the session (loop thread, at shutdown)."""
        for handle in (self._tick_handle, self._flush_handle):
            if handle is not None:
                handle.cancel()
        for entity in [self._camera_sub, *self._declared]:
            if entity is not None:
                try:
                    entity.undeclare()
                except Exception:  # noqa: BLE001 - best effort at shutdown
                    pass
        self._declared, self._camera_sub = [], None
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- Bridge interface (loop thread) ------------------------------------------------------

    def vote_id(self, client_id):
        """Return ``<gateway>/<connection>``: the voter id ``relay_link`` gives it on the robot."""
        return f'{self.gateway}/{client_id}'

    def publish_vote(self, vote):
        """Queue ``vote`` (newest per connection) for the next batch; dropped while offline."""
        if vote.topic != self._vote_topic:
            self._count('votes_other_topic')
            return
        if not self.online:
            self._count('votes_dropped_offline')
            return
        self._pending[vote.voter_id] = (vote.linear_x, vote.angular_z)
        self._left.discard(vote.voter_id)
        self._schedule_flush()

    def voter_left(self, voter_id, topic):
        """End ``voter_id``'s vote: it goes into the next batch's ``left`` list.

        A vote of that connection still waiting for the batch is dropped (it would only be
        withdrawn again). While the robot is offline nothing is sent: the robot's link has
        withdrawn this gateway's voters already (it heard no batch for ``gateway_timeout``).
        """
        if topic != self._vote_topic:
            return
        self._pending.pop(voter_id, None)
        if not self.online:
            return
        self._left.add(voter_id)
        self._count('voters_left')
        self._schedule_flush()

    def subscribe(self, topic, type_name):
        """Start delivering ``topic`` (camera or status) to the server's channel."""
        if topic == self._camera_topic:
            self._camera_wanted = True
            if self._session is not None and self._camera_sub is None:
                self._declare_camera()
        elif topic == self._status_topic:
            if self.online and self._last_status is not None:
                self._deliver_status(dict(self._last_status[1], robot='online'))
            elif not self.online:
                self._deliver_offline()
        else:
            self.log.warning(f'relay gateway: {topic} is not relayed (only {self._camera_topic}'
                             f' and {self._status_topic})')

    def unsubscribe(self, topic):
        """Stop delivering ``topic`` (its last viewer left)."""
        if topic == self._camera_topic:
            self._camera_wanted = False
            if self._camera_sub is not None:
                self._camera_sub.undeclare()
                self._camera_sub = None

    # --- internals (loop thread) -------------------------------------------------------------

    def _count(self, key, n=1):
        self.stats[key] = self.stats.get(key, 0) + n

    def _schedule_flush(self):
        if self._flush_handle is None:
            delay = max(0.0, self._last_sent + self.batch_interval - self.clock())
            self._flush_handle = self._loop.call_later(delay, self._flush)

    def _declare_camera(self):
        self._camera_sub = self._session.declare_subscriber(self.keys.camera,
                                                            self._zenoh_frame)

    def _flush(self):
        self._flush_handle = None
        if not self.online or self._session is None:
            self._pending.clear()
            self._left.clear()
            return
        votes = tuple((voter, lin, ang) for voter, (lin, ang) in self._pending.items())
        left = tuple(sorted(self._left))
        self._pending.clear()
        self._left.clear()
        self._seq += 1
        now = self.clock()
        self._votes_pub.put(encode_batch(Batch(self.boot, self._seq, now, votes, left)))
        self._last_sent = now
        self._count('batches')
        self._count('votes_sent', len(votes))

    def _tick(self):
        self._tick_handle = self._loop.call_later(self.heartbeat / 2, self._tick)
        self._update_online()
        if self.online and self._flush_handle is None and \
                self.clock() - self._last_sent >= self.heartbeat:
            self._flush()

    def _update_online(self):
        fresh = self._last_status is not None and \
            self.clock() - self._last_status[0] < self.robot_timeout
        online = self._token_present and fresh
        if online == self.online:
            return
        self.online = online
        self._count('robot_online' if online else 'robot_offline')
        if online:
            self.log.info(f'robot {self.keys.robot} online')
        else:
            self._pending.clear()
            self._left.clear()
            self.log.warning(f'robot {self.keys.robot} offline (liveliness token '
                             f'{"present" if self._token_present else "gone"}, status '
                             f'{"fresh" if fresh else "stale"}): votes dropped until it returns')
            self._deliver_offline()

    def _deliver_status(self, status):
        self._deliver(self._status_topic, {'data': json.dumps(status)})

    def _deliver_offline(self):
        last = self._last_status[1] if self._last_status else None
        self._deliver_status(offline_status(last))

    def _on_status(self, status):
        self._last_status = (self.clock(), status)
        self._update_online()
        if self.online:
            self._deliver_status(dict(status, robot='online'))

    def _on_robot_token(self, present):
        self._token_present = present
        self._update_online()

    # --- Zenoh callbacks (Zenoh threads): decode, then hand over to the loop ------------------

    def _zenoh_frame(self, sample):
        try:
            msg = decode_frame(sample.payload.to_bytes())
        except WireError as exc:
            self._loop.call_soon_threadsafe(self._count, 'bad_frames')
            self.log.warning(f'relay gateway: dropped a camera frame: {exc}')
            return
        # The server's deliver is thread-safe: one hop to its loop per frame. Only this
        # subscriber's callback writes 'frames' (each dict operation is atomic under the GIL).
        self._deliver(self._camera_topic, msg)
        self._count('frames')

    def _zenoh_status(self, sample):
        try:
            status = json.loads(decode_status(sample.payload.to_bytes())['data'])
            if not isinstance(status, dict):
                raise WireError('status is not a JSON object')
        except (WireError, ValueError) as exc:
            self._loop.call_soon_threadsafe(self._count, 'bad_status')
            self.log.warning(f'relay gateway: dropped a status: {exc}')
            return
        self._loop.call_soon_threadsafe(self._on_status, status)

    def _zenoh_robot_token(self, sample):
        import zenoh

        present = sample.kind == zenoh.SampleKind.PUT
        self._loop.call_soon_threadsafe(self._on_robot_token, present)
