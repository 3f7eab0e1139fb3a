"""Every package.xml names its runtime dependencies under real rosdep keys.

So that ``rosdep install --from-paths src --ignore-src -y`` on Ubuntu 24.04 + ROS 2 Jazzy
installs what the nodes import. :data:`VERIFIED_KEYS` lists the keys checked by hand against the
rosdistro database (the source is noted per key); a package.xml using any other key fails, and
so does a Python import in a package's code that no dependency of that package covers. What has
no rosdep key is installed by the robot's pip step (``requirements-robot.txt``, :data:`PIP_ONLY`).
"""

import ast
from pathlib import Path
import re
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / 'src'
PACKAGES = sorted(p.parent.name for p in SRC.glob('*/package.xml'))

#: Where each key was verified: github.com/ros/rosdistro, master at 8468e88 (2026-08-22).
_PY = 'rosdistro rosdep/python.yaml: ubuntu -> apt'
_BASE = 'rosdistro rosdep/base.yaml: ubuntu -> apt'
_JAZZY = 'rosdistro jazzy/distribution.yaml: released package'
VERIFIED_KEYS = {
    'python3-numpy': f'{_PY} python3-numpy',
    'python3-opencv': f'{_PY} python3-opencv',
    'python3-yaml': f'{_PY} python3-yaml',
    # noble ships 10.4 (no websockets.asyncio): the pip step adds >= 15, see PIP_UPGRADED
    'python3-websockets': f'{_PY} python3-websockets',
    'python3-cbor2': f"{_PY} python3-cbor2 ('*'; pip only on bionic/focal)",
    'python3-pytest': f'{_PY} python3-pytest',
    'python3-hypothesis': f'{_PY} python3-hypothesis',
    'rclpy': f'{_JAZZY} (repository rclpy)',
    'rcl_interfaces': f'{_JAZZY} (repository rcl_interfaces)',
    'geometry_msgs': f'{_JAZZY} (repository common_interfaces)',
    'sensor_msgs': f'{_JAZZY} (repository common_interfaces)',
    'std_msgs': f'{_JAZZY} (repository common_interfaces)',
    'nav_msgs': f'{_JAZZY} (repository common_interfaces)',
    'diagnostic_msgs': f'{_JAZZY} (repository common_interfaces)',
    'std_srvs': f'{_JAZZY} (repository common_interfaces)',
    'ament_index_python': f'{_JAZZY} (repository ament_index)',
    'launch': f'{_JAZZY} (repository launch)',
    'launch_ros': f'{_JAZZY} (repository launch_ros)',
}
#: Python module -> the rosdep key that provides it (ROS packages: the same name).
MODULE_KEYS = {'numpy': 'python3-numpy', 'cv2': 'python3-opencv', 'yaml': 'python3-yaml',
               'websockets': 'python3-websockets', 'cbor2': 'python3-cbor2'}
#: Modules without a rosdep key (searched python.yaml/base.yaml: only the unrelated legacy
#: adafruit-pca9685-pip exists) -> the requirements-robot.txt line that installs them.
PIP_ONLY = {'adafruit_motorkit': 'adafruit-circuitpython-motorkit',
            'adafruit_bus_device': 'adafruit-circuitpython-motorkit',  # its dependency
            'board': 'adafruit-circuitpython-motorkit',  # Adafruit-Blinka, its dependency
            'adafruit_vl6180x': 'adafruit-circuitpython-vl6180x',   # kropbot_range
            'adafruit_vl53l0x': 'adafruit-circuitpython-vl53l0x'}
#: Keys whose Ubuntu 24.04 package is too old: the pip step installs a newer version.
PIP_UPGRADED = {'python3-websockets': 'websockets>=15.0'}
#: Imports that are not robot dependencies, and why.
NOT_ON_THE_ROBOT = {'supervisor': 'kropbot_bringup.respawn: the ROS-less runner (make run) '
                                  'only; the robot runs ros2 launch under systemd'}
#: Launch file nodes that are optional (their own install step, documented in the README).
OPTIONAL_NODES = {'rosbridge_server', 'web_video_server'}
_RUNTIME_TAGS = ('depend', 'exec_depend')
_ALL_TAGS = _RUNTIME_TAGS + ('build_depend', 'build_export_depend', 'buildtool_depend',
                             'test_depend', 'doc_depend')


def dependencies(package, tags=_ALL_TAGS):
    root = ET.parse(SRC / package / 'package.xml').getroot()
    assert root.get('format') == '3', package
    return {el.text.strip() for tag in tags for el in root.iter(tag)}


def imported_modules(package):
    """Top-level names of every module imported by the package's code and launch files."""
    files = list((SRC / package / package).glob('*.py')) + list(
        (SRC / package / 'launch').glob('*.py'))
    names = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split('.')[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split('.')[0])
    return names - set(sys.stdlib_module_names) - {package}


@pytest.mark.parametrize('package', PACKAGES)
def test_every_key_is_a_verified_rosdep_key_or_a_workspace_package(package):
    unknown = dependencies(package) - set(VERIFIED_KEYS) - set(PACKAGES)
    assert not unknown, f'{package}/package.xml: keys not verified against rosdistro: {unknown}'


@pytest.mark.parametrize('package', PACKAGES)
def test_every_import_is_covered_by_a_dependency(package):
    runtime = dependencies(package, _RUNTIME_TAGS)
    robot_pip = (ROOT / 'requirements-robot.txt').read_text()
    for module in sorted(imported_modules(package)):
        if module in NOT_ON_THE_ROBOT:
            continue
        if module in PIP_ONLY:
            assert re.search(rf'^{re.escape(PIP_ONLY[module])}\b', robot_pip, re.M), module
            continue
        key = MODULE_KEYS.get(module, module)
        assert key in VERIFIED_KEYS or key in PACKAGES, (
            f'{package} imports {module}: find its rosdep key in rosdistro and add it to '
            f'VERIFIED_KEYS/MODULE_KEYS, or document its pip step')
        assert key in runtime, f'{package} imports {module} but package.xml lacks {key}'


def test_keys_needing_a_newer_library_have_the_pip_step_and_say_so():
    robot_pip = (ROOT / 'requirements-robot.txt').read_text()
    for key, requirement in PIP_UPGRADED.items():
        assert re.search(rf'^{re.escape(requirement)}\s', robot_pip, re.M), requirement
        users = [p for p in PACKAGES if key in dependencies(p, _RUNTIME_TAGS)]
        assert users, key
        for package in users:
            root = ET.parse(SRC / package / 'package.xml').getroot()
            element = next(el for tag in _RUNTIME_TAGS for el in root.iter(tag)
                           if el.text.strip() == key)
            assert element.get('version_gte'), f'{package}: {key} needs version_gte'


def test_bringup_depends_on_every_node_its_launch_file_starts():
    launch = (SRC / 'kropbot_bringup' / 'launch' / 'robot.launch.py').read_text()
    started = set(re.findall(r"package='([a-z_]+)'", launch)) - OPTIONAL_NODES - {
        'kropbot_relay'}   # started only with relay:=... (its own install step, DEPLOY.md)
    assert started == {'kropbot_camera', 'kropbot_vote', 'kropbot_gateway', 'kropbot_driver',
                       'kropbot_range', 'kropbot_guard'}
    assert started <= dependencies('kropbot_bringup', _RUNTIME_TAGS)
