"""Pure velocity logic of the desktop client: stick and keys to a twist, and input arbitration.

No device, window or clock here (teleop_tools key_teleop style: the UI is injected). Units are
REP 103: ``linear`` is forward speed along +x of ``base_link`` (m/s), ``angular`` the yaw rate
about +z (rad/s, counter-clockwise = left turn positive).

Stick axes are SDL's game-controller convention, normalised to [-1, 1]: x grows to the right,
y grows **down** (SDL_CONTROLLER_AXIS_LEFTY). So stick up gives +linear and stick left gives
+angular (a left turn), as in teleop_twist_joy with its default Xbox mapping.
"""

from dataclasses import dataclass
import math

#: Logical keyboard keys (what :data:`KEY_BINDINGS` maps physical keys to).
FORWARD, BACK, LEFT, RIGHT, STOP = 'forward', 'back', 'left', 'right', 'stop'
#: Physical key names (pygame ``key.name``) -> logical key: arrows and WASD, space = stop.
KEY_BINDINGS = {'up': FORWARD, 'w': FORWARD, 'down': BACK, 's': BACK, 'left': LEFT, 'a': LEFT,
                'right': RIGHT, 'd': RIGHT, 'space': STOP}


@dataclass(frozen=True)
class Limits:
    """Command bounds: ``|linear| <= max_linear`` (m/s), ``|angular| <= max_angular`` (rad/s).

    Raises:
        ValueError: if a bound is not a finite number > 0.

    """

    max_linear: float = 0.3
    max_angular: float = 1.5

    def __post_init__(self):
        for name in ('max_linear', 'max_angular'):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be a finite number > 0, got {value!r}')


@dataclass(frozen=True)
class Twist:
    """A planar velocity command: ``linear`` (m/s) and ``angular`` (rad/s)."""

    linear: float = 0.0
    angular: float = 0.0

    def is_zero(self):
        """Return True for the stop command."""
        return self.linear == 0.0 and self.angular == 0.0


STOP_TWIST = Twist()


def shape_axis(value, dead_zone=0.15, expo=0.3):
    """Apply a dead zone and an expo curve to one stick axis.

    ``|value| <= dead_zone`` gives 0; above it the rest of the travel is rescaled to (0, 1] so
    the output is continuous, ``u = (|v| - dz) / (1 - dz)``, then the RC-style expo curve
    ``(1 - expo)·u + expo·u³`` (fine control near the centre, full output at the end stop),
    with the sign of ``value``.

    Args:
        value: axis position, nominally [-1, 1]; values beyond are clamped, NaN gives 0.
        dead_zone: [0, 1) fraction of the travel ignored around the centre.
        expo: [0, 1], 0 = linear.

    Returns:
        float in [-1, 1], monotonic non-decreasing in ``value``, odd (``f(-v) = -f(v)``).

    Raises:
        ValueError: on a dead zone outside [0, 1) or an expo outside [0, 1].

    """
    if not 0.0 <= dead_zone < 1.0:
        raise ValueError(f'dead_zone must be in [0, 1), got {dead_zone!r}')
    if not 0.0 <= expo <= 1.0:
        raise ValueError(f'expo must be in [0, 1], got {expo!r}')
    if not math.isfinite(value):
        return 0.0 if math.isnan(value) else math.copysign(1.0, value)
    magnitude = min(abs(value), 1.0)
    if magnitude <= dead_zone:
        return 0.0
    u = (magnitude - dead_zone) / (1.0 - dead_zone)
    return math.copysign(min(1.0, (1.0 - expo) * u + expo * u ** 3), value)


def stick_to_twist(x, y, limits, dead_zone=0.15, expo=0.3):
    """Map the left stick ``(x, y)`` (SDL convention, see module doc) to a :class:`Twist`.

    ``linear = -shape(y)·max_linear`` (stick up = forward), ``angular = -shape(x)·max_angular``
    (stick left = +yaw, a left turn, REP 103). Each axis has its own dead zone, so pushing
    straight up never turns the robot because of a slightly crooked thumb.

    Returns:
        a :class:`Twist` within ``limits``; zero inside the dead zone.

    """
    linear = -shape_axis(y, dead_zone, expo) * limits.max_linear
    angular = -shape_axis(x, dead_zone, expo) * limits.max_angular
    return Twist(linear + 0.0, angular + 0.0)  # + 0.0 turns -0.0 into 0.0


def keys_to_twist(held, limits):
    """Map the held logical keys (a set of :data:`FORWARD` ...) to a :class:`Twist`.

    Forward/back give ``±max_linear``, left/right ``±max_angular``; opposite keys cancel;
    :data:`STOP` (or nothing) gives zero. Key combinations drive diagonally (e.g. forward+left
    = an arc to the left).
    """
    if STOP in held:
        return STOP_TWIST
    linear = ((FORWARD in held) - (BACK in held)) * limits.max_linear
    angular = ((LEFT in held) - (RIGHT in held)) * limits.max_angular
    return Twist(float(linear), float(angular))


@dataclass(frozen=True)
class Inputs:
    """Everything the arbiter looks at, sampled once per UI loop.

    Attributes:
        keys: the held logical keys (frozenset).
        focused: the window has keyboard focus (always True for ``--headless``).
        gamepad_connected: a gamepad is open.
        stick: the left stick ``(x, y)`` in [-1, 1] (SDL convention).
        deadman: the hold-to-drive button is held.
        stop_button: the gamepad's stop button is held.

    """

    keys: frozenset = frozenset()
    focused: bool = True
    gamepad_connected: bool = False
    stick: tuple = (0.0, 0.0)
    deadman: bool = False
    stop_button: bool = False


@dataclass(frozen=True)
class Decision:
    """The arbiter's output: the ``twist`` to send, its ``source`` and a ``note`` for the user.

    ``source`` is one of ``'keyboard'``, ``'gamepad'``, ``'idle'`` (nothing pressed: stop) or
    ``'stop'`` (a stop condition: the note says which).
    """

    twist: Twist
    source: str
    note: str = ''


class Arbiter:
    """Choose the command from keyboard and gamepad, stopping whenever in doubt.

    Priorities (first match wins):

    1. window not focused → stop ("window not focused"): the keyboard cannot see releases and
       the operator is looking elsewhere, so the gamepad does not drive either;
    2. a stop key or stop button held → stop, and the stop is **latched** until every drive
       input is released (keys up and the stick back in its dead zone), so releasing the stop
       button with the stick still pushed does not lurch the robot;
    3. drive keys held → the keyboard command;
    4. a gamepad with the stick out of its dead zone → the stick command, only while the
       hold-to-drive (dead-man) button is held when ``hold_to_drive`` (default), as
       teleop_twist_joy's ``enable_button``;
    5. otherwise → stop ("idle"): releasing everything sends stop.

    A gamepad that disappears simply stops contributing (its reader reports nothing held), and
    the note tells the user.

    Args:
        limits: :class:`Limits` of the command.
        dead_zone, expo: stick shaping (see :func:`shape_axis`).
        hold_to_drive: require the dead-man button for gamepad driving.

    """

    def __init__(self, limits, dead_zone=0.15, expo=0.3, hold_to_drive=True):
        self.limits = limits
        self.dead_zone = dead_zone
        self.expo = expo
        self.hold_to_drive = hold_to_drive
        self.stop_latched = False

    def decide(self, inputs):
        """Return the :class:`Decision` for ``inputs`` (an :class:`Inputs`)."""
        drive_keys = inputs.keys - {STOP}
        stick = (stick_to_twist(*inputs.stick, self.limits, self.dead_zone, self.expo)
                 if inputs.gamepad_connected else STOP_TWIST)
        if not inputs.focused:
            self.stop_latched = True  # focus back with the stick pushed must not drive at once
            return Decision(STOP_TWIST, 'stop', 'window not focused')
        if STOP in inputs.keys or (inputs.gamepad_connected and inputs.stop_button):
            self.stop_latched = True
            return Decision(STOP_TWIST, 'stop', 'stop pressed')
        if self.stop_latched:
            if drive_keys or not stick.is_zero():
                return Decision(STOP_TWIST, 'stop', 'stopped: release all inputs to drive again')
            self.stop_latched = False
        if drive_keys:
            return Decision(keys_to_twist(drive_keys, self.limits), 'keyboard')
        if not stick.is_zero():
            if self.hold_to_drive and not inputs.deadman:
                return Decision(STOP_TWIST, 'idle', 'hold LB or RB to drive')
            return Decision(stick, 'gamepad')
        return Decision(STOP_TWIST, 'idle',
                        '' if inputs.gamepad_connected else 'no gamepad: keys drive')
