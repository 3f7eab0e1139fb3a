"""Workspace-wide pytest fixtures: DDS isolation and real ROS 2 node processes.

Every test run gets its own ``ROS_DOMAIN_ID`` (derived from the pytest process id unless
``KROPBOT_TEST_DOMAIN_ID`` is set) and ``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST``, so parallel
runs, a running stack and the LAN never cross-talk. The variables are set before any test imports
rclpy, and are inherited by every node process a test starts.
"""

import os
from pathlib import Path
import signal
import subprocess
import threading
import time

import pytest

ROOT = Path(__file__).resolve().parent
INSTALL = ROOT / 'install'
CONFIG = ROOT / 'src' / 'kropbot_bringup' / 'config'
ROBOT_YAML = CONFIG / 'robot.yaml'
SIM_YAML = CONFIG / 'sim.yaml'

os.environ['ROS_DOMAIN_ID'] = os.environ.get(
    'KROPBOT_TEST_DOMAIN_ID', str(10 + os.getpid() % 90))
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.pop('ROS_STATIC_PEERS', None)
os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
os.environ['PYTHONUNBUFFERED'] = '1'


def wait_for(predicate, timeout, period=0.02, message='condition'):
    """Poll ``predicate()`` until it is truthy or ``timeout`` (s) passes; return its value.

    Raises:
        AssertionError: with ``message`` if the timeout passes first.

    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for {message}')
        time.sleep(period)


class NodeProcess:
    """One installed ROS 2 executable run as a separate process, like ``ros2 run``.

    Args:
        package: ROS package name, e.g. ``'kropbot_driver'``.
        executable: console script name, e.g. ``'driver_node'``.
        name: node name (``-r __node:=name``); selects the section of the params files.
        log_dir: directory for the process's combined stdout/stderr.
        params_files: YAML files passed with ``--params-file`` in order.
        params: per-parameter overrides (``-p name:=value``), values rendered as YAML.
        extra_args: more command-line arguments (e.g. remappings ``['-r', 'a:=b']``).

    """

    def __init__(self, package, executable, name, log_dir, *, params_files=(ROBOT_YAML, SIM_YAML),
                 params=None, extra_args=()):
        exe = INSTALL / package / 'lib' / package / executable
        if not exe.exists():
            raise FileNotFoundError(f'{exe} not built: run tools/setup.sh')
        self.name = name
        self.log_path = Path(log_dir) / f'{name}.log'
        cmd = [str(exe), '--ros-args', '-r', f'__node:={name}']
        for f in params_files:
            cmd += ['--params-file', str(f)]
        for key, value in (params or {}).items():
            cmd += ['-p', f'{key}:={_yaml_scalar(value)}']
        cmd += list(extra_args)
        self.cmd = cmd
        self._log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def log(self):
        """Return everything the process printed so far (str)."""
        self._log.flush()
        return self.log_path.read_text(errors='replace')

    def alive(self):
        """Return True while the process runs."""
        return self.proc.poll() is None

    def signal(self, sig):
        """Send ``sig`` to the process if it still runs."""
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, timeout=5.0):
        """SIGINT, then SIGKILL after ``timeout`` s; return the exit code."""
        self.signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()
        return self.proc.returncode


def _yaml_scalar(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return value if value else "''"
    return repr(value)


@pytest.fixture
def start_node(tmp_path):
    """Start ROS 2 executables as processes; all are stopped at teardown.

    Usage: ``proc = start_node('kropbot_vote', 'vote_node', 'vote', params={...})``.
    On failure the logs of the started processes are printed.
    """
    procs = []

    def _start(package, executable, name, **kwargs):
        p = NodeProcess(package, executable, name, tmp_path, **kwargs)
        procs.append(p)
        return p

    yield _start
    for p in procs:
        p.stop()
    for p in procs:
        print(f'----- {p.name} log -----\n{p.log()}')


class RosHarness:
    """A test-side rclpy node spun in a background thread.

    Attributes:
        node: the ``rclpy.node.Node`` to create publishers/subscriptions on.

    """

    def __init__(self):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        self._rclpy = rclpy
        self.context = rclpy.context.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(f'kropbot_test_{os.getpid()}', context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - shutdown races end the spin thread
            pass

    def collect(self, msg_type, topic, qos=10):
        """Subscribe to ``topic``; return a list that receives ``(monotonic_s, msg)`` tuples."""
        received = []
        self.node.create_subscription(
            msg_type, topic, lambda m: received.append((time.monotonic(), m)), qos)
        return received

    def close(self):
        """Shut the executor, node and context down."""
        self.executor.shutdown()
        self.node.destroy_node()
        self._rclpy.try_shutdown(context=self.context)
        self._thread.join(2)


@pytest.fixture
def ros():
    """A fresh :class:`RosHarness` per test (its own rclpy context)."""
    harness = RosHarness()
    yield harness
    harness.close()


@pytest.fixture(name='wait_for')
def wait_for_fixture():
    """Expose :func:`wait_for` to tests."""
    return wait_for
