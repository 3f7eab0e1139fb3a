"""``kropbot-gateway``: a relay gateway for a machine without ROS (the crowd side of the relay).

The ROS-free gateway core (:class:`~kropbot_gateway.server.GatewayServer`: the page, the
rosbridge v2 subset, limits, voter identity, encode-once fan-out) with a
:class:`~kropbot_gateway.zenoh_bridge.ZenohBridge` to the robot through a Zenoh router::

    kropbot-gateway --zenoh tcp/HOST:7447 --port 9090 [--address 0.0.0.0]

Gateway parameters are those of the robot's ``gateway`` node, from the same schema with the same
defaults and checks (limits, allow-lists: :data:`kropbot_gateway.config.PARAMETERS`), changed
with ``-p name=value`` (JSON values, e.g. ``-p max_connections=5000``); ``--address``,
``--port`` and ``--web-root`` set those three (:mod:`kropbot_gateway.cli`, as the standalone
runner). This process imports no ROS package; ``kill -USR1`` makes it log the top-level modules
it has loaded (how a test checks it). It needs Zenoh, the ``relay`` extra of
the package (``pip install 'src/kropbot_gateway[relay]'``); without it, it exits 1 saying so.
"""

import argparse
import asyncio
import os
from pathlib import Path
import re
import signal
import socket
import sys

from kropbot_gateway import relay_auth, relay_config
from kropbot_gateway.cli import SCHEMA, StderrLog, add_param_option, param_values
from kropbot_gateway.config import config_from_params
from kropbot_gateway.keys import KeySpace, check_name
from kropbot_gateway.server import GatewayServer, raise_fd_limit
from kropbot_gateway.zenoh_bridge import ZenohBridge


def default_name(port):
    """Return the default gateway name: ``<host>-<port>`` reduced to ``[A-Za-z0-9_-]``."""
    host = re.sub(r'[^A-Za-z0-9_-]', '-', socket.gethostname())[:50] or 'gateway'
    return f'{host}-{port}'


def default_web_root():
    """Return ``web/dist`` of the checkout around the cwd or this module, or '' if none."""
    for start in (Path.cwd(), Path(__file__)):
        root = relay_auth.find_checkout(start)
        if root is not None and (root / 'web' / 'dist' / 'index.html').is_file():
            return str(root / 'web' / 'dist')
    return ''


def build_parser():
    """Return the command-line parser of ``kropbot-gateway``."""
    p = argparse.ArgumentParser(
        prog='kropbot-gateway', description='KropBot relay gateway: serves the crowd page and '
        'the rosbridge subset, relays to the robot over Zenoh (no ROS needed).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--zenoh', action='append', required=True, metavar='LOCATOR',
                   help='Zenoh router locator, e.g. tcp/relay.example:7447 (repeatable)')
    p.add_argument('--port', type=int, default=9090, help='HTTP + WebSocket port (0 = any)')
    p.add_argument('--address', default=SCHEMA['address'].default,
                   help='address to bind (0.0.0.0 for all interfaces)')
    p.add_argument('--name', help='gateway name, unique per robot (default: <host>-<port>)')
    p.add_argument('--robot', default='kropbot', help='robot name (key prefix kropbot/<robot>)')
    p.add_argument('--credentials', metavar='FILE',
                   help="file with one line 'user:password' (default: the demo gateway "
                   'credentials in .kropbot/relay/)')
    p.add_argument('--tls-ca', metavar='FILE', help="CA of the router's TLS certificate")
    p.add_argument('--tls-cert', metavar='FILE', help='client TLS certificate (mutual TLS)')
    p.add_argument('--tls-key', metavar='FILE', help='client TLS private key (mutual TLS)')
    p.add_argument('--web-root', default=None,
                   help="directory of the built page (default: web/dist of the checkout; '' "
                   'none)')
    add_param_option(p, 'gateway parameter (as gateway_node), JSON value')
    p.add_argument('--batch-interval', type=float, default=0.025,
                   help='least time between two vote batches, s')
    p.add_argument('--heartbeat', type=float, default=0.1,
                   help='empty batch after this long without one, s')
    p.add_argument('--robot-timeout', type=float, default=2.0,
                   help='robot offline when its status is older than this, s')
    return p


def settings_from_args(args):
    """Validate ``args``; return ``(GatewayConfig, KeySpace, gateway name, zenoh config)``.

    Raises:
        ValueError: a bad option or parameter (the message names it;
            :class:`~kropbot_common.params.ParameterError` is one).
        relay_auth.CredentialsError: unreadable credentials.

    """
    values = param_values(args, default_web_root() if args.web_root is None else args.web_root)
    # mode votes do not travel over the relay (its vote batches carry twists only): a client's
    # crowd/mode_vote is refused like any topic that is not allow-listed
    config = config_from_params(values).without_mode_votes()
    if config.web_root and not os.path.isdir(config.web_root):
        raise ValueError(f'--web-root {config.web_root} is not a directory')
    for name, value in (('batch-interval', args.batch_interval),
                        ('heartbeat', args.heartbeat), ('robot-timeout', args.robot_timeout)):
        if not 0.001 <= value <= 60.0:
            raise ValueError(f'--{name} {value} out of range [0.001, 60] s')
    keyspace = KeySpace(args.robot)
    name = check_name('gateway', args.name or default_name(args.port))
    credentials_file = args.credentials or relay_auth.ensure_demo_credentials().gateway
    zcfg = relay_config.client_config(args.zenoh, relay_auth.read_credentials(credentials_file),
                                      args.tls_ca, args.tls_cert, args.tls_key)
    return config, keyspace, name, zcfg


def loaded_top_modules():
    """Return the sorted top-level names of the modules loaded in this process."""
    return sorted({name.split('.', 1)[0] for name in list(sys.modules)})


async def run(args, log):
    """Serve until SIGINT/SIGTERM; return the exit code."""
    try:
        relay_config.require_zenoh()
        config, keyspace, name, zcfg = settings_from_args(args)
    except (ValueError, OSError, RuntimeError) as exc:
        log.error(f'cannot start: {exc}')
        return 1
    loop = asyncio.get_running_loop()
    try:
        soft, needed = raise_fd_limit(config.max_connections)
        if soft < needed:
            log.warning(f'file descriptor limit {soft} is below max_connections + reserve '
                        f'({needed}): raise it (ulimit -n) or lower max_connections')
    except (OSError, ValueError) as exc:
        log.warning(f'cannot raise the file descriptor limit ({exc})')
    bridge = ZenohBridge(keyspace, name, log, batch_interval=args.batch_interval,
                         heartbeat=args.heartbeat, robot_timeout=args.robot_timeout)
    server = GatewayServer(config, bridge, log)
    try:
        await server.start()
    except OSError as exc:
        log.error(f'cannot start: cannot listen on {config.address}:{config.port}: {exc}')
        return 1
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: log.info(
        f'loaded modules: {" ".join(loaded_top_modules())}'))
    log.info(f'KropBot relay gateway {name} on http://{config.address}:{server.port}/ '
             f'(robot {keyspace.robot} via {", ".join(args.zenoh)})')
    if not config.web_root:
        log.warning('web page not found (--web-root): GET / answers 404, the WebSocket works')
    opening = loop.run_in_executor(None, _open_session, zcfg)
    loop.call_later(5.0, lambda: opening.done() or log.warning(
        f'still connecting to {", ".join(args.zenoh)} (router down, unreachable, or these '
        'credentials refused); retrying'))
    stopping = loop.create_task(stop.wait())
    await asyncio.wait([opening, stopping], return_when=asyncio.FIRST_COMPLETED)
    if opening.done():
        try:
            bridge.attach_session(opening.result())
        except Exception as exc:  # noqa: BLE001 - zenoh.ZError and friends: report, exit 1
            log.error(f'cannot open the Zenoh session: {exc}')
            stop.set()
            await server.stop()
            return 1
        await stopping
    await server.stop()
    bridge.close()
    log.info(f'relay gateway stopped; stats: {server.stats}; relay: {bridge.stats}')
    if not opening.done():
        os._exit(0)  # zenoh.open is still waiting for a router in its thread: do not wait
    return 0


def _open_session(zcfg):
    import zenoh

    return zenoh.open(relay_config.to_zenoh(zcfg))


def main(argv=None):
    """Entry point of ``kropbot-gateway``; return the exit code."""
    args = build_parser().parse_args(argv)
    return asyncio.run(run(args, StderrLog('kropbot-gateway')))


if __name__ == '__main__':
    sys.exit(main())
