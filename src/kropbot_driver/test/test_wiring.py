"""The wiring check: its pure logic, and the real tool driving the real MotorKit library on a
simulated PCA9685 (a register file shared with this test), answers fed on stdin.
"""

import io
import os
from pathlib import Path
import signal
import subprocess
import sys
import threading
import time

from kropbot_driver.fake_pca9685 import FakePCA9685Bus
from kropbot_driver.wiring_check import run
import pytest

from kropbot_driver import wiring

FULL = 0xFFFF
ROOT = Path(__file__).resolve().parents[3]


def test_probe_verdicts():
    assert wiring.probe_verdict(0x60, [0x60, 0x70], 'bus').ok
    empty = wiring.probe_verdict(0x60, [], '/dev/i2c-1')
    assert not empty.ok and 'Nothing answers on /dev/i2c-1' in empty.message
    moved = wiring.probe_verdict(0x60, [0x70, 0x6f], 'bus')
    assert not moved.ok
    assert 'these answer: 0x6f, 0x70' in moved.message and 'all-call' in moved.message
    assert 'Set i2c_address: 0x6f' in moved.message
    two = wiring.probe_verdict(0x60, [0x41, 0x61], 'bus')
    assert 'jumpers' in two.message and 'Set i2c_address: 0x' not in two.message


def test_i2c_disabled_is_reported_only_for_the_real_bus():
    message = wiring.i2c_device_error('', exists=lambda path: False)
    assert '/dev/i2c-1 does not exist' in message and 'raspi-config' in message
    assert wiring.i2c_device_error('', exists=lambda path: True) is None
    assert wiring.i2c_device_error('fake:/tmp/hat', exists=lambda path: False) is None


@pytest.mark.parametrize('text, answer', [('y\n', 'forward'), (' Forward ', 'forward'),
                                          ('n', 'backward'), ('b', 'backward'),
                                          ('r', 'repeat'), ('maybe', None), ('', None)])
def test_answers(text, answer):
    assert wiring.parse_answer(text) == answer


def test_invert_values_and_yaml():
    assert wiring.invert_value('forward') is False and wiring.invert_value('backward') is True
    with pytest.raises(ValueError):
        wiring.invert_value('repeat')
    assert wiring.yaml_snippet({'left': True, 'right': False}) == (
        'driver:\n  ros__parameters:\n    invert_left: true\n    invert_right: false')


def motor_state(bus, motor):
    """'forward', 'backward', 'released' or 'other' from the HAT's registers."""
    with bus.transaction():
        pwm, positive, negative = bus.motor_duties(motor)
    if positive == negative == 0:
        return 'released'
    if pwm == FULL and positive > 0 and negative == 0:
        return 'forward'
    if pwm == FULL and negative > 0 and positive == 0:
        return 'backward'
    return 'other'


@pytest.fixture
def hat(tmp_path):
    path = tmp_path / 'hat.bin'
    bus = FakePCA9685Bus.from_file(str(path))
    yield path, bus
    bus.deinit()


class Tool:
    """``python -m kropbot_driver.wiring_check`` with a pipe for answers and its output."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'kropbot_driver.wiring_check', *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.out = ''
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for chunk in iter(lambda: self.proc.stdout.read(1), ''):
            self.out += chunk

    def wait_text(self, text, timeout=20, count=1):
        deadline = time.monotonic() + timeout
        while self.out.count(text) < count:
            assert time.monotonic() < deadline and self.proc.poll() is None, self.out
            time.sleep(0.01)

    def answer(self, text):
        self.proc.stdin.write(text + '\n')
        self.proc.stdin.flush()


def wait_state(bus, motor, state, timeout=10):
    deadline = time.monotonic() + timeout
    while motor_state(bus, motor) != state:
        assert time.monotonic() < deadline, (motor, motor_state(bus, motor))
        time.sleep(0.005)


def test_interactive_run_finds_the_inverted_motor(hat):
    path, bus = hat
    tool = Tool('--i2c-bus', f'fake:{path}', '--duration', '0.3')
    tool.wait_text('Press Enter when the wheels are off the ground')
    assert 'PCA9685 found at 0x60' in tool.out
    tool.answer('')
    wait_state(bus, 1, 'forward')  # the left motor (M1) runs forward, alone
    assert motor_state(bus, 2) == 'released'
    tool.wait_text('Did the LEFT wheel turn forward')
    assert motor_state(bus, 1) == 'released'  # released before the question
    tool.answer('maybe')
    tool.wait_text('Please answer y')
    tool.answer('r')  # run it again
    wait_state(bus, 1, 'forward')
    tool.wait_text('Did the LEFT wheel turn forward', count=2)
    tool.answer('n')  # it turned backward: the left motor is wired the other way round
    wait_state(bus, 2, 'forward')
    assert motor_state(bus, 1) == 'released'
    tool.wait_text('Did the RIGHT wheel turn forward')
    tool.answer('y')
    assert tool.proc.wait(10) == 0, tool.out
    time.sleep(0.1)
    assert 'invert_left: true\n    invert_right: false' in tool.out
    assert motor_state(bus, 1) == motor_state(bus, 2) == 'released'


def test_no_prompt_runs_each_motor_once(hat):
    path, bus = hat
    tool = Tool('--i2c-bus', f'fake:{path}', '--duration', '0.2', '--no-prompt',
                '--left-motor', '3', '--right-motor', '4')
    tool.proc.stdin.close()
    wait_state(bus, 3, 'forward')
    wait_state(bus, 4, 'forward')
    assert tool.proc.wait(10) == 0, tool.out
    assert 'if the left wheel turned backward, set invert_left: true' in tool.out
    assert all(motor_state(bus, m) == 'released' for m in (1, 2, 3, 4))


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_during_a_run_releases_the_motors(hat, sig):
    path, bus = hat
    tool = Tool('--i2c-bus', f'fake:{path}', '--duration', '5')
    tool.wait_text('Press Enter')
    tool.answer('')
    wait_state(bus, 1, 'forward')
    tool.proc.send_signal(sig)
    assert tool.proc.wait(10) == 130
    time.sleep(0.1)
    assert 'Interrupted: motors released' in tool.out
    assert motor_state(bus, 1) == motor_state(bus, 2) == 'released'


def test_end_of_input_releases_and_fails(hat):
    path, bus = hat
    result = subprocess.run([sys.executable, '-m', 'kropbot_driver.wiring_check', '--i2c-bus',
                             f'fake:{path}', '--duration', '0.1'], input='\n', text=True,
                            capture_output=True, timeout=20)
    assert result.returncode == 1 and 'No answer' in result.stdout
    assert motor_state(bus, 1) == motor_state(bus, 2) == 'released'


def test_wrong_address_lists_what_answers():
    out = io.StringIO()
    status = run(['--i2c-bus', 'fake:unused', '--i2c-address', '0x60'], stdin=io.StringIO(''),
                 stdout=out, open_bus=lambda spec, address: FakePCA9685Bus(0x6f))
    assert status == 3
    assert 'No device at i2c_address 0x60' in out.getvalue()
    assert 'Set i2c_address: 0x6f' in out.getvalue()


def test_params_file_and_bad_values(tmp_path):
    params = tmp_path / 'robot.yaml'
    params.write_text('driver:\n  ros__parameters:\n    i2c_address: 0x6f\n    left_motor: 2\n'
                      '    right_motor: 2\n')
    out = io.StringIO()
    assert run(['--params-file', str(params), '--i2c-bus', 'fake:x'], stdout=out) == 2
    assert 'left_motor and right_motor must differ' in out.getvalue()
    out = io.StringIO()
    assert run(['--params-file', str(params), '--i2c-bus', 'fake:x', '--right-motor', '1'],
               stdin=io.StringIO(''), stdout=out,
               open_bus=lambda spec, address: FakePCA9685Bus(address)) == 1  # no answer
    assert 'PCA9685 found at 0x6f' in out.getvalue()  # the address from the params file


def test_i2c_disabled_on_a_machine_without_the_bus():
    out = io.StringIO()
    assert run(['--i2c-bus', ''], stdout=out, exists=lambda path: False) == 2
    assert 'I2C is disabled or absent' in out.getvalue()


@pytest.mark.skipif(os.path.exists(wiring.I2C_DEVICE), reason='this machine has an I2C bus')
def test_the_tool_says_i2c_is_disabled_on_this_machine():
    result = subprocess.run([sys.executable, '-m', 'kropbot_driver.wiring_check'],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and '/dev/i2c-1 does not exist' in result.stdout


def test_ros2_run_finds_the_tool():
    setup = (ROOT / 'src' / 'kropbot_driver' / 'setup.py').read_text()
    assert "'wiring_check = kropbot_driver.wiring_check:main'" in setup
