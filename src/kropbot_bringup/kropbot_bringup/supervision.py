"""Supervision policy of the ROS-less runner: process list, supervisord config, respawn back-off.

Pure and stdlib-only (the runner imports it before any virtualenv exists). Three parts:

- :func:`parse_procfile`: the runner's process list is the repository's ``Procfile`` (one
  ``name: shell command`` per node, the same executables, node names and parameter files as
  ``launch/robot.launch.py``; ``test_launch.py`` checks that);
- :func:`supervisord_config`: turns that list into a `supervisord
  <https://supervisord.org/configuration.html>`_ configuration: every node in one group
  (``kropbot``) so a shutdown stops them together, ``stopsignal=TERM`` (rclpy's clean shutdown,
  the driver releases the motors; unlike SIGINT it also ends a node that is still importing
  without a ``KeyboardInterrupt`` traceback), each started through
  :mod:`kropbot_bringup.pdeathsig` so no node outlives supervisord, and the
  :mod:`kropbot_bringup.respawn` event listener;
- :class:`RespawnPolicy`: when to restart a node that died, and the log lines about it.

Why supervisord restarts nothing by itself here (``autorestart=false``, ``startretries=0``):
supervisord respawns a node that was RUNNING at once, with no delay, and a node that dies within
``startsecs`` with a linear back-off (1, 2, 3 s ...) until ``startretries`` is used up, then
gives up for good (FATAL). KropBot wants one rule for both: about 1 s, doubling, capped, and
never giving up (:data:`FIRST_DELAY`, :data:`CAP_DELAY`). So every death ends in EXITED or FATAL
and the event listener (supervisord's own extension mechanism) asks supervisord to start the
node again over its XML-RPC interface after :meth:`RespawnPolicy.died` 's delay. Spawning,
reaping, signals, stopping and logging stay supervisord's.
"""

from dataclasses import dataclass
import re
import shlex
import time

#: supervisord group of every node; process names are ``kropbot:<node>`` in its XML-RPC API.
GROUP = 'kropbot'
#: Name of the respawn event listener in the supervisord configuration.
LISTENER = 'respawn'
#: User name on supervisord's XML-RPC socket.
RPC_USER = 'kropbot'
#: First respawn delay, s.
FIRST_DELAY = 1.0
#: Longest respawn delay, s: a node that keeps dying is retried this often, forever.
CAP_DELAY = 8.0
#: A node that ran at least this long before dying starts a new series at FIRST_DELAY, s.
STABLE_AFTER = 10.0
#: From this many deaths in a row on, each death is also reported as a loop.
LOOP_REPORT = 3
#: supervisord ``startsecs``: a node counts as back (RUNNING) after staying up this long, s.
START_SECS = 1
#: supervisord ``stopwaitsecs``: SIGKILL a node that has not exited this long after SIGTERM, s.
STOP_WAIT_SECS = 10

_PROCFILE_LINE = re.compile(r'^([A-Za-z0-9_-]+):\s*(.+)$')
_LOG_LINE = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) [A-Z]+ (.*)$', re.M)
_SPAWNED = re.compile(r"spawned: '([^']+)' with pid (\d+)")
_EXITED = re.compile(r'exited: (\S+) \((.*); (?:not )?expected\)')


class ProcfileError(ValueError):
    """The Procfile is malformed (the message names the line)."""


def parse_procfile(text):
    """Parse a Procfile into ``[(name, command), ...]`` in file order.

    Args:
        text: Procfile contents: ``name: command`` lines; blank lines and ``#`` comments ignored.

    Raises:
        ProcfileError: a line that is not ``name: command``, or a repeated name.

    """
    programs, seen = [], set()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        match = _PROCFILE_LINE.match(stripped)
        if not match:
            raise ProcfileError(f'Procfile line {number}: expected "name: command", got {line!r}')
        name, command = match.groups()
        if name in seen:
            raise ProcfileError(f'Procfile line {number}: {name!r} appears twice')
        seen.add(name)
        programs.append((name, command.strip()))
    return programs


def _value(text):
    """Escape ``text`` for a supervisord config value (it expands ``%(name)s``)."""
    return str(text).replace('%', '%%')


def supervisord_config(programs, *, run_dir, python, user, password, first_delay=FIRST_DELAY,
                       cap_delay=CAP_DELAY, stable_after=STABLE_AFTER):
    """Return the supervisord configuration (INI text) that runs ``programs``.

    Args:
        programs: ``[(name, shell command), ...]`` as from :func:`parse_procfile`; each command
            runs under ``/bin/sh -c`` (so ``$VARIABLES`` of the runner's environment expand).
        run_dir: private directory for supervisord's socket, pid file and main log.
        python: the interpreter (of the virtualenv) that runs the wrapper and the listener.
        user: the current user name (supervisord's ``user=``; avoids its running-as-root note).
        password: password of supervisord's XML-RPC socket (user ``kropbot``), for the listener
            and ``supervisorctl -c <this file>``; the socket is also only accessible to ``user``.
        first_delay: first respawn delay, s.
        cap_delay: longest respawn delay, s.
        stable_after: uptime after which a death starts a new back-off series, s.

    Returns:
        The configuration text. Nodes: group :data:`GROUP`, ``autorestart=false``,
        ``startretries=0``, ``startsecs`` :data:`START_SECS`, ``stopsignal=TERM``,
        ``stopwaitsecs`` :data:`STOP_WAIT_SECS`, output to supervisord's stdout. The listener
        :data:`LISTENER` subscribes to ``PROCESS_STATE``, ``SUPERVISOR_STATE_CHANGE`` and
        ``TICK_5``.

    """
    wrapper = [python, '-m', 'kropbot_bringup.pdeathsig', '--signal', 'TERM',
               '--expect-parent-env', 'KROPBOT_SUPERVISOR_PID', '--']
    names = [name for name, _ in programs]
    lines = [
        '; Generated by kropbot_bringup.supervision from the Procfile (tools/run); do not edit.',
        '[supervisord]',
        'nodaemon=true',
        f'logfile={_value(run_dir)}/supervisord.log',
        'logfile_maxbytes=0',
        f'pidfile={_value(run_dir)}/supervisord.pid',
        f'childlogdir={_value(run_dir)}',
        f'user={_value(user)}',
        'loglevel=info',
        '',
        '[unix_http_server]',
        f'file={_value(run_dir)}/supervisor.sock',
        'chmod=0700',
        f'username={RPC_USER}',
        f'password={_value(password)}',
        '',
        '[rpcinterface:supervisor]',
        'supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface',
        '',
        '[supervisorctl]',
        f'serverurl=unix://{_value(run_dir)}/supervisor.sock',
        f'username={RPC_USER}',
        f'password={_value(password)}',
        '',
        f'[group:{GROUP}]',
        f'programs={",".join(names)}',
        'priority=100',
    ]
    for name, command in programs:
        argv = wrapper + ['/bin/sh', '-c', command]
        lines += [
            '',
            f'[program:{name}]',
            f'command={_value(shlex.join(argv))}',
            'autostart=true',
            'autorestart=false',
            'startretries=0',
            f'startsecs={START_SECS}',
            'stopsignal=TERM',
            f'stopwaitsecs={STOP_WAIT_SECS}',
            'stdout_logfile=/dev/stdout',
            'stdout_logfile_maxbytes=0',
            'redirect_stderr=true',
        ]
    listener = wrapper + [python, '-m', 'kropbot_bringup.respawn', '--group', GROUP,
                          '--first-delay', repr(float(first_delay)),
                          '--cap-delay', repr(float(cap_delay)),
                          '--stable-after', repr(float(stable_after))]
    lines += [
        '',
        f'[eventlistener:{LISTENER}]',
        f'command={_value(shlex.join(listener))}',
        'events=PROCESS_STATE,SUPERVISOR_STATE_CHANGE,TICK_5',
        'buffer_size=100',
        'priority=1',
        'autorestart=true',
        f'environment=SUPERVISOR_USERNAME="{RPC_USER}",SUPERVISOR_PASSWORD="{_value(password)}"',
        'stdout_logfile=NONE',
        'stderr_logfile=/dev/stdout',
        'stderr_logfile_maxbytes=0',
    ]
    return '\n'.join(lines) + '\n'


def backoff_delay(failures, first=FIRST_DELAY, cap=CAP_DELAY):
    """Return the respawn delay after the ``failures``-th death in a row, s.

    ``first * 2 ** (failures - 1)``, at most ``cap``: 1, 2, 4, 8, 8, ... s with the defaults.

    Raises:
        ValueError: ``failures`` < 1.

    """
    if failures < 1:
        raise ValueError(f'failures must be >= 1, got {failures}')
    return min(cap, first * 2.0 ** min(failures - 1, 64))


@dataclass(frozen=True)
class ExitRecord:
    """How and when a process ended, from supervisord's main log.

    Attributes:
        how: e.g. ``'terminated by SIGKILL'`` or ``'exit status 1'``.
        died_at: wall-clock time of the exit, s since the epoch.
        started_at: wall-clock time that process was spawned (None if not in the log).

    """

    how: str
    died_at: float
    started_at: float | None


def _log_lines(log_text):
    """Yield ``(wall time, message)`` of supervisord main-log lines (local-time stamps)."""
    for match in _LOG_LINE.finditer(log_text):
        stamp, millis, message = match.groups()
        wall = time.mktime(time.strptime(stamp, '%Y-%m-%d %H:%M:%S')) + int(millis) / 1000
        yield wall, message


def last_exit(log_text, name, pid=None):
    """Find how and when process ``name`` last exited, in supervisord's main log.

    supervisord logs ``spawned: 'vote' with pid 42`` and, when that process ends on its own,
    ``exited: vote (terminated by SIGKILL; not expected)`` or ``exited: vote (exit status 1;
    not expected)``, each line stamped ``YYYY-MM-DD HH:MM:SS,mmm`` (local time).

    Args:
        log_text: the end of supervisord's main log.
        name: process name (without the group).
        pid: the pid of the process that exited, if known (the search starts at its spawn).

    Returns:
        An :class:`ExitRecord`, or None if the log has no exit of ``name`` after its last (or
        ``pid``'s) spawn.

    """
    started_at, record, spawned_seen = None, None, pid is None
    for wall, message in _log_lines(log_text):
        spawned = _SPAWNED.match(message)
        if spawned and spawned.group(1) == name:
            if pid is None or int(spawned.group(2)) == int(pid):
                started_at, record, spawned_seen = wall, None, True
            continue
        exited = _EXITED.match(message)
        if exited and exited.group(1) == name and record is None and spawned_seen:
            record = ExitRecord(exited.group(2), wall, started_at)
    return record


def spawn_time(log_text, name, pid):
    """Return the wall-clock time process ``name`` was spawned with ``pid``, or None."""
    found = None
    for wall, message in _log_lines(log_text):
        spawned = _SPAWNED.match(message)
        if spawned and spawned.group(1) == name and int(spawned.group(2)) == int(pid):
            found = wall
    return found


def clock_text(wall):
    """Return ``HH:MM:SS.mmm`` (local time) of the wall-clock time ``wall`` (s since epoch)."""
    return time.strftime('%H:%M:%S', time.localtime(wall)) + f'.{int(wall % 1 * 1000):03d}'


@dataclass
class _Node:
    failures: int = 0
    died_at: float | None = None
    how: str = ''


@dataclass(frozen=True)
class Respawn:
    """What to do about a death: restart ``name`` in ``wait`` s from now; log ``lines``.

    Attributes:
        name: node name.
        delay: the back-off, counted from the death, s.
        wait: what is left of it now (the death may have been reported late), s.
        lines: log lines to print.

    """

    name: str
    delay: float
    wait: float
    lines: tuple


class RespawnPolicy:
    """Back-off state of every node; pure (the caller passes times in; nmea_navsat style).

    A death after less than ``stable_after`` s of uptime continues the node's series of
    failures, a longer-lived one starts a new series; the n-th death of a series is followed by
    a restart :func:`backoff_delay` (n) s after the death. From :data:`LOOP_REPORT` deaths in a
    row on, each death is also reported as a loop.

    Args:
        first_delay: first respawn delay, s.
        cap_delay: longest respawn delay, s.
        stable_after: uptime that ends a series, s.

    Raises:
        ValueError: unless 0 < first_delay <= cap_delay.

    """

    def __init__(self, first_delay=FIRST_DELAY, cap_delay=CAP_DELAY, stable_after=STABLE_AFTER):
        if not 0 < first_delay <= cap_delay:
            raise ValueError(f'need 0 < first_delay <= cap_delay, got {first_delay}, '
                             f'{cap_delay}')
        self.first_delay = float(first_delay)
        self.cap_delay = float(cap_delay)
        self.stable_after = float(stable_after)
        self._nodes = {}

    def failures(self, name):
        """Return the number of deaths in a row of ``name`` (0 if none)."""
        node = self._nodes.get(name)
        return node.failures if node else 0

    def died(self, name, *, how, died_at, uptime, now):
        """Record that ``name`` died; return the :class:`Respawn` to schedule.

        Args:
            name: node name.
            how: how it ended, e.g. ``'terminated by SIGKILL'`` or ``'exit status 1'``.
            died_at: wall-clock time of the death, s since the epoch.
            uptime: how long that process ran, s (None if unknown: counts as short).
            now: wall-clock time now, s since the epoch.

        """
        node = self._nodes.setdefault(name, _Node())
        stable = uptime is not None and uptime >= self.stable_after
        node.failures = 1 if stable else node.failures + 1
        node.died_at, node.how = died_at, how
        delay = backoff_delay(node.failures, self.first_delay, self.cap_delay)
        up = 'uptime unknown' if uptime is None else f'after {uptime:.1f} s up'
        lines = [f'[respawn] {name} died at {clock_text(died_at)} ({how}, {up}); '
                 f'restarting it {delay:g} s after its death']
        if node.failures >= LOOP_REPORT:
            lines.append(
                f'[respawn] WARNING: {name} keeps dying: {node.failures} deaths in a row, each '
                f'less than {self.stable_after:g} s after its start (last: {how}); retrying '
                f'every {delay:g} s until it stays up. Its own log lines above say why. '
                f'The other nodes keep running.')
        return Respawn(name, delay, max(0.0, died_at + delay - now), tuple(lines))

    def back(self, name, *, pid, started_at):
        """Record that ``name`` runs again (supervisord RUNNING); return a log line or None.

        Args:
            name: node name.
            pid: its new process id.
            started_at: wall-clock time the new process was spawned, s since the epoch.

        Returns:
            None when there was no death to recover from (the first start).

        """
        node = self._nodes.get(name)
        if node is None or node.died_at is None:
            return None
        down = started_at - node.died_at
        node.died_at = None
        return (f'[respawn] {name} back: respawned at {clock_text(started_at)} (pid {pid}), '
                f'{down:.1f} s after it died ({node.how})')

    def forget(self, name):
        """Drop the state of ``name`` (it was stopped on purpose)."""
        self._nodes.pop(name, None)
