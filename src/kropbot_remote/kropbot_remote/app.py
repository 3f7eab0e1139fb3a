"""The UI loop's logic, device- and window-free: events in, command and overlay text out.

Events are plain dicts (see :mod:`kropbot_remote.gamepad` for the gamepad ones):
``{'type': 'KEYDOWN'|'KEYUP', 'key': <pygame key name>}``, ``{'type': 'WINDOWFOCUSLOST'}``,
``{'type': 'WINDOWFOCUSGAINED'}``, ``{'type': 'QUIT'}``. :class:`App` folds them into the
keyboard and gamepad state, asks the :class:`~kropbot_remote.teleop.Arbiter` for the command
and hands it to the client; :func:`overlay_lines` describes what the window shows. An operator
moderates with keys (:data:`MODERATION_KEYS`): ``p`` pauses or resumes the crowd, ``m`` sets
the next crowd mode (vote, anarchy, democracy, queue).
"""

import math

from kropbot_gateway.client_protocol import OPERATOR

from kropbot_remote.client import CONNECTED, CONNECTING, RECONNECTING
from kropbot_remote.gamepad import GamepadReader
from kropbot_remote.guard_banner import guard_banner
from kropbot_remote.protocol import next_mode
from kropbot_remote.teleop import KEY_BINDINGS, Inputs, Limits

QUIT_KEYS = frozenset({'escape', 'q'})
#: Operator keys: pause/resume the crowd, next crowd mode.
MODERATION_KEYS = {'p': 'pause/resume', 'm': 'next mode'}
GREEN, YELLOW, RED, WHITE = (80, 220, 80), (60, 200, 240), (70, 70, 255), (235, 235, 235)  # BGR
MESSAGE_SHOWN = 10.0  # s a gateway status message stays on screen


class KeyboardState:
    """Held keys, from key-down/up events; focus loss forgets them (releases are not seen)."""

    def __init__(self):
        self.held = set()

    def feed(self, event):
        """Apply a KEYDOWN/KEYUP event dict (other events are ignored)."""
        key = event.get('key')
        if event.get('type') == 'KEYDOWN' and key in KEY_BINDINGS:
            self.held.add(key)
        elif event.get('type') == 'KEYUP':
            self.held.discard(key)

    def logical(self):
        """Return the held logical keys (frozenset of teleop.FORWARD ...)."""
        return frozenset(KEY_BINDINGS[k] for k in self.held)


class App:
    """Fold UI and gamepad events, decide the command and give it to ``client``.

    Args:
        client: a :class:`~kropbot_remote.client.RemoteClient` (or anything with
            ``set_command(twist)`` and ``snapshot()``).
        arbiter: the :class:`~kropbot_remote.teleop.Arbiter`.
        fixed_limits: True if the bounds came from the command line; otherwise they follow
            ``max_linear``/``max_angular`` from ``crowd/status``.

    Attributes:
        decision: the last :class:`~kropbot_remote.teleop.Decision`.
        quit: True once the user asked to quit (window closed, Esc or q).

    """

    def __init__(self, client, arbiter, fixed_limits=False):
        self.client = client
        self.arbiter = arbiter
        self.fixed_limits = fixed_limits
        self.keyboard = KeyboardState()
        self.gamepad = GamepadReader()
        self.focused = True
        self.decision = None
        self.quit = False
        self.status = {}

    def handle(self, events):
        """Apply a batch of event dicts."""
        for event in events:
            kind = event.get('type')
            if kind == 'QUIT' or (kind == 'KEYDOWN' and event.get('key') in QUIT_KEYS):
                self.quit = True
            elif kind == 'WINDOWFOCUSLOST':
                self.focused = False
                self.keyboard.held.clear()
            elif kind == 'WINDOWFOCUSGAINED':
                self.focused = True
            elif kind == 'KEYDOWN' and event.get('key') in MODERATION_KEYS:
                self.moderate(event['key'])
            elif kind in ('KEYDOWN', 'KEYUP'):
                self.keyboard.feed(event)
            else:
                self.gamepad.feed(event)

    def moderate(self, key):
        """Operator: ``p`` pauses (or resumes, if paused) the crowd, ``m`` sets the next mode.

        Decided from the latest ``crowd/status`` (``paused``, ``mode``); a crowd voter's keys do
        nothing (the gateway would refuse them anyway).
        """
        if getattr(self.client, 'role', None) != OPERATOR:
            return
        if key == 'p':
            self.client.moderate('resume' if self.status.get('paused') else 'pause')
        elif key == 'm':
            self.client.moderate('mode', mode=next_mode(self.status.get('mode', 'vote')))

    def update(self, status=None):
        """Decide the command from the current state and send it; return the Decision.

        ``status`` (a ``crowd/status`` dict) updates the bounds unless they are fixed.
        """
        if status:
            self.status = status
        if status and not self.fixed_limits:
            try:
                limits = Limits(float(status['max_linear']), float(status['max_angular']))
            except (KeyError, TypeError, ValueError):
                limits = None
            if limits is not None and limits != self.arbiter.limits:
                self.arbiter.limits = limits
        pad = self.gamepad.state
        inputs = Inputs(self.keyboard.logical(), self.focused, pad.connected, pad.stick,
                        pad.deadman, pad.stop_button)
        self.decision = self.arbiter.decide(inputs)
        self.client.set_command(self.decision.twist)
        return self.decision


def overlay_lines(snap, app, now, url):
    """Return the overlay as ``[(text, BGR colour), ...]`` for a client snapshot at ``now``.

    Shows the connection state, the role, the crowd's fused command and voter count (from
    ``crowd/status``), the cliff guard's banner (``guard``), the operator's pause and the crowd
    mode (when not the default ``vote``, and always for the operator, with its keys), this
    client's command and its
    source, the age of the shown frame (ms, wall clock: needs the robot's and this computer's
    clocks in sync, e.g. NTP), the gamepad, and the gateway's latest status message.
    """
    lines = []
    if snap.state == CONNECTED:
        lines.append((f'connected {url}', GREEN))
    elif snap.state == RECONNECTING and snap.retry_at is not None:
        wait = max(0.0, snap.retry_at - now)
        lines.append((f'reconnecting in {wait:.1f} s ({snap.detail})', RED))
    elif snap.state in (CONNECTING, RECONNECTING):
        lines.append((f'connecting to {url}', YELLOW))
    else:
        lines.append(('closed', RED))
    status = snap.status or {}
    if snap.role == OPERATOR:
        if snap.auth == 'refused':
            lines.append(('role: operator - REFUSED by the gateway (see below)', RED))
        elif status.get('operator') and snap.auth == 'ok':
            lines.append(('role: operator (overriding the crowd)', GREEN))
        elif snap.auth == 'ok':
            lines.append(('role: operator (authenticated)', GREEN))
        else:
            lines.append(('role: operator (token sent)', YELLOW))
    else:
        lines.append(('role: crowd voter', WHITE))
    if status:
        cmd = status.get('command') or {}
        lines.append((f"crowd: {status.get('voters', '?')} voters, fused "
                      f"{_num(cmd.get('linear'))} m/s {_num(cmd.get('angular'))} rad/s"
                      + (' [operator]' if status.get('operator') else ''), WHITE))
    banner = guard_banner(status)
    if banner is not None:
        lines.append((banner, RED))
    if status.get('paused') is True:
        lines.append(('PAUSED BY THE OPERATOR - the robot is stopped', RED))
    if isinstance(status.get('mode'), str) and (status['mode'] != 'vote' or snap.role == OPERATOR):
        lines.append((f"mode: {status['mode']}"
                      + (' (chosen by the crowd)' if status.get('mode_source') == 'crowd' else '')
                      + (' - keys: p pause/resume, m next mode' if snap.role == OPERATOR
                         else ''), WHITE))
    decision = app.decision
    if decision is not None:
        colour = RED if decision.source == 'stop' else WHITE
        text = (f'you: {decision.source} {decision.twist.linear:+.2f} m/s '
                f'{decision.twist.angular:+.2f} rad/s')
        lines.append((text + (f' - {decision.note}' if decision.note else ''), colour))
    if snap.frame is not None and math.isfinite(snap.frame.stamp):
        age = (now - snap.frame.stamp) * 1000.0
        lines.append((f'frame {snap.frames} age {age:.0f} ms', RED if age > 1000 else WHITE))
    else:
        lines.append(('waiting for the camera', YELLOW))
    pad = app.gamepad
    if pad.state.connected:
        lines.append((f'gamepad: {pad.state.name or "connected"}', WHITE))
    elif pad.unplugged:
        lines.append(('gamepad disconnected', RED))
    for when, level, text in snap.messages[-2:]:
        if now - when < MESSAGE_SHOWN:
            lines.append((f'gateway {level}: {text}', RED if level == 'error' else YELLOW))
    return lines


def _num(value):
    return f'{value:+.2f}' if isinstance(value, (int, float)) else '?'
