"""supervisord event listener that respawns dead nodes with a growing, capped back-off.

Started by supervisord itself (``[eventlistener:respawn]`` in the configuration that
:func:`kropbot_bringup.supervision.supervisord_config` writes). It speaks supervisord's event
listener protocol on stdin/stdout (https://supervisord.org/events.html) and logs to stderr:

- ``PROCESS_STATE_EXITED`` / ``PROCESS_STATE_FATAL`` of a node of the group: it finds out how
  the node ended (supervisord's main log, read with the ``supervisor.readLog`` XML-RPC call) and
  how long it ran, asks :class:`~kropbot_bringup.supervision.RespawnPolicy` for the delay, logs
  one line, and after the delay calls ``supervisor.startProcess`` (from a timer thread);
- ``PROCESS_STATE_RUNNING``: logs when the node came back and how long it was down;
- ``PROCESS_STATE_STOPPING`` / ``STOPPED`` (a stop that supervisord was asked for) and
  ``SUPERVISOR_STATE_CHANGE_STOPPING`` (shutdown): no respawn;
- ``TICK_5``: re-checks every node, so a death missed while this listener itself was being
  restarted is still handled.

Everything about processes (spawning, reaping, signals, stopping) stays supervisord's.
"""

import argparse
import os
import signal
import sys
import threading
import time
import xmlrpc.client

from kropbot_bringup.supervision import (
    CAP_DELAY,
    FIRST_DELAY,
    GROUP,
    STABLE_AFTER,
    RespawnPolicy,
    last_exit,
    spawn_time,
)

#: Bytes of the end of supervisord's main log searched for a node's exit status.
LOG_TAIL = 32768
#: supervisord XML-RPC fault codes (supervisor/xmlrpc.py ``Faults``) that need no action.
_HARMLESS_FAULTS = {6, 60, 70}  # SHUTDOWN_STATE, ALREADY_STARTED, NOT_RUNNING


def read_event(stdin):
    """Read one event notification; return ``(headers, payload)`` or None at end of input."""
    line = stdin.readline()
    if not line:
        return None
    headers = dict(token.split(':', 1) for token in line.split())
    payload = stdin.read(int(headers['len']))
    return headers, payload


def parse_payload(payload):
    """Return the ``key:value`` tokens of an event payload's first line as a dict."""
    first = payload.split('\n', 1)[0]
    return dict(token.split(':', 1) for token in first.split() if ':' in token)


def _default_rpc():
    from supervisor import childutils  # only where supervisord runs us
    return childutils.getRPCInterface(os.environ).supervisor


class Listener:
    """The listener's state: the policy, pending restarts, and the supervisord connection.

    Args:
        policy: a :class:`~kropbot_bringup.supervision.RespawnPolicy`.
        group: supervisord group whose processes are respawned.
        rpc_factory: callable returning a ``supervisor`` XML-RPC namespace; called once per
            thread (xmlrpc proxies are not thread-safe).
        log: callable taking one line of text.
        clock: wall clock, s since the epoch.

    """

    def __init__(self, policy, group=GROUP, *, rpc_factory=_default_rpc, log=None,
                 clock=time.time):
        self.policy = policy
        self.group = group
        self._rpc_factory = rpc_factory
        self._rpc = rpc_factory()
        self._log = log or _stderr_line
        self._clock = clock
        self._lock = threading.Lock()
        self._timers = {}
        self._handled = {}  # name -> died_at of the last exit already acted on
        self.stopping = False

    def handle(self, eventname, payload):
        """Act on one event (see the module docstring)."""
        if eventname == 'SUPERVISOR_STATE_CHANGE_STOPPING':
            self._stop_all()
            return
        if eventname.startswith('TICK_'):
            self.reconcile()
            return
        if not eventname.startswith('PROCESS_STATE_'):
            return
        fields = parse_payload(payload)
        if fields.get('groupname') != self.group:
            return
        name, state = fields.get('processname', ''), eventname[len('PROCESS_STATE_'):]
        if state in ('EXITED', 'FATAL'):
            self.died(name, pid=fields.get('pid'))
        elif state == 'RUNNING':
            self._cancel(name)
            pid = fields.get('pid', '0')
            started = spawn_time(self._rpc.readLog(-LOG_TAIL, 0), name, pid)
            line = self.policy.back(name, pid=pid, started_at=started or self._clock())
            if line:
                self._log(line)
        elif state in ('STOPPING', 'STOPPED'):
            self._cancel(name)
            self.policy.forget(name)

    def died(self, name, pid=None):
        """Handle the death of node ``name``: log it and schedule its restart."""
        with self._lock:
            if self.stopping or name in self._timers:
                return  # shutting down, or this death is already being handled
        now = self._clock()
        info = self._rpc.getProcessInfo(f'{self.group}:{name}')
        if info.get('statename', 'EXITED') not in ('EXITED', 'FATAL'):
            return  # running again already (restarted by us meanwhile, or by supervisorctl)
        log = self._rpc.readLog(-LOG_TAIL, 0)
        record = last_exit(log, name, pid) or last_exit(log, name)
        if record is not None and record.died_at > self._handled.get(name, 0.0):
            how, died_at = record.how, record.died_at
            uptime = None if record.started_at is None else died_at - record.started_at
            self._handled[name] = died_at
        else:  # no new exit in the log: the command could not even be executed
            how = info.get('spawnerr') or f'exit status {info.get("exitstatus")}'
            died_at, uptime = now, None
        decision = self.policy.died(name, how=how, died_at=died_at, uptime=uptime, now=now)
        for line in decision.lines:
            self._log(line)
        timer = threading.Timer(decision.wait, self._start, args=(name,))
        timer.daemon = True
        with self._lock:
            if self.stopping:
                return
            self._timers[name] = timer
        timer.start()

    def reconcile(self):
        """Schedule a restart of every node of the group that is down with none pending."""
        for info in self._rpc.getAllProcessInfo():
            if info['group'] == self.group and info['statename'] in ('EXITED', 'FATAL'):
                self.died(info['name'])

    def names(self):
        """Return the names of the group's processes (as supervisord lists them)."""
        return [i['name'] for i in self._rpc.getAllProcessInfo() if i['group'] == self.group]

    def _start(self, name):
        with self._lock:
            if self.stopping:
                return
        try:
            self._rpc_factory().startProcess(f'{self.group}:{name}', False)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode not in _HARMLESS_FAULTS and fault.faultCode != 50:
                self._log(f'[respawn] could not restart {name}: {fault.faultString}')
            # SPAWN_ERROR (50): it died at once; its FATAL event brings it back here
        except OSError:
            pass  # supervisord is gone: nothing to restart
        finally:
            with self._lock:  # only now: until the start, a re-check must not handle it again
                self._timers.pop(name, None)

    def _cancel(self, name):
        with self._lock:
            timer = self._timers.pop(name, None)
        if timer:
            timer.cancel()

    def _stop_all(self):
        with self._lock:
            self.stopping = True
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()


_print_lock = threading.Lock()


def _stderr_line(line):
    with _print_lock:
        print(line, file=sys.stderr, flush=True)


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='respawn', description='supervisord event listener: respawn dead nodes with a '
                                    'growing, capped back-off (run by supervisord).')
    parser.add_argument('--group', default=GROUP, help='supervisord group to respawn')
    parser.add_argument('--first-delay', type=float, default=FIRST_DELAY,
                        help='first respawn delay, s')
    parser.add_argument('--cap-delay', type=float, default=CAP_DELAY,
                        help='longest respawn delay, s')
    parser.add_argument('--stable-after', type=float, default=STABLE_AFTER,
                        help='uptime after which a death starts a new back-off series, s')
    return parser.parse_args(argv)


def main(argv=None, stdin=None, stdout=None):
    """Run the listener until supervisord closes its stdin; return the exit status."""
    args = _parse_args(argv)
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # supervisord's stop: exit quietly
    listener = Listener(RespawnPolicy(args.first_delay, args.cap_delay, args.stable_after),
                        args.group)
    try:
        _stderr_line(f'[respawn] watching {", ".join(listener.names())}: a node that dies is '
                     f'restarted {args.first_delay:g} s after its death, doubling up to '
                     f'{args.cap_delay:g} s, without giving up')
        listener.reconcile()
    except xmlrpc.client.Fault as fault:
        if fault.faultCode != 6:  # SHUTDOWN_STATE: supervisord is already stopping
            raise
        listener.stopping = True
    while True:
        stdout.write('READY\n')
        stdout.flush()
        event = read_event(stdin)
        if event is None:
            return 0
        headers, payload = event
        try:
            listener.handle(headers.get('eventname', ''), payload)
        except (OSError, xmlrpc.client.Error) as exc:  # supervisord busy or going away
            _stderr_line(f'[respawn] {headers.get("eventname")}: {type(exc).__name__}: {exc}')
        stdout.write('RESULT 2\nOK')
        stdout.flush()


if __name__ == '__main__':
    sys.exit(main())
