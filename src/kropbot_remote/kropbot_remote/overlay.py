"""Draw the window's picture: the camera frame scaled up, with the overlay text (OpenCV only).

Works with ``opencv-python-headless`` (no HighGUI needed): only ``imdecode``, ``resize``,
``rectangle``/``addWeighted`` and ``putText``.
"""

import cv2
import numpy as np

PLACEHOLDER_SIZE = (320, 240)  # px, drawn until the first frame arrives
LINE_HEIGHT = 18  # px at font scale 0.5


def decode_jpeg(jpeg):
    """Return the BGR image (H×W×3 uint8) of JPEG bytes, or None if they do not decode."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return image if image is not None and image.ndim == 3 else None


def compose(image, scale, lines):
    """Return the window picture: ``image`` (BGR or None) scaled by ``scale`` with ``lines``.

    Args:
        image: BGR frame, or None for a dark placeholder of :data:`PLACEHOLDER_SIZE`.
        scale: integer or float factor > 0 (nearest neighbour for integers: crisp pixels).
        lines: ``[(text, BGR colour), ...]`` drawn top-left on a translucent dark band.

    Returns:
        a new BGR uint8 image of the scaled size.

    """
    if image is None:
        image = np.full((PLACEHOLDER_SIZE[1], PLACEHOLDER_SIZE[0], 3), 40, np.uint8)
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interp = cv2.INTER_NEAREST if float(scale).is_integer() else cv2.INTER_LINEAR
    out = cv2.resize(image, size, interpolation=interp)
    if lines:
        band = min(out.shape[0], 8 + LINE_HEIGHT * len(lines))
        region = out[:band]
        out[:band] = cv2.addWeighted(region, 0.35, np.zeros_like(region), 0.65, 0)
        for i, (text, colour) in enumerate(lines):
            cv2.putText(out, text, (6, 18 + LINE_HEIGHT * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        colour, 1, cv2.LINE_AA)
    return out
