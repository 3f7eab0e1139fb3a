"""The capture thread: grab → stamp → (skip or) retrieve → fit → JPEG → sink. No ROS imports.

Only the newest frame exists at any time: nothing is queued between grabbing and the sink, so
memory cannot grow, and the sink (the ROS publisher, which never blocks on a KEEP_LAST depth 1
queue) cannot slow capture down. Live sources are read continuously and frames that arrive
before the next publish slot are grabbed but not decoded; other sources are paced with a
deadline so the average rate is ``fps``.
"""

import threading
import time

from kropbot_camera.encode import encode_jpeg, fit_frame


def _no_report(level, message):
    """Discard a report (default report callable)."""


class CaptureLoop:
    """Runs a frame source on a dedicated daemon thread and hands JPEG frames to a sink.

    Args:
        source: object with ``grab()``, ``retrieve()``, ``close()`` and ``live`` (see
            :mod:`kropbot_camera.sources`). Opened, read and closed only on the capture thread.
        settings: callable returning the current settings (an object with ``width``,
            ``height`` (px), ``fps`` (Hz) and ``jpeg_quality`` (1..100) attributes, e.g. a
            :class:`kropbot_camera.config.CameraConfig`); read once per frame, so run-time
            changes apply to the next frame.
        sink: callable ``(jpeg: bytes, stamp)`` called on the capture thread for every frame.
        stamp_clock: callable returning the capture stamp, called right after a successful
            grab (the node passes its ROS clock's ``now``).
        report: callable ``(level, message)`` for unexpected errors (one line per episode).

    Attributes:
        published: frames handed to the sink.
        skipped: frames grabbed from a live source but dropped (they came before their slot).

    """

    def __init__(self, source, settings, sink, stamp_clock=time.time, report=_no_report):
        self.source = source
        self._settings = settings
        self._sink = sink
        self._stamp_clock = stamp_clock
        self._report = report
        self._stop = threading.Event()
        self._thread = None
        self._error = None
        self.published = 0
        self.skipped = 0

    def start(self):
        """Start the capture thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name='kropbot_camera_capture',
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout=2.0):
        """Ask the thread to stop and wait up to ``timeout`` s; return True if it ended.

        A source blocked inside OpenCV (e.g. a device grab) may outlive the timeout; the thread
        is a daemon, so it never keeps the process alive, and it calls the sink no more.
        """
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self):
        """True while the capture thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self):
        try:
            next_due = time.monotonic()
            while not self._stop.is_set():
                try:
                    next_due = self._step(next_due)
                except Exception as exc:  # noqa: BLE001 - keep capturing whatever happens
                    self._on_error(exc)
                    self._stop.wait(0.5)
        finally:
            self.source.close()

    def _on_error(self, exc):
        text = f'{type(exc).__name__}: {exc}'
        if text != self._error:
            self._error = text
            self._report('error', f'camera capture error (frame dropped): {text}')

    def _step(self, next_due):
        cfg = self._settings()
        period = 1.0 / cfg.fps
        source = self.source
        if not source.live:
            delay = next_due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
                return next_due
        if not source.grab():
            self._stop.wait(min(period, 0.1))
            return max(next_due, time.monotonic())
        stamp = self._stamp_clock()
        now = time.monotonic()
        if source.live and now < next_due:
            self.skipped += 1
            return next_due
        # Keep the average rate at fps, but never burst to catch up after a stall.
        next_due = next_due + period if now - next_due < period else now + period
        frame = source.retrieve()
        if frame is None:
            return next_due
        jpeg = encode_jpeg(fit_frame(frame, cfg.width, cfg.height), cfg.jpeg_quality)
        if self._stop.is_set():
            return next_due
        self._sink(jpeg, stamp)
        self.published += 1
        self._error = None
        return next_due
