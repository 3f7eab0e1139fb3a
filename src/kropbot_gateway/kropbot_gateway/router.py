"""``kropbot-router``: the relay tier's Zenoh router, from the ``eclipse-zenoh`` Python package.

ROS-free. Opens a Zenoh session in router mode that listens on ``--listen`` locators,
authenticates every session by user/password (and TLS client certificates if asked) and enforces
the access control of :func:`kropbot_gateway.relay_config.acl_config`. With no ``--users`` the
demo credentials are used (made on first use, :mod:`kropbot_gateway.relay_auth`).

``--print-config`` prints the same configuration as a JSON document for ``zenohd -c`` (the
production alternative) and exits. Usage and deployment: docs/DEPLOY.md.
"""

import argparse
import json
import signal
import sys
import threading

from kropbot_gateway import relay_auth, relay_config


def build_parser():
    """Return the command-line parser of ``kropbot-router``."""
    p = argparse.ArgumentParser(
        prog='kropbot-router', description='KropBot relay: Zenoh router with authentication '
        'and access control (robot <-> relay gateways).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--listen', action='append', metavar='LOCATOR',
                   help='Zenoh locator to listen on (repeatable) [default: tcp/0.0.0.0:7447]')
    p.add_argument('--users', metavar='FILE',
                   help="user/password dictionary (lines 'user:password'); default: the demo "
                   'credentials, made on first use in .kropbot/relay/ of the checkout')
    p.add_argument('--robot-user', action='append', metavar='USER',
                   help=f"user with the robot's rights (repeatable) [default: "
                   f'{relay_auth.ROBOT_USER}]')
    p.add_argument('--gateway-user', action='append', metavar='USER',
                   help=f"user with the gateways' rights (repeatable) [default: "
                   f'{relay_auth.GATEWAY_USER}]')
    p.add_argument('--tls-cert', metavar='FILE', help='router TLS certificate (tls/ locators)')
    p.add_argument('--tls-key', metavar='FILE', help='router TLS private key')
    p.add_argument('--tls-client-ca', metavar='FILE',
                   help='CA of client certificates: require mutual TLS')
    p.add_argument('--robot-cn', action='append', default=[], metavar='NAME',
                   help="client certificate common name with the robot's rights (mutual TLS)")
    p.add_argument('--gateway-cn', action='append', default=[], metavar='NAME',
                   help="client certificate common name with the gateways' rights")
    p.add_argument('--print-config', action='store_true',
                   help='print the Zenoh configuration (zenohd -c format) and exit')
    return p


def config_from_args(args):
    """Return the router's flat Zenoh config for parsed ``args``.

    Raises:
        relay_auth.CredentialsError: unreadable or malformed users file.
        ValueError: inconsistent options (see :func:`relay_config.router_config`).

    """
    users_file = args.users or relay_auth.ensure_demo_credentials().users
    known = relay_auth.read_users(users_file)
    robot_users = args.robot_user or [relay_auth.ROBOT_USER]
    gateway_users = args.gateway_user or [relay_auth.GATEWAY_USER]
    missing = [u for u in robot_users + gateway_users if u not in known]
    if missing and not (args.robot_cn or args.gateway_cn):
        raise ValueError(f'users not in {users_file}: {", ".join(missing)}')
    return relay_config.router_config(
        args.listen or ['tcp/0.0.0.0:7447'], users_file, robot_users, gateway_users,
        tls_cert=args.tls_cert, tls_key=args.tls_key, tls_client_ca=args.tls_client_ca,
        robot_cns=args.robot_cn, gateway_cns=args.gateway_cn)


def main(argv=None):
    """Run the router until SIGINT/SIGTERM; return the exit code (1: cannot start)."""
    args = build_parser().parse_args(argv)
    try:
        zenoh = None if args.print_config else relay_config.require_zenoh()
        cfg = config_from_args(args)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f'kropbot-router: cannot start: {exc}', file=sys.stderr)
        return 1
    if args.print_config:
        print(json.dumps(relay_config.nested(cfg), indent=2))
        return 0
    try:
        session = zenoh.open(relay_config.to_zenoh(cfg))
    except zenoh.ZError as exc:
        print(f'kropbot-router: cannot start: {exc}', file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    acl = cfg['access_control']
    subjects = {s['id']: s.get('usernames', s.get('cert_common_names')) for s in acl['subjects']}
    print(f'KropBot relay router {session.info.zid()} listening on '
          f'{", ".join(cfg["listen/endpoints"])}; users from '
          f'{cfg["transport/auth/usrpwd/dictionary_file"]}; access control: {subjects}',
          flush=True)
    while not stop.wait(0.5):
        pass
    session.close()
    print('KropBot relay router stopped', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
