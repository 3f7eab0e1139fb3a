import cv2
from kropbot_camera.encode import encode_jpeg
from kropbot_camera.opencv_source import OpenCVSource, classify_source
from kropbot_camera.pattern import TestPatternSource
from kropbot_camera.sim_source import SimSource
from kropbot_camera.sources import make_source
from kropbot_testing.frames import read_counter_strip
import numpy as np
import pytest


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class Reports(list):
    def __call__(self, level, message):
        self.append((level, message))

    def at(self, level):
        return [m for lvl, m in self if lvl == level]


def test_test_pattern_changes_between_frames_and_encodes_the_counter():
    src = TestPatternSource(320, 240, wall_clock=lambda: 1_700_000_000.25)
    frames = []
    for _ in range(5):
        assert src.grab()
        frames.append(src.retrieve())
    assert all(f.shape == (240, 320, 3) and f.dtype == np.uint8 for f in frames)
    for a, b in zip(frames, frames[1:]):
        assert (a != b).any()
    assert [read_counter_strip(f) for f in frames] == [1, 2, 3, 4, 5]
    # The strip survives JPEG at the default quality.
    jpeg = encode_jpeg(frames[3], 60)
    assert read_counter_strip(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)) == 4


def test_test_pattern_text_shows_counter_and_clock():
    clock = [1_700_000_000.0]
    src = TestPatternSource(320, 240, wall_clock=lambda: clock[0])
    src.counter = 99  # so frames 100 and 101 both have 3 digits (same text box width)
    src.grab()
    first = src.retrieve()
    src.counter = 99
    src.grab()
    assert np.array_equal(src.retrieve(), first)  # same counter and clock → same image
    src.grab()
    text_box = (slice(0, 16), slice(0, 40))  # '#10x' part
    assert (src.retrieve()[text_box] != first[text_box]).any()
    src.counter = 99
    clock[0] += 3.0  # clock changes, counter is the same
    src.grab()
    assert (src.retrieve()[:16] != first[:16]).any()


def test_test_pattern_rejects_tiny_images():
    with pytest.raises(ValueError):
        TestPatternSource(8, 8)


def test_sim_source_tracks_pose_and_trail():
    pose = [None]
    src = SimSource(lambda: pose[0], 4.0, 160, 120)
    assert src.grab() and src.retrieve().shape == (120, 160, 3)
    assert len(src.trail) == 0
    images = []
    for i in range(5):
        pose[0] = (0.2 * i, 0.0, 0.0)
        src.grab()
        images.append(src.retrieve())
    assert len(src.trail) == 5 and src.trail[-1] == (0.8, 0.0)
    assert (images[0] != images[-1]).any()
    src.grab()  # robot did not move: no new trail point
    assert len(src.trail) == 5


@pytest.mark.parametrize('spec, kind, target', [
    ('0', 'device', 0), ('12', 'device', 12), ('/dev/video2', 'device', '/dev/video2'),
    ('rtsp://cam.local/stream', 'url', 'rtsp://cam.local/stream'),
    ('libcamerasrc ! appsink', 'gstreamer', 'libcamerasrc ! appsink'),
    ('/tmp/clip.avi', 'file', '/tmp/clip.avi'), ('img_%03d.jpg', 'file', 'img_%03d.jpg'),
])
def test_classify_source(spec, kind, target):
    assert classify_source(spec) == (kind, target)


def test_make_source_picks_the_kind():
    assert isinstance(make_source('test_pattern', 64, 48, 5.0), TestPatternSource)
    assert isinstance(make_source('sim', 64, 48, 5.0, pose_provider=lambda: None), SimSource)
    assert isinstance(make_source('/dev/video0', 64, 48, 5.0), OpenCVSource)
    with pytest.raises(ValueError):
        make_source('sim', 64, 48, 5.0)
    with pytest.raises(ValueError):
        make_source(' ', 64, 48, 5.0)


def _write_video(path, levels, size=(64, 48)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10.0, size)
    assert writer.isOpened()
    for level in levels:
        writer.write(np.full((size[1], size[0], 3), level, np.uint8))
    writer.release()


def _level(frame):
    return int(round(float(frame.mean()) / 10.0) * 10)


def test_video_file_loops_at_end(tmp_path):
    path = tmp_path / 'clip.avi'
    levels = [20, 60, 100, 140, 180]
    _write_video(path, levels)
    reports = Reports()
    src = OpenCVSource(str(path), 64, 48, 10.0, 1.0, report=reports)
    assert not src.live
    seen = []
    for _ in range(12):
        assert src.grab()
        frame = src.retrieve()
        assert frame.shape == (48, 64, 3)
        seen.append(_level(frame))
    assert seen == (levels * 3)[:12]
    assert src.loops == 2 and src.failures == 0 and src.is_up
    assert len(reports.at('info')) == 1 and 'streaming 64x48' in reports.at('info')[0]
    assert reports.at('error') == []
    src.close()
    src.close()


@pytest.mark.parametrize('spec', ['/dev/video99', '99'])
def test_missing_device_reports_once_and_retries(spec):
    clock, reports = FakeClock(), Reports()
    src = OpenCVSource(spec, 64, 48, 10.0, 2.0, report=reports, clock=clock)
    assert src.live
    assert src.grab() is False
    assert src.attempts == 1 and src.failures == 1
    assert len(reports.at('error')) == 1
    assert '/dev/video99 does not exist' in reports.at('error')[0]
    assert 'retrying every 2 s' in reports.at('error')[0]
    clock.t += 1.0
    assert src.grab() is False and src.attempts == 1  # not yet due
    clock.t += 1.0
    assert src.grab() is False and src.attempts == 2  # retried after retry_period
    for _ in range(3):
        clock.t += 2.0
        assert src.grab() is False
    assert src.attempts == 5 and src.failures == 1
    assert len(reports) == 1  # one line for the whole episode
    assert src.retrieve() is None


def test_missing_file_recovers_when_it_appears(tmp_path):
    clock, reports = FakeClock(), Reports()
    path = tmp_path / 'late.avi'
    src = OpenCVSource(str(path), 64, 48, 10.0, 0.5, report=reports, clock=clock)
    assert not src.grab()
    assert 'no such file' in reports.at('error')[0]
    _write_video(path, [50, 50])
    assert not src.grab()  # retry not due yet
    clock.t += 0.5
    assert src.grab() and _level(src.retrieve()) == 50
    assert 'recovered' in reports.at('info')[0]
    assert src.failures == 1 and src.is_up


def test_unreadable_file_is_a_failure_not_an_exception(tmp_path):
    path = tmp_path / 'junk.avi'
    path.write_bytes(b'not a video at all' * 100)
    reports = Reports()
    src = OpenCVSource(str(path), 64, 48, 10.0, 5.0, report=reports, clock=FakeClock())
    assert not src.grab() and not src.grab()
    assert len(reports.at('error')) == 1 and src.attempts == 1


def test_bad_gstreamer_pipeline_is_reported():
    reports = Reports()
    src = OpenCVSource('nosuchelement ! appsink', 64, 48, 10.0, 1.0, report=reports,
                       clock=FakeClock())
    assert src.kind == 'gstreamer' and src.live
    assert not src.grab()
    assert len(reports.at('error')) == 1
    assert 'GStreamer' in reports.at('error')[0]


def test_counter_strip_wraps():
    src = TestPatternSource(64, 48)
    src.counter = 2 ** 16 + 6
    src.grab()
    assert read_counter_strip(src.retrieve()) == 7


def test_dropped_stream_is_reported_once_and_reopened(tmp_path):
    # A file:// URL is a live stream to the source (FFmpeg backend): its end is a dropped stream.
    path = tmp_path / 'stream.avi'
    _write_video(path, [30, 90])
    clock, reports = FakeClock(), Reports()
    src = OpenCVSource(f'file://{path}', 64, 48, 10.0, 1.0, report=reports, clock=clock)
    assert src.kind == 'url' and src.live
    assert src.grab() and _level(src.retrieve()) == 30
    assert src.grab() and _level(src.retrieve()) == 90
    assert not src.grab()  # stream ended: dropped, not looped
    assert src.failures == 1 and 'stopped delivering frames' in reports.at('error')[0]
    assert not src.grab() and src.attempts == 1  # waits for retry_period
    clock.t += 1.0
    assert src.grab() and _level(src.retrieve()) == 30  # reopened
    assert src.attempts == 2 and len(reports.at('error')) == 1
    assert 'recovered' in reports.at('info')[-1]
