"""The connection to the gateway: an asyncio ``websockets`` client in a background thread.

:class:`RemoteClient` connects, (authenticates,) subscribes and advertises
(:func:`kropbot_gateway.client_protocol.setup_ops`), keeps the newest camera frame and
``crowd/status``, and sends the command the UI sets, following a
:class:`~kropbot_remote.protocol.SendPolicy`. A lost or refused connection is retried with
exponential back-off; meanwhile the UI shows why. Closing sends a stop command first.

The UI thread only calls :meth:`RemoteClient.set_command`, :meth:`RemoteClient.moderate` and
reads :meth:`RemoteClient.snapshot`; all are thread-safe. ``on_frame``/``on_wake`` callbacks
run in the client thread.
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field
import os
from pathlib import Path
import socket
import threading
import time

from kropbot_gateway.auth import auth_op
from kropbot_gateway.client_protocol import (
    CONNECT_ERRORS,
    CROWD,
    OPERATOR,
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

from kropbot_remote.protocol import SendPolicy, auth_answer, moderation_op
from kropbot_remote.teleop import STOP_TWIST

CONNECTING, CONNECTED, RECONNECTING, CLOSED = 'connecting', 'connected', 'reconnecting', 'closed'


@dataclass
class Snapshot:
    """What the UI shows, copied under the client's lock.

    Attributes:
        state: :data:`CONNECTING`, :data:`CONNECTED`, :data:`RECONNECTING` or :data:`CLOSED`.
        detail: why the last connection ended or failed ('' while fine).
        retry_at: wall time (s) of the next attempt while reconnecting, else None.
        role: :data:`CROWD` or :data:`OPERATOR` (requested).
        auth: None (crowd), ``'sent'``, ``'ok'`` (the gateway answered "auth: authenticated
            as operator") or ``'refused'`` (a status error about the auth op).
        frame: newest :class:`~kropbot_gateway.client_protocol.Frame` or None;
            ``frame_arrival`` its arrival (wall s); ``frames`` how many arrived in total.
        status: newest ``crowd/status`` dict or None.
        messages: recent ``(wall s, level, text)`` status ops from the gateway.
        sent: the last command sent (Twist) or None.

    """

    state: str = CONNECTING
    detail: str = ''
    retry_at: float = None
    role: str = CROWD
    auth: str = None
    frame: Frame = None
    frame_arrival: float = None
    frames: int = 0
    status: dict = None
    messages: list = field(default_factory=list)
    sent: object = None


class RemoteClient:
    """Keep a connection to ``url`` and exchange frames, status and commands.

    Args:
        url: gateway WebSocket URL, e.g. ``ws://robot:9090/``.
        token: the operator's secret (str) or None to drive as a crowd voter.
        save_frames: directory to write every received JPEG to (``frame_000001.jpg`` ...), or
            None.
        throttle_ms: camera ``throttle_rate`` asked from the gateway (ms).
        on_frame: ``callback(frame, arrival_wall_s)`` per received frame (client thread).
        on_wake: ``callback()`` after anything the UI shows changed (client thread), e.g. to
            wake the UI loop.
        backoff: a :class:`~kropbot_gateway.client_protocol.Backoff` (default 0.5 s doubling
            to 8 s).

    """

    def __init__(self, url, token=None, save_frames=None, throttle_ms=0, on_frame=None,
                 on_wake=None, backoff=None):
        self._dest = check_url(url)
        self.url = url
        self.role = OPERATOR if token else CROWD
        self._token = token
        self._save = Path(save_frames) if save_frames else None
        if self._save:
            self._save.mkdir(parents=True, exist_ok=True)
        self._throttle = throttle_ms
        self._on_frame = on_frame or (lambda frame, arrival: None)
        self._on_wake = on_wake or (lambda: None)
        self._backoff = backoff or Backoff()
        self._policy = SendPolicy.for_role(self.role)
        self._lock = threading.Lock()
        self._snap = Snapshot(role=self.role, auth='sent' if token else None)
        self._messages = deque(maxlen=5)
        self._command = STOP_TWIST
        self._outbox = deque(maxlen=16)  # moderation ops waiting for an authenticated session
        self._moderation_seq = 0
        self._loop = None
        self._wake = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name='kropbot-remote-ws', daemon=True)

    # ---- UI thread API -------------------------------------------------------------------
    def start(self):
        """Start the connection thread."""
        self._thread.start()

    def set_command(self, twist):
        """Set the command to send (a :class:`~kropbot_remote.teleop.Twist`); thread-safe."""
        with self._lock:
            changed = twist != self._command
            self._command = twist
        if changed and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def moderate(self, action, **fields):
        """Queue a moderation command (operator only; thread-safe); return its op id.

        It is sent once this connection is authenticated as the operator (dropped if the
        client reconnects first: the operator sees no answer and can send it again). The
        gateway's answer appears in :attr:`Snapshot.messages` (``moderation: ...``).
        """
        with self._lock:
            self._moderation_seq += 1
            op_id = f'moderation-{self._moderation_seq}'
            self._outbox.append(moderation_op(op_id, action, **fields))
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)
        return op_id

    def snapshot(self):
        """Return a :class:`Snapshot` copy of the client's state; thread-safe."""
        with self._lock:
            snap = Snapshot(**vars(self._snap))
            snap.messages = list(self._messages)
            return snap

    def close(self, timeout=3.0):
        """Send stop (if connected), close the socket and join the thread (at most ``timeout``)."""
        with self._lock:
            self._command = STOP_TWIST
            self._closing = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)
        if self._thread.is_alive():
            self._thread.join(timeout)

    # ---- client thread --------------------------------------------------------------------
    def _update(self, **changes):
        with self._lock:
            for key, value in changes.items():
                setattr(self._snap, key, value)
        self._on_wake()

    def _run(self):
        asyncio.run(self._main())

    async def _main(self):
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        while not self._closing:
            started = time.monotonic()
            self._update(state=CONNECTING if self._backoff.attempt == 0 else RECONNECTING,
                         retry_at=None)
            try:
                async with connect(self.url, **connect_options('kropbot-remote')) as ws:
                    self._update(state=CONNECTED, detail='')
                    await self._session(ws)
                detail = 'closed'
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                detail = (f'closed by the gateway: {rcvd.code} {rcvd.reason}'.strip()
                          if rcvd else 'connection lost')
            except CONNECT_ERRORS as exc:
                detail = f'cannot connect: {exc}' if str(exc) else 'cannot connect'
            if self._closing:
                break
            if time.monotonic() - started > STABLE_AFTER:
                self._backoff.reset()
            delay = self._backoff.next_delay()
            self._update(state=RECONNECTING, detail=detail[:160], retry_at=time.time() + delay)
            self._wake.clear()
            deadline = time.monotonic() + delay
            while not self._closing and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._wake.wait(), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    break
                self._wake.clear()
        self._update(state=CLOSED, retry_at=None)

    async def _session(self, ws):
        if self._token:
            op = auth_op(self._token, socket.gethostname(), self._dest, now=time.time())
            await ws.send(encode(op))
            self._update(auth='sent')
        for op in setup_ops(self.role, self._throttle):
            await ws.send(encode(op))
        self._policy.reset()
        with self._lock:
            self._outbox.clear()  # commands of an earlier connection are not replayed
        receiver = asyncio.ensure_future(self._receive(ws))
        try:
            while True:
                self._wake.clear()  # before reading the command: no set_command is missed
                with self._lock:
                    twist, closing = self._command, self._closing
                now = time.monotonic()
                if closing or self._policy.due(twist, now):
                    await ws.send(encode(command_op(self.role, twist.linear, twist.angular)))
                    self._policy.sent(twist, now)
                    self._update(sent=twist)
                while self._snap.auth == 'ok' and self._outbox:
                    with self._lock:
                        op = self._outbox.popleft()
                    await ws.send(encode(op))
                if closing:
                    await ws.close()
                    return
                if receiver.done():
                    receiver.result()  # re-raises ConnectionClosed
                    return
                wait = self._policy.next_due(twist) - now
                waker = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait([receiver, waker], timeout=max(0.0, wait),
                                   return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
        finally:
            receiver.cancel()

    async def _receive(self, ws):
        async for raw in ws:
            arrival = time.time()
            item = decode(raw)
            if isinstance(item, Frame):
                with self._lock:
                    count = self._snap.frames + 1
                if self._save:
                    path = self._save / f'frame_{count:06d}.jpg'
                    tmp = path.with_suffix('.part')
                    tmp.write_bytes(item.jpeg)
                    os.replace(tmp, path)
                self._on_frame(item, arrival)
                self._update(frame=item, frame_arrival=arrival, frames=count)
            elif isinstance(item, Status):
                self._update(status=item.data)
            elif isinstance(item, ServerMessage):
                with self._lock:
                    self._messages.append((arrival, item.level, item.text))
                    auth = auth_answer(item) if self._token else None
                    if auth is not None:
                        self._snap.auth = auth
                if auth == 'ok':
                    self._wake.set()  # moderation commands may go out now
                self._on_wake()
