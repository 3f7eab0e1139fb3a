"""``remote``: the KropBot desktop client (see the package README).

``remote --url ws://robot:9090/ [--token-file F] [--scale 2] [--headless] [--save-frames DIR]
[--gamepad auto|none|N|FILE.jsonl]``. Exit codes: 0 after quitting (window closed, Esc, q,
Ctrl-C, SIGTERM), 1 on a start-up error (one line on stderr), 2 on bad arguments.

With ``--token-file`` and one of ``--pause``, ``--resume``, ``--mode MODE``, ``--kick TOKEN``,
``--ban TOKEN|ADDRESS``, ``--unban ADDRESS`` it sends that moderation command once and exits
(:mod:`kropbot_remote.moderate`: 0 done, 1 refused or unreachable).
"""

import argparse
import math
import signal
import sys
import threading
import time

from kropbot_gateway.auth import SecretsError, load_token
from kropbot_gateway.client_protocol import check_url

from kropbot_remote.app import App, overlay_lines
from kropbot_remote.client import CONNECTED, RemoteClient
from kropbot_remote.moderate import command_from_args, run_once
from kropbot_remote.overlay import compose, decode_jpeg
from kropbot_remote.protocol import MODES
from kropbot_remote.sources import QueueSource, SdlSource, load_recording, replay
from kropbot_remote.teleop import Arbiter, Limits

REDRAW_PERIOD = 0.1  # s: the overlay (frame age, reconnect countdown) is redrawn at least 10 Hz


def _positive(text):
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f'must be a number > 0, got {text!r}')
    return value


def _fraction(text):
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f'must be in [0, 1), got {text!r}')
    return value


def build_parser():
    """Return the command-line parser."""
    p = argparse.ArgumentParser(
        prog='remote', description='KropBot desktop client: the robot camera in a window, '
        'driving with a gamepad or the keyboard (arrows/WASD, space = stop, Esc/q = quit).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--url', required=True, help='gateway WebSocket URL, e.g. ws://robot:9090/')
    p.add_argument('--token-file', help='operator secret file (rosauth one-line format): '
                   'authenticate and drive teleop/cmd_vel as the operator; without it the '
                   'client votes as one crowd member')
    p.add_argument('--scale', type=_positive, default=2.0, help='window scale factor')
    p.add_argument('--headless', action='store_true', help='no window (gamepad/replay only)')
    p.add_argument('--save-frames', metavar='DIR', help='write every received JPEG to DIR')
    p.add_argument('--gamepad', default='auto',
                   help="'auto' (first SDL game controller), 'none', an SDL device index, or "
                   'a recorded event file (JSON lines) to replay once connected')
    p.add_argument('--record-gamepad', metavar='FILE',
                   help='append every gamepad event to FILE (JSON lines) for a later replay')
    p.add_argument('--no-hold', action='store_true',
                   help='drive with the stick alone (default: hold LB or RB to drive)')
    p.add_argument('--dead-zone', type=_fraction, default=0.15, help='stick dead zone [0, 1)')
    p.add_argument('--expo', type=float, default=0.3, help='stick expo [0, 1], 0 = linear')
    p.add_argument('--max-linear', type=_positive, help='m/s at full stick (default: the '
                   "vote node's max_linear from crowd/status, 0.3 until it arrives)")
    p.add_argument('--max-angular', type=_positive, help='rad/s at full stick (default: from '
                   'crowd/status, 1.5 until it arrives)')
    p.add_argument('--throttle-ms', type=int, default=0,
                   help='ask the gateway for at most one frame per this many ms (0 = all)')
    mod = p.add_argument_group(
        'moderation (operator, with --token-file): send one command, print the answer, exit; '
        'in the window the operator presses p (pause/resume) and m (next mode)')
    one = mod.add_mutually_exclusive_group()
    one.add_argument('--pause', action='store_true', help='pause the crowd (robot stopped)')
    one.add_argument('--resume', action='store_true', help='resume the crowd')
    one.add_argument('--mode', choices=MODES, help='set the crowd mode')
    one.add_argument('--kick', metavar='TOKEN', help='close the connection(s) of a voter token '
                     "and refuse its address for the gateway's kick_duration")
    one.add_argument('--ban', metavar='TOKEN|ADDRESS', help="ban a voter token's address (or an "
                     'address) and close its connections')
    one.add_argument('--unban', metavar='ADDRESS', help='lift the ban of an address')
    mod.add_argument('--ban-duration', type=_positive, metavar='S',
                     help="ban length in s (default: the gateway's ban_duration)")
    return p


def main(argv=None):
    """Run the client; return the exit code."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not 0.0 <= args.expo <= 1.0 or args.throttle_ms < 0:
        print('remote: --expo must be in [0, 1] and --throttle-ms >= 0', file=sys.stderr)
        return 2
    command = command_from_args(args)
    if command is not None and not args.token_file:
        print('remote: moderation needs the operator: --token-file', file=sys.stderr)
        return 2
    try:
        check_url(args.url)
        token = load_token(args.token_file) if args.token_file else None
        if command is not None:
            return run_once(args.url, token, *command)
        recording = None
        if args.gamepad not in ('auto', 'none') and not args.gamepad.isdigit():
            recording = load_recording(args.gamepad)
        limits = Limits(args.max_linear or 0.3, args.max_angular or 1.5)
        sdl_pad = 'none' if recording is not None else args.gamepad
        if args.headless and sdl_pad == 'none':
            source = QueueSource()
        else:
            source = SdlSource(window=not args.headless, title=f'KropBot remote - {args.url}',
                               gamepad=sdl_pad, record=args.record_gamepad)
        client = RemoteClient(args.url, token=token, save_frames=args.save_frames,
                              throttle_ms=args.throttle_ms, on_wake=source.wake)
    except (SecretsError, ValueError, OSError, RuntimeError) as exc:
        print(f'remote: {exc}', file=sys.stderr)
        return 1
    arbiter = Arbiter(limits, args.dead_zone, args.expo, hold_to_drive=not args.no_hold)
    app = App(client, arbiter, fixed_limits=bool(args.max_linear or args.max_angular))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (stop.set(), source.wake()))
    client.start()
    if recording is not None:
        replay(recording, source, lambda: client.snapshot().state == CONNECTED, stop)
    print(f'remote: {client.role} client for {args.url}', flush=True)
    try:
        run_loop(app, client, source, args, stop)
    finally:
        client.close()  # sends stop first when connected
        source.close()
    snap = client.snapshot()
    print(f'remote: stopped after {snap.frames} frames', flush=True)
    return 0


def run_loop(app, client, source, args, stop):
    """Run the UI loop: events → command; a new frame or a due overlay → redraw; until quit."""
    shown_frame = None
    image = None
    next_draw = 0.0
    last_message, last_state = 0.0, None
    while not stop.is_set() and not app.quit:
        events = source.wait(REDRAW_PERIOD)
        app.handle(events)
        snap = client.snapshot()
        app.update(snap.status)
        for when, level, text in snap.messages:
            if when > last_message:
                last_message = when
                print(f'remote: gateway {level}: {text}', file=sys.stderr, flush=True)
        if snap.state != last_state:
            last_state = snap.state
            print(f'remote: {snap.state} {snap.detail}'.rstrip(), flush=True)
        if args.headless:
            continue
        now = time.monotonic()
        if snap.frame is not shown_frame:
            shown_frame = snap.frame
            image = decode_jpeg(shown_frame.jpeg) if shown_frame else None
        elif now < next_draw and not events:
            continue
        next_draw = now + REDRAW_PERIOD
        source.show(compose(image, args.scale, overlay_lines(snap, app, time.time(),
                                                             args.url)))


if __name__ == '__main__':
    sys.exit(main())
