"""The desktop client's own part of the gateway protocol (pure: no socket, clock injected).

The part every client speaks (the camera and ``crowd/status`` subscriptions, votes and
``teleop/cmd_vel``, decoding, the reconnect back-off) is :mod:`kropbot_gateway.client_protocol`,
shared with the imitation pilot. Here: the operator's extras and the client's send rules:

* moderation commands (pause, resume, mode, kick, ban, unban) as ``publish`` on the gateway's
  ``crowd/moderation`` (:func:`moderation_op`), each answered with a ``status`` op
  ``moderation: ...`` echoing the op's id (:func:`moderation_answer`);
* the gateway's answer to the ``auth`` op (:func:`auth_answer`);
* when to send the current command (:class:`SendPolicy`).

Reference: rosbridge v2 protocol (RobotWebTools/rosbridge_suite ``ROSBRIDGE_PROTOCOL.md``).
"""

from dataclasses import dataclass
import json

from kropbot_gateway.client_protocol import OPERATOR

MODERATION_TOPIC = 'crowd/moderation'
#: The vote node's modes, in the order the ``m`` key cycles through them.
MODES = ('vote', 'anarchy', 'democracy', 'queue')


def moderation_op(op_id, action, **fields):
    """Return the ``publish`` op of a moderation command (operator only).

    Args:
        op_id: the op's id (the gateway's answer echoes it).
        action: ``pause``, ``resume``, ``mode`` (``mode=``), ``kick`` (``token=``), ``ban``
            (``token=`` or ``address=``, optional ``duration=`` s) or ``unban`` (``address=``).
        **fields: the action's fields; None values are left out.

    The gateway checks everything (src/kropbot_gateway/doc/gateway.md, "Moderation").
    """
    command = {'action': action, **{k: v for k, v in fields.items() if v is not None}}
    return {'op': 'publish', 'id': op_id, 'topic': MODERATION_TOPIC,
            'msg': {'data': json.dumps(command, separators=(',', ':'))}}


def moderation_answer(message):
    """Return ``(ok, text)`` if a ``ServerMessage`` answers a moderation command, else None.

    ``message``: a :class:`~kropbot_gateway.client_protocol.ServerMessage`.
    """
    if not message.text.startswith('moderation:'):
        return None
    return message.level == 'info', message.text[len('moderation:'):].strip()


def next_mode(mode):
    """Return the mode after ``mode`` in :data:`MODES` (``vote`` after an unknown one)."""
    return MODES[(MODES.index(mode) + 1) % len(MODES)] if mode in MODES else MODES[0]


def auth_answer(message):
    """Read a ``ServerMessage`` as the gateway's answer to the ``auth`` op.

    The KropBot gateway answers ``auth: authenticated as <role>`` (level info) or
    ``auth: <reason>`` (level error); a gateway without the op answers ``op "auth" is not
    available ...`` (error).

    Args:
        message: a :class:`~kropbot_gateway.client_protocol.ServerMessage`.

    Returns:
        ``'ok'`` (authenticated as operator), ``'refused'`` (any error about auth, or another
        role than operator), or None if the message is not about auth.

    """
    text = message.text
    if text.startswith('auth: authenticated as ') and message.level != 'error':
        return 'ok' if text == 'auth: authenticated as operator' else 'refused'
    if message.level == 'error' and (text.startswith('auth:') or '"auth"' in text):
        return 'refused'
    return None


@dataclass
class SendPolicy:
    """When to send the current command: at once on a change, rate-capped, plus a heartbeat.

    A crowd vote lives ``vote_timeout`` (3 s) in the vote node and the gateway allows
    5 votes/s per connection (burst 10), so votes go out at most every ``min_interval`` s
    and are repeated every ``heartbeat`` s. The operator's ``teleop/cmd_vel`` is fresh for
    ``teleop_timeout`` (0.5 s), so it is repeated faster. A change to stop is never delayed.

    Args:
        min_interval: least time between two sends of a changed command (s).
        heartbeat: resend an unchanged command after this long (s).

    """

    min_interval: float
    heartbeat: float

    def __post_init__(self):
        self.last_sent = None  # (time, Twist) of the last send
        self.last_change = float('-inf')  # time of the last send of a changed command

    @classmethod
    def for_role(cls, role):
        """Crowd: changes at most 4/s, heartbeat 1 s; operator: 30/s, heartbeat 0.1 s."""
        return cls(1 / 30, 0.1) if role == OPERATOR else cls(0.25, 1.0)

    def reset(self):
        """Forget what was sent (a new connection sends the next command at once)."""
        self.last_sent = None
        self.last_change = float('-inf')

    def due(self, twist, now):
        """Return True if ``twist`` should be sent at ``now`` (s); then call :meth:`sent`.

        Heartbeats do not delay a change: only changes are rate-capped among themselves.
        """
        if self.last_sent is None:
            return True
        when, previous = self.last_sent
        if twist == previous:
            return now - when >= self.heartbeat
        return twist.is_zero() or now - self.last_change >= self.min_interval

    def next_due(self, twist):
        """Return the time (s) at which ``twist`` becomes due (``-inf`` if nothing was sent)."""
        if self.last_sent is None:
            return float('-inf')
        when, previous = self.last_sent
        if twist == previous:
            return when + self.heartbeat
        return float('-inf') if twist.is_zero() else self.last_change + self.min_interval

    def sent(self, twist, now):
        """Record that ``twist`` was sent at ``now`` (s)."""
        if self.last_sent is not None and twist != self.last_sent[1]:
            self.last_change = now
        self.last_sent = (now, twist)
