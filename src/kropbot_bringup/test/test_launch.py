"""Static and (where launch_ros exists) real checks of robot.launch.py and the ROS-less runner.

``launch_ros`` cannot be installed without a ROS distro, so the launch file is checked by reading
its syntax tree: every package/executable it names must be one of ours (built by colcon here) or
a documented optional one, every config path it joins must exist, its arguments must be
declared with descriptions, and every node must be respawned. The supervisord configuration that
``tools/run`` generates from the ``Procfile`` must start the same executables under the same node
names with the same parameter files.
"""

import ast
import configparser
import importlib.util
import itertools
from pathlib import Path
import re
import shlex

import pytest
import yaml

from kropbot_bringup import supervision

PKG = Path(__file__).resolve().parents[1]
SRC = PKG.parent
ROOT = SRC.parent
LAUNCH = PKG / 'launch' / 'robot.launch.py'
PROCFILE = ROOT / 'Procfile'
OPTIONAL_PACKAGES = {('rosbridge_server', 'rosbridge_websocket'),
                     ('web_video_server', 'web_video_server')}
# Ours but started only on request (relay:=...), so not in the Procfile nor robot.yaml.
CONDITIONAL_NODES = {('kropbot_relay', 'relay_link')}
OPTIONAL_PACKAGES |= CONDITIONAL_NODES
REQUIRED_ARGS = {'sim', 'sim_view', 'params_file', 'port', 'page_port', 'address', 'bridge',
                 'video', 'relay', 'respawn', 'respawn_delay'}


def _kwargs(call):
    return {k.arg: k.value for k in call.keywords if k.arg}


def _calls(tree, func_name):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, 'attr', None)
            if name == func_name:
                yield node


@pytest.fixture(scope='module')
def tree():
    return ast.parse(LAUNCH.read_text(), filename=str(LAUNCH))


def launch_nodes(tree):
    """Return {(package, executable, name)} of every Node(...) with literal strings."""
    nodes = set()
    for call in _calls(tree, 'Node'):
        kw = _kwargs(call)
        nodes.add(tuple(ast.literal_eval(kw[k]) for k in ('package', 'executable', 'name')))
    return nodes


def console_scripts(package):
    """Return the console_scripts names declared in src/<package>/setup.py."""
    setup_tree = ast.parse((SRC / package / 'setup.py').read_text())
    for call in _calls(setup_tree, 'setup'):
        eps = ast.literal_eval(_kwargs(call)['entry_points'])
        return {e.split('=')[0].strip() for e in eps.get('console_scripts', [])}
    return set()


def supervisor_programs():
    """Return {program: options} of the supervisord config the runner makes from the Procfile."""
    text = supervision.supervisord_config(
        supervision.parse_procfile(PROCFILE.read_text()), run_dir='/run/kropbot',
        python='/venv/bin/python', user='robot', password='secret')
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(text)
    return {section.split(':', 1)[1]: dict(config[section]) for section in config.sections()
            if section.startswith('program:')}


def supervisor_nodes():
    """Return {(package, executable, name)} and the params files the supervisord config runs."""
    nodes, params = set(), set()
    for program, options in supervisor_programs().items():
        argv = shlex.split(options['command'].replace('%%', '%'))
        shell = argv.index('/bin/sh')
        assert argv[shell + 1] == '-c', argv
        words = shlex.split(argv[shell + 2])
        exe = next(w for w in words if '/lib/' in w)
        m = re.search(r'/([a-z_]+)/lib/([a-z_]+)/([a-z_]+)$', exe)
        assert m and m.group(1) == m.group(2), exe
        name = next(w.split(':=')[1] for w in words if w.startswith('__node:='))
        assert name == program, (name, program)
        nodes.add((m.group(1), m.group(3), name))
        params.update(w for i, w in enumerate(words) if i and words[i - 1] == '--params-file')
    return nodes, params


NODE_PACKAGES = {'kropbot_camera', 'kropbot_vote', 'kropbot_gateway', 'kropbot_driver',
                 'kropbot_range', 'kropbot_guard'}


def test_every_named_package_and_executable_exists(tree):
    nodes = launch_nodes(tree)
    ours = {n for n in nodes if (n[0], n[1]) not in OPTIONAL_PACKAGES}
    assert {n[0] for n in ours} == NODE_PACKAGES
    for package, executable, _ in ours:
        assert (SRC / package / 'package.xml').exists(), package
        assert executable in console_scripts(package), (package, executable)
    assert {(p, e) for p, e, _ in nodes} - {(p, e) for p, e, _ in ours} <= OPTIONAL_PACKAGES
    for package, executable in CONDITIONAL_NODES:
        assert (package, executable) in {(p, e) for p, e, _ in nodes}
        assert executable in console_scripts(package), (package, executable)


def test_config_paths_exist_and_are_installed(tree):
    joined = []
    for call in _calls(tree, 'PathJoinSubstitution'):
        parts = call.args[0].elts
        literal = [ast.literal_eval(p) for p in parts if isinstance(p, ast.Constant)]
        joined.append(literal)
    assert ['config', 'robot.yaml'] in joined and ['config', 'sim.yaml'] in joined
    assert ['config', 'sim_fpv.yaml'] in joined
    for parts in joined:
        assert (PKG.joinpath(*parts)).exists(), parts
    setup_py = (PKG / 'setup.py').read_text()
    assert "glob('config/*.yaml')" in setup_py and "glob('launch/*.launch.py')" in setup_py


def test_arguments_declared_with_descriptions(tree):
    declared = {}
    for call in _calls(tree, 'DeclareLaunchArgument'):
        declared[ast.literal_eval(call.args[0])] = _kwargs(call)
    assert REQUIRED_ARGS <= set(declared)
    for name, kw in declared.items():
        assert 'description' in kw and 'default_value' in kw, name
    used = {ast.literal_eval(c.args[0]) for c in _calls(tree, 'LaunchConfiguration')
            if isinstance(c.args[0], ast.Constant)}
    used |= {ast.literal_eval(c.args[1]) for c in _calls(tree, '_true')}
    assert 'sim' in used and 'params_file' in used
    assert used <= set(declared), used - set(declared)


def _gateway_overrides(tree):
    """Return the literal overrides dict of every gateway Node, as {key: source text}."""
    found = []
    for call in _calls(tree, 'Node'):
        kw = _kwargs(call)
        if ast.literal_eval(kw['package']) != 'kropbot_gateway':
            continue
        dicts = [n for n in ast.walk(kw['parameters']) if isinstance(n, ast.Dict)]
        assert len(dicts) == 1, ast.unparse(kw['parameters'])
        found.append({ast.literal_eval(k): ast.unparse(v)
                      for k, v in zip(dicts[0].keys, dicts[0].values)})
        assert ast.unparse(kw['parameters']).startswith('params + ')  # robot.yaml + overrides
    return found


def test_gateway_serves_the_page_in_both_bridge_modes(tree):
    """bridge:=kropbot: one port; bridge:=rosbridge: the page on page_port, WebSocket off."""
    modes = _gateway_overrides(tree)
    assert {'port': 'port', 'address': 'address'} in modes
    assert {'port': 'page_port', 'address': 'address', 'websocket': 'False',
            'rosbridge_port': 'port'} in modes
    assert len(modes) == 2
    defaults = {ast.literal_eval(c.args[0]): ast.literal_eval(_kwargs(c)['default_value'])
                for c in _calls(tree, 'DeclareLaunchArgument')
                if isinstance(_kwargs(c)['default_value'], ast.Constant)}
    assert (defaults['port'], defaults['page_port'], defaults['address']) == (
        '9090', '8000', '0.0.0.0')
    from kropbot_gateway.config import PARAMETERS

    assert {'websocket', 'rosbridge_port', 'port', 'address'} <= {p.name for p in PARAMETERS}


def test_params_file_sections_match_node_names(tree):
    params = yaml.safe_load((PKG / 'config' / 'robot.yaml').read_text())
    sim = yaml.safe_load((PKG / 'config' / 'sim.yaml').read_text())
    names = {n[2] for n in launch_nodes(tree) if (n[0], n[1]) not in OPTIONAL_PACKAGES}
    assert set(params) == names
    assert set(sim) <= names
    for section in list(params.values()) + list(sim.values()):
        assert set(section) == {'ros__parameters'}


def test_runner_supervisor_config_agrees_with_launch_file(tree):
    launch = {n for n in launch_nodes(tree) if (n[0], n[1]) not in OPTIONAL_PACKAGES}
    nodes, params = supervisor_nodes()
    assert nodes == launch
    assert params == {'$KROPBOT_PARAMS'}
    runner = (PKG / 'kropbot_bringup' / 'runner.py').read_text()
    assert "env.setdefault('KROPBOT_PARAMS', str(config / 'robot.yaml'))" in runner
    assert "[str(config / 'sim.yaml')]" in runner
    assert all('$KROPBOT_OVERLAY' in line for line in PROCFILE.read_text().splitlines()
               if line.strip() and not line.startswith('#'))


def _launch_remappings(tree):
    """Return {node name: {from: to}} of the launch file's Node(..., remappings=...)."""
    constants = {t.id: ast.literal_eval(a.value) for a in tree.body if isinstance(a, ast.Assign)
                 for t in a.targets if isinstance(t, ast.Name) and t.id.isupper()
                 and isinstance(a.value, (ast.List, ast.Tuple, ast.Constant))}
    found = {}
    for call in _calls(tree, 'Node'):
        kw = _kwargs(call)
        if 'remappings' in kw:
            value = kw['remappings']
            pairs = constants[value.id] if isinstance(value, ast.Name) else \
                ast.literal_eval(value)
            found[ast.literal_eval(kw['name'])] = dict(pairs)
    return found


def _procfile_remappings():
    """Return {program: {from: to}} of the Procfile's ``-r a:=b`` (``__node`` excluded)."""
    found = {}
    for program, command in supervision.parse_procfile(PROCFILE.read_text()):
        words = shlex.split(command)
        pairs = dict(w.split(':=', 1) for i, w in enumerate(words)
                     if i and words[i - 1] == '-r' and not w.startswith('__'))
        if pairs:
            found[program] = pairs
    return found


def test_the_driver_takes_commands_from_the_guard_only(tree):
    """vote → cmd_vel → guard → cmd_vel_safe → driver, in the launch file and the Procfile."""
    expected = {'driver': {'cmd_vel': 'cmd_vel_safe'}}
    assert _launch_remappings(tree) == expected
    assert _procfile_remappings() == expected
    guard = (SRC / 'kropbot_guard' / 'kropbot_guard' / 'guard_node.py').read_text()
    assert "create_subscription(Twist, 'cmd_vel'" in guard
    assert "create_publisher(Twist, 'cmd_vel_safe'" in guard
    driver = (SRC / 'kropbot_driver' / 'kropbot_driver' / 'driver_node.py').read_text()
    assert "create_subscription(Twist, 'cmd_vel'" in driver


def test_the_guard_is_on_in_the_robot_and_sim_configs():
    robot = yaml.safe_load((PKG / 'config' / 'robot.yaml').read_text())
    sim = yaml.safe_load((PKG / 'config' / 'sim.yaml').read_text())
    guard = robot['guard']['ros__parameters']
    assert guard['cliff_mode'] == 'enforce' and guard['maintenance_bypass'] is False
    assert robot['range_sensors']['ros__parameters']['cliff']['model'] == 'vl6180x'
    assert sim['guard']['ros__parameters']['front_mode'] == 'enforce'
    assert 'cliff_mode' not in sim['guard']['ros__parameters']   # stays enforce
    assert sim['range_sensors']['ros__parameters']['backend'] == 'sim'


def test_every_node_is_supervised_and_outlives_nobody():
    """Each program: started through the parent-death wrapper, respawned by the listener only."""
    for program, options in supervisor_programs().items():
        argv = shlex.split(options['command'])
        assert argv[1:3] == ['-m', 'kropbot_bringup.pdeathsig'], program
        assert argv[argv.index('--expect-parent-env') + 1] == 'KROPBOT_SUPERVISOR_PID'
        assert options['autorestart'] == 'false' and options['startretries'] == '0', program
        assert options['stopsignal'] == 'TERM', program


def _enclosing_branches(tree, target):
    """Return [(id(if_node), 'body' | 'orelse')] of every ``if`` around ``target``."""
    def walk(node, trail):
        if node is target:
            return trail
        if isinstance(node, ast.If):
            children = [(child, trail + [(id(node), field)])
                        for field in ('body', 'orelse') for child in getattr(node, field)]
        else:
            children = [(child, trail) for child in ast.iter_child_nodes(node)]
        for child, child_trail in children:
            found = walk(child, child_trail)
            if found is not None:
                return found
        return None

    found = walk(tree, [])
    assert found is not None, ast.unparse(target)
    return found


def _exclusive(tree, a, b):
    """True if ``a`` and ``b`` sit in the two branches (if / else) of one ``if``: never both."""
    branches_b = dict(_enclosing_branches(tree, b))
    return any(key in branches_b and branches_b[key] != field
               for key, field in _enclosing_branches(tree, a))


def test_every_launch_node_is_respawned(tree):
    """Every Node(...) passes respawn and respawn_delay from the (described) launch arguments."""
    calls = list(_calls(tree, 'Node'))
    identities = [tuple(ast.literal_eval(_kwargs(c)[k]) for k in ('package', 'executable', 'name'))
                  for c in calls]
    # Every Node call is one of the launch nodes the other tests check (literal identities).
    assert set(identities) == launch_nodes(tree) and len(identities) >= 6
    # A (package, executable, name) may appear in two calls only if one launch can never start
    # both: the gateway node in the two bridge modes (if bridge == 'kropbot' / else).
    for (first, identity), (second, other) in itertools.combinations(
            zip(calls, identities), 2):
        if identity == other:
            assert identity == ('kropbot_gateway', 'gateway_node', 'gateway'), identity
            assert _exclusive(tree, first, second), (
                f'{identity} started twice in one launch: {ast.unparse(first)}')
    for call in calls:
        kw = _kwargs(call)
        assert isinstance(kw.get('respawn'), ast.Name) and kw['respawn'].id == 'respawn', \
            ast.unparse(call)
        assert isinstance(kw.get('respawn_delay'), ast.Name), ast.unparse(call)
        assert kw['respawn_delay'].id == 'respawn_delay', ast.unparse(call)
    setup = next(f for f in ast.walk(tree)
                 if isinstance(f, ast.FunctionDef) and f.name == '_launch_setup')
    assigned = {t.id: ast.unparse(a.value) for a in ast.walk(setup) if isinstance(a, ast.Assign)
                for t in a.targets if isinstance(t, ast.Name)}
    assert assigned['respawn'] == "_true(context, 'respawn')"
    assert "LaunchConfiguration('respawn_delay')" in assigned['respawn_delay']
    defaults = {ast.literal_eval(c.args[0]): _kwargs(c)['default_value']
                for c in _calls(tree, 'DeclareLaunchArgument')}
    defaults = {k: ast.literal_eval(v) for k, v in defaults.items() if isinstance(v, ast.Constant)}
    assert defaults['respawn'] == 'true' and float(defaults['respawn_delay']) == 1.0


def test_setup_cfg_installs_scripts_where_ros2_run_finds_them():
    packages = sorted(p.parent.name for p in SRC.glob('*/package.xml'))
    assert NODE_PACKAGES | {'kropbot_bringup', 'kropbot_relay', 'kropbot_guard',
                            'kropbot_range'} <= set(packages)
    for package in packages:
        cfg = configparser.ConfigParser()
        cfg.read(SRC / package / 'setup.cfg')
        assert cfg['install']['install_scripts'] == f'$base/lib/{package}'
        assert (SRC / package / 'resource' / package).exists()


def test_launch_description_builds_with_launch_ros():
    """Really build the LaunchDescription and evaluate it (runs where launch_ros is installed)."""
    pytest.importorskip('launch_ros', reason='launch_ros needs a ROS 2 distro (not pip-able)')
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    spec = importlib.util.spec_from_file_location('robot_launch', LAUNCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    args = {a.name for a in description.entities if isinstance(a, DeclareLaunchArgument)}
    assert REQUIRED_ARGS <= args
    context = LaunchContext()
    for entity in description.entities:
        if isinstance(entity, DeclareLaunchArgument):
            entity.visit(context)
    context.launch_configurations['params_file'] = str(PKG / 'config' / 'robot.yaml')
    opaque = next(e for e in description.entities if isinstance(e, OpaqueFunction))
    nodes = opaque.execute(context)
    assert {n.node_package for n in nodes} == NODE_PACKAGES
    context.launch_configurations['bridge'] = 'rosbridge'
    nodes = opaque.execute(context)
    assert {n.node_package for n in nodes} == NODE_PACKAGES | {'rosbridge_server'}
    context.launch_configurations['respawn'] = 'false'
    assert opaque.execute(context)
