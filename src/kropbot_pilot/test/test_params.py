"""The record node's parameter schema, README table, start-up errors; import boundaries."""

from pathlib import Path
import subprocess
import sys
import time

from kropbot_common.errors import StartupError
from kropbot_common.params import ParameterError, by_name, check, readme_table_errors
from kropbot_pilot.params import RECORD_PARAMETERS
from kropbot_testing.ros_harness import node_factory
import pytest
import rclpy
from rclpy.parameter import Parameter

README = Path(__file__).resolve().parents[1] / 'README.md'
SPECS = by_name(RECORD_PARAMETERS)


def test_readme_table_is_generated_from_the_schema():
    assert readme_table_errors(README.read_text(), RECORD_PARAMETERS) == []


@pytest.mark.parametrize(('name', 'value'), [
    ('topics', 'cmd_vel'), ('topics', [1]), ('max_file_size', -1), ('max_file_size', 1.5),
    ('max_file_duration', -1.0), ('max_files', -2), ('max_duration', float('inf')),
    ('compression', 'gzip'), ('flush_period', 0.0), ('output', 3)])
def test_bad_values_are_refused_with_the_name(name, value):
    message = check(SPECS[name], value)
    assert message and name in message


def test_all_parameters_are_read_only():
    assert all(p.read_only for p in RECORD_PARAMETERS)


@pytest.fixture
def record_node():
    from kropbot_pilot.record_node import RecordNode

    with node_factory(RecordNode) as make:
        yield make


def test_existing_bag_or_bad_value_is_a_startup_error(record_node, tmp_path):
    (tmp_path / 'old').mkdir()
    (tmp_path / 'old' / 'old_0.mcap').write_bytes(b'precious')
    with pytest.raises(StartupError, match='already exists'):
        record_node(output=str(tmp_path / 'old'))
    assert (tmp_path / 'old' / 'old_0.mcap').read_bytes() == b'precious'
    with pytest.raises(ParameterError, match='compression'):
        record_node(output=str(tmp_path / 'new'), compression='gzip')
    node = record_node(output=str(tmp_path / 'fine'), topics=['a', '/b'])
    node.destroy_node()
    info = (tmp_path / 'fine' / 'metadata.yaml').read_text()
    assert 'message_count: 0' in info


def test_pilot_modules_need_neither_ros_nor_torch():
    """What runs on a desktop (pilot) and in training data loading imports no rclpy/torch."""
    code = (
        'import sys\n'
        'class Block:\n'
        '    def find_spec(self, name, path=None, target=None):\n'
        '        if name.split(".")[0] in ("rclpy", "torch"):\n'
        '            raise ImportError("blocked " + name)\n'
        'sys.meta_path.insert(0, Block())\n'
        'import kropbot_pilot.pilot_main, kropbot_pilot.client, kropbot_pilot.inference\n'
        'import kropbot_pilot.dataset, kropbot_pilot.bag, kropbot_pilot.bagread\n'
        'import kropbot_pilot.contract, kropbot_pilot.voting, kropbot_pilot.train_main\n'
        'print("ok")\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == 'ok', proc.stderr


def test_max_duration_finishes_the_bag_and_ends_the_node(tmp_path):
    from kropbot_pilot.record_node import RecordNode
    from rclpy.executors import SingleThreadedExecutor

    context = rclpy.context.Context()
    rclpy.init(context=context)
    node = RecordNode(context=context, parameter_overrides=[
        Parameter('output', value=str(tmp_path / 'timed')),
        Parameter('max_duration', value=0.3)])
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    deadline = time.monotonic() + 10.0
    while context.ok() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.1)
    try:
        assert not context.ok(), 'max_duration did not end the node'
        assert node.exit_code == 0
        assert (tmp_path / 'timed' / 'metadata.yaml').is_file()
        assert (tmp_path / 'timed' / 'timed_0.mcap').read_bytes()[-8:] == b'\x89MCAP0\r\n'
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=context)
