"""Event sources for the UI loop: SDL (pygame-ce window, keyboard, gamepads) or a plain queue.

Both deliver event dicts (see :mod:`kropbot_remote.app` and :mod:`kropbot_remote.gamepad`) from
:meth:`wait`, accept events from other threads with :meth:`inject` (recorded gamepad replays,
benchmarks) and can be woken with :meth:`wake` (the client does it when a frame arrives).

pygame-ce (SDL 2) is the window and input library: SDL reports key releases and focus changes
(needed to stop on release and on focus loss) and its GameController API reads gamepads on
Linux (evdev), Windows and macOS with one button layout. pygame is imported only by
:class:`SdlSource`.
"""

from collections import deque
import json
import os
import threading
import time


class QueueSource:
    """Events only from :meth:`inject` (``--headless`` without an SDL gamepad, tests, bench)."""

    def __init__(self):
        self._events = deque()
        self._cond = threading.Condition()

    def inject(self, event):
        """Add an event dict (thread-safe)."""
        with self._cond:
            self._events.append(event)
            self._cond.notify()

    def wake(self):
        """Make a pending :meth:`wait` return (thread-safe)."""
        with self._cond:
            self._cond.notify()

    def wait(self, timeout):
        """Return the pending events, waiting up to ``timeout`` s for one or a wake-up."""
        with self._cond:
            if not self._events:
                self._cond.wait(timeout)
            out = list(self._events)
            self._events.clear()
        return out

    def show(self, image):
        """No window: nothing to show."""

    def close(self):
        """Nothing to release."""


class SdlSource(QueueSource):
    """pygame-ce: an optional window (``show``), its keyboard and focus, and game controllers.

    Args:
        window: open a window (else SDL's ``dummy`` video driver: gamepads only).
        title: window title.
        gamepad: ``'auto'`` (the first game controller), ``'none'``, or an SDL device index.
        record: a file to append every gamepad event to (JSON lines with ``t`` in s), or None.

    Raises:
        RuntimeError: if SDL cannot open the video or game controller subsystem (e.g. no
            display: use ``--headless``).

    """

    def __init__(self, window=True, title='KropBot remote', gamepad='auto', record=None):
        super().__init__()
        if not window:
            os.environ.setdefault('SDL_VIDEODRIVER', 'dummy')
        os.environ.setdefault('PYGAME_HIDE_SUPPORT_PROMPT', '1')
        import pygame
        from pygame._sdl2 import controller

        self._pg = pygame
        self._controller = controller
        try:
            pygame.display.init()
            if gamepad != 'none':
                pygame.joystick.init()
                controller.init()
        except pygame.error as exc:
            raise RuntimeError(f'SDL: {exc} (no display? try --headless)') from None
        self._window = window
        self._title = title
        self._surface = None
        self._gamepad = gamepad
        self._pads = {}  # instance id -> Controller
        self._record = open(record, 'a', encoding='utf-8') if record else None
        self._t0 = time.monotonic()
        self._wake_type = pygame.event.custom_type()
        self._types = {getattr(pygame, name): name for name in (
            'CONTROLLERAXISMOTION', 'CONTROLLERBUTTONDOWN', 'CONTROLLERBUTTONUP',
            'CONTROLLERDEVICEADDED', 'CONTROLLERDEVICEREMOVED', 'KEYDOWN', 'KEYUP',
            'WINDOWFOCUSLOST', 'WINDOWFOCUSGAINED', 'QUIT')}

    def wake(self):
        """Post a wake-up event into SDL's queue (SDL_PushEvent is thread-safe)."""
        try:
            self._pg.event.post(self._pg.event.Event(self._wake_type))
        except self._pg.error:
            pass

    def inject(self, event):
        """Add an event dict from another thread and wake the loop."""
        with self._cond:
            self._events.append(event)
        self.wake()

    def wait(self, timeout):
        """Return converted SDL events plus injected ones, waiting up to ``timeout`` s."""
        pg = self._pg
        first = pg.event.wait(max(1, int(timeout * 1000)))
        raw = ([first] if first.type != pg.NOEVENT else []) + pg.event.get()
        out = [e for e in (self.convert(ev) for ev in raw) if e is not None]
        with self._cond:
            out.extend(self._events)
            self._events.clear()
        return out

    def convert(self, ev):
        """Turn one pygame event into an event dict (None for events the client ignores).

        ``CONTROLLERDEVICEADDED`` opens the controller (if ``gamepad`` allows it) and is
        reported with the opened pad's ``instance_id`` and ``name``.
        """
        name = self._types.get(ev.type)
        if name is None:
            return None
        if name in ('KEYDOWN', 'KEYUP'):
            return {'type': name, 'key': self._pg.key.name(ev.key)}
        if name.startswith('CONTROLLER'):
            if name == 'CONTROLLERDEVICEADDED':
                event = self._open(ev.device_index)
            else:
                event = dict(ev.dict, type=name)
                if name == 'CONTROLLERDEVICEREMOVED':
                    pad = self._pads.pop(ev.instance_id, None)
                    if pad is not None:
                        pad.quit()
            if event is not None and self._record:
                self._record.write(json.dumps(dict(event, t=round(
                    time.monotonic() - self._t0, 4))) + '\n')
                self._record.flush()
            return event
        return {'type': name}

    def _open(self, index):
        if self._gamepad == 'none' or (self._gamepad != 'auto' and int(self._gamepad) != index):
            return None
        try:
            pad = self._controller.Controller(index)
            iid = pad.as_joystick().get_instance_id()
        except (self._pg.error, ValueError):
            return None
        self._pads[iid] = pad
        return {'type': 'CONTROLLERDEVICEADDED', 'instance_id': iid, 'name': pad.name}

    def show(self, image):
        """Show a BGR image (H×W×3 uint8) in the window, resizing it to the image."""
        if not self._window:
            return
        pg = self._pg
        height, width = image.shape[:2]
        if self._surface is None or self._surface.get_size() != (width, height):
            self._surface = pg.display.set_mode((width, height))
            pg.display.set_caption(self._title)
        rgb = image[:, :, ::-1].tobytes()
        self._surface.blit(pg.image.frombuffer(rgb, (width, height), 'RGB'), (0, 0))
        pg.display.flip()

    def close(self):
        """Close the window, the controllers and the recording."""
        for pad in self._pads.values():
            pad.quit()
        self._pads.clear()
        if self._record:
            self._record.close()
        self._pg.display.quit()


def load_recording(path):
    """Read a recorded event file: JSON lines (``--record-gamepad``) or one JSON list.

    Returns:
        a list of event dicts sorted by ``t`` (s from the start of the recording).

    Raises:
        ValueError: if the file is not valid JSON of event objects with a numeric ``t``.

    """
    with open(path, encoding='utf-8') as f:
        text = f.read()
    text = text.strip()
    events = json.loads(text) if text.startswith('[') else [
        json.loads(line) for line in text.splitlines() if line.strip()]
    if not all(isinstance(e, dict) and isinstance(e.get('t'), (int, float))
               and isinstance(e.get('type'), str) for e in events):
        raise ValueError(f'{path}: every event needs a "type" and a numeric "t"')
    return sorted(events, key=lambda e: e['t'])


def replay(events, source, start_when=lambda: True, stop=None):
    """Inject recorded ``events`` into ``source`` at their ``t`` (s) in a daemon thread.

    Timing starts once ``start_when()`` is true (polled every 20 ms, e.g. "connected");
    ``stop`` (a threading.Event) ends the replay early. Returns the thread.
    """
    stop = stop or threading.Event()

    def run():
        while not start_when():
            if stop.wait(0.02):
                return
        t0 = time.monotonic()
        for event in events:
            delay = t0 + event['t'] - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            source.inject({k: v for k, v in event.items() if k != 't'})

    thread = threading.Thread(target=run, name='kropbot-remote-replay', daemon=True)
    thread.start()
    return thread
