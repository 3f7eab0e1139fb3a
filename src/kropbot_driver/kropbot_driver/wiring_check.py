"""``ros2 run kropbot_driver wiring_check``: find the MotorHAT and each motor's direction.

Stop the stack first (only one program may drive the HAT). Then, with the wheels off the ground::

    ros2 run kropbot_driver wiring_check                       # the Pi's I2C bus, 0x60, M1/M2
    ros2 run kropbot_driver wiring_check --params-file src/kropbot_bringup/config/robot.yaml
    ros2 run kropbot_driver wiring_check --no-prompt           # just run each motor in turn

It probes the I2C bus for the PCA9685 at ``i2c_address`` (clear errors for I2C disabled, an
empty bus, or a chip at another address), runs the left motor and then the right one forward
(``+throttle`` for ``duration`` s, through the real ``adafruit_motorkit``), asks after each run
whether the wheel turned forward, and prints the ``invert_left`` / ``invert_right`` lines for
``robot.yaml``. The motors are released (``throttle = None``) after each run, at the end, on
Ctrl-C and on SIGTERM. The logic is in :mod:`kropbot_driver.wiring`.

Exit status: 0 done, 1 no answer (end of input), 2 bad arguments or the bus cannot be opened,
3 no PCA9685 at the address, 130 interrupted.
"""

import argparse
import os
import signal
import sys
import time

from kropbot_driver import wiring
from kropbot_driver.backends import BackendError, open_i2c


class _Stopped(Exception):
    """SIGTERM arrived (handled like Ctrl-C)."""


def _address(text):
    return int(text, 0)


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='wiring_check',
        description='Probe the MotorHAT and find which way each motor turns (wheels off the '
                    'ground!); prints invert_left/invert_right for robot.yaml.')
    parser.add_argument('--params-file', help='robot.yaml: read i2c_bus, i2c_address, '
                                              'left_motor, right_motor of its driver section')
    parser.add_argument('--i2c-bus', help="'' = the Pi's bus (board.I2C()), 'fake:<path>' = "
                                          "simulated HAT (default: params file or '')")
    parser.add_argument('--i2c-address', type=_address, help='PCA9685 address (default 0x60)')
    parser.add_argument('--left-motor', type=int, help='terminal of the left motor (M1)')
    parser.add_argument('--right-motor', type=int, help='terminal of the right motor (M2)')
    parser.add_argument('--throttle', type=float, default=0.5,
                        help='forward throttle of each run, 0.1..1 (default 0.5)')
    parser.add_argument('--duration', type=float, default=1.0,
                        help='length of each run, s, 0.1..5 (default 1)')
    parser.add_argument('--no-prompt', action='store_true',
                        help='do not ask: run each motor once and say what to look for')
    args = parser.parse_args(argv)
    if not 0.1 <= args.throttle <= 1.0:
        parser.error(f'--throttle must be in [0.1, 1], got {args.throttle}')
    if not 0.1 <= args.duration <= 5.0:
        parser.error(f'--duration must be in [0.1, 5] s, got {args.duration}')
    return args


def _settings(args):
    """Merge defaults, the params file and the command line; validate like the driver does."""
    values = {'i2c_bus': '', 'i2c_address': 0x60, 'left_motor': 1, 'right_motor': 2}
    if args.params_file:
        import yaml
        with open(args.params_file) as f:
            section = (yaml.safe_load(f) or {}).get('driver', {}).get('ros__parameters', {})
        values.update({k: section[k] for k in values if k in section})
    for key in values:
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    errors = []
    if not isinstance(values['i2c_bus'], str):
        errors.append(f"i2c_bus must be a string, got {values['i2c_bus']!r}")
    if not (isinstance(values['i2c_address'], int) and 0x03 <= values['i2c_address'] <= 0x77):
        errors.append(f"i2c_address must be a 7-bit address 0x03..0x77, got "
                      f"{values['i2c_address']!r}")
    for key in ('left_motor', 'right_motor'):
        if values[key] not in (1, 2, 3, 4):
            errors.append(f'{key} must be 1..4 (M1..M4), got {values[key]!r}')
    if values['left_motor'] == values['right_motor']:
        errors.append('left_motor and right_motor must differ')
    if errors:
        raise ValueError('; '.join(errors))
    return values


def _ask(question, stdin, stdout):
    while True:
        stdout.write(question)
        stdout.flush()
        line = stdin.readline()
        if not line:
            raise EOFError
        answer = wiring.parse_answer(line)
        if answer:
            return answer
        stdout.write('Please answer y (forward), n (backward) or r (run it again).\n')


def run(argv=None, *, stdin=None, stdout=None, open_bus=open_i2c, exists=os.path.exists):
    """Run the check; return the exit status (see the module docstring).

    ``stdin``/``stdout`` default to the process's; ``open_bus(spec, address)`` and ``exists``
    are injected by tests.
    """
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    args = _parse_args(argv)

    def say(text):
        stdout.write(text + '\n')
        stdout.flush()

    try:
        cfg = _settings(args)
    except (OSError, ValueError) as exc:
        say(f'wiring_check: {exc}')
        return 2
    error = wiring.i2c_device_error(cfg['i2c_bus'], exists)
    if error:
        say(f'wiring_check: {error}')
        return 2
    address, bus_name = cfg['i2c_address'], cfg['i2c_bus'] or wiring.I2C_DEVICE
    try:
        bus = open_bus(cfg['i2c_bus'], address)
    except BackendError as exc:
        say(f'wiring_check: {exc}')
        return 2
    while not bus.try_lock():
        time.sleep(0.001)
    try:
        found = bus.scan()
    finally:
        bus.unlock()
    probe = wiring.probe_verdict(address, found, bus_name)
    say(probe.message)
    if not probe.ok:
        return 3
    try:
        from adafruit_motorkit import MotorKit  # lazy: it imports Blinka's board
        kit = MotorKit(i2c=bus, address=address)
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        say(f'wiring_check: cannot drive the HAT at 0x{address:02x}: {type(exc).__name__}: '
            f'{exc}')
        return 2
    motors = {'left': getattr(kit, f'motor{cfg["left_motor"]}'),
              'right': getattr(kit, f'motor{cfg["right_motor"]}')}

    def release():
        for motor in motors.values():
            motor.throttle = None

    def on_term(_signum, _frame):
        raise _Stopped

    old_term = signal.signal(signal.SIGTERM, on_term)
    inverts = {}
    try:
        release()
        say(f'Each motor will run forward (throttle {args.throttle:+g}) for {args.duration:g} s. '
            f'LIFT THE ROBOT: the wheels must be off the ground. Ctrl-C stops at any time.')
        if not args.no_prompt:
            stdout.write('Press Enter when the wheels are off the ground: ')
            stdout.flush()
            if not stdin.readline():
                raise EOFError
        for side, motor in motors.items():
            terminal = cfg[f'{side}_motor']
            while True:
                say(f'Running the {side.upper()} motor (M{terminal}) forward ...')
                motor.throttle = args.throttle
                time.sleep(args.duration)
                motor.throttle = None
                if args.no_prompt:
                    say(f'  if the {side} wheel turned backward, set invert_{side}: true')
                    break
                answer = _ask(f'Did the {side.upper()} wheel turn forward (the way the robot '
                              f'should drive)? [y]es / [n]o, backward / [r]epeat: ',
                              stdin, stdout)
                if answer != 'repeat':
                    inverts[side] = wiring.invert_value(answer)
                    break
        release()
        if inverts:
            say('Put this in robot.yaml (src/kropbot_bringup/config/robot.yaml):')
            say(wiring.yaml_snippet(inverts))
        say('Motors released.')
        return 0
    except (KeyboardInterrupt, _Stopped):
        release()
        say('\nInterrupted: motors released.')
        return 130
    except EOFError:
        release()
        say('\nNo answer (end of input): motors released.')
        return 1
    finally:
        release()
        signal.signal(signal.SIGTERM, old_term)


def main(argv=None):
    """Console-script entry point ``wiring_check``."""
    sys.exit(run(argv))


if __name__ == '__main__':
    main()
