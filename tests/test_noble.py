"""The ROS-free cores' tests against the robot's library versions (Ubuntu 24.04 "noble").

``tools/setup.sh test`` makes a second venv (``.venv-noble``, or ``$KROPBOT_NOBLE_VENV``) with
``requirements-noble.txt``: noble's apt versions of numpy, OpenCV, PyYAML and cbor2 as pip pins,
and the lowest versions the robot's pip step (``requirements-robot.txt``) admits. The pure test
modules of the node packages (:data:`NOBLE_TESTS`) run there, with the packages' source trees on
``sys.path`` and no ROS at all, so code that only works with newer libraries fails here, not on
the Pi. A second test makes sure no pure test module is left out of the job (or, if it is, says
why: :data:`OUTSIDE_THE_JOB`).
"""

import ast
import os
from pathlib import Path
import re
import subprocess

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get('KROPBOT_NOBLE_VENV', ROOT / '.venv-noble'))
#: Packages whose ROS-free cores run on the robot (kropbot_bringup is start-up glue; kropbot_sim
#: is the driver's and camera's sim:=true; kropbot_relay is relay_link). Not here: kropbot_pilot
#: (its robot part, record, is a node: its tests need rclpy; train and pilot run on desktops)
#: and kropbot_remote (a desktop client).
CORE_PACKAGES = ('kropbot_common', 'kropbot_camera', 'kropbot_vote', 'kropbot_gateway',
                  'kropbot_driver', 'kropbot_sim', 'kropbot_relay', 'kropbot_guard',
                  'kropbot_range')
#: The ROS-free test modules: run in the noble venv.
NOBLE_TESTS = (
    'src/kropbot_common/test/test_directions.py',
    'src/kropbot_common/test/test_params.py',
    'src/kropbot_common/test/test_vote_batch.py',
    'src/kropbot_common/test/test_voter_token.py',
    'src/kropbot_camera/test/test_capture.py',
    'src/kropbot_camera/test/test_config.py',
    'src/kropbot_camera/test/test_encode.py',
    'src/kropbot_camera/test/test_fpv_source.py',
    'src/kropbot_camera/test/test_sim_view.py',
    'src/kropbot_camera/test/test_sources.py',
    'src/kropbot_vote/test/test_fusion.py',
    'src/kropbot_vote/test/test_mode_cores.py',
    'src/kropbot_vote/test/test_modes.py',
    'src/kropbot_vote/test/test_schedule.py',
    'src/kropbot_vote/test/test_withdrawal.py',
    'src/kropbot_gateway/test/test_auth.py',
    'src/kropbot_gateway/test/test_client_protocol.py',
    'src/kropbot_gateway/test/test_config.py',
    'src/kropbot_gateway/test/test_gateway_server.py',
    'src/kropbot_gateway/test/test_http.py',
    'src/kropbot_gateway/test/test_import_boundary.py',
    'src/kropbot_gateway/test/test_moderation.py',
    'src/kropbot_gateway/test/test_moderation_server.py',
    'src/kropbot_gateway/test/test_protocol.py',
    'src/kropbot_gateway/test/test_protocol_fuzz.py',
    'src/kropbot_gateway/test/test_relay_cli.py',
    'src/kropbot_gateway/test/test_relay_wire.py',
    'src/kropbot_gateway/test/test_roles.py',
    'src/kropbot_gateway/test/test_zenoh_bridge.py',
    'src/kropbot_driver/test/test_config.py',
    'src/kropbot_driver/test/test_control.py',
    'src/kropbot_driver/test/test_fake_pca9685.py',
    'src/kropbot_driver/test/test_mixing.py',
    'src/kropbot_driver/test/test_motorkit_backend.py',
    'src/kropbot_driver/test/test_sim_backend.py',
    'src/kropbot_driver/test/test_watchdog.py',
    'src/kropbot_driver/test/test_wiring.py',
    'src/kropbot_sim/test/test_expert.py',
    'src/kropbot_sim/test/test_fpv.py',
    'src/kropbot_sim/test/test_geometry.py',
    'src/kropbot_sim/test/test_import_boundary.py',
    'src/kropbot_sim/test/test_kinematics.py',
    'src/kropbot_sim/test/test_motion.py',
    'src/kropbot_sim/test/test_ranges.py',
    'src/kropbot_sim/test/test_readme.py',
    'src/kropbot_sim/test/test_rollout.py',
    'src/kropbot_sim/test/test_teacher.py',
    'src/kropbot_sim/test/test_world.py',
    'src/kropbot_relay/test/test_link.py',
    'src/kropbot_guard/test/test_core.py',
    'src/kropbot_range/test/test_fake_tof.py',
)
#: Test modules that need ROS in a way the import scan below cannot see.
ROS_BOUND = {
    'src/kropbot_driver/test/test_import_hygiene.py': 'imports driver_node in a subprocess',
}
#: ROS-free test modules of the cores that do not run in the job, and why.
OUTSIDE_THE_JOB = {
    'src/kropbot_gateway/test/test_install_ros_free.py':
        'pip-installs the gateway into a fresh venv from the workspace wheelhouse: the '
        "packaging for a ROS-free machine (the relay VM, a desktop), not the robot's libraries",
    'src/kropbot_gateway/test/test_relay_router.py':
        "runs kropbot-router from the colcon install (the workspace venv's Python): the relay "
        "VM's router, installed there with pip, never on the robot",
    'src/kropbot_gateway/test/test_auth_roslibpy.py':
        "roslibpy (a test-only client, not on the robot) against the Verifier; the Verifier's "
        'rules run in the job in test_auth.py',
}
_ROS_MODULES = {'rclpy', 'rcl_interfaces', 'launch', 'launch_ros', 'ament_index_python',
                'rosidl_runtime_py'}
_ROS_FIXTURES = {'ros', 'start_node'}


def _pins():
    pins = {}
    for line in (ROOT / 'requirements-noble.txt').read_text().splitlines():
        match = re.match(r'^([A-Za-z0-9_.-]+)==([^\s#]+)', line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


@pytest.fixture(scope='module')
def noble_python():
    python = VENV / 'bin' / 'python'
    assert python.exists(), f'{VENV} is missing: run tools/setup.sh test'
    return python


def test_the_noble_venv_has_the_pinned_versions(noble_python):
    pins = _pins()
    assert {'numpy', 'opencv-python-headless', 'pyyaml', 'cbor2', 'websockets'} <= set(pins)
    code = ('import json, sys, importlib.metadata as m; '
            'print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))')
    out = subprocess.run([str(noble_python), '-c', code, *pins], capture_output=True, text=True,
                         check=True).stdout
    import json
    installed = {k.lower(): v for k, v in json.loads(out).items()}
    assert installed == pins
    missing_ros = subprocess.run([str(noble_python), '-c', 'import rclpy'], capture_output=True)
    assert missing_ros.returncode != 0  # really no ROS in there


def test_pure_core_tests_pass_with_ubuntu_noble_versions(noble_python):
    """The job itself: about 40 s (hypothesis fuzzing of the protocol is the largest part)."""
    path = os.pathsep.join([str(ROOT / 'src' / p) for p in CORE_PACKAGES]
                           + [str(ROOT / 'testing')])
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTHON', 'AMENT', 'ROS',
                                                                   'COLCON', 'VIRTUAL_ENV'))}
    env.update(PYTHONPATH=path, PATH=f'{VENV / "bin"}{os.pathsep}{os.environ["PATH"]}')
    # --noconftest: the workspace conftest.py imports rclpy for the DDS fixtures
    result = subprocess.run([str(noble_python), '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                             '--noconftest', *NOBLE_TESTS], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=240)
    print(result.stdout[-4000:], result.stderr[-2000:])
    assert result.returncode == 0, result.stdout[-4000:]
    assert re.search(r'\d+ passed', result.stdout) and 'skipped' not in result.stdout


def _module_file(name):
    """Return the source file of a module of this repository (or None)."""
    parts = name.split('.')
    for base in [ROOT / 'src' / parts[0], ROOT / 'testing']:
        candidate = base.joinpath(*parts)
        for path in (candidate.with_suffix('.py'), candidate / '__init__.py'):
            if path.exists():
                return path
    return None


def _top_level_imports(path):
    """Module names imported at import time (module level, not inside functions)."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef,
                                                          ast.AsyncFunctionDef)) else ():
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(sub, ast.Import):
                names.update(alias.name for alias in sub.names)
            elif isinstance(sub, ast.ImportFrom) and sub.level == 0:
                names.add(sub.module)
                names.update(f'{sub.module}.{alias.name}' for alias in sub.names)
    return names


def _needs_ros(path, seen=None):
    seen = set() if seen is None else seen
    for name in _top_level_imports(path):
        top = name.split('.')[0]
        if top in _ROS_MODULES or top.endswith(('_msgs', '_srvs')):
            return True
        module = _module_file(name)
        if module and module not in seen:
            seen.add(module)
            if _needs_ros(module, seen):
                return True
    return False


def _uses_ros_fixtures(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef) and node.name.startswith('test'):
            if _ROS_FIXTURES & {a.arg for a in node.args.args}:
                return True
    return False


def test_every_ros_free_test_module_of_the_cores_is_in_the_job():
    pure = set()
    for package in CORE_PACKAGES:
        for path in sorted((ROOT / 'src' / package / 'test').glob('test_*.py')):
            rel = str(path.relative_to(ROOT))
            if path.name == 'test_ruff.py' or rel in ROS_BOUND or rel in OUTSIDE_THE_JOB:
                continue
            if not _needs_ros(path) and not _uses_ros_fixtures(path):
                pure.add(rel)
    assert pure == set(NOBLE_TESTS), (
        f'missing from NOBLE_TESTS: {sorted(pure - set(NOBLE_TESTS))}; '
        f'not ROS-free: {sorted(set(NOBLE_TESTS) - pure)}')
    for rel in list(ROS_BOUND) + list(OUTSIDE_THE_JOB):  # no stale exclusions
        assert (ROOT / rel).exists(), rel
    assert not set(ROS_BOUND) & set(OUTSIDE_THE_JOB)


def _requirements(filename):
    """{distribution (lower case): version specifier} of a requirements file's lines."""
    found = {}
    for line in (ROOT / filename).read_text().splitlines():
        match = re.match(r'^([A-Za-z0-9_.-]+)\s*([=<>!~][^#]*)?', line)
        if match:
            found[match.group(1).lower()] = (match.group(2) or '').strip()
    return found


def test_the_noble_venv_has_the_robots_pip_step_at_its_lowest_versions():
    """Each requirements-robot.txt line: pinned at its ``==``/``>=`` version (any if unbounded)."""
    robot, pins = _requirements('requirements-robot.txt'), _pins()
    assert robot, 'requirements-robot.txt is empty?'
    for name, spec in robot.items():
        assert name in pins, f'{name} (requirements-robot.txt) is not in requirements-noble.txt'
        bound = re.fullmatch(r'(==|>=)\s*([\w.]+)', spec)
        assert bound or not spec, f'{name}{spec}: only == or >= bounds are modelled here'
        if bound:
            assert pins[name] == bound.group(2), (name, spec, pins[name])
