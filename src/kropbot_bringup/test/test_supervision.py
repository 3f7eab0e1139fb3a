"""The runner's supervision core: Procfile, supervisord config, back-off policy, log parsing,
the respawn listener's decisions, the parent-death wrapper, and stale run directories.

The config is loaded by supervisord's own option parser; the wrapper runs as real processes.
The listener is driven with supervisord's event payloads and a stand-in for its XML-RPC
interface (the real supervisord is in tests/test_runner.py).
"""

import getpass
import os
from pathlib import Path
import signal
import subprocess
import sys
import threading
import time
import xmlrpc.client

from kropbot_bringup.respawn import Listener, parse_payload, read_event
from kropbot_testing.processes import wait_for
import psutil
import pytest

from kropbot_bringup import pdeathsig, runner, supervision

ROOT = Path(__file__).resolve().parents[3]
# The robot's nodes, in the Procfile's order: the crowd's chain vote -> guard -> driver, with
# the camera, the gateway and the range sensors the guard reads (issue 14).
NODES = ['camera', 'vote', 'gateway', 'range_sensors', 'guard', 'driver']


def test_the_procfile_runs_each_robot_node_once_under_its_own_name():
    programs = supervision.parse_procfile((ROOT / 'Procfile').read_text())
    assert [name for name, _ in programs] == NODES
    for name, cmd in programs:
        # exec: supervisord's signals reach the node itself, not a shell around it
        assert cmd.startswith('exec '), name
        assert f'-r __node:={name} ' in cmd, name
    # the driver obeys the guard's output only (test_launch.py checks the whole remap chain)
    assert '-r cmd_vel:=cmd_vel_safe' in dict(programs)['driver']


@pytest.mark.parametrize('text', ['camera exec x', 'a: x\na: y', ': x'])
def test_malformed_procfiles_are_refused(text):
    with pytest.raises(supervision.ProcfileError):
        supervision.parse_procfile(text)


def test_supervisord_loads_the_generated_config(tmp_path):
    from supervisor.options import ServerOptions
    text = supervision.supervisord_config(
        [('camera', 'exec echo "50%" $HOME'), ('vote', 'exec true')], run_dir=str(tmp_path),
        python='/venv/bin/python', user=getpass.getuser(), password='s3cret', cap_delay=4.0)
    conf = tmp_path / 'supervisord.conf'
    conf.write_text(text)
    options = ServerOptions()
    options.realize(args=['-c', str(conf)])
    groups = {g.name: g for g in options.process_group_configs}
    assert set(groups) == {supervision.GROUP, supervision.LISTENER}
    nodes = groups[supervision.GROUP].process_configs
    assert [p.name for p in nodes] == ['camera', 'vote']
    for proc in nodes:
        assert proc.autorestart is False and proc.startretries == 0  # the listener respawns
        assert proc.stopsignal == signal.SIGTERM and proc.startsecs == supervision.START_SECS
    camera = nodes[0].command.split(' -- ', 1)
    assert camera[0].endswith('-m kropbot_bringup.pdeathsig --signal TERM '
                              '--expect-parent-env KROPBOT_SUPERVISOR_PID')
    assert camera[1] == '/bin/sh -c \'exec echo "50%" $HOME\''  # '%' survived the expansion
    listener = groups[supervision.LISTENER]
    assert {e.__name__ for e in listener.pool_events} == {
        'ProcessStateEvent', 'SupervisorStateChangeEvent', 'Tick5Event'}
    command = listener.process_configs[0].command
    assert '-m kropbot_bringup.respawn' in command and '--cap-delay 4.0' in command
    assert listener.process_configs[0].environment['SUPERVISOR_PASSWORD'] == 's3cret'


def test_backoff_doubles_from_one_second_and_is_capped():
    assert [supervision.backoff_delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    assert supervision.backoff_delay(10 ** 6) == supervision.CAP_DELAY
    with pytest.raises(ValueError):
        supervision.backoff_delay(0)


def test_policy_series_loop_report_and_reset_after_a_stable_run():
    policy = supervision.RespawnPolicy()
    t = 1000.0
    delays = []
    for _ in range(5):
        decision = policy.died('camera', how='exit status 1', died_at=t, uptime=0.5, now=t)
        delays.append(decision.delay)
        assert decision.wait == decision.delay  # reported at once
        t += decision.delay + 0.5
    assert delays == [1, 2, 4, 8, 8]
    assert 'keeps dying: 3 deaths in a row' in '\n'.join(
        policy.died('x', how='h', died_at=t, uptime=0, now=t).lines
        + policy.died('x', how='h', died_at=t, uptime=0, now=t).lines
        + policy.died('x', how='h', died_at=t, uptime=0, now=t).lines)
    stable = policy.died('camera', how='terminated by SIGKILL', died_at=t, uptime=60.0, now=t)
    assert stable.delay == 1 and len(stable.lines) == 1
    assert policy.failures('camera') == 1 and policy.failures('vote') == 0


def test_policy_counts_the_delay_from_the_death_and_logs_the_comeback():
    policy = supervision.RespawnPolicy()
    late = policy.died('vote', how='terminated by SIGKILL', died_at=100.0, uptime=30.0,
                       now=100.7)
    assert late.delay == 1 and late.wait == pytest.approx(0.3)
    assert 'vote died at' in late.lines[0] and 'terminated by SIGKILL' in late.lines[0]
    line = policy.back('vote', pid=42, started_at=101.0)
    assert 'vote back' in line and 'pid 42' in line and '1.0 s after it died' in line
    assert policy.back('vote', pid=43, started_at=102.0) is None  # nothing to recover from
    assert policy.back('camera', pid=44, started_at=102.0) is None  # first start
    with pytest.raises(ValueError):
        supervision.RespawnPolicy(first_delay=2.0, cap_delay=1.0)


LOG = """\
2026-12-01 06:02:33,856 INFO spawned: 'vote' with pid 2958
2026-12-01 06:02:34,886 INFO success: vote entered RUNNING state, process has stayed up for > \
than 1 seconds (startsecs)
2026-12-01 06:02:49,316 WARN exited: vote (terminated by SIGKILL; not expected)
2026-12-01 06:02:50,795 INFO spawned: 'vote' with pid 3484
2026-12-01 06:02:51,000 WARN exited: camera (exit status 1; not expected)
2026-12-01 06:02:52,224 INFO success: vote entered RUNNING state, process has stayed up for > \
than 1 seconds (startsecs)
2026-12-01 06:02:53,350 WARN exited: vote (exit status 0; expected)
"""


def _wall(stamp):
    return time.mktime(time.strptime(stamp, '%Y-%m-%d %H:%M:%S'))


def test_exits_and_spawns_are_read_from_supervisords_log():
    first = supervision.last_exit(LOG, 'vote', pid=2958)
    assert first.how == 'terminated by SIGKILL'
    assert first.died_at == pytest.approx(_wall('2026-12-01 06:02:49') + 0.316)
    assert first.died_at - first.started_at == pytest.approx(15.46)
    assert supervision.last_exit(LOG, 'vote').how == 'exit status 0'  # after the last spawn
    assert supervision.last_exit(LOG, 'camera').how == 'exit status 1'
    assert supervision.last_exit(LOG, 'camera').started_at is None
    assert supervision.last_exit(LOG, 'driver') is None
    assert supervision.last_exit(LOG[40:], 'vote', pid=2958) is None  # spawn line cut off
    assert supervision.spawn_time(LOG, 'vote', 3484) == pytest.approx(
        _wall('2026-12-01 06:02:50') + 0.795)


class FakeSupervisor:
    """Stand-in for supervisord's ``supervisor`` XML-RPC namespace (what the listener uses)."""

    def __init__(self, log=''):
        self.log = log
        self.started = []
        self.info = {}
        self.fault = None

    def getProcessInfo(self, name):  # noqa: N802 (the XML-RPC method name)
        return self.info.get(name, {'spawnerr': '', 'exitstatus': 1, 'statename': 'EXITED'})

    def getAllProcessInfo(self):  # noqa: N802
        return [{'name': n, 'group': 'kropbot', 'statename': 'RUNNING'} for n in NODES]

    def readLog(self, offset, length):  # noqa: N802
        assert offset < 0 and length == 0  # the end of the main log
        return self.log

    def startProcess(self, name, wait):  # noqa: N802
        assert wait is False
        self.started.append((name, time.monotonic()))
        if self.fault:
            raise self.fault
        return True


def state_event(listener, state, name, **extra):
    fields = {'processname': name, 'groupname': 'kropbot', 'from_state': 'RUNNING', **extra}
    listener.handle(f'PROCESS_STATE_{state}', ' '.join(f'{k}:{v}' for k, v in fields.items()))


def make_listener(fake, lines, first=0.2, cap=0.4):
    return Listener(supervision.RespawnPolicy(first, cap), rpc_factory=lambda: fake,
                    log=lines.append)


def test_listener_restarts_a_dead_node_after_the_backoff_and_logs_it():
    fake, lines = FakeSupervisor(LOG), []
    listener = make_listener(fake, lines)
    died = time.monotonic()
    state_event(listener, 'EXITED', 'vote', expected=0, pid=2958)
    assert 'vote died at' in lines[0] and 'terminated by SIGKILL' in lines[0]
    assert 'after 15.5 s up' in lines[0]
    # the death is long past (the log's clock): restart at once, not 0.2 s later
    wait_for(lambda: fake.started, 2.0, message='startProcess')
    assert fake.started[0][0] == 'kropbot:vote' and fake.started[0][1] - died < 0.15
    state_event(listener, 'RUNNING', 'vote', pid=3484)
    assert 'vote back: respawned at' in lines[-1] and 'pid 3484' in lines[-1]


def test_listener_does_not_respawn_on_a_requested_stop_or_shutdown():
    fake, lines = FakeSupervisor(), []
    listener = make_listener(fake, lines, first=0.3)
    state_event(listener, 'FATAL', 'camera')  # could not even start: no exit in the log
    assert 'camera died at' in lines[0] and 'exit status 1' in lines[0]
    state_event(listener, 'STOPPED', 'camera', pid=1)  # supervisorctl stop: no respawn
    state_event(listener, 'FATAL', 'driver')
    listener.handle('SUPERVISOR_STATE_CHANGE_STOPPING', '')
    state_event(listener, 'FATAL', 'gateway')  # during the shutdown: ignored
    time.sleep(0.5)
    assert fake.started == [] and listener.stopping
    assert not any('gateway' in line for line in lines)


def test_listener_keeps_retrying_a_node_whose_restart_fails():
    fake, lines = FakeSupervisor(), []
    fake.fault = xmlrpc.client.Fault(50, 'SPAWN_ERROR: kropbot:camera')
    listener = make_listener(fake, lines, first=0.1, cap=0.2)
    for count in range(1, 4):  # each failed start ends in FATAL again, which brings it here
        state_event(listener, 'FATAL', 'camera')
        wait_for(lambda n=count: len(fake.started) >= n, 2.0, message='another start')
    assert 'keeps dying: 3 deaths in a row' in lines[-1]
    assert not any('could not restart' in line for line in lines)  # SPAWN_ERROR is expected


def test_listener_ignores_a_stale_death_of_a_node_that_runs_again():
    """A re-check (TICK_5) that saw the node down just before its restart does nothing."""
    fake, lines = FakeSupervisor(LOG), []
    listener = make_listener(fake, lines)
    fake.info['kropbot:vote'] = {'statename': 'STARTING', 'spawnerr': '', 'exitstatus': None}
    listener.died('vote')
    assert lines == [] and listener.policy.failures('vote') == 0


def test_event_protocol_parsing():
    import io
    body = 'processname:vote groupname:kropbot from_state:RUNNING expected:0 pid:2766'
    stream = io.StringIO('ver:3.0 server:supervisor serial:21 pool:respawn poolserial:10 '
                         f'eventname:PROCESS_STATE_EXITED len:{len(body)}\n{body}')
    headers, payload = read_event(stream)
    assert headers['eventname'] == 'PROCESS_STATE_EXITED'
    assert parse_payload(payload) == {'processname': 'vote', 'groupname': 'kropbot',
                                      'from_state': 'RUNNING', 'expected': '0', 'pid': '2766'}
    assert read_event(stream) is None


def _start_orphanable(args):
    """Start ``python -m kropbot_bringup.pdeathsig ARGS`` from an intermediate parent."""
    wrapper = [sys.executable, '-m', 'kropbot_bringup.pdeathsig', *args]
    code = ('import subprocess, time\n'
            f'p = subprocess.Popen({wrapper!r})\n'
            'print(p.pid, flush=True)\n'
            'time.sleep(60)\n')
    parent = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE)
    return parent, psutil.Process(int(parent.stdout.readline()))


def test_pdeathsig_child_is_signalled_when_its_parent_is_killed():
    parent, child = _start_orphanable(['--', 'sleep', '60'])
    try:
        wait_for(lambda: child.cmdline()[:1] == ['sleep'], 10, message='sleep exec-ed')
        parent.kill()
        parent.wait(5)
        child.wait(5)  # psutil.TimeoutExpired if the orphan lived on
        assert not child.is_running()
    finally:
        for proc in (parent, child):
            try:
                proc.kill()
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass


def test_pdeathsig_refuses_to_run_under_an_unexpected_parent_and_exports_its_pid():
    run = [sys.executable, '-m', 'kropbot_bringup.pdeathsig']
    gone = subprocess.run(run + ['--expect-parent', '1', '--', 'true'], capture_output=True,
                          text=True)
    assert gone.returncode == pdeathsig.PARENT_GONE and 'already gone' in gone.stderr
    shown = subprocess.run(run + ['--expect-parent', str(os.getpid()), '--export-pid', 'ME',
                                  '--', 'sh', '-c', 'echo $ME $$'], capture_output=True,
                           text=True, check=True)
    exported, own = shown.stdout.split()
    assert exported == own  # the pid the command keeps after exec
    assert subprocess.run(run + ['--', '/no/such/program']).returncode == 127


def test_stale_run_dirs_of_killed_runs_are_removed(tmp_path):
    dead = subprocess.Popen(['true'])
    dead.wait()
    for name, pid in (('kropbot-run-dead', dead.pid), ('kropbot-run-alive', os.getpid())):
        (tmp_path / name).mkdir()
        (tmp_path / name / 'supervisord.pid').write_text(f'{pid}\n')
    (tmp_path / 'kropbot-run-starting').mkdir()  # no pid file yet
    (tmp_path / 'kropbot-run-old').mkdir()
    os.utime(tmp_path / 'kropbot-run-old', (time.time() - 7200, time.time() - 7200))
    runner.remove_stale_run_dirs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['kropbot-run-alive',
                                                          'kropbot-run-starting']


def test_stack_env_builds_the_overlay_like_the_launch_file_sim_argument():
    config = ROOT / 'src' / 'kropbot_bringup' / 'config'
    env = runner.stack_env({'KROPBOT_EXTRA_PARAMS': '/a.yaml /b.yaml'})
    assert env['KROPBOT_PARAMS'] == str(config / 'robot.yaml')
    assert env['KROPBOT_OVERLAY'] == (f'--params-file {config / "sim.yaml"} '
                                      '--params-file /a.yaml --params-file /b.yaml')
    assert (env['KROPBOT_PORT'], env['KROPBOT_ADDRESS']) == ('9090', '127.0.0.1')
    real = runner.stack_env({'KROPBOT_SIM': '0', 'KROPBOT_PORT': '8000'})
    assert real['KROPBOT_OVERLAY'] == '' and real['KROPBOT_PORT'] == '8000'


def test_stop_request_records_the_first_signal():
    stop = runner.StopRequest()
    try:
        assert not stop
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGINT)
        wait_for(lambda: stop, 1.0, message='signal handled')
        assert stop.signal == signal.SIGHUP
    finally:
        for sig in runner.StopRequest.SIGNALS:
            signal.signal(sig, signal.SIG_DFL if sig != signal.SIGINT
                          else signal.default_int_handler)


def test_relay_copies_a_pipe_to_stdout(capfd):
    read_fd, write_fd = os.pipe()
    relay = runner.Relay(read_fd)
    writer = threading.Thread(target=lambda: (os.write(write_fd, b'hello\n'),
                                              os.close(write_fd)))
    writer.start()
    relay.drain(2.0)
    writer.join()
    os.close(read_fd)
    assert capfd.readouterr().out == 'hello\n'


def test_relay_link_runs_only_with_kropbot_relay():
    assert runner.stack_env({})['KROPBOT_RELAY_CONNECT'] == '[]'
    env = runner.stack_env({'KROPBOT_RELAY': 'tcp/a:7447, tcp/b:7447'})
    assert env['KROPBOT_RELAY_CONNECT'] == "['tcp/a:7447', 'tcp/b:7447']"
    name, command = runner.RELAY_PROGRAM
    assert name == 'relay_link' and 'kropbot_relay/lib/kropbot_relay/relay_link' in command
    assert '__node:=relay_link' in command and 'connect:=$KROPBOT_RELAY_CONNECT' in command


def test_sim_view_fpv_adds_the_first_person_overlay_like_the_launch_file():
    config = ROOT / 'src' / 'kropbot_bringup' / 'config'
    env = runner.stack_env({'KROPBOT_SIM_VIEW': 'fpv'})
    assert env['KROPBOT_OVERLAY'] == (f'--params-file {config / "sim.yaml"} '
                                      f'--params-file {config / "sim_fpv.yaml"}')
    real = runner.stack_env({'KROPBOT_SIM': '0', 'KROPBOT_SIM_VIEW': 'fpv'})
    assert real['KROPBOT_OVERLAY'] == ''
    with pytest.raises(RuntimeError, match='KROPBOT_SIM_VIEW'):
        runner.stack_env({'KROPBOT_SIM_VIEW': 'side'})
