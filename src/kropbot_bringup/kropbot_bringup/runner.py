"""The ROS-less runner behind ``make run`` (``tools/run``): set up, then supervise the stack.

Stdlib only: the first ``make run`` starts it with the system ``python3`` before the virtualenv
exists. It

1. takes the terminal: it moves into a process group of its own and makes that the terminal's
   foreground group, so Ctrl-C reaches this runner only (not ``make``, which would otherwise
   die of SIGINT and print ``make: *** [...] Error 130``), and gives the terminal back at exit;
2. runs ``tools/setup.sh`` (skipped with ``KROPBOT_SETUP=0``) in a process group of its own; a
   Ctrl-C meanwhile interrupts the set-up and nothing is started;
3. loads the environment of ``tools/env.sh`` (venv, workspace overlay, DDS defaults), writes
   the supervisord configuration made from the ``Procfile``
   (:func:`kropbot_bringup.supervision.supervisord_config`) into a private run directory and
   starts supervisord, itself with a parent-death signal (:mod:`kropbot_bringup.pdeathsig`);
4. on SIGINT, SIGTERM, SIGHUP or a hang-up of its terminal, sends SIGTERM to supervisord, which
   stops every node with SIGTERM (the driver's last motor write is a release) and exits; the
   runner then exits with status 0. If the runner itself is killed (even SIGKILL), the kernel
   kills supervisord (SIGKILL: an orderly supervisord shutdown is not possible then, its
   output pipe has no reader any more), and every node gets SIGTERM from its own parent-death
   signal and stops as on Ctrl-C (the driver releases the motors); the same when supervisord
   alone is killed. No node outlives the runner.

Environment (all optional): ``KROPBOT_SIM=0`` (real hardware), ``KROPBOT_PARAMS`` (parameter
file), ``KROPBOT_EXTRA_PARAMS`` (more parameter files, space-separated, loaded last),
``KROPBOT_PORT`` (9090), ``KROPBOT_ADDRESS`` (127.0.0.1), ``KROPBOT_WEB_ROOT``,
``KROPBOT_SETUP=0``, ``KROPBOT_RESPAWN_CAP`` (longest respawn delay, s), ``KROPBOT_VENV``,
``KROPBOT_RELAY`` (Zenoh router locator(s), comma-separated: also run ``relay_link``),
``KROPBOT_SIM_VIEW`` (``top``, default, or ``fpv``: the camera on the simulated robot),
``ROS_DOMAIN_ID``, ``ROS_AUTOMATIC_DISCOVERY_RANGE``.
"""

import getpass
import os
from pathlib import Path
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from kropbot_bringup import supervision

ROOT = Path(__file__).resolve().parents[3]  # src/kropbot_bringup/kropbot_bringup/runner.py
#: How long supervisord gets to stop every node before it is killed (its nodes then get
#: SIGTERM from the kernel), s. Above supervision.STOP_WAIT_SECS.
SUPERVISOR_STOP_TIMEOUT = 30.0
#: After a stop request, how long set-up gets per signal (SIGINT, SIGTERM, SIGKILL), s.
SETUP_STOP_STEP = 5.0
#: Poll period of the wait loops, s.
POLL = 0.1


def say(line):
    """Print one line of the runner's own output (never fails: the terminal may be gone)."""
    try:
        print(f'KropBot: {line}', flush=True)
    except OSError:
        pass


class StopRequest:
    """SIGINT, SIGTERM and SIGHUP set :attr:`signal` (the first received) instead of killing."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self):
        self.signal = None
        for sig in self.SIGNALS:
            signal.signal(sig, self._handler)

    def _handler(self, signum, _frame):
        if self.signal is None:
            self.signal = signal.Signals(signum)

    def __bool__(self):
        return self.signal is not None


class Terminal:
    """The controlling terminal, taken over as foreground process group (if interactive)."""

    def __init__(self):
        self.fd = None
        self._old_group = None
        try:
            fd = os.open('/dev/tty', os.O_RDWR | os.O_CLOEXEC | os.O_NOCTTY)
        except OSError:
            return  # no controlling terminal (CI, tests, systemd)
        try:
            foreground = os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            foreground = False
        if not foreground:  # started in the background (`make run &`): leave the terminal be
            os.close(fd)
            return
        self.fd = fd
        self._old_group = os.getpgrp()
        try:
            os.setpgid(0, 0)
        except OSError:
            pass  # already a session leader: already the leader of our own group
        self._set_foreground(os.getpgrp())

    def _set_foreground(self, group):
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # we may be in the background
        try:
            os.tcsetpgrp(self.fd, group)
        except OSError:
            pass  # the old group is gone, or the terminal hung up
        finally:
            signal.signal(signal.SIGTTOU, old)

    def hung_up(self):
        """Return True if the terminal was closed (the window or the SSH session)."""
        if self.fd is None:
            return False
        poller = select.poll()
        poller.register(self.fd, 0)  # only POLLHUP/POLLERR are reported
        return any(ev & (select.POLLHUP | select.POLLERR) for _, ev in poller.poll(0))

    def restore(self):
        """Give the terminal back to the process group that had it."""
        if self.fd is not None:
            if self._old_group != os.getpgrp():
                self._set_foreground(self._old_group)
            os.close(self.fd)
            self.fd = None


def _new_group():
    """Popen keyword arguments that start the child in a process group of its own."""
    if sys.version_info >= (3, 11):
        return {'process_group': 0}
    return {'preexec_fn': os.setpgrp}  # Python 3.10


def wait(proc, stop, terminal, relay=None, timeout=None):
    """Wait until ``proc`` exits, a stop is requested, the terminal hangs up or ``timeout``.

    Args:
        proc: a ``subprocess.Popen``.
        stop: the :class:`StopRequest`.
        terminal: the :class:`Terminal`.
        relay: a :class:`Relay` to keep pumping meanwhile, or None.
        timeout: s, or None for no limit.

    Returns:
        The exit status of ``proc``, or None if it is still running.

    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while proc.poll() is None:
        if stop or terminal.hung_up():
            return None
        if deadline is not None and time.monotonic() > deadline:
            return None
        if relay:
            relay.pump(POLL)
        else:
            time.sleep(POLL)
    return proc.returncode


class Relay:
    """Copies a child's output pipe to our stdout.

    supervisord writes the nodes' output by reopening ``/dev/stdout``; on a pipe that is the
    same pipe, but on a regular file (``make run > run.log``) it would be a second file offset
    that overwrites ours. So supervisord writes into a pipe and this runner copies it.
    """

    def __init__(self, fd):
        self.fd = fd
        self._out_ok = True

    def pump(self, timeout):
        """Copy what arrives within ``timeout`` s; return False at end of input."""
        readable, _, _ = select.select([self.fd], [], [], timeout)
        if not readable:
            return True
        data = os.read(self.fd, 65536)
        if not data:
            return False
        while data and self._out_ok:
            try:
                data = data[os.write(1, data):]
            except OSError:  # our terminal is gone: keep draining the pipe regardless
                self._out_ok = False
        return True

    def drain(self, timeout):
        """Copy until end of input or ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pump(0.2):
            pass


def stop_group(proc, signals=(signal.SIGINT, signal.SIGTERM, signal.SIGKILL),
               step=SETUP_STOP_STEP):
    """Send ``signals`` in turn to the process group of ``proc`` until it exits."""
    for sig in signals:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(step)
            return
        except subprocess.TimeoutExpired:
            continue


def run_setup(stop, terminal):
    """Run ``tools/setup.sh``; return its exit status, or None if a stop interrupted it."""
    proc = subprocess.Popen([str(ROOT / 'tools' / 'setup.sh')], cwd=ROOT, **_new_group())
    status = wait(proc, stop, terminal)
    if status is None:
        stop_group(proc)
        return None
    return status


def load_env(environ):
    """Return the environment after ``source tools/env.sh`` (venv, overlay, DDS defaults).

    Raises:
        RuntimeError: env.sh failed (e.g. the workspace is not built).

    """
    script = 'source "$1/tools/env.sh" >/dev/null && exec env -0'
    result = subprocess.run(['bash', '-c', script, 'env.sh', str(ROOT)], env=environ,
                            capture_output=True, **_new_group())
    if result.returncode:
        raise RuntimeError(f'tools/env.sh failed: {result.stderr.decode(errors="replace")}')
    pairs = (item.split('=', 1) for item in result.stdout.decode().split('\0') if '=' in item)
    return dict(pairs)


#: Started only when ``KROPBOT_RELAY`` names Zenoh router(s): the robot's outbound link to a relay
#: tier (docs/DEPLOY.md), as ``robot.launch.py relay:=...`` does.
RELAY_PROGRAM = ('relay_link',
                 'exec "$KROPBOT_INSTALL/kropbot_relay/lib/kropbot_relay/relay_link" '
                 '--ros-args -r __node:=relay_link --params-file "$KROPBOT_PARAMS" '
                 '$KROPBOT_OVERLAY -p "connect:=$KROPBOT_RELAY_CONNECT"')


def stack_env(env):
    """Fill in the runner's variables that the Procfile uses (see the module docstring)."""
    config = ROOT / 'src' / 'kropbot_bringup' / 'config'
    env = dict(env)
    env['KROPBOT_INSTALL'] = str(ROOT / 'install')
    env.setdefault('KROPBOT_PARAMS', str(config / 'robot.yaml'))
    view = env.get('KROPBOT_SIM_VIEW', 'top')
    if view not in ('top', 'fpv'):
        raise RuntimeError(f"KROPBOT_SIM_VIEW must be 'top' or 'fpv', got {view!r}")
    overlay = [] if env.get('KROPBOT_SIM', '1') == '0' else [str(config / 'sim.yaml')]
    if overlay and view == 'fpv':  # as robot.launch.py sim:=true sim_view:=fpv
        overlay.append(str(config / 'sim_fpv.yaml'))
    overlay += env.get('KROPBOT_EXTRA_PARAMS', '').split()
    env['KROPBOT_OVERLAY'] = ' '.join(f'--params-file {path}' for path in overlay)
    env.setdefault('KROPBOT_PORT', '9090')
    env.setdefault('KROPBOT_ADDRESS', '127.0.0.1')
    env.setdefault('KROPBOT_WEB_ROOT', str(ROOT / 'web' / 'dist'))
    relay = [e.strip() for e in env.get('KROPBOT_RELAY', '').split(',') if e.strip()]
    env['KROPBOT_RELAY_CONNECT'] = '[' + ', '.join(f"'{e}'" for e in relay) + ']'
    return env


def start_supervisor(env, run_dir):
    """Write the supervisord configuration and start supervisord; return its Popen."""
    python = shutil.which('python', path=env['PATH']) or sys.executable
    supervisord = shutil.which('supervisord', path=env['PATH'])
    if supervisord is None:
        raise RuntimeError('supervisord not found in the virtualenv: run tools/setup.sh')
    programs = supervision.parse_procfile((ROOT / 'Procfile').read_text())
    if env.get('KROPBOT_RELAY_CONNECT', '[]') != '[]':
        programs.append(RELAY_PROGRAM)
    cap = float(env.get('KROPBOT_RESPAWN_CAP', supervision.CAP_DELAY))
    config = supervision.supervisord_config(
        programs, run_dir=run_dir, python=python, user=getpass.getuser(),
        password=secrets.token_hex(16), cap_delay=max(cap, supervision.FIRST_DELAY))
    conf = Path(run_dir) / 'supervisord.conf'
    conf.write_text(config)
    # the nodes' state (the gateway's ban file, $XDG_STATE_HOME/kropbot/bans.json) lives in the
    # run directory: bans survive a node's respawn, not the run (the robot's ros2 launch keeps
    # them in ~/.local/state); set the gateway's ban_file to keep them across runs
    env = {**env, 'XDG_STATE_HOME': str(run_dir)}
    # SIGKILL, not SIGTERM: once the runner is gone nothing reads supervisord's output, and a
    # supervisord shutting down on a broken pipe may hang or die half-way; killed at once, it
    # hands every node its own parent-death SIGTERM (a clean, deterministic shutdown).
    cmd = [python, '-m', 'kropbot_bringup.pdeathsig', '--signal', 'KILL',
           '--expect-parent', str(os.getpid()), '--export-pid', 'KROPBOT_SUPERVISOR_PID', '--',
           supervisord, '-c', str(conf)]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **_new_group())


def remove_stale_run_dirs(tmp=None, now=None):
    """Remove run directories of earlier runs that were killed (their supervisord is gone).

    Only this user's ``kropbot-run-*`` directories in the temp directory; one without a pid file
    only when older than an hour (it may belong to a run that is just starting).
    """
    now = time.time() if now is None else now
    for path in Path(tmp or tempfile.gettempdir()).glob('kropbot-run-*'):
        try:
            if path.stat().st_uid != os.getuid():
                continue
            pid_file = path / 'supervisord.pid'
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().strip() or 0), 0)
                    continue  # still running
                except ProcessLookupError:
                    pass
            elif now - path.stat().st_mtime < 3600:
                continue
        except (OSError, ValueError):
            continue
        shutil.rmtree(path, ignore_errors=True)


def supervise(stop, terminal):
    """Start the stack under supervisord and run until a stop; return the exit status."""
    try:
        env = stack_env(load_env(os.environ))
    except RuntimeError as exc:
        if stop:
            return 0
        say(str(exc))
        return 1
    remove_stale_run_dirs()
    run_dir = tempfile.mkdtemp(prefix='kropbot-run-')
    try:
        say(f'ROS_DOMAIN_ID={env.get("ROS_DOMAIN_ID")} '
            f'ROS_AUTOMATIC_DISCOVERY_RANGE={env.get("ROS_AUTOMATIC_DISCOVERY_RANGE")} '
            f'sim={env.get("KROPBOT_SIM", "1")}')
        say(f'open http://{env["KROPBOT_ADDRESS"]}:{env["KROPBOT_PORT"]}/ to drive '
            f'(Ctrl-C stops everything)')
        if stop:
            return 0
        try:
            proc = start_supervisor(env, run_dir)
        except (RuntimeError, OSError, ValueError) as exc:
            say(f'cannot start supervisord: {exc}')
            return 1
        say(f'supervisor: supervisorctl -c {run_dir}/supervisord.conf status')
        relay = Relay(proc.stdout.fileno())
        status = wait(proc, stop, terminal, relay)
        if status is not None:
            relay.drain(1.0)
            say(f'supervisord exited unexpectedly (status {status}); every node was stopped')
            return 1
        say(f'stopping ({stop.signal.name if stop else "terminal closed"})')
        proc.send_signal(signal.SIGTERM)
        relay.drain(SUPERVISOR_STOP_TIMEOUT)
        try:
            proc.wait(1.0)
        except subprocess.TimeoutExpired:
            proc.kill()  # its nodes get SIGTERM from their parent-death signal
            proc.wait()
        say('stopped')
        return 0
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def main():
    """Entry point of ``tools/run``; return the exit status (0 after Ctrl-C)."""
    stop = StopRequest()
    terminal = Terminal()
    try:
        if os.environ.get('KROPBOT_SETUP', '1') != '0':
            status = run_setup(stop, terminal)
            if status is None or stop:
                say('stopped during set-up; nothing was started')
                return 0
            if status:
                say(f'set-up failed (status {status})')
                return status
        return supervise(stop, terminal)
    finally:
        terminal.restore()


if __name__ == '__main__':
    sys.exit(main())
