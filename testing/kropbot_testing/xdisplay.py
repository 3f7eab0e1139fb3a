"""A virtual X display (Xvfb) for tests of desktop windows, and screenshots of it (ROS-free).

Needs Debian's ``xvfb`` and ``x11-apps`` (``xwd``); ``tools/setup.sh test`` installs them.
"""

from pathlib import Path
import shutil
import struct
import subprocess
import time

import numpy as np


class Xvfb:
    """Run ``Xvfb :N`` on a free display number; use as a context manager.

    Args:
        size: screen ``(width, height)`` in px (24-bit colour).

    Attributes:
        display: the ``DISPLAY`` value, e.g. ``':42'``.

    Raises:
        RuntimeError: if Xvfb is not installed or does not start within 10 s.

    """

    def __init__(self, size=(1024, 768)):
        if shutil.which('Xvfb') is None:
            raise RuntimeError('Xvfb not installed (tools/setup.sh test installs xvfb)')
        for number in range(90, 190):
            if not Path(f'/tmp/.X11-unix/X{number}').exists() and not Path(
                    f'/tmp/.X{number}-lock').exists():
                break
        self.display = f':{number}'
        self.proc = subprocess.Popen(
            ['Xvfb', self.display, '-screen', '0', f'{size[0]}x{size[1]}x24', '-nolisten',
             'tcp'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not Path(f'/tmp/.X11-unix/X{number}').exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f'Xvfb {self.display} did not start')
            time.sleep(0.05)

    def close(self):
        """Stop the X server."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self):
        """Return self."""
        return self

    def __exit__(self, *exc):
        """Stop the X server."""
        self.close()

    def screenshot(self):
        """Return the whole screen as a BGR uint8 image (``xwd -root``, parsed here)."""
        raw = subprocess.run(['xwd', '-root', '-silent', '-display', self.display],
                             check=True, capture_output=True, timeout=20).stdout
        return parse_xwd(raw)


def parse_xwd(raw):
    """Decode an XWD (X Window Dump) file of a 24/32-bit ZPixmap into a BGR image.

    Xvfb at depth 24 writes 24 bits per pixel (packed), X servers on a desktop 32. Layout
    (X11 ``XWDFileHeader``): 25 big-endian CARD32 fields, the window name up to
    ``header_size``, ``ncolors`` 12-byte colour entries, then ``height × bytes_per_line``
    bytes of pixels.

    Raises:
        ValueError: for other formats (depth < 24, not 24/32 bits per pixel, not ZPixmap).

    """
    fields = struct.unpack('>25I', raw[:100])
    header_size, _, pixmap_format, depth, width, height = fields[:6]
    byte_order, bits_per_pixel, bytes_per_line, ncolors = (fields[7], fields[11], fields[12],
                                                            fields[19])
    if pixmap_format != 2 or depth < 24 or bits_per_pixel not in (24, 32):
        raise ValueError(f'unsupported XWD: format {pixmap_format}, depth {depth}, '
                         f'{bits_per_pixel} bpp')
    offset = header_size + 12 * ncolors
    data = np.frombuffer(raw, np.uint8, height * bytes_per_line, offset)
    size = bits_per_pixel // 8
    pixels = data.reshape(height, bytes_per_line)[:, :width * size].reshape(height, width, size)
    # LSBFirst: B, G, R(, X) in memory; MSBFirst: (X,) R, G, B
    return np.ascontiguousarray(pixels[:, :, :3] if byte_order == 0 else pixels[:, :, :-4:-1])
