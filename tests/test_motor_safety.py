"""Motor safety with real processes: the driver (motorkit backend, the real MotorKit) and its motor
watchdog share a simulated PCA9685 whose registers live in a file (``i2c_bus: fake:<path>``); the
test reads the same registers with the fake's decoder.

Every test runs its nodes in a namespace of its own, so a stray node of another run that happens
to share the DDS domain (the default domain id is derived from the pytest pid) cannot answer.
"""
import itertools
import math
import os
import signal
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Twist
from kropbot_driver.fake_pca9685 import MOTORKIT_CHANNELS, FakePCA9685Bus
import psutil
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters

from kropbot_driver import config

pytestmark = pytest.mark.dds

FULL = 0xFFFF
WATCHDOG_TIMEOUT = 0.25
IN_CHANNELS = [ch for m in (1, 2) for ch in MOTORKIT_CHANNELS[m][1:]]
_COUNTER = itertools.count()


def twist(v, w):
    msg = Twist()
    msg.linear.x, msg.angular.z = v, w
    return msg


@pytest.fixture
def ns():
    return f'/motor_safety_{os.getpid()}_{next(_COUNTER)}'


@pytest.fixture
def hat(tmp_path):
    path = tmp_path / 'hat.bin'
    bus = FakePCA9685Bus.from_file(str(path))
    yield path, bus
    bus.deinit()


def start_driver(start_node, path, wait_for, ns, **params):
    proc = start_node('kropbot_driver', 'driver_node', 'driver', params={
        'backend': 'motorkit', 'i2c_bus': f'fake:{path}', 'watchdog_timeout': WATCHDOG_TIMEOUT,
        **params}, extra_args=['-r', f'__ns:={ns}'])
    wait_for(lambda: 'driver ready' in proc.log() or not proc.alive(), 20.0,
             message='driver start')
    assert proc.alive(), proc.log()
    children = psutil.Process(proc.proc.pid).children()
    watchdogs = [c for c in children if 'kropbot_driver.watchdog' in ' '.join(c.cmdline())]
    assert len(watchdogs) == 1, children
    return proc, watchdogs[0]


def drive_forward(ros, bus, wait_for, ns):
    pub = ros.node.create_publisher(Twist, f'{ns}/cmd_vel', 10)

    def driving():
        pub.publish(twist(0.3, 0.0))
        with bus.transaction():
            m1, m2 = bus.motor_duties(1), bus.motor_duties(2)
        return m1[0] == m2[0] == FULL and m1[1] > 0 and m2[1] > 0 and m1[2] == m2[2] == 0
    wait_for(driving, 10.0, period=0.05, message='both motors driving forward')
    return pub


def gone(process):
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_sigkill_of_driver_turns_all_outputs_off(start_node, ros, wait_for, hat, ns):
    path, bus = hat
    proc, watchdog = start_driver(start_node, path, wait_for, ns)
    drive_forward(ros, bus, wait_for, ns)
    assert not bus.all_off()
    start = time.monotonic()
    proc.signal(signal.SIGKILL)
    wait_for(bus.all_off, 2.0, period=0.005, message='all outputs off')
    assert time.monotonic() - start < 0.5
    assert proc.proc.wait(5.0) == -signal.SIGKILL
    wait_for(lambda: gone(watchdog), 5.0, message='watchdog exit')
    # every channel full off through the ALL_LED register, written by the watchdog
    assert all(bus.channel_registers(ch)[3] for ch in range(16))
    assert 'heartbeat pipe closed' in proc.log() and 'turned off' in proc.log()


def test_stalled_driver_is_stopped_and_recovers(start_node, ros, wait_for, hat, ns):
    path, bus = hat
    proc, watchdog = start_driver(start_node, path, wait_for, ns)
    pub = drive_forward(ros, bus, wait_for, ns)
    proc.signal(signal.SIGSTOP)
    start = time.monotonic()
    try:
        wait_for(bus.all_off, 5.0, period=0.005, message='all outputs off')
        elapsed = time.monotonic() - start
        wait_for(lambda: gone(watchdog), 5.0, message='watchdog exit')
    finally:
        proc.signal(signal.SIGCONT)
    assert elapsed < WATCHDOG_TIMEOUT + 0.5
    assert 'silent for 0.25 s' in proc.log()
    # the driver notices, re-arms a new watchdog, re-initialises the HAT and drives again
    wait_for(lambda: 'motor watchdog re-armed' in proc.log(), 10.0, message='re-armed')
    drive_forward(ros, bus, wait_for, ns)
    pub.publish(twist(0.0, 0.0))
    children = psutil.Process(proc.proc.pid).children()
    assert len(children) == 1 and children[0].pid != watchdog.pid
    assert proc.stop() == 0
    assert 'Traceback' not in proc.log()
    wait_for(lambda: gone(children[0]), 5.0, message='second watchdog exit')
    assert bus.motor_duties(1)[1:] == bus.motor_duties(2)[1:] == (0, 0)


def quiescent_snapshot(bus):
    """Registers of M1/M2 while no write happened for 10 ms (not mid-update), or None."""
    with bus.transaction():
        seq = bus.write_seq
        duties = (bus.motor_duties(1), bus.motor_duties(2))
    time.sleep(0.01)
    return duties if bus.write_seq == seq else None


def consistent(duties):
    pwm, positive, negative = duties
    return (pwm == FULL and 0 <= positive <= FULL and 0 <= negative <= FULL
            and (positive == negative in (0, FULL) or 0 in (positive, negative)))


def test_non_finite_and_absurd_commands(start_node, ros, wait_for, hat, ns):
    path, bus = hat
    timeout = 0.5
    proc, _ = start_driver(start_node, path, wait_for, ns, cmd_vel_timeout=timeout)
    diags = ros.collect(DiagnosticArray, f'{ns}/diagnostics')
    pub = ros.node.create_publisher(Twist, f'{ns}/cmd_vel', 10)
    weird = [math.nan, math.inf, -math.inf, 1e9, -0.0, 5e-324, -5e-324, -1e308, 1e308, 0.2]
    stop = threading.Event()
    only_non_finite = threading.Event()

    def publisher():
        i = 0
        while not stop.is_set():
            if only_non_finite.is_set():
                msg = twist(weird[i % 3], weird[(i + 1) % 3])
            else:
                msg = twist(weird[i % len(weird)], weird[(i * 7 + 3) % len(weird)])
            pub.publish(msg)
            i += 1
            time.sleep(0.02)                                    # 50 Hz
    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    try:
        judged = 0
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            snap = quiescent_snapshot(bus)
            if snap is not None:
                judged += 1
                assert all(consistent(d) for d in snap), snap
        assert judged >= 5
        assert proc.alive()
        only_non_finite.set()
        start = time.monotonic()

        def braked():
            snap = quiescent_snapshot(bus)
            return snap is not None and snap == ((FULL, FULL, FULL),) * 2
        wait_for(braked, 5.0, period=0.0, message='brake after non-finite input only')
        assert time.monotonic() - start < timeout + 0.2
        time.sleep(0.3)
        assert quiescent_snapshot(bus) in (None, ((FULL, FULL, FULL),) * 2)
    finally:
        stop.set()
        thread.join(2)
    assert proc.alive()
    wait_for(lambda: len(diags) >= 3, 10.0, message='diagnostics')
    for _, msg in diags:
        values = {kv.key: kv.value for kv in msg.status[0].values}
        for key in ('throttle_left', 'throttle_right'):
            assert values[key] == 'released' or -1.0 <= float(values[key]) <= 1.0
    last = {kv.key: kv.value for kv in diags[-1][1].status[0].values}
    assert int(last['rejected_nonfinite']) > 10
    assert last['watchdog'].startswith('armed')
    assert 'rejected non-finite cmd_vel' in proc.log()


def _param_value(value):
    if isinstance(value, bool):
        return ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=value)
    if isinstance(value, int):
        return ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=value)
    if isinstance(value, float):
        return ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=value)
    return ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value)


def _other_valid_value(spec):
    """A valid value different from the default, so only read_only can refuse it."""
    if isinstance(spec.default, bool):
        return not spec.default
    if spec.choices:
        return next(c for c in spec.choices if c != spec.default)
    if isinstance(spec.default, (int, float)):
        return spec.high if spec.default != spec.high else spec.low
    return 'fake:/tmp/other' if spec.name == 'i2c_bus' else 'other_frame'


def _call(ros, wait_for, srv_type, name, request, attempts=5):
    """Call a service; retried because Fast DDS may drop a reply sent before the client's reply
    reader is matched ("failed to send response (timeout)")."""
    client = ros.node.create_client(srv_type, name)
    wait_for(lambda: client.service_is_ready(), 15.0, period=0.1, message=f'{name} service')
    for _ in range(attempts):
        future = client.call_async(request)
        try:
            wait_for(future.done, 3.0, message=f'{name} reply')
            return future.result()
        except AssertionError:
            client.remove_pending_request(future)
    raise AssertionError(f'no reply from {name} after {attempts} attempts')


def _set_and_get(ros, wait_for, node, values):
    request = SetParameters.Request(parameters=[
        Parameter(name=name, value=_param_value(value)) for name, value in values.items()])
    results = _call(ros, wait_for, SetParameters, f'{node}/set_parameters', request).results
    got = _call(ros, wait_for, GetParameters, f'{node}/get_parameters',
                GetParameters.Request(names=list(values))).values
    return dict(zip(values, results)), dict(zip(values, got))


def _plain(value):
    return {ParameterType.PARAMETER_BOOL: value.bool_value,
            ParameterType.PARAMETER_INTEGER: value.integer_value,
            ParameterType.PARAMETER_DOUBLE: value.double_value,
            ParameterType.PARAMETER_STRING: value.string_value}[value.type]


def test_safety_parameters_are_read_only_at_run_time(start_node, ros, wait_for, hat, ns):
    path, _ = hat
    driver, _ = start_driver(start_node, path, wait_for, ns)
    vote = start_node('kropbot_vote', 'vote_node', 'vote', extra_args=['-r', f'__ns:={ns}'])
    read_only = [s for s in config.PARAMETERS if s.read_only]
    assert {'max_wheel_speed', 'cmd_vel_timeout', 'wheel_separation', 'watchdog',
            'watchdog_timeout', 'i2c_bus'} <= {s.name for s in read_only}
    before = _call(ros, wait_for, GetParameters, f'{ns}/driver/get_parameters',
                   GetParameters.Request(names=[s.name for s in read_only])).values
    wanted = {s.name: _other_valid_value(s) for s in read_only}
    wanted['trim_left'] = 0.9                   # control: a writable parameter is accepted
    results, after = _set_and_get(ros, wait_for, f'{ns}/driver', wanted)
    assert results['trim_left'].successful and _plain(after['trim_left']) == 0.9
    for spec, old in zip(read_only, before):
        assert not results[spec.name].successful, spec.name
        assert _plain(after[spec.name]) == _plain(old) != wanted[spec.name], spec.name
    limits = ['max_linear', 'max_angular']
    before = _call(ros, wait_for, GetParameters, f'{ns}/vote/get_parameters',
                   GetParameters.Request(names=limits)).values
    results, after = _set_and_get(ros, wait_for, f'{ns}/vote', dict.fromkeys(limits, 4.0))
    for name, old in zip(limits, before):
        assert not results[name].successful, name
        assert _plain(after[name]) == _plain(old) != 4.0, name
    assert driver.alive() and vote.alive()


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_last_motor_write_on_shutdown_is_a_release(start_node, ros, wait_for, hat, ns, sig):
    path, bus = hat
    proc, watchdog = start_driver(start_node, path, wait_for, ns)   # stop_mode brake
    drive_forward(ros, bus, wait_for, ns)
    driving_seq = bus.write_seq
    proc.signal(sig)
    assert proc.proc.wait(10.0) == 0
    assert 'Traceback' not in proc.log()
    wait_for(lambda: gone(watchdog), 5.0, message='watchdog exit')
    # both motors released (IN pins off, throttle None), not braked (IN pins full on)
    assert bus.motor_duties(1)[1:] == bus.motor_duties(2)[1:] == (0, 0)
    # ... by writes after the drive, and nothing wrote any channel afterwards
    seqs = {ch: bus.channel_write_seq(ch) for ch in range(16)}
    assert all(seqs[ch] > driving_seq for ch in IN_CHANNELS)
    assert max(seqs.values()) == bus.write_seq
    assert max(seqs, key=seqs.get) in IN_CHANNELS
    assert os.path.getsize(path) == 256
