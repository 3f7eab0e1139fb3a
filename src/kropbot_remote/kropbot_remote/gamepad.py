"""Gamepad state from SDL game-controller events (pure: events are plain dicts, no device).

The desktop reads gamepads with SDL2's GameController API through pygame-ce (Linux evdev,
Windows XInput/DirectInput, macOS IOKit; SDL's mapping database gives every known pad the Xbox
layout, so "left stick" and "B" mean the same button on any pad). The adapter in
:mod:`kropbot_remote.sdl` turns each pygame event into a dict ``{'type': <SDL event name>,
...attributes}`` and feeds it to :class:`GamepadReader`; tests feed recorded dicts instead
(``--record-gamepad`` writes them, one JSON object per line, with ``t`` in s).

Event dicts (SDL 2 names and attributes, as pygame-ce delivers them):

* ``{'type': 'CONTROLLERDEVICEADDED', 'instance_id': id, 'name': str}`` (``instance_id`` of the
  opened controller; the adapter opens it),
* ``{'type': 'CONTROLLERDEVICEREMOVED', 'instance_id': id}``,
* ``{'type': 'CONTROLLERAXISMOTION', 'instance_id': id, 'axis': n, 'value': -32768..32767}``,
* ``{'type': 'CONTROLLERBUTTONDOWN'|'CONTROLLERBUTTONUP', 'instance_id': id, 'button': n}``.

Axis and button numbers are SDL's ``SDL_GameControllerAxis`` / ``SDL_GameControllerButton``.
"""

from dataclasses import dataclass, field

#: SDL_CONTROLLER_AXIS_LEFTX / LEFTY (pygame.CONTROLLER_AXIS_LEFTX ...).
AXIS_LEFTX, AXIS_LEFTY = 0, 1
#: SDL_CONTROLLER_BUTTON_A, _B, _LEFTSHOULDER, _RIGHTSHOULDER.
BUTTON_A, BUTTON_B, BUTTON_LEFTSHOULDER, BUTTON_RIGHTSHOULDER = 0, 1, 9, 10
#: Buttons that act as the hold-to-drive (dead-man) switch: either shoulder button (LB/RB).
DEADMAN_BUTTONS = frozenset({BUTTON_LEFTSHOULDER, BUTTON_RIGHTSHOULDER})
#: The stop button: B (the red one on an Xbox pad).
STOP_BUTTONS = frozenset({BUTTON_B})
AXIS_SCALE = 32768.0  # SDL axis values are int16


@dataclass
class GamepadState:
    """What one gamepad reports now.

    Attributes:
        instance_id: SDL instance id of the pad in use, None when none is connected.
        name: its name ('' when none).
        axes: ``{axis number: value in [-1, 1]}``.
        buttons: set of held button numbers.

    """

    instance_id: int = None
    name: str = ''
    axes: dict = field(default_factory=dict)
    buttons: set = field(default_factory=set)

    @property
    def connected(self):
        """True while a pad is in use."""
        return self.instance_id is not None

    @property
    def stick(self):
        """The left stick ``(x, y)`` in [-1, 1], SDL convention (y down)."""
        return self.axes.get(AXIS_LEFTX, 0.0), self.axes.get(AXIS_LEFTY, 0.0)

    @property
    def deadman(self):
        """True while a hold-to-drive button is held."""
        return bool(self.buttons & DEADMAN_BUTTONS)

    @property
    def stop_button(self):
        """True while a stop button is held."""
        return bool(self.buttons & STOP_BUTTONS)


class GamepadReader:
    """Fold SDL controller event dicts into a :class:`GamepadState` of the first pad.

    The first pad that appears is used until it is removed; events of other pads are ignored
    (then the next ``CONTROLLERDEVICEADDED`` takes over). Removal resets everything to
    neutral, so a pad unplugged mid-drive stops contributing at once.

    Attributes:
        state: the current :class:`GamepadState`.
        unplugged: True once the pad in use was removed (until another one arrives): the UI
            says "gamepad disconnected" instead of "no gamepad".

    """

    def __init__(self):
        self.state = GamepadState()
        self.unplugged = False

    def feed(self, event):
        """Apply one event dict; unknown types and malformed events are ignored.

        Returns:
            True if the state changed.

        """
        kind = event.get('type')
        iid = event.get('instance_id')
        if kind == 'CONTROLLERDEVICEADDED':
            if self.state.connected:
                return False
            self.state = GamepadState(iid, str(event.get('name', '')))
            self.unplugged = False
            return True
        if not self.state.connected or iid != self.state.instance_id:
            return False
        if kind == 'CONTROLLERDEVICEREMOVED':
            self.state = GamepadState()
            self.unplugged = True
            return True
        if kind == 'CONTROLLERAXISMOTION':
            axis, value = event.get('axis'), event.get('value')
            if not isinstance(axis, int) or not isinstance(value, (int, float)):
                return False
            self.state.axes[axis] = max(-1.0, min(1.0, value / AXIS_SCALE))
            return True
        if kind in ('CONTROLLERBUTTONDOWN', 'CONTROLLERBUTTONUP'):
            button = event.get('button')
            if not isinstance(button, int):
                return False
            if kind == 'CONTROLLERBUTTONDOWN':
                self.state.buttons.add(button)
            else:
                self.state.buttons.discard(button)
            return True
        return False
