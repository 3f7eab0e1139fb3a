"""Run installed KropBot executables as processes, for tests and benchmarks (ROS-free module).

The helpers here are what ``ros2 run`` would do: start ``install/<pkg>/lib/<pkg>/<exe>`` with
``--ros-args -r __node:=<name> --params-file ...``. The pytest fixtures in the workspace's
``conftest.py`` and the scripts in ``bench/`` share them.
"""

import os
from pathlib import Path
import signal
import socket
import subprocess
import time

ROOT = Path(__file__).resolve().parents[2]  # the repository (testing/kropbot_testing/..)
INSTALL = Path(os.environ.get('KROPBOT_INSTALL', ROOT / 'install'))
CONFIG = ROOT / 'src' / 'kropbot_bringup' / 'config'
ROBOT_YAML = CONFIG / 'robot.yaml'
SIM_YAML = CONFIG / 'sim.yaml'


def free_port(address='127.0.0.1'):
    """Return a TCP port that was free on ``address`` a moment ago."""
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


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
        self._log = open(self.log_path, 'wb')
        self._interrupted = False
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def log(self):
        """Return everything the process printed so far (str)."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors='replace')

    def alive(self):
        """Return True while the process runs."""
        return self.proc.poll() is None

    def signal(self, sig):
        """Send ``sig`` to the process if it still runs."""
        if self.alive():
            self.proc.send_signal(sig)

    def interrupt(self):
        """Send SIGINT once (the start of :meth:`stop`), without waiting for the exit.

        Interrupting several processes first and then stopping each shuts them down in
        parallel. A second SIGINT is never sent: it would interrupt the node's own clean-up
        (the driver's motor release).
        """
        if not self._interrupted:
            self._interrupted = True
            self.signal(signal.SIGINT)

    def stop(self, timeout=5.0):
        """SIGINT (unless :meth:`interrupt` sent it), SIGKILL after ``timeout`` s; return code."""
        self.interrupt()
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
