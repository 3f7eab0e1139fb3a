"""Frame sources: OpenCV capture with a retry/loop policy, a test pattern, the sim views.

All sources share a two-step interface modelled on ``cv2.VideoCapture.grab``/``retrieve``, so
the capture loop (:mod:`kropbot_camera.capture`) can stamp a frame right when it is grabbed and
skip decoding frames it will not publish:

* ``grab() -> bool``: acquire the next frame. Live sources (devices, URLs, pipelines) block
  until the device delivers one; False means the source is down (nothing to publish now).
* ``retrieve() -> numpy.ndarray | None``: the grabbed frame as an HxWx3 (or grey/BGRA) uint8
  array, or None if decoding it failed.
* ``live``: True when the source paces itself (read it continuously and drop early frames),
  False when the caller paces it (files, test pattern, sim).
* ``close()``: release the device; safe to call twice.

No ROS imports: the node passes plain callables (pose provider, report function).
"""

from collections import deque
import math
import os
import re
import time

import cv2
import numpy as np

from kropbot_camera.fpv_source import FpvSource
from kropbot_camera.sim_view import SimView

#: Bits of the frame counter drawn as a black/white strip along the bottom of the test pattern
#: (two bytes: :class:`TestPatternSource` draws it from a per-byte lookup table).
COUNTER_BITS = 16

_GSTREAMER = None


def opencv_has_gstreamer():
    """Return True if this OpenCV build can open GStreamer pipelines (``CAP_GSTREAMER``)."""
    global _GSTREAMER
    if _GSTREAMER is None:
        _GSTREAMER = bool(re.search(r'GStreamer:\s*YES', cv2.getBuildInformation()))
    return _GSTREAMER


def _no_report(level, message):
    """Discard a report (default report callable)."""


class TestPatternSource:
    """A moving test pattern with the frame counter and the wall-clock time drawn in.

    Every frame shows colour bars, a white bar that sweeps across by ``width / 64`` px per
    frame, the text ``#<counter> HH:MM:SS.mmm`` (local wall-clock time at grab, so end-to-end
    latency is visible when the image is shown next to a clock), and the counter modulo
    ``2**COUNTER_BITS`` as a machine-readable strip of black (0) / white (1) blocks along the
    bottom edge, most significant bit first (see :func:`read_counter_strip`).

    Args:
        width: image width (px, >= COUNTER_BITS).
        height: image height (px, >= 16).
        wall_clock: callable returning the wall-clock time (s since the epoch).

    """

    __test__ = False  # not a pytest test class despite the name
    live = False

    def __init__(self, width, height, wall_clock=time.time):
        if width < COUNTER_BITS or height < 16:
            raise ValueError(f'test pattern needs at least {COUNTER_BITS}x16 px, '
                             f'got {width}x{height}')
        self.width, self.height = int(width), int(height)
        self.counter = 0
        self._wall_clock = wall_clock
        self._grab_time = 0.0
        w, h = self.width, self.height
        self._strip_height = max(2, h // 16)
        block = w // COUNTER_BITS
        colours = [(255, 255, 255), (0, 255, 255), (255, 255, 0), (0, 255, 0),
                   (255, 0, 255), (0, 0, 255), (255, 0, 0), (0, 0, 0)]
        index = np.arange(w) * len(colours) // w
        bars = (np.array(colours, np.float64)[index] * 0.75).astype(np.uint8)
        background = np.empty((h, w, 3), np.uint8)
        background[:] = bars
        background[h - self._strip_height:] = 0
        # Text box (black) sized for the widest text; drawn once into the background.
        self._font_scale = max(0.35, min(1.0, w / 640.0))
        (tw, th), base = cv2.getTextSize('#0000000 00:00:00.000', cv2.FONT_HERSHEY_SIMPLEX,
                                         self._font_scale, 1)
        self._text_origin = (3, th + 3)
        self._box_height = min(th + base + 6, h - self._strip_height)
        background[:self._box_height, :min(w, tw + 6)] = 0
        self._background = background
        self._bar = max(2, w // 16)
        self._step = max(1, w // 64)
        # Lookup table: one byte of the counter → its 8 blocks of strip pixels (0 or 255).
        bits = (np.arange(256)[:, None] >> np.arange(7, -1, -1)[None, :]) & 1
        blocks = np.repeat(bits * 255, block, axis=1).astype(np.uint8)
        self._byte_blocks = np.ascontiguousarray(np.repeat(blocks[..., None], 3, axis=2))
        self._strip_row = np.zeros((1, w, 3), np.uint8)
        self._half = 8 * block

    def grab(self):
        """Advance the frame counter and note the wall-clock time; always True."""
        self.counter += 1
        self._grab_time = self._wall_clock()
        return True

    def retrieve(self):
        """Draw and return the current frame (new HxWx3 uint8 array).

        Kept cheap on purpose (static parts pre-drawn, the counter strip from a lookup table):
        its cost counts against the node's CPU budget per frame (bench/camera_cost.py).
        """
        img = self._background.copy()
        h, bar = self.height, self._bar
        x = (self.counter * self._step) % (self.width + bar) - bar
        img[self._box_height:h - self._strip_height, max(0, x):max(0, x + bar)] = 255
        t = self._grab_time
        text = f'#{self.counter} {time.strftime("%H:%M:%S", time.localtime(t))}.' \
               f'{int((t % 1.0) * 1000):03d}'
        cv2.putText(img, text, self._text_origin, cv2.FONT_HERSHEY_SIMPLEX, self._font_scale,
                    (255, 255, 255), 1, cv2.LINE_8)
        code = self.counter % (1 << COUNTER_BITS)
        row, half = self._strip_row, self._half
        row[0, :half] = self._byte_blocks[code >> 8]
        row[0, half:2 * half] = self._byte_blocks[code & 0xFF]
        img[h - self._strip_height:] = row
        return img

    def close(self):
        """Nothing to release."""


def read_counter_strip(img):
    """Decode the frame counter (modulo ``2**COUNTER_BITS``) from a test-pattern image.

    Args:
        img: HxWx3 uint8 image drawn by :class:`TestPatternSource` (possibly after a JPEG
            round trip; the strip blocks are large enough to survive moderate quality).

    Returns:
        int: the counter value encoded in the bottom strip.

    """
    h, w = img.shape[:2]
    strip_height = max(2, h // 16)
    block = w // COUNTER_BITS
    row = img[h - strip_height + strip_height // 2]
    value = 0
    for bit in range(COUNTER_BITS):
        centre = bit * block + block // 2
        value = (value << 1) | int(row[centre].mean() > 127)
    return value


class SimSource:
    """Top-down view of the simulated robot (see :mod:`kropbot_camera.sim_view`).

    Args:
        pose_provider: callable returning the latest ``(x, y, yaw)`` (m, m, rad, odom frame),
            or None before the first odometry message. Called from the capture thread, so it
            must be thread-safe (returning an attribute holding an immutable tuple is).
        arena_size: side of the square arena (m).
        width: image width (px).
        height: image height (px).
        trail_length: number of past positions kept for the trail.
        trail_step: a position is added to the trail once the robot moved this far (m).
        world: the :class:`kropbot_sim.world.World` to draw, or None for the empty square arena
            of ``arena_size``.

    """

    live = False

    def __init__(self, pose_provider, arena_size, width, height, trail_length=400,
                 trail_step=0.01, world=None):
        self._pose_provider = pose_provider
        self.view = SimView(arena_size, width, height, world)
        self.trail = deque(maxlen=trail_length)
        self._trail_step = trail_step
        self._pose = None

    def grab(self):
        """Sample the current pose and extend the trail; always True."""
        pose = self._pose_provider()
        self._pose = pose
        if pose is not None:
            x, y = float(pose[0]), float(pose[1])
            if not self.trail or math.hypot(x - self.trail[-1][0],
                                            y - self.trail[-1][1]) >= self._trail_step:
                self.trail.append((x, y))
        return True

    def retrieve(self):
        """Draw the arena, trail and robot at the sampled pose (new HxWx3 uint8 array)."""
        return self.view.draw(self._pose, self.trail)

    def close(self):
        """Nothing to release."""


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


def make_source(spec, width, height, fps, retry_period=2.0, arena_size=4.0,
                pose_provider=None, report=_no_report, clock=time.monotonic, world=None):
    """Build the source named by the ``source`` parameter.

    Args:
        spec: ``'test_pattern'``, ``'sim'``, ``'sim_fpv'`` or an OpenCV source (see
            :func:`classify_source`).
        width: image width (px).
        height: image height (px).
        fps: frame rate (Hz), passed to devices.
        retry_period: reopen period for OpenCV sources (s).
        arena_size: sim arena side (m), sim only.
        pose_provider: callable returning ``(x, y, yaw)`` or None; required for ``'sim'`` and
            ``'sim_fpv'``.
        report: callable ``(level, message)`` for OpenCV source state changes.
        clock: monotonic clock (s) for the retry policy.
        world: the sim world (:class:`kropbot_sim.world.World`) of the sim sources; required
            for ``'sim_fpv'``, None draws the empty arena of ``arena_size`` for ``'sim'``.

    Returns:
        TestPatternSource | SimSource | FpvSource | OpenCVSource

    Raises:
        ValueError: if ``spec`` is empty, or a sim source is asked for without a pose provider
            (or ``'sim_fpv'`` without a world).

    """
    spec = spec.strip()
    if not spec:
        raise ValueError('source must not be empty')
    if spec == 'test_pattern':
        return TestPatternSource(width, height)
    if spec in ('sim', 'sim_fpv'):
        if pose_provider is None:
            raise ValueError(f'the {spec} source needs a pose provider')
        if spec == 'sim':
            return SimSource(pose_provider, arena_size, width, height, world=world)
        if world is None:
            raise ValueError('the sim_fpv source needs a sim world')
        return FpvSource(pose_provider, world, width, height)
    return OpenCVSource(spec, width, height, fps, retry_period, report=report, clock=clock)
