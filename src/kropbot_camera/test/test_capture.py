import threading
import time

import cv2
from kropbot_camera.capture import CaptureLoop
from kropbot_camera.config import validate_config
from kropbot_camera.pattern import TestPatternSource
from kropbot_testing.frames import read_counter_strip
import numpy as np


class Sink(list):
    def __call__(self, jpeg, stamp):
        self.append((jpeg, stamp))


class Reports(list):
    def __call__(self, level, message):
        self.append((level, message))


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.01)


def _decode(jpeg):
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


class FakeLiveSource:
    """A device that delivers a frame every 2 ms; counts decodes and closes."""

    live = True

    def __init__(self, fail_retrieve=False):
        self.grabs = self.retrieves = self.closes = 0
        self.fail_retrieve = fail_retrieve

    def grab(self):
        time.sleep(0.002)
        self.grabs += 1
        return True

    def retrieve(self):
        self.retrieves += 1
        if self.fail_retrieve:
            raise RuntimeError('decoder exploded')
        return np.full((60, 80, 3), self.grabs % 256, np.uint8)

    def close(self):
        self.closes += 1


class DownSource(FakeLiveSource):
    def grab(self):
        self.grabs += 1
        return False


def test_test_pattern_frames_are_encoded_in_order_and_resized():
    cfg = validate_config({'width': 64, 'height': 48, 'fps': 50.0, 'jpeg_quality': 90})
    sink = Sink()
    clock = iter(range(1, 10_000))
    loop = CaptureLoop(TestPatternSource(128, 96), lambda: cfg, sink,
                       stamp_clock=lambda: next(clock))
    loop.start()
    _wait(lambda: len(sink) >= 6)
    assert loop.stop()
    frames = [_decode(jpeg) for jpeg, _ in sink]
    assert all(f.shape == (48, 64, 3) for f in frames)
    stamps = [stamp for _, stamp in sink]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert loop.published == len(sink)


def test_live_source_is_read_continuously_but_only_due_frames_are_decoded():
    cfg = validate_config({'width': 80, 'height': 60, 'fps': 10.0})
    source, sink = FakeLiveSource(), Sink()
    loop = CaptureLoop(source, lambda: cfg, sink)
    loop.start()
    time.sleep(0.6)
    assert loop.stop()
    # About 300 grabs at 2 ms, about 6 frames at 10 Hz: generous bounds.
    assert source.grabs > 50
    assert 2 <= len(sink) <= 12
    # A frame decoded while stop() was called is not published.
    assert len(sink) <= source.retrieves <= len(sink) + 1
    assert loop.skipped == source.grabs - source.retrieves
    assert source.closes == 1


def test_source_errors_are_reported_once_and_capture_goes_on():
    cfg = validate_config({'width': 80, 'height': 60, 'fps': 50.0})
    source, sink, reports = FakeLiveSource(fail_retrieve=True), Sink(), Reports()
    loop = CaptureLoop(source, lambda: cfg, sink, report=reports)
    loop.start()
    _wait(lambda: source.retrieves >= 3)
    assert loop.running
    assert loop.stop()
    assert sink == []
    assert len(reports) == 1 and 'decoder exploded' in reports[0][1]


def test_down_source_publishes_nothing_and_stops_promptly():
    cfg = validate_config({'fps': 5.0})
    source, sink = DownSource(), Sink()
    loop = CaptureLoop(source, lambda: cfg, sink)
    loop.start()
    _wait(lambda: source.grabs >= 3)
    start = time.monotonic()
    assert loop.stop()
    assert time.monotonic() - start < 1.0
    assert sink == [] and source.closes == 1


def test_slow_sink_drops_nothing_queued_and_settings_apply_at_run_time():
    cfg = [validate_config({'width': 64, 'height': 48, 'fps': 100.0})]
    release = threading.Event()
    sink = Sink()

    def slow_sink(jpeg, stamp):
        sink(jpeg, stamp)
        release.wait(0.2)

    source = TestPatternSource(64, 48)
    loop = CaptureLoop(source, lambda: cfg[0], slow_sink)
    loop.start()
    _wait(lambda: len(sink) >= 2)
    cfg[0] = validate_config({'width': 32, 'height': 24, 'fps': 100.0})
    release.set()
    _wait(lambda: _decode(sink[-1][0]).shape == (24, 32, 3))
    assert loop.stop()
    # Each published frame is the newest grabbed one: counters never repeat or go back.
    counters = [read_counter_strip(_decode(j)) for j, _ in sink if _decode(j).shape[1] == 64]
    assert counters == sorted(set(counters))
