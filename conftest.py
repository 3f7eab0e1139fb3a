"""Workspace-wide pytest fixtures: DDS isolation and real ROS 2 node processes.

Every test run gets its own ``ROS_DOMAIN_ID`` (claimed with a lock file so concurrent runs on
one machine never share it, unless ``KROPBOT_TEST_DOMAIN_ID`` is set) and
``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST``, so parallel runs, a running stack and the LAN never
cross-talk. ``XDG_STATE_HOME`` points into a fresh temporary directory, so a gateway started by
a test never reads or writes the user's ban file (``~/.local/state/kropbot/bans.json``). The
variables are set before any test imports rclpy, and are inherited by every node process a test
starts.
"""

import atexit
import fcntl
import os
import shutil
import tempfile

from kropbot_testing.processes import NodeProcess, wait_for
from kropbot_testing.ros_harness import RosHarness
import pytest


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
os.environ['XDG_STATE_HOME'] = tempfile.mkdtemp(prefix='kropbot-test-state-')
atexit.register(shutil.rmtree, os.environ['XDG_STATE_HOME'], True)


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
    for p in procs:  # every process shuts down at the same time
        p.interrupt()
    for p in procs:
        p.stop()
    for p in procs:
        print(f'----- {p.name} log -----\n{p.log()}')


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
