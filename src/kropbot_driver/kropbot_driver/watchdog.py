"""Motor watchdog: a separate process that turns the MotorHAT off when the driver dies or stalls.

Why a process: the PCA9685 on the MotorHAT keeps generating its last PWM after the host process
is gone, so a ``kill -9``, a crash in native code or a frozen driver would leave the motors
running; a timeout inside the driver cannot help then. The driver (:class:`WatchdogProcess`)
starts ``python -m kropbot_driver.watchdog`` (also installed as ``motor_watchdog``) and feeds it
one heartbeat byte per control-loop tick down a pipe whose write end only the driver holds:

- the driver dies (any signal, even SIGKILL) → the kernel closes the pipe → EOF at once;
- the driver is alive but its control loop is stuck (or SIGSTOP-ed) → no byte for
  ``--timeout`` s;
- the watchdog itself gets SIGTERM/SIGINT/SIGHUP;

then it writes the PCA9685 ALL_LED registers (ALL_LED_OFF_H = full off first, then
ALL_LED_ON_L/ON_H/OFF_L = 0; NXP PCA9685 datasheet rev. 4, 7.3.4: full off wins over everything)
through its OWN I2C bus object and ``adafruit_bus_device.I2CDevice``, logs one line to stderr
and exits. A driver that stops cleanly (motors already released) sends ``Q`` and the watchdog
exits without touching the bus. Until then it never uses the bus (the device is opened with
``probe=False``). If its parent is already gone at start, it turns the outputs off and exits.

Pure Python, no rclpy: it starts in ~0.1 s and shares no executor, GIL or DDS state with the
driver.
"""

import argparse
import errno
import os
import select
import signal
import subprocess
import sys
import time

#: ALL_LED_ON_L .. ALL_LED_OFF_H (datasheet table 4) and the full-on/off bit (bit 4 of *_H).
ALL_LED_ON_L, ALL_LED_ON_H, ALL_LED_OFF_L, ALL_LED_OFF_H = 0xFA, 0xFB, 0xFC, 0xFD
FULL_BIT = 0x10
#: Register writes of the all-off sequence, each its own transaction (no reliance on MODE1.AI);
#: full off first, so the outputs are off after the first transfer already.
ALL_OFF_WRITES = ((ALL_LED_OFF_H, FULL_BIT), (ALL_LED_ON_L, 0), (ALL_LED_ON_H, 0),
                  (ALL_LED_OFF_L, 0))
#: Heartbeat byte and the "driver stopped cleanly, motors released" byte.
BEAT = b'.'
QUIT = b'Q'
#: Byte the watchdog writes on its ready pipe once it is armed.
READY = b'R'
#: Extra time allowed for the first heartbeat after arming (the driver finishes its set-up), s.
FIRST_BEAT_GRACE = 1.0
#: Attempts per register write of the all-off sequence.
WRITE_ATTEMPTS = 3


class WatchdogError(RuntimeError):
    """The watchdog process could not be started or armed (one-line message)."""


class _Signalled(Exception):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def write_all_off(device, attempts=WRITE_ATTEMPTS):
    """Turn every PCA9685 output off through ``device`` (an ``I2CDevice``-like object).

    Each register of :data:`ALL_OFF_WRITES` is written in its own transaction, retried up to
    ``attempts`` times.

    Raises:
        OSError: the last error if a register could not be written.

    """
    for reg, value in ALL_OFF_WRITES:
        for attempt in range(attempts):
            try:
                with device:
                    device.write(bytes((reg, value)))
                break
            except OSError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.005)


def wait_for_trip(fd, timeout, first_timeout=None, clock=time.monotonic):
    """Read heartbeats from ``fd`` until they stop; return why.

    Args:
        fd: read end of the heartbeat pipe.
        timeout: longest allowed gap between heartbeats, s.
        first_timeout: longest wait for the first heartbeat, s (default ``timeout``).
        clock: monotonic clock, s.

    Returns:
        ``'eof'`` (writer gone), ``'timeout'`` (writer silent) or ``'quit'`` (clean stop).

    """
    deadline = clock() + (timeout if first_timeout is None else first_timeout)
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return 'timeout'
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            continue
        data = os.read(fd, 4096)
        if not data:
            return 'eof'
        if QUIT in data:
            return 'quit'
        deadline = clock() + timeout


REASONS = {
    'eof': 'heartbeat pipe closed (driver pid {parent} exited or was killed)',
    'timeout': 'driver (pid {parent}) silent for {timeout} s: control loop stalled',
    'parent': 'driver (pid {parent}) already gone at start',
}


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='motor_watchdog',
        description='Turn all PCA9685 (MotorHAT) outputs off when the driver stops feeding '
                    'the heartbeat pipe (started by kropbot_driver driver_node).')
    parser.add_argument('--heartbeat-fd', type=int, required=True,
                        help='inherited read end of the heartbeat pipe')
    parser.add_argument('--ready-fd', type=int, default=-1,
                        help='inherited pipe to write one byte to once armed')
    parser.add_argument('--timeout', type=float, default=0.25,
                        help='longest gap between heartbeats, s (default 0.25)')
    parser.add_argument('--address', type=lambda text: int(text, 0), default=0x60,
                        help='I2C address of the PCA9685 (default 0x60)')
    parser.add_argument('--i2c-bus', default='',
                        help="'' = board.I2C(); 'fake:<path>' = simulated HAT (register file)")
    parser.add_argument('--parent-pid', type=int, default=0,
                        help='pid of the driver; if it is gone at start, turn off and exit')
    args = parser.parse_args(argv)
    if not 0 < args.timeout <= 60:
        parser.error(f'--timeout must be in (0, 60] s, got {args.timeout}')
    return args


def _log(message):
    print(f'[motor_watchdog] {message}', file=sys.stderr, flush=True)


def run(argv=None):
    """Run the watchdog (see the module docstring); return the process exit code.

    0: stopped cleanly, or outputs turned off; 1: could not open the bus; 2: the all-off write
    failed.
    """
    args = _parse_args(argv)
    stop_signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def on_signal(signum, _frame):
        for sig in stop_signals:
            signal.signal(sig, signal.SIG_IGN)
        raise _Signalled(signum)

    for sig in stop_signals:
        signal.signal(sig, on_signal)
    where = f'PCA9685 0x{args.address:02x} on {args.i2c_bus or "board.I2C()"}'
    device = None
    try:
        from adafruit_bus_device.i2c_device import I2CDevice

        from kropbot_driver.backends import BackendError, open_i2c
        try:
            device = I2CDevice(open_i2c(args.i2c_bus, args.address), args.address,
                               probe=False)
        except BackendError as exc:
            _log(f'cannot start: {exc}')
            return 1
        if args.parent_pid and os.getppid() != args.parent_pid:
            reason = 'parent'
        else:
            if args.ready_fd >= 0:
                try:
                    os.write(args.ready_fd, READY)
                    os.close(args.ready_fd)
                except OSError:
                    pass  # the driver is gone: the heartbeat pipe reports EOF next
            reason = wait_for_trip(args.heartbeat_fd, args.timeout,
                                   max(args.timeout, FIRST_BEAT_GRACE))
        for sig in stop_signals:
            signal.signal(sig, signal.SIG_IGN)
    except _Signalled as sig:  # on_signal has already set the stop signals to SIG_IGN
        reason = f'signal {signal.Signals(sig.signum).name}'
    if reason == 'quit':
        return 0
    text = REASONS.get(reason, 'stopped by {reason}').format(
        parent=args.parent_pid or '?', timeout=args.timeout, reason=reason)
    if device is None:  # the signal came before the bus was open
        _log(f'{text}: exiting before the bus was opened')
        return 0
    try:
        write_all_off(device)
    except OSError as exc:
        _log(f'{text}: FAILED to turn the outputs of {where} off: {exc}')
        return 2
    _log(f'{text}: all outputs of {where} turned off (ALL_LED full off)')
    return 0


def main(argv=None):
    """Console-script entry point ``motor_watchdog``."""
    sys.exit(run(argv))


class WatchdogProcess:
    """The driver's handle on its motor watchdog process (see the module docstring).

    Use :meth:`start`; call :meth:`beat` once per control tick and :meth:`close` at shutdown.

    Attributes:
        proc: the ``subprocess.Popen`` of the watchdog.

    """

    def __init__(self, proc, beat_fd):
        self.proc = proc
        self._beat_fd = beat_fd

    @classmethod
    def start(cls, *, i2c_bus='', address=0x60, timeout=0.25, ready_timeout=10.0):
        """Start a watchdog for the HAT at ``address`` on ``i2c_bus``; return once it is armed.

        Args:
            i2c_bus: ``i2c_bus`` parameter value (``''`` or ``'fake:<path>'``).
            address: 7-bit PCA9685 address.
            timeout: heartbeat timeout, s.
            ready_timeout: longest wait for the watchdog to arm, s.

        Raises:
            WatchdogError: it exited or did not arm in time (its own message is on stderr).

        """
        beat_r, beat_w = os.pipe()
        ready_r, ready_w = os.pipe()
        try:
            proc = subprocess.Popen(
                [sys.executable, '-m', 'kropbot_driver.watchdog',
                 '--heartbeat-fd', str(beat_r), '--ready-fd', str(ready_w),
                 '--timeout', repr(float(timeout)), '--address', hex(address),
                 '--i2c-bus', i2c_bus, '--parent-pid', str(os.getpid())],
                pass_fds=(beat_r, ready_w), stdin=subprocess.DEVNULL)
        except OSError as exc:
            for fd in (beat_r, beat_w, ready_r, ready_w):
                os.close(fd)
            raise WatchdogError(f'cannot start the motor watchdog: {exc}') from exc
        os.close(beat_r)
        os.close(ready_w)
        os.set_blocking(beat_w, False)
        try:
            readable, _, _ = select.select([ready_r], [], [], ready_timeout)
            armed = bool(readable) and os.read(ready_r, 1) == READY
        finally:
            os.close(ready_r)
        watchdog = cls(proc, beat_w)
        if not armed:
            watchdog.close(clean=True)
            raise WatchdogError(
                f'the motor watchdog did not arm within {ready_timeout} s (exit code '
                f'{proc.returncode}; its message is above)')
        return watchdog

    @property
    def pid(self):
        """Process id of the watchdog."""
        return self.proc.pid

    def beat(self):
        """Send one heartbeat; return False if the watchdog is gone (it tripped or was killed)."""
        if self._beat_fd is None or self.proc.poll() is not None:
            return False
        try:
            os.write(self._beat_fd, BEAT)
        except BlockingIOError:
            pass  # pipe full: the watchdog is not reading, its timeout decides
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.EBADF):
                return False
            raise
        return True

    def close(self, clean=True, timeout=1.0):
        """Stop the watchdog and reap it (idempotent).

        Args:
            clean: True if the motors were released, so the watchdog may exit without writing;
                False makes it turn all outputs off on its way out (pipe EOF).
            timeout: wait this long for it to exit before SIGTERM (which also turns off), s.

        """
        if self._beat_fd is not None:
            if clean:
                try:
                    os.write(self._beat_fd, QUIT)
                except OSError:
                    pass
            os.close(self._beat_fd)
            self._beat_fd = None
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


if __name__ == '__main__':
    main()
