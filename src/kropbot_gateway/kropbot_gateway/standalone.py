"""Run the crowd gateway without ROS, on a :class:`~kropbot_gateway.bridge.MemoryBridge`.

``python -m kropbot_gateway.standalone --port 9090 --web-root web/dist`` serves the page and
the rosbridge v2 subset exactly as the ``gateway`` node does (same server, same limits), but
the robot side is this process's stdin/stdout, one JSON object per line:

- stdout: ``{"event": "listening", "address": A, "port": P}`` once bound, then
  ``{"event": "vote", "topic", "voter_id", "linear_x", "angular_z"}`` per accepted vote,
  ``{"event": "mode_vote", "topic", "voter_id", "mode"}`` per mode vote,
  ``{"event": "pause", "paused": bool}`` / ``{"event": "mode", "mode": M}`` per operator's
  pause/resume and mode command (answered as done),
  ``{"event": "teleop", ...}`` (same keys) per operator command (``-p auth_secret_file=...``),
  ``{"event": "left", "topic", "voter_id"}`` when a connection that voted ends (its vote ends
  with it), and ``{"event": "subscribe", "topic", "type"}`` / ``{"event": "unsubscribe",
  "topic"}`` when a topic gets its first viewer or loses its last one;
- stdin: ``{"topic": "/crowd/status", "msg": {"data": "..."}}`` hands a message to that
  topic's viewers. End of input (or SIGINT/SIGTERM) stops the server (exit 0).

For tests (the ROS-free install test), demos of the page without a robot, and as the skeleton of
relays that reach the robot by other means. Needs only the package's declared dependencies.
Parameters as ``kropbot-gateway`` takes them (:mod:`kropbot_gateway.cli`): ``--address``,
``--port``, ``--web-root`` and ``-p name=value`` for any other parameter of the ``gateway``
node (an unknown name, or one of those three, is refused).
Exit code 2 on invalid options or parameters, 1 if the port cannot be bound.
"""

import argparse
import asyncio
import json
import signal
import sys
import threading

from kropbot_common.params import ParameterError

from kropbot_gateway.bridge import MemoryBridge
from kropbot_gateway.cli import StderrLog, add_param_option, param_values
from kropbot_gateway.config import config_from_params
from kropbot_gateway.errors import ProtocolError
from kropbot_gateway.names import resolve_topic
from kropbot_gateway.server import GatewayServer

#: The server's logger.
LOG = StderrLog('gateway')


def _emit(event):
    print(json.dumps(event, separators=(',', ':')), flush=True)


def parse_args(argv=None):
    """Parse the command line; return ``(config values dict, namespace)``."""
    p = argparse.ArgumentParser(
        prog='python -m kropbot_gateway.standalone', description=__doc__.split('\n\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--address', default='127.0.0.1', help='address to bind')
    p.add_argument('--port', type=int, default=9090, help='TCP port (0 = any free port)')
    p.add_argument('--web-root', default='', help="directory of the built page ('' = none)")
    p.add_argument('--namespace', default='/', help='namespace relative topics resolve in')
    add_param_option(p, 'any other gateway parameter (doc/gateway.md), value as JSON, e.g. '
                     '-p votes_per_second=20.0 -p \'allowed_origins=["*"]\'')
    args = p.parse_args(argv)
    return param_values(args, args.web_root), args.namespace


async def serve_stdio(config, stdin=None):
    """Serve ``config`` with a MemoryBridge wired to stdout (events) and ``stdin`` (messages).

    Returns when ``stdin`` ends or on SIGINT/SIGTERM.

    Raises:
        OSError: if the address/port cannot be bound.

    """
    stdin = stdin or sys.stdin
    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()
    bridge = MemoryBridge(
        on_vote=lambda v: _emit({'event': 'vote', 'topic': v.topic, 'voter_id': v.voter_id,
                                 'linear_x': v.linear_x, 'angular_z': v.angular_z}),
        on_teleop=lambda c: _emit({'event': 'teleop', 'topic': c.topic, 'voter_id': c.voter_id,
                                   'linear_x': c.linear_x, 'angular_z': c.angular_z}),
        on_subscription=lambda event, topic, type_name: _emit(
            {'event': event, 'topic': topic, **({'type': type_name} if type_name else {})}),
        on_left=lambda voter_id, topic: _emit({'event': 'left', 'topic': topic,
                                               'voter_id': voter_id}),
        on_mode_vote=lambda v: _emit({'event': 'mode_vote', 'topic': v.topic,
                                      'voter_id': v.voter_id, 'mode': v.mode}),
        on_control=lambda what, value: _emit({'event': what, 'paused' if what == 'pause'
                                              else 'mode': value}))
    server = GatewayServer(config, bridge, LOG)
    await server.start()
    _emit({'event': 'listening', 'address': config.address, 'port': server.port})

    def read_stdin():  # a daemon thread: a blocked read never delays the exit
        for line in stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read_stdin, name='stdin', daemon=True).start()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lines.put_nowait, None)
    try:
        while (line := await lines.get()) is not None:
            if line.strip():
                _deliver_line(bridge, line, config.namespace)
    finally:
        await server.stop()
    return server.stats


def _deliver_line(bridge, line, namespace):
    try:
        item = json.loads(line)
        topic = resolve_topic(item['topic'], namespace)
        msg = item['msg']
        if not isinstance(msg, dict):
            raise TypeError('"msg" must be an object')
    except (ValueError, KeyError, TypeError, ProtocolError) as exc:
        LOG.error(f'stdin: ignored line ({exc}); expected {{"topic": ..., "msg": {{}}}}')
        return
    bridge.deliver(topic, msg)


def main(argv=None):
    """Run until stdin ends or SIGINT/SIGTERM; return the exit code."""
    values, namespace = parse_args(argv)
    try:
        config = config_from_params(values, namespace)
    except ParameterError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    try:
        stats = asyncio.run(serve_stdio(config))
    except OSError as exc:
        print(f'error: cannot listen on {config.address}:{config.port}: {exc}', file=sys.stderr)
        return 1
    LOG.info(f'gateway stopped; stats: {stats}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
