"""OpenCV frame source: ``cv2.VideoCapture`` with the camera node's retry/loop policy.

Devices, files, URLs and GStreamer pipelines (see :func:`classify_source`), behind the source
interface of :mod:`kropbot_camera.sources`. No ROS imports: state changes are reported through
a plain ``report(level, message)`` callable.
"""

import math
import os
import re
import time

import cv2

_GSTREAMER = None


def opencv_has_gstreamer():
    """Return True if this OpenCV build can open GStreamer pipelines (``CAP_GSTREAMER``)."""
    global _GSTREAMER
    if _GSTREAMER is None:
        _GSTREAMER = bool(re.search(r'GStreamer:\s*YES', cv2.getBuildInformation()))
    return _GSTREAMER


def _no_report(level, message):
    """Discard a report (default report callable)."""


def classify_source(spec):
    """Tell what kind of OpenCV source a ``source`` parameter names.

    Rules, in order: only digits → device index (int); contains ``!`` → GStreamer pipeline;
    contains ``://`` → URL (rtsp, http, ...); starts with ``/dev/`` → device path; anything
    else → file path (a video file or an image sequence pattern such as ``img_%03d.jpg``).

    Args:
        spec: the ``source`` parameter (str).

    Returns:
        tuple: ``(kind, target)`` with kind one of ``'device'``, ``'gstreamer'``, ``'url'``,
        ``'file'`` and target the argument for ``cv2.VideoCapture`` (int for an index).

    """
    spec = spec.strip()
    if spec.isdigit():
        return 'device', int(spec)
    if '!' in spec:
        return 'gstreamer', spec
    if '://' in spec:
        return 'url', spec
    if spec.startswith('/dev/'):
        return 'device', spec
    return 'file', spec


class OpenCVSource:
    """``cv2.VideoCapture`` with the failure policy of the camera node.

    Policy:
        * Opening happens inside :meth:`grab` (so in the capture thread: ``VideoCapture`` can
          block, e.g. on an unreachable URL; URLs get 5 s FFmpeg open/read timeouts).
        * A file that ends is rewound to its first frame (it loops forever).
        * Any failure (device missing, file unreadable, stream dropped, bad pipeline) closes
          the capture; it is reopened at most once every ``retry_period`` s. ``grab`` returns
          False meanwhile and never raises for source failures.
        * Reports: one ``'error'`` line when a failure episode starts (including the reason
          and the retry period), nothing for further failed retries, one ``'info'`` line when
          frames flow again (or for the first time).

    Args:
        spec: the ``source`` parameter (see :func:`classify_source`).
        width: requested frame width (px), asked of devices; frames may still differ.
        height: requested frame height (px).
        fps: requested device rate (Hz).
        retry_period: minimum time between open attempts (s).
        report: callable ``(level, message)``, level one of ``'debug'``, ``'info'``,
            ``'warning'``, ``'error'``.
        clock: monotonic time source (s), injectable for tests.

    Attributes:
        attempts: number of open attempts so far.
        failures: number of failure episodes so far.
        loops: number of times a file was rewound at its end.

    """

    def __init__(self, spec, width, height, fps, retry_period, report=_no_report,
                 clock=time.monotonic):
        self.spec = spec
        self.kind, self._target = classify_source(spec)
        self.live = self.kind != 'file'
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self.retry_period = float(retry_period)
        self._report = report
        self._clock = clock
        self._cap = None
        self._next_attempt = -math.inf
        self._state = 'new'  # 'new' → 'up' ⇄ 'down'
        self.attempts = 0
        self.failures = 0
        self.loops = 0

    @property
    def is_up(self):
        """True while frames are flowing (the last grab succeeded)."""
        return self._state == 'up'

    def describe(self):
        """Return a short human description, e.g. ``device /dev/video0``."""
        return f'{self.kind} {self.spec!r}'

    def _open(self):
        self.attempts += 1
        self._next_attempt = self._clock() + self.retry_period
        kind, target = self.kind, self._target
        if kind == 'gstreamer':
            if not opencv_has_gstreamer():
                return self._fail('this OpenCV build has no GStreamer support (the PyPI '
                                  "opencv-python wheels lack it; use the distribution's "
                                  'python3-opencv)')
            cap = cv2.VideoCapture(target, cv2.CAP_GSTREAMER)
        elif kind == 'url':
            cap = cv2.VideoCapture(target, cv2.CAP_FFMPEG,
                                   (cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000,
                                    cv2.CAP_PROP_READ_TIMEOUT_MSEC, 5000))
        elif kind == 'device' and isinstance(target, str):
            cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
        else:
            cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            return self._fail(self._open_failure_reason())
        if kind == 'device':
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap
        return True

    def _open_failure_reason(self):
        target = self._target
        if self.kind == 'device':
            path = f'/dev/video{target}' if isinstance(target, int) else target
            if not os.path.exists(path):
                return f'cannot open camera: {path} does not exist'
            return f'cannot open camera {path} (busy, no permission, or not a capture device)'
        if self.kind == 'file':
            if not os.path.exists(target):
                return 'cannot open video file: no such file'
            return 'cannot open video file (unsupported or corrupt)'
        if self.kind == 'url':
            return 'cannot open stream URL (unreachable, refused or unsupported)'
        return 'cannot start GStreamer pipeline (check the elements and caps)'

    def _fail(self, reason):
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._next_attempt = max(self._next_attempt, self._clock() + self.retry_period)
        if self._state != 'down':
            self.failures += 1
            self._report('error', f'camera source {self.describe()}: {reason}; retrying every '
                                  f'{self.retry_period:g} s')
        self._state = 'down'
        return False

    def grab(self):
        """Open if needed (and due), then grab the next frame; False if the source is down."""
        if self._cap is None:
            if self._clock() < self._next_attempt or not self._open():
                return False
        if self._cap.grab():
            return True
        if self.live:
            return self._fail('stream stopped delivering frames')
        # A file ended: rewind and read on from the first frame.
        self.loops += 1
        self._report('debug', f'camera source {self.describe()}: end of file, looping')
        if self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0) and self._cap.grab():
            return True
        self._cap.release()
        self._cap = None
        if self._open() and self._cap.grab():
            return True
        return self._fail('video file has no readable frames')

    def retrieve(self):
        """Decode the grabbed frame; None (and a failure episode) if that fails."""
        if self._cap is None:
            return None
        ok, frame = self._cap.retrieve()
        if not ok or frame is None or frame.size == 0:
            self._fail('grabbed a frame that could not be decoded')
            return None
        if self._state != 'up':
            again = 'recovered, ' if self._state == 'down' else ''
            self._report('info', f'camera source {self.describe()}: {again}streaming '
                                 f'{frame.shape[1]}x{frame.shape[0]}')
            self._state = 'up'
        return frame

    def close(self):
        """Release the capture device; safe to call more than once."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None
