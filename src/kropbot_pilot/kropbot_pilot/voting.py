"""The pilot's voting rules and its ``auth`` op (pure: no socket, no clock).

The pilot speaks the gateway protocol of every client (the camera and ``crowd/status``
subscriptions, ``crowd/vote`` as a crowd member, ``teleop/cmd_vel`` as the operator):
:mod:`kropbot_gateway.client_protocol`, shared with the desktop client. Here:

* the ``auth`` op the pilot sends first when it has a token (:func:`auth_op_for`), asking for the
  bot label as a crowd member or for the operator's level;
* :class:`VoteScheduler`, which decides, on each tick, whether to run the model on a new frame,
  repeat the last vote (a heartbeat: a crowd vote expires after ``vote_timeout``, 3 s), send one
  stop because frames stopped arriving, or stay quiet.
"""

from kropbot_gateway.auth import auth_op
from kropbot_gateway.client_protocol import OPERATOR

#: rosauth user level the pilot claims when it authenticates as a bot crowd member (the
#: gateway maps authenticated bots to its ``bot`` role).
BOT_LEVEL = 'bot'
#: rosauth user level of the operator (what kropbot_remote and roslibjs send by default).
OPERATOR_LEVEL = 'admin'


def auth_op_for(secret, role, bot, dest, now=None):
    """Return the pilot's rosbridge ``auth`` op (rosauth MAC): the ONE place it is built.

    Uses :func:`kropbot_gateway.auth.auth_op` (SHA-512 MAC over secret, client, dest, rand,
    t, level, end). The level says what the client asks to be: :data:`BOT_LEVEL` for a
    labelled bot crowd member, :data:`OPERATOR_LEVEL` for the operator.

    Args:
        secret: the token (shared secret, str).
        role: ``'crowd'`` or ``'operator'`` (:data:`kropbot_gateway.client_protocol.ROLES`).
        bot: True to ask for the bot label (crowd role).
        dest: the gateway's host name (bound into the MAC).
        now: s since the epoch (default: now).

    """
    level = OPERATOR_LEVEL if role == OPERATOR else (BOT_LEVEL if bot else 'user')
    return auth_op(secret, client='kropbot-pilot', dest=dest, level=level, now=now)


INFER, REPEAT, STOP = 'infer', 'repeat', 'stop'


class VoteScheduler:
    """Decide what to do on each tick of the pilot's vote timer.

    Args:
        frame_timeout: frames older than this (s since arrival) count as "frames stopped".
        heartbeat: repeat an unchanged vote after this long (s), so it never expires.

    """

    def __init__(self, frame_timeout=1.0, heartbeat=1.0):
        self.frame_timeout = frame_timeout
        self.heartbeat = heartbeat
        self._used_frame = None  # sequence number of the last frame the model saw
        self._last_sent = None  # time of the last vote (s) while driving
        self._stopped = True  # True until the first vote and after a stop was sent

    def decide(self, now, frame_seq, frame_arrival):
        """Return :data:`INFER`, :data:`REPEAT`, :data:`STOP` or None; then send accordingly.

        Args:
            now: current time (s, the same monotonic clock as ``frame_arrival``).
            frame_seq: sequence number of the newest frame (None if none yet).
            frame_arrival: arrival time of the newest frame (s) or None.

        """
        if frame_seq is None or now - frame_arrival >= self.frame_timeout:
            if not self._stopped:
                self._stopped = True
                return STOP
            return None
        if frame_seq != self._used_frame:
            self._used_frame = frame_seq
            self._stopped = False
            self._last_sent = now
            return INFER
        if now - self._last_sent >= self.heartbeat:
            self._last_sent = now
            return REPEAT
        return None
