"""Wiring check logic (pure, no I/O): is the HAT there, which way does each motor turn.

Used by :mod:`kropbot_driver.wiring_check` (``ros2 run kropbot_driver wiring_check``). The
original KropBot found its motors' directions by trial and error; this turns that into one
guided run: probe the I2C bus, run each motor forward for a moment with the wheels off the
ground, ask whether the wheel turned forward, and print the ``invert_left`` /
``invert_right`` values for ``robot.yaml``.
"""

from dataclasses import dataclass

#: The Pi's I2C bus device, present only when I2C is enabled (``board.I2C()`` opens it).
I2C_DEVICE = '/dev/i2c-1'
#: PCA9685 all-call address: every PCA9685 answers there after power-on (datasheet 7.1.3).
ALL_CALL = 0x70
#: Addresses a PCA9685 can have (A0..A5 jumpers; the MotorHAT's base is 0x60).
PCA9685_RANGE = range(0x40, 0x80)

_YES = {'y', 'yes', 'f', 'forward'}
_NO = {'n', 'no', 'b', 'backward', 'backwards'}
_REPEAT = {'r', 'repeat', 'again'}


@dataclass(frozen=True)
class Probe:
    """The verdict of an I2C scan: ``ok`` and a message for the user."""

    ok: bool
    message: str


def hex_list(addresses):
    """Return ``'0x60, 0x70'`` for a list of 7-bit addresses."""
    return ', '.join(f'0x{a:02x}' for a in sorted(addresses))


def i2c_device_error(spec, exists):
    """Return why the real I2C bus cannot be used, or None.

    Args:
        spec: the ``i2c_bus`` value (``''`` is the Pi's bus 1, ``'fake:<path>'`` a simulation).
        exists: ``os.path.exists``-like callable (injected for tests).

    """
    if spec or exists(I2C_DEVICE):
        return None
    return (f'I2C is disabled or absent: {I2C_DEVICE} does not exist. On a Raspberry Pi '
            f'enable it (sudo raspi-config nonint do_i2c 0, or dtparam=i2c_arm=on in '
            f'/boot/firmware/config.txt), reboot, and check that your user is in the i2c '
            f'group.')


def probe_verdict(address, found, bus_name):
    """Judge an I2C scan for the PCA9685 at ``address``.

    Args:
        address: the configured ``i2c_address`` (7-bit).
        found: the addresses that answered the scan.
        bus_name: how to name the bus in messages.

    Returns:
        A :class:`Probe`; when the chip is missing, the message lists what answers and, if a
        PCA9685 seems to sit at another address, the ``i2c_address`` to use.

    """
    found = sorted(set(found))
    if address in found:
        return Probe(True, f'PCA9685 found at 0x{address:02x} on {bus_name}.')
    if not found:
        return Probe(False, f'Nothing answers on {bus_name}: is the HAT seated on the header '
                            f'and powered? (No PCA9685 at 0x{address:02x}.)')
    candidates = [a for a in found if a in PCA9685_RANGE and a != ALL_CALL]
    text = (f'No device at i2c_address 0x{address:02x} on {bus_name}; these answer: '
            f'{hex_list(found)}.')
    if ALL_CALL in found:
        text += f' 0x{ALL_CALL:02x} is the PCA9685 all-call address, so a HAT is there.'
    if len(candidates) == 1:
        text += (f' Set i2c_address: 0x{candidates[0]:02x} in the driver section of '
                 f'robot.yaml (and run this check with --i2c-address 0x{candidates[0]:02x}).')
    elif candidates:
        text += " Set i2c_address in robot.yaml to the HAT's address (its A0..A4 jumpers " \
                'add 1, 2, 4, 8, 16 to 0x60).'
    return Probe(False, text)


def parse_answer(text):
    """Map a reply to ``'forward'``, ``'backward'``, ``'repeat'`` or None (not understood)."""
    word = text.strip().lower()
    if word in _YES:
        return 'forward'
    if word in _NO:
        return 'backward'
    if word in _REPEAT:
        return 'repeat'
    return None


def invert_value(turned):
    """``invert_<side>`` for a motor that turned ``'forward'`` or ``'backward'`` at +throttle."""
    if turned not in ('forward', 'backward'):
        raise ValueError(f"turned must be 'forward' or 'backward', got {turned!r}")
    return turned == 'backward'


def yaml_snippet(inverts):
    """Return the ``robot.yaml`` lines for ``{'left': bool, 'right': bool}``."""
    lines = ['driver:', '  ros__parameters:']
    lines += [f'    invert_{side}: {"true" if inverts[side] else "false"}'
              for side in ('left', 'right') if side in inverts]
    return '\n'.join(lines)
