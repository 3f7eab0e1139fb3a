"""``pilot``: drive the robot through the crowd gateway with an ONNX model (the offload case).

Runs on any desktop (no ROS needed): frames come from and commands go to the robot over the
gateway's WebSocket, like the browser page and the desktop client. Usage (package README)::

    pilot --url ws://robot:9090/ --model models/run1/model.onnx [--role crowd|operator]
          [--token FILE] [--no-bot] [--rate 4] [--frame-timeout 1] [--duration S] [--stats F]

Exit codes: 0 after Ctrl-C/SIGTERM or ``--duration``, 1 bad model/token/URL, 2 bad options.
"""

import argparse
import json
import logging
import sys

from kropbot_gateway.auth import SecretsError, load_token
from kropbot_gateway.client_protocol import ROLES

from kropbot_pilot.client import LOG, PilotClient, run_pilot
from kropbot_pilot.inference import ModelError, PilotModel

#: Vote rate per role (Hz): the crowd page resends a changed vote at most every 250 ms; the
#: operator's ``teleop/cmd_vel`` must arrive well within ``teleop_timeout`` (0.5 s).
DEFAULT_RATE = {'crowd': 4.0, 'operator': 10.0}


def parser():
    """Return the command-line parser."""
    p = argparse.ArgumentParser(
        prog='pilot', description='Drive KropBot through its crowd gateway with an ONNX '
        'imitation pilot (ONNX Runtime on the newest camera frame).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--url', default='ws://127.0.0.1:9090/', help='gateway WebSocket URL')
    p.add_argument('--model', required=True, help='model.onnx written by train')
    p.add_argument('--role', choices=ROLES, default='crowd',
                   help='vote as a crowd member, or drive as the operator (needs --token)')
    p.add_argument('--token', help='file holding the shared secret for the auth op')
    p.add_argument('--no-bot', dest='bot', action='store_false',
                   help='do not ask the gateway for the bot label when authenticating')
    p.add_argument('--rate', type=float, help='votes per second (default: crowd 4, '
                   'operator 10; the gateway allows 5 per connection to the crowd)')
    p.add_argument('--frame-timeout', type=float, default=1.0,
                   help='no frame for this long -> send stop and wait, s')
    p.add_argument('--threads', type=int, default=1, help='ONNX Runtime threads')
    p.add_argument('--duration', type=float, default=0.0, help='stop after this long, s '
                   '(0: until Ctrl-C)')
    p.add_argument('--log-period', type=float, default=5.0, help='latency log period, s')
    p.add_argument('--stats', help='write the run figures (inference p50/p95, votes) as JSON')
    return p


def read_token(path):
    """Return the secret in the token file ``path`` (kropbot_gateway.auth's format).

    Raises:
        ValueError: unreadable or invalid file.

    """
    try:
        return load_token(path)
    except SecretsError as exc:
        raise ValueError(str(exc)) from None


def _ms(value):
    return '-' if value is None else f'{value:.1f}'


def main(argv=None):
    """Run ``pilot``; return the exit code."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='[%(levelname)s] [pilot] %(message)s')
    if args.role == 'operator' and not args.token:
        parser().error('--role operator needs --token')
    rate = args.rate or DEFAULT_RATE[args.role]
    if not 0.1 <= rate <= 30.0 or not args.frame_timeout > 0:
        parser().error('--rate must be in 0.1..30 and --frame-timeout > 0')
    try:
        token = read_token(args.token) if args.token else None
        model = PilotModel(args.model, threads=args.threads)
        client = PilotClient(args.url, model, role=args.role, rate=rate,
                             frame_timeout=args.frame_timeout, token=token, bot=args.bot,
                             log_period=args.log_period)
    except (ModelError, ValueError) as exc:
        LOG.error('%s', exc)
        return 1
    if args.role == 'crowd' and args.bot and not token:
        LOG.warning('no --token: the gateway cannot label this pilot as a bot, so its votes '
                    "count as a human crowd member's")
    LOG.info('model %s: %dx%d frames, limits %.2f m/s %.2f rad/s; voting at %.1f Hz',
             args.model, model.width, model.height, model.max_linear, model.max_angular, rate)
    run_pilot(client, args.duration)
    summary = client.summary()
    lat = summary['latency']
    LOG.info('done: %d frames received, %d inferences (p50 %s ms, p95 %s ms), %d votes, '
             '%d stops', summary['frames'], summary['inferences'], _ms(lat['p50_ms']),
             _ms(lat['p95_ms']), summary['votes'], summary['stops'])
    if args.stats:
        with open(args.stats, 'w') as f:
            json.dump(summary, f, indent=2, allow_nan=False, default=str)
    return 0


if __name__ == '__main__':
    sys.exit(main())
