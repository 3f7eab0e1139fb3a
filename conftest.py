"""Workspace-wide pytest fixtures: DDS isolation and real ROS 2 node processes.

Every test run gets its own ``ROS_DOMAIN_ID`` (claimed with a lock file so concurrent runs on
one machine never share it, unless ``KROPBOT_TEST_DOMAIN_ID`` is set) and
``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST``, so parallel runs, a running stack and the LAN never
cross-talk. The variables are set before any test imports
rclpy, and are inherited by every node process a test starts.
"""

import fcntl
import os
from pathlib import Path
import threading
import time

from kropbot_bringup.processes import NodeProcess, wait_for
import pytest

ROOT = Path(__file__).resolve().parent
os.environ.setdefault('KROPBOT_ROOT', str(ROOT))


def _lock_domain(domain):
    lock = open(f'/tmp/kropbot-domain-{domain}.lock', 'w')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return False
    _DOMAIN_LOCKS.append(lock)  # keep the lock (and its fd) for the whole run
    return True


def _claim_domain_id():
    """Return a ROS_DOMAIN_ID no other test run on this machine holds (1..101).

    Each candidate is claimed with an exclusive ``flock`` on ``/tmp/kropbot-domain-<id>.lock``
    held for the life of this pytest process, so concurrent runs (CI, developers, benchmarks
    using their own ids) never share a DDS domain. ``KROPBOT_TEST_DOMAIN_ID`` forces an id.
    """
    forced = os.environ.get('KROPBOT_TEST_DOMAIN_ID')
    if forced:
        _lock_domain(forced)  # best effort: keeps automatic runs off this id
        return forced
    start = os.getpid() % 101
    for i in range(101):
        domain = 1 + (start + i) % 101
        if _lock_domain(domain):
            return str(domain)
    raise RuntimeError('no free ROS_DOMAIN_ID in 1..101 on this machine')


_DOMAIN_LOCKS = []
os.environ['ROS_DOMAIN_ID'] = _claim_domain_id()
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.pop('ROS_STATIC_PEERS', None)
os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
os.environ['PYTHONUNBUFFERED'] = '1'


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
    """Yield a fresh :class:`RosHarness` per test (its own rclpy context)."""
    harness = RosHarness()
    yield harness
    harness.close()


@pytest.fixture(name='wait_for')
def wait_for_fixture():
    """Expose :func:`wait_for` to tests."""
    return wait_for
