"""Gamepad reader fed recorded SDL events, the real pygame adapter, the App loop logic.

``fixtures/xbox_drive.jsonl`` is a drive in the ``--record-gamepad`` format: the events SDL
reports for an Xbox 360 pad (stick noise, RB held, the stick pushed up, released). No pad is
attached to the test machines, so it was written in that format rather than recorded live;
the test below checks that real SDL events convert and record into exactly this format.
"""

import json
import os
from pathlib import Path

from kropbot_gateway.client_protocol import OPERATOR, Frame
from kropbot_remote.app import App, overlay_lines
from kropbot_remote.client import CONNECTED, RECONNECTING, Snapshot
from kropbot_remote.gamepad import GamepadReader
from kropbot_remote.sources import load_recording
from kropbot_remote.teleop import Arbiter, Limits, Twist
import pytest

FIXTURE = Path(__file__).parent / 'fixtures' / 'xbox_drive.jsonl'


class FakeClient:
    def __init__(self):
        self.commands = []

    def set_command(self, twist):
        self.commands.append(twist)


def replay_app(events, **arbiter_kwargs):
    app = App(FakeClient(), Arbiter(Limits(0.3, 1.5), **arbiter_kwargs))
    out = []
    for event in events:
        app.handle([{k: v for k, v in event.items() if k != 't'}])
        out.append((event['t'], app.update()))
    return app, out


def test_recorded_drive_goes_forward_then_stops_on_release():
    app, out = replay_app(load_recording(FIXTURE))
    by_time = {t: d for t, d in out}
    assert by_time[0.05].twist.is_zero()  # stick noise inside the dead zone
    assert by_time[0.2].twist.is_zero()  # dead-man held, stick centred
    assert by_time[0.4].twist == Twist(0.3, 0.0)  # full up: forward at max_linear
    assert by_time[0.45].twist == Twist(0.3, 0.0)  # 6 % sideways is inside the dead zone
    assert 0.0 < by_time[3.0].twist.linear < 0.3
    assert by_time[3.1].twist.is_zero() and by_time[3.2].twist.is_zero()
    assert app.gamepad.state.name == 'Xbox 360 Controller'
    assert app.client.commands[-1].is_zero()


def test_unplugging_mid_drive_stops_and_says_so():
    events = load_recording(FIXTURE)[:7]  # driving forward at full stick
    app, out = replay_app(events)
    assert out[-1][1].twist == Twist(0.3, 0.0)
    app.handle([{'type': 'CONTROLLERDEVICEREMOVED', 'instance_id': 0}])
    assert app.update().twist.is_zero()
    assert app.gamepad.unplugged and not app.gamepad.state.connected
    lines = [text for text, _ in overlay_lines(Snapshot(), app, 0.0, 'ws://x/')]
    assert 'gamepad disconnected' in lines
    # a second pad's events are ignored until it is announced; then it takes over
    app.handle([{'type': 'CONTROLLERAXISMOTION', 'instance_id': 7, 'axis': 1, 'value': -32768}])
    assert app.update().twist.is_zero()


def test_other_pads_and_garbage_are_ignored():
    reader = GamepadReader()
    assert not reader.feed({'type': 'CONTROLLERAXISMOTION', 'instance_id': 0, 'axis': 1,
                            'value': 5})
    reader.feed({'type': 'CONTROLLERDEVICEADDED', 'instance_id': 3, 'name': 'pad'})
    assert not reader.feed({'type': 'CONTROLLERDEVICEADDED', 'instance_id': 4})
    assert not reader.feed({'type': 'CONTROLLERBUTTONDOWN', 'instance_id': 4, 'button': 10})
    assert not reader.feed({'type': 'CONTROLLERAXISMOTION', 'instance_id': 3, 'axis': 'x',
                            'value': 1})
    assert not reader.feed({'type': 'NONSENSE'})
    assert reader.feed({'type': 'CONTROLLERAXISMOTION', 'instance_id': 3, 'axis': 1,
                        'value': 99999})
    assert reader.state.stick == (0.0, 1.0)


def test_keyboard_drives_and_focus_loss_releases():
    app = App(FakeClient(), Arbiter(Limits(0.3, 1.5)))
    app.handle([{'type': 'KEYDOWN', 'key': 'up'}, {'type': 'KEYDOWN', 'key': 'a'}])
    assert app.update().twist == Twist(0.3, 1.5)
    app.handle([{'type': 'KEYUP', 'key': 'a'}])
    assert app.update().twist == Twist(0.3, 0.0)
    app.handle([{'type': 'KEYDOWN', 'key': 'x'}])  # unbound keys do nothing
    assert app.update().twist == Twist(0.3, 0.0)
    app.handle([{'type': 'WINDOWFOCUSLOST'}])
    d = app.update()
    assert d.twist.is_zero() and d.note == 'window not focused'
    app.handle([{'type': 'WINDOWFOCUSGAINED'}])
    assert app.update().twist.is_zero()  # the key was forgotten: nothing held
    app.handle([{'type': 'KEYDOWN', 'key': 'space'}])
    assert app.update().note == 'stop pressed'
    app.handle([{'type': 'KEYDOWN', 'key': 'escape'}])
    assert app.quit


def test_limits_follow_crowd_status_unless_fixed():
    app = App(FakeClient(), Arbiter(Limits(0.3, 1.5)))
    app.handle([{'type': 'KEYDOWN', 'key': 'w'}])
    assert app.update({'max_linear': 0.5, 'max_angular': 2.0}).twist == Twist(0.5, 0.0)
    assert app.update({'max_linear': 'bad'}).twist == Twist(0.5, 0.0)
    fixed = App(FakeClient(), Arbiter(Limits(0.1, 1.0)), fixed_limits=True)
    fixed.handle([{'type': 'KEYDOWN', 'key': 'w'}])
    assert fixed.update({'max_linear': 0.5, 'max_angular': 2.0}).twist == Twist(0.1, 0.0)


def test_overlay_lines_show_state_role_crowd_and_frame_age():
    app = App(FakeClient(), Arbiter(Limits()))
    app.update()
    snap = Snapshot(state=CONNECTED, role=OPERATOR, auth='refused',
                    frame=Frame(b'', 100.0), frames=12,
                    status={'voters': 3, 'command': {'linear': 0.2, 'angular': -0.5},
                            'operator': False},
                    messages=[(100.0, 'error', 'op "auth" is not available')])
    text = '\n'.join(t for t, _ in overlay_lines(snap, app, 100.25, 'ws://robot:9090/'))
    assert 'connected ws://robot:9090/' in text
    assert 'REFUSED' in text
    assert 'crowd: 3 voters, fused +0.20 m/s -0.50 rad/s' in text
    assert 'frame 12 age 250 ms' in text
    assert 'gateway error: op "auth" is not available' in text
    snap = Snapshot(state=RECONNECTING, retry_at=102.0, detail='connection lost')
    text = '\n'.join(t for t, _ in overlay_lines(snap, app, 100.0, 'ws://r/'))
    assert 'reconnecting in 2.0 s (connection lost)' in text and 'waiting for the camera' in text


def test_record_format_round_trips(tmp_path):
    path = tmp_path / 'rec.jsonl'
    events = load_recording(FIXTURE)
    path.write_text(json.dumps(events))  # a JSON list works too
    assert load_recording(path) == events
    path.write_text('{"type": "X"}\n')
    with pytest.raises(ValueError, match='numeric "t"'):
        load_recording(path)


@pytest.fixture
def sdl(monkeypatch, tmp_path):
    monkeypatch.setenv('SDL_VIDEODRIVER', 'dummy')
    monkeypatch.setenv('SDL_AUDIODRIVER', 'dummy')
    from kropbot_remote.sources import SdlSource
    source = SdlSource(window=False, gamepad='auto', record=tmp_path / 'rec.jsonl')
    yield source
    source.close()


def test_pygame_events_convert_to_the_recorded_format(sdl, tmp_path):
    """Real SDL events through pygame's queue: the same dicts the recordings hold."""
    import pygame

    assert pygame.CONTROLLER_AXIS_LEFTY == 1 and pygame.CONTROLLER_BUTTON_B == 1
    assert pygame.CONTROLLER_BUTTON_RIGHTSHOULDER == 10
    for kind, attrs in [
        (pygame.CONTROLLERAXISMOTION, {'instance_id': 0, 'axis': 1, 'value': -32768}),
        (pygame.CONTROLLERBUTTONDOWN, {'instance_id': 0, 'button': 10}),
        (pygame.KEYDOWN, {'key': pygame.K_UP}),
        (pygame.WINDOWFOCUSLOST, {}),
        (pygame.CONTROLLERDEVICEREMOVED, {'instance_id': 0}),
    ]:
        pygame.event.post(pygame.event.Event(kind, **attrs))
    sdl.inject({'type': 'KEYUP', 'key': 'up'})
    events = sdl.wait(0.5)
    assert {'type': 'CONTROLLERAXISMOTION', 'instance_id': 0, 'axis': 1,
            'value': -32768} in events
    assert {'type': 'CONTROLLERBUTTONDOWN', 'instance_id': 0, 'button': 10} in events
    assert {'type': 'KEYDOWN', 'key': 'up'} in events
    assert {'type': 'WINDOWFOCUSLOST'} in events
    assert {'type': 'CONTROLLERDEVICEREMOVED', 'instance_id': 0} in events
    assert events[-1] == {'type': 'KEYUP', 'key': 'up'}
    # a wake-up from another thread returns an empty batch at once
    sdl.wake()
    assert sdl.wait(5.0) == []
    assert os.environ['SDL_VIDEODRIVER'] == 'dummy'
    # --record-gamepad wrote the pad's events, which replay as they came
    recorded = load_recording(tmp_path / 'rec.jsonl')
    assert [{k: v for k, v in e.items() if k != 't'} for e in recorded] == [
        e for e in events if e['type'].startswith('CONTROLLER')]


class ModeratingClient(FakeClient):
    def __init__(self, role):
        super().__init__()
        self.role = role
        self.moderated = []

    def moderate(self, action, **fields):
        self.moderated.append((action, fields))


def test_operator_keys_pause_resume_and_cycle_the_mode():
    operator = App(ModeratingClient(OPERATOR), Arbiter(Limits()))
    operator.update({'mode': 'anarchy', 'paused': False})
    operator.handle([{'type': 'KEYDOWN', 'key': 'p'}, {'type': 'KEYDOWN', 'key': 'm'}])
    operator.update({'mode': 'democracy', 'paused': True})
    operator.handle([{'type': 'KEYDOWN', 'key': 'p'}, {'type': 'KEYDOWN', 'key': 'm'}])
    operator.update({'mode': 'queue', 'paused': False})
    operator.handle([{'type': 'KEYDOWN', 'key': 'm'}])
    assert operator.client.moderated == [
        ('pause', {}), ('mode', {'mode': 'democracy'}), ('resume', {}),
        ('mode', {'mode': 'queue'}), ('mode', {'mode': 'vote'})]
    assert operator.update().twist == Twist(0.0, 0.0)  # the keys never drive
    crowd = App(ModeratingClient('crowd'), Arbiter(Limits()))
    crowd.handle([{'type': 'KEYDOWN', 'key': 'p'}, {'type': 'KEYDOWN', 'key': 'm'}])
    assert crowd.client.moderated == []


def test_overlay_shows_the_mode_and_the_pause():
    app = App(FakeClient(), Arbiter(Limits()))
    app.update()
    status = {'voters': 1, 'mode': 'democracy', 'mode_source': 'crowd', 'paused': True}
    lines = overlay_lines(Snapshot(state=CONNECTED, role=OPERATOR, auth='ok', status=status),
                          app, 0.0, 'ws://r/')
    text = '\n'.join(t for t, _ in lines)
    assert 'PAUSED BY THE OPERATOR' in text
    assert 'mode: democracy (chosen by the crowd) - keys: p pause/resume, m next mode' in text
    crowd = overlay_lines(Snapshot(state=CONNECTED, status={'mode': 'queue'}), app, 0.0, 'ws://r/')
    assert 'mode: queue' in [t for t, _ in crowd]
    default = overlay_lines(Snapshot(state=CONNECTED, status={'mode': 'vote'}), app, 0.0, 'w/')
    assert not any(t.startswith('mode:') for t, _ in default)  # the default mode: no line
