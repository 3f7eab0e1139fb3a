"""Exec a command that is signalled when its parent dies (Linux ``PR_SET_PDEATHSIG``).

Usage::

    python -m kropbot_bringup.pdeathsig [--signal TERM] [--expect-parent PID |
        --expect-parent-env VAR] [--export-pid VAR] -- COMMAND [ARG ...]

The ROS-less runner starts supervisord, and supervisord every node, through this wrapper, so
that no node outlives its supervisor even when the supervisor is killed with SIGKILL: the
kernel sends the signal (default SIGTERM: rclpy's clean shutdown, the driver releases the
motors) to the command as soon as the process that forked it exits (``prctl(2)``,
``PR_SET_PDEATHSIG``; the setting survives ``execve`` and is not inherited by the command's own
children). Because the parent may already have died before the setting took effect, the
wrapper then checks that its parent is still the expected process (``--expect-parent`` /
``--expect-parent-env``) and exits with status 3 if not. ``--export-pid VAR`` puts this
process's pid (which the command keeps after ``exec``) into the command's environment, so its
own children can expect it as their parent. util-linux ``setpriv --pdeathsig`` does the same
without the parent check.
"""

import argparse
import ctypes
import os
import signal
import sys

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``.
PR_SET_PDEATHSIG = 1
#: Exit status when the expected parent is already gone.
PARENT_GONE = 3


def set_pdeathsig(signum):
    """Ask the kernel to send ``signum`` to this process when its parent exits.

    Raises:
        OSError: ``prctl`` failed (not Linux, or an invalid signal).

    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f'prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}')


def _signal(text):
    name = text.upper()
    name = name if name.startswith('SIG') else f'SIG{name}'
    try:
        return signal.Signals[name]
    except KeyError:
        raise argparse.ArgumentTypeError(f'unknown signal {text!r}') from None


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='pdeathsig', description='Exec COMMAND with a parent-death signal (Linux).')
    parser.add_argument('--signal', type=_signal, default=signal.SIGTERM,
                        help='signal sent when the parent dies (default TERM)')
    expect = parser.add_mutually_exclusive_group()
    expect.add_argument('--expect-parent', type=int, default=0,
                        help='exit with status 3 unless the parent has this pid')
    expect.add_argument('--expect-parent-env', default='',
                        help='as --expect-parent, the pid read from this environment variable')
    parser.add_argument('--export-pid', default='',
                        help="put this process's pid into the command's environment as VAR")
    parser.add_argument('command', nargs=argparse.REMAINDER,
                        help='the command and its arguments (after --)')
    args = parser.parse_args(argv)
    if args.command and args.command[0] == '--':
        args.command = args.command[1:]
    if not args.command:
        parser.error('no command given')
    return args


def main(argv=None):
    """Set the parent-death signal, check the parent, exec the command (never returns on success).

    Returns:
        An exit status if the command was not executed: :data:`PARENT_GONE` (the expected
        parent is gone), 2 (bad arguments or ``prctl`` failed), 127 (command not found).

    """
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        set_pdeathsig(args.signal)
    except OSError as exc:
        print(f'pdeathsig: {exc}', file=sys.stderr)
        return 2
    expected = args.expect_parent
    if args.expect_parent_env:
        try:
            expected = int(os.environ[args.expect_parent_env])
        except (KeyError, ValueError):
            print(f'pdeathsig: ${args.expect_parent_env} is not a pid', file=sys.stderr)
            return 2
    if expected and os.getppid() != expected:
        print(f'pdeathsig: parent {expected} already gone; not starting {args.command[0]}',
              file=sys.stderr)
        return PARENT_GONE
    if args.export_pid:
        os.environ[args.export_pid] = str(os.getpid())
    try:
        os.execvp(args.command[0], args.command)
    except OSError as exc:
        print(f'pdeathsig: cannot run {args.command[0]}: {exc}', file=sys.stderr)
        return 127


if __name__ == '__main__':
    sys.exit(main())
