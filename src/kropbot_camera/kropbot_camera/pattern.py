"""The moving test pattern source (``source: test_pattern``); no ROS imports.

A frame source with the interface of :mod:`kropbot_camera.sources`: colour bars, a sweeping
bar, the frame counter and wall-clock time as text, and the counter as a machine-readable strip
(tests read it back to check ordering and freshness end to end).
"""

import time

import cv2
import numpy as np

#: Bits of the frame counter drawn as a black/white strip along the bottom of the test pattern
#: (two bytes: :class:`TestPatternSource` draws it from a per-byte lookup table).
COUNTER_BITS = 16


class TestPatternSource:
    """A moving test pattern with the frame counter and the wall-clock time drawn in.

    Every frame shows colour bars, a white bar that sweeps across by ``width / 64`` px per
    frame, the text ``#<counter> HH:MM:SS.mmm`` (local wall-clock time at grab, so end-to-end
    latency is visible when the image is shown next to a clock), and the counter modulo
    ``2**COUNTER_BITS`` as a machine-readable strip of black (0) / white (1) blocks along the
    bottom edge, most significant bit first (the tests decode it with
    ``kropbot_testing.frames.read_counter_strip``).

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
