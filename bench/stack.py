"""Start and stop a local KropBot stack for the server benchmarks; parse the gateway's stats.

The nodes are the installed executables run as processes (``kropbot_testing.processes``) with
``robot.yaml`` + ``sim.yaml`` and per-benchmark overrides, logging into a temporary directory.
DDS stays on this machine (``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST`` unless set) and uses the
caller's ``ROS_DOMAIN_ID``.
"""

import ast
import os
from pathlib import Path
import re
import sys
import tempfile
import time

os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
os.environ.setdefault('PYTHONUNBUFFERED', '1')
# Test/benchmark support lives in the repository's testing/ folder (not installed on robots).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'testing'))

from kropbot_testing.processes import NodeProcess, free_port, wait_for  # noqa: E402

#: Gateway overrides for benchmarks: every client comes from 127.0.0.1, so the per-address caps
#: (connections, voters) and the per-connection vote limits are raised (documented parameters,
#: doc/gateway.md).
GATEWAY_BENCH_PARAMS = {
    'max_connections': 100000, 'max_connections_per_address': 100000,
    'max_votes_per_address': 0,
    'votes_per_second': 100.0, 'vote_burst': 100, 'abuse_factor': 100.0,
    'handshake_timeout': 60.0,
}

_STATS = re.compile(r'gateway stopped; stats: (\{.*\})')


class LocalStack:
    """A set of node processes; use as a context manager (stops them all on exit).

    Args:
        log_dir: directory for the node logs (default: a new temporary directory).

    Attributes:
        port: the gateway's TCP port once :meth:`start_gateway` ran.
        nodes: ``{name: NodeProcess}``.

    """

    def __init__(self, log_dir=None):
        self.log_dir = log_dir or tempfile.mkdtemp(prefix='kropbot_bench_')
        self.nodes = {}
        self.port = None

    def start(self, package, executable, name, params=None, ready=None, timeout=30.0):
        """Start one node; wait until ``ready`` (a substring of its log) appears, if given.

        Raises:
            RuntimeError: if the process exits or the text does not appear in time (with the log).

        """
        node = NodeProcess(package, executable, name, self.log_dir, params=params)
        self.nodes[name] = node
        if ready:
            try:
                wait_for(lambda: ready in node.log() or not node.alive(), timeout,
                         message=f'{name} to log {ready!r}')
            except AssertionError as exc:
                raise RuntimeError(f'{exc}\n--- {name} log ---\n{node.log()}') from None
            if not node.alive():
                raise RuntimeError(f'{name} exited with {node.proc.returncode}:\n{node.log()}')
        return node

    def start_gateway(self, **params):
        """Start the gateway on a free port with :data:`GATEWAY_BENCH_PARAMS` (+ ``params``)."""
        self.port = free_port()
        merged = dict(GATEWAY_BENCH_PARAMS, port=self.port, **params)
        return self.start('kropbot_gateway', 'gateway_node', 'gateway', merged,
                          ready='KropBot crowd gateway on')

    @property
    def url(self):
        """WebSocket URL of the local gateway."""
        return f'ws://127.0.0.1:{self.port}/'

    def pids(self):
        """Return ``{name: pid}`` of the running nodes."""
        return {name: n.proc.pid for name, n in self.nodes.items()}

    def stop(self, name):
        """Stop one node (SIGINT); return its full log text."""
        node = self.nodes.pop(name)
        node.stop()
        return node.log()

    def stop_all(self):
        """Stop every node; return ``{name: log}``."""
        return {name: self.stop(name) for name in list(self.nodes)}

    def __enter__(self):
        """Return self."""
        return self

    def __exit__(self, *exc):
        """Stop every node."""
        self.stop_all()


def gateway_stats(log):
    """Return the counters the gateway logs when it stops (``{}`` if not found)."""
    match = _STATS.search(log)
    if not match:
        return {}
    try:
        return ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return {}


def sample_loop(sampler, stop_at, period=0.5):
    """Call ``sampler.sample()`` every ``period`` s until ``time.monotonic() >= stop_at``."""
    while time.monotonic() < stop_at:
        sampler.sample()
        time.sleep(min(period, max(0.0, stop_at - time.monotonic())))
