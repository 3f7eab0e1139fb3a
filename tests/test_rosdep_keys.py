"""Every package.xml names its runtime dependencies under real rosdep keys.

So that ``rosdep install --from-paths src --ignore-src -y`` on Ubuntu 24.04 + ROS 2 Jazzy
installs what the nodes import. :data:`VERIFIED_KEYS` lists the keys checked by hand against the
rosdistro database (the source is noted per key); a package.xml using any other key fails, and
so does a Python import in a package's code that no dependency of that package covers. What has
no rosdep key is installed by the robot's pip step (``requirements-robot.txt``, :data:`PIP_ONLY`).
What only desktop tools import (training, the pilot, the desktop client) is installed from the
desktop requirements files instead (:data:`DESKTOP_ONLY`), and no robot executable may reach it.
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
    # noble ships 10.4 (no websockets.asyncio): the pip step adds >= 17, see PIP_UPGRADED
    'python3-websockets': f'{_PY} python3-websockets',
    'python3-cbor2': f"{_PY} python3-cbor2 ('*'; pip only on bionic/focal)",
    'python3-pytest': f'{_PY} python3-pytest',
    'python3-hypothesis': f'{_PY} python3-hypothesis',
    # kropbot_gateway's ROS-free install test makes a venv
    'python3-venv': f'{_PY} python3-venv',
    # kropbot_remote (desktop client); noble's apt package is pygame, PyPI's pygame-ce
    # (requirements-remote.txt) provides the same module
    'python3-pygame': f"{_PY} python3-pygame ('*'; pip only on bionic)",
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
               'websockets': 'python3-websockets', 'cbor2': 'python3-cbor2',
               'pygame': 'python3-pygame'}
#: Modules without a rosdep key (searched python.yaml/base.yaml: only the unrelated legacy
#: adafruit-pca9685-pip exists) -> the requirements-robot.txt line that installs them.
PIP_ONLY = {'adafruit_motorkit': 'adafruit-circuitpython-motorkit',
            'adafruit_bus_device': 'adafruit-circuitpython-motorkit',  # its dependency
            'board': 'adafruit-circuitpython-motorkit',  # Adafruit-Blinka, its dependency
            # relay_link (kropbot_relay) and the gateway's relay modules: python.yaml/base.yaml
            # have no Zenoh key; Jazzy releases only zenoh_cpp_vendor (C++, for rmw_zenoh)
            'zenoh': 'eclipse-zenoh',
            # record (kropbot_pilot): no key for the mcap library; python.yaml's
            # mcap-ros2-support is a pip key for the decoder (only train reads bags)
            'mcap': 'mcap',
            'adafruit_vl6180x': 'adafruit-circuitpython-vl6180x',   # kropbot_range
            'adafruit_vl53l0x': 'adafruit-circuitpython-vl53l0x'}
#: Keys whose Ubuntu 24.04 package is too old: the pip step installs a newer version.
PIP_UPGRADED = {'python3-websockets': 'websockets>=17.0'}
#: Imports that are not robot dependencies, and why.
NOT_ON_THE_ROBOT = {'supervisor': 'kropbot_bringup.respawn: the ROS-less runner (make run) '
                                  'only; the robot runs ros2 launch under systemd'}
#: Modules only desktop tools import -> (requirements file, requirement, why not a robot key).
#: Keys that exist are not declared in package.xml: ``rosdep install`` on the robot would pull
#: them (PyTorch alone is gigabytes). :func:`test_no_robot_executable_reaches_a_desktop_module`
#: checks that the robot's executables never import them.
DESKTOP_ONLY = {
    'torch': ('requirements-train.txt', 'torch',
              'train: python.yaml has python3-torch (ubuntu: apt) but training needs the pinned '
              'torch==2.13.0 (ONNX exporter of torch >= 2.9) on a desktop'),
    'onnx': ('requirements-train.txt', 'onnx', 'train (ONNX export): no rosdep key'),
    'onnxruntime': ('requirements-pilot.txt', 'onnxruntime',
                    'pilot and train: only the pip key python3-onnxruntime-pip (python.yaml)'),
    'mcap_ros2': ('requirements-train.txt', 'mcap-ros2-support',
                  'train reads bags (bagread): only the pip key mcap-ros2-support (python.yaml)'),
    'matplotlib': ('requirements-train.txt', 'matplotlib',
                   "train's loss plot: python3-matplotlib (python.yaml), desktop only"),
    'tqdm': ('requirements-train.txt', 'tqdm',
             "train's progress bar: python3-tqdm (python.yaml), desktop only"),
}
#: Executables that run on a desktop, never on the robot: (package, console script).
DESKTOP_EXECUTABLES = {('kropbot_pilot', 'train'), ('kropbot_pilot', 'pilot'),
                       ('kropbot_remote', 'remote'), ('kropbot_remote', 'kropbot-remote')}
#: Launch file nodes that are optional (their own install step, documented in the README).
OPTIONAL_NODES = {'rosbridge_server', 'web_video_server'}
_RUNTIME_TAGS = ('depend', 'exec_depend')
_ALL_TAGS = _RUNTIME_TAGS + ('build_depend', 'build_export_depend', 'buildtool_depend',
                             'test_depend', 'doc_depend')


def dependencies(package, tags=_ALL_TAGS):
    root = ET.parse(SRC / package / 'package.xml').getroot()
    assert root.get('format') == '3', package
    return {el.text.strip() for tag in tags for el in root.iter(tag)}


def _imports(path):
    """Absolute names of every module ``path`` imports, at any depth (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
            names.update(f'{node.module}.{alias.name}' for alias in node.names)
    return names


def imported_modules(package):
    """Top-level names of every module imported by the package's code and launch files."""
    files = list((SRC / package / package).glob('*.py')) + list(
        (SRC / package / 'launch').glob('*.py'))
    names = {name.split('.')[0] for path in files for name in _imports(path)}
    return names - set(sys.stdlib_module_names) - {package}


def requirement_lines(filename):
    """Requirement lines of a requirements file, ``-r`` includes expanded, comments removed."""
    lines = []
    for line in (ROOT / filename).read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if line.startswith('-r '):
            lines += requirement_lines(line[3:].strip())
        elif line:
            lines.append(line)
    return lines


def requires(filename, name):
    """True if ``filename`` (with its includes) has a requirement on the distribution ``name``."""
    return any(re.match(rf'{re.escape(name)}(?![\w.-])', line, re.I)
               for line in requirement_lines(filename))


def _source(module):
    """The file of one of this repository's modules (``pkg`` or ``pkg.mod``), or None."""
    parts = module.split('.')
    base = SRC / parts[0]
    if not (base / 'package.xml').exists():
        return None
    candidate = base.joinpath(*parts)
    for path in (candidate.with_suffix('.py'), candidate / '__init__.py'):
        if path.exists():
            return path
    return None


def reached_modules(module):
    """{third-party top-level module: import chain} reached from ``module``, lazy imports too."""
    reached, seen, todo = {}, set(), [(module, (module,))]
    while todo:
        name, chain = todo.pop()
        path = _source(name)
        if path is None or path in seen:
            continue
        seen.add(path)
        for imported in sorted(_imports(path)):
            if _source(imported):
                todo.append((imported, chain + (imported,)))
            elif not (SRC / imported.split('.')[0] / 'package.xml').exists():
                reached.setdefault(imported.split('.')[0], chain + (imported,))
    return reached


def console_scripts(package):
    """{console script: module} of src/<package>/setup.py."""
    for node in ast.walk(ast.parse((SRC / package / 'setup.py').read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'setup':
            kwargs = {k.arg: k.value for k in node.keywords}
            entry_points = ast.literal_eval(kwargs['entry_points']) if 'entry_points' in \
                kwargs else {}
            return {name.strip(): target.split(':')[0].strip() for name, target in
                    (e.split('=') for e in entry_points.get('console_scripts', []))}
    return {}


@pytest.mark.parametrize('package', PACKAGES)
def test_every_key_is_a_verified_rosdep_key_or_a_workspace_package(package):
    unknown = dependencies(package) - set(VERIFIED_KEYS) - set(PACKAGES)
    assert not unknown, f'{package}/package.xml: keys not verified against rosdistro: {unknown}'


@pytest.mark.parametrize('package', PACKAGES)
def test_every_import_is_covered_by_a_dependency(package):
    runtime = dependencies(package, _RUNTIME_TAGS)
    for module in sorted(imported_modules(package)):
        if module in NOT_ON_THE_ROBOT:
            continue
        if module in DESKTOP_ONLY:
            filename, requirement, _ = DESKTOP_ONLY[module]
            assert requires(filename, requirement), f'{module}: {requirement} not in {filename}'
            assert MODULE_KEYS.get(module) not in runtime, f'{package}: desktop-only {module}'
            continue
        if module in PIP_ONLY:
            assert requires('requirements-robot.txt', PIP_ONLY[module]), module
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


def test_no_robot_executable_reaches_a_desktop_module():
    """Every executable but the desktop ones, followed through every import (lazy ones too)."""
    robot = {(package, script): module for package in PACKAGES
             for script, module in console_scripts(package).items()
             if (package, script) not in DESKTOP_EXECUTABLES}
    assert DESKTOP_EXECUTABLES <= {(package, script) for package in PACKAGES
                                   for script in console_scripts(package)}
    assert ('kropbot_pilot', 'record') in robot and ('kropbot_relay', 'relay_link') in robot
    for (package, script), module in sorted(robot.items()):
        reached = reached_modules(module)
        desktop = {name: ' -> '.join(chain) for name, chain in reached.items()
                   if name in DESKTOP_ONLY}
        assert not desktop, f'{package} {script} (robot) imports desktop-only modules: {desktop}'
    # the walk sees through packages: record reaches the MCAP writer, relay_link Zenoh
    assert 'mcap' in reached_modules(robot['kropbot_pilot', 'record'])
    assert 'zenoh' in reached_modules(robot['kropbot_relay', 'relay_link'])
    assert 'torch' in reached_modules(console_scripts('kropbot_pilot')['train'])


def test_every_table_entry_is_still_imported():
    imported = set().union(*(imported_modules(p) for p in PACKAGES))
    for table in (PIP_ONLY, DESKTOP_ONLY, NOT_ON_THE_ROBOT, MODULE_KEYS):
        assert set(table) <= imported, set(table) - imported


def test_the_robot_runs_the_relay_tiers_zenoh_version():
    """relay_link talks to the relay's router and gateways: one Zenoh version everywhere."""
    pins = {f: re.findall(r'^eclipse-zenoh==([\w.]+)', (ROOT / f).read_text(), re.M)
            for f in ('requirements-robot.txt', 'requirements.txt')}
    for package in ('kropbot_gateway', 'kropbot_relay'):
        pins[package] = re.findall(r"'eclipse-zenoh==([\w.]+)'",
                                   (SRC / package / 'setup.py').read_text())
    assert all(len(found) == 1 for found in pins.values()), pins
    assert len({found[0] for found in pins.values()}) == 1, pins
