"""The gateway core imports nothing from ROS, nor Zenoh: every core module loads with both blocked.

A child interpreter installs a meta path finder that raises ImportError for ``rclpy``, any ROS
message package (``*_msgs``, ``builtin_interfaces``, ``rcl_interfaces``), ``rosidl_*`` and
``ament_*``, and for ``zenoh``, then imports every module of the package. Core modules must
load, the relay ones included: Zenoh is the optional ``relay`` extra, imported only where a
session is opened (``relay_config.require_zenoh``). The ROS side (node, rclpy bridge, QoS) must
fail on the blocker, which shows the blocker really works.
"""

import json
import subprocess
import sys

ROS_SIDE = {'gateway_node', 'ros_bridge', 'qos'}
EXPECTED_CORE = {'admission', 'bridge', 'client_protocol', 'config', 'encoding', 'errors',
                 'fanout', 'http', 'limits', 'msgconv', 'names', 'server', 'session', 'standalone',
                 'keys', 'relay_auth', 'relay_cli', 'relay_config', 'relay_wire', 'router',
                 'zenoh_bridge'}

CHILD = r"""
import importlib
import importlib.abc
import json
import pkgutil
import sys


def blocked(name):
    top = name.partition('.')[0]
    return (top in ('rclpy', 'builtin_interfaces', 'rcl_interfaces', 'zenoh')
            or top.endswith('_msgs') or top.startswith(('rosidl_', 'ament_')))


class BlockRos(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if blocked(name):
            raise ImportError(f'blocked ROS/Zenoh import: {name}')
        return None


preloaded = sorted(m for m in sys.modules if blocked(m))
sys.meta_path.insert(0, BlockRos())
import kropbot_gateway

results = {}
for info in pkgutil.iter_modules(kropbot_gateway.__path__):
    try:
        importlib.import_module('kropbot_gateway.' + info.name)
        results[info.name] = None
    except ImportError as exc:
        results[info.name] = str(exc)
print(json.dumps({'preloaded': preloaded, 'results': results,
                  'loaded': sorted(m for m in sys.modules if blocked(m))}))
"""


def test_core_imports_no_ros_nor_zenoh_and_the_node_needs_ros():
    proc = subprocess.run([sys.executable, '-c', CHILD], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out['preloaded'] == [], 'ROS modules loaded before the blocker (site/.pth?)'
    results = out['results']
    core = set(results) - ROS_SIDE
    assert EXPECTED_CORE <= core, f'module discovery is blind: {sorted(results)}'
    failed = {name: error for name, error in results.items() if name in core and error}
    assert failed == {}, f'core modules that need ROS or Zenoh: {failed}'
    for name in ROS_SIDE:
        assert 'blocked ROS/Zenoh import' in (results.get(name) or ''), (name, results.get(name))
    assert out['loaded'] == []
