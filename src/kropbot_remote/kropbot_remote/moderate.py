"""One moderation command from the command line: connect, authenticate, send, print the answer.

``remote --url ws://robot:9090/ --token-file F --pause`` (or ``--resume``, ``--mode MODE``,
``--kick TOKEN``, ``--ban TOKEN|ADDRESS [--ban-duration S]``, ``--unban ADDRESS``) opens a
WebSocket to the gateway, sends the rosbridge ``auth`` op with the operator's MAC, then the
command (:func:`kropbot_remote.protocol.moderation_op`), prints the gateway's answer and exits:
0 when the gateway carried it out, 1 when it refused (or the connection or authentication
failed). No window, no gamepad: for scripts and cron jobs. Voter tokens come from
``crowd/status`` (queue, anarchy) or the gateway's ``crowd/connections`` (the page's operator
panel lists them).
"""

import re
import socket
import time

from kropbot_gateway.auth import auth_op
from kropbot_gateway.client_protocol import (
    CONNECT_ERRORS,
    ServerMessage,
    check_url,
    decode,
    encode,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from kropbot_remote.protocol import auth_answer, moderation_answer, moderation_op

TOKEN_RE = re.compile(r'^[0-9a-f]{8}$')
OP_ID = 'moderation-cli'


def command_from_args(args):
    """Return ``(action, fields)`` from the parsed flags, or None if none was given."""
    if args.pause:
        return 'pause', {}
    if args.resume:
        return 'resume', {}
    if args.mode:
        return 'mode', {'mode': args.mode}
    if args.kick:
        return 'kick', {'token': args.kick}
    if args.ban:
        target = 'token' if TOKEN_RE.match(args.ban) else 'address'
        return 'ban', {target: args.ban, 'duration': args.ban_duration}
    if args.unban:
        return 'unban', {'address': args.unban}
    return None


def run_once(url, token, action, fields, timeout=10.0, out=print):
    """Send one moderation command as the operator; return the exit code (0 done, 1 not).

    Args:
        url: the gateway's WebSocket URL.
        token: the operator's secret.
        action: the command's action (:func:`kropbot_remote.protocol.moderation_op`).
        fields: its fields (dict).
        timeout: seconds to wait for each answer.
        out: prints one line (the outcome).

    """
    dest = check_url(url)
    deadline = time.monotonic() + timeout
    try:
        with connect(url, open_timeout=timeout, close_timeout=1,
                     user_agent_header='kropbot-remote') as ws:
            ws.send(encode(auth_op(token, socket.gethostname(), dest, now=time.time())))
            answer = _wait(ws, lambda m: auth_answer(m) is not None, deadline)
            if answer is None or auth_answer(answer) != 'ok':
                out(f'remote: not authenticated as the operator: '
                    f'{answer.text if answer else "no answer"}')
                return 1
            ws.send(encode(moderation_op(OP_ID, action, **fields)))
            answer = _wait(ws, lambda m: m.id == OP_ID, deadline)
    except (*CONNECT_ERRORS, ConnectionClosed) as exc:  # TimeoutError is an OSError
        out(f'remote: cannot reach {url}: {exc}')
        return 1
    if answer is None:
        out(f'remote: no answer to {action} within {timeout:g} s')
        return 1
    ok, text = moderation_answer(answer) or (False, answer.text)
    out(f'remote: {text}')
    return 0 if ok else 1


def _wait(ws, wanted, deadline):
    """Return the first status op (ServerMessage) satisfying ``wanted`` before ``deadline``."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            item = decode(ws.recv(left))
        except TimeoutError:
            return None
        if isinstance(item, ServerMessage) and wanted(item):
            return item
