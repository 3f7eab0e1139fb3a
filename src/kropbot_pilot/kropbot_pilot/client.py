"""The pilot's connection: an asyncio ``websockets`` client of the crowd gateway.

It receives the camera frames (keeping only the newest) and ``crowd/status``, and on every tick
of its vote timer follows :class:`~kropbot_pilot.voting.VoteScheduler`: runs the model on a new
frame and votes, repeats the vote as a heartbeat, or sends one stop when frames stop arriving.
A lost connection is retried with exponential back-off (0.5 s doubling to 8 s, from 0.5 s again
after a connection that lasted; :class:`~kropbot_gateway.client_protocol.Backoff`); leaving
sends a stop first. The protocol is :mod:`kropbot_gateway.client_protocol`.
"""

import asyncio
from dataclasses import dataclass, field
import logging
import time

from kropbot_gateway.client_protocol import (
    CONNECT_ERRORS,
    CROWD,
    ROLES,
    STABLE_AFTER,
    Backoff,
    Frame,
    ServerMessage,
    Status,
    check_url,
    command_op,
    connect_options,
    decode,
    encode,
    setup_ops,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from kropbot_pilot.contract import decode_jpeg
from kropbot_pilot.inference import LatencyStats
from kropbot_pilot.voting import INFER, REPEAT, STOP, VoteScheduler, auth_op_for

LOG = logging.getLogger('kropbot_pilot.pilot')


@dataclass
class PilotStats:
    """Counters of a pilot run (what ``--stats`` writes, plus the latency summary)."""

    connections: int = 0
    frames: int = 0
    undecodable: int = 0
    inferences: int = 0
    votes: int = 0
    stops: int = 0
    server_errors: int = 0
    last_command: tuple = (0.0, 0.0)
    last_status: dict = field(default_factory=dict)


class PilotClient:
    """Drive through the gateway at ``url`` with ``model``.

    Args:
        url: gateway WebSocket URL, e.g. ``ws://robot:9090/``.
        model: a :class:`~kropbot_pilot.inference.PilotModel`.
        role: ``'crowd'`` (votes on ``crowd/vote``) or ``'operator'`` (``teleop/cmd_vel``).
        rate: vote timer rate, Hz (the gateway allows 5 votes/s per connection).
        frame_timeout: no frame for this long (s) -> one stop, then silence.
        token: shared secret for the ``auth`` op, or None (no authentication).
        bot: ask for the bot label when authenticating as a crowd member.
        log_period: latency log line at most this often, s.

    Raises:
        ValueError: a bad URL or role.

    """

    def __init__(self, url, model, role='crowd', rate=4.0, frame_timeout=1.0, token=None,
                 bot=True, log_period=5.0):
        self._dest = check_url(url)
        if role not in ROLES:
            raise ValueError(f'role must be crowd or operator, got {role!r}')
        self.url, self.model, self.role = url, model, role
        self.period = 1.0 / rate
        self.scheduler = VoteScheduler(frame_timeout=frame_timeout)
        self.token, self.bot = token, bot
        self.log_period = log_period
        self.latency = LatencyStats()
        self.stats = PilotStats()
        self._frame = None  # (seq, arrival s, jpeg bytes)
        self._stop = None

    def summary(self):
        """Return the run's figures as a JSON-able dict (``--stats``)."""
        out = {k: v for k, v in vars(self.stats).items() if k != 'last_status'}
        out['last_command'] = list(self.stats.last_command)
        out['latency'] = self.latency.summary()
        out['model_rejected'] = self.model.rejected
        return out

    async def run(self, duration=0.0, stop=None):
        """Connect (and reconnect) until ``duration`` s passed (0: forever) or ``stop`` is set."""
        self._stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration if duration > 0 else None
        backoff = Backoff(jitter=0.0)
        while not self._stop.is_set():
            started = loop.time()
            try:
                async with connect(self.url, **connect_options('kropbot-pilot')) as ws:
                    self.stats.connections += 1
                    LOG.info('connected to %s as %s%s', self.url, self.role,
                             ' (labelled bot)' if self.token and self.bot and self.role == CROWD
                             else '')
                    await self._session(ws, deadline)
            except ConnectionClosed as exc:
                LOG.warning('connection closed: %s', exc.rcvd or 'lost')
            except CONNECT_ERRORS as exc:
                LOG.warning('cannot connect to %s: %s', self.url, exc)
            if deadline is not None and loop.time() >= deadline:
                break
            if loop.time() - started > STABLE_AFTER:
                backoff.reset()
            try:
                await asyncio.wait_for(self._stop.wait(), backoff.next_delay())
            except asyncio.TimeoutError:
                pass

    async def _session(self, ws, deadline):
        if self.token:
            await ws.send(encode(auth_op_for(self.token, self.role, self.bot, self._dest)))
        for op in setup_ops(self.role):
            await ws.send(encode(op))
        receiver = asyncio.create_task(self._receive(ws))
        loop = asyncio.get_running_loop()
        next_log = loop.time() + self.log_period
        try:
            while not self._stop.is_set() and not receiver.done():
                if deadline is not None and loop.time() >= deadline:
                    self._stop.set()
                    break
                await self._tick(ws, loop.time())
                if loop.time() >= next_log:
                    next_log = loop.time() + self.log_period
                    self._log_latency()
                try:
                    await asyncio.wait_for(self._stop.wait(), self.period)
                except asyncio.TimeoutError:
                    pass
            if self._stop.is_set():
                await ws.send(encode(command_op(self.role, 0.0, 0.0)))  # leave stopped
                self.stats.stops += 1
                LOG.info('stop sent; leaving')
        finally:
            receiver.cancel()
        if receiver.done() and not receiver.cancelled() and receiver.exception():
            raise receiver.exception()

    async def _receive(self, ws):
        seq = 0
        async for message in ws:
            item = decode(message)
            if isinstance(item, Frame):
                seq += 1
                self.stats.frames += 1
                self._frame = (seq, asyncio.get_running_loop().time(), item.jpeg)
            elif isinstance(item, Status):
                self.stats.last_status = item.data
            elif isinstance(item, ServerMessage) and item.level == 'error':
                self.stats.server_errors += 1
                LOG.warning('gateway: %s', item.text)

    async def _tick(self, ws, now):
        seq, arrival, jpeg = self._frame if self._frame else (None, None, None)
        action = self.scheduler.decide(now, seq, arrival)
        if action == INFER:
            bgr = decode_jpeg(jpeg)
            if bgr is None:
                self.stats.undecodable += 1
                return
            linear, angular, seconds = self.model.predict(bgr)
            self.latency.add(seconds)
            self.stats.inferences += 1
            await self._send(ws, linear, angular)
        elif action == REPEAT:
            await self._send(ws, *self.stats.last_command)
        elif action == STOP:
            await self._send(ws, 0.0, 0.0)
            self.stats.stops += 1
            LOG.warning('no camera frame for %.1f s: stop sent, waiting for frames',
                        self.scheduler.frame_timeout)

    async def _send(self, ws, linear, angular):
        await ws.send(encode(command_op(self.role, linear, angular)))
        self.stats.votes += 1
        self.stats.last_command = (linear, angular)

    def _log_latency(self):
        lat = self.latency.summary()
        if lat['frames']:
            status = self.stats.last_status
            LOG.info('inference %d frames, p50 %.1f ms, p95 %.1f ms; command %.2f m/s %.2f '
                     'rad/s; crowd voters %s', lat['frames'], lat['p50_ms'], lat['p95_ms'],
                     *self.stats.last_command, status.get('voters', '?'))


def run_pilot(client, duration=0.0):
    """Run ``client`` in a new event loop until ``duration`` or SIGINT/SIGTERM."""
    import signal

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await client.run(duration, stop)

    started = time.monotonic()
    asyncio.run(main())
    return time.monotonic() - started
