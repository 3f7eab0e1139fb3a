"""The pilot model's input/output contract, shared by `train` and `pilot` (numpy + OpenCV only).

One ONNX model file (exported by :mod:`kropbot_pilot.export`):

========  =========  ===================  ==================================================
tensor    name       shape / dtype        meaning
========  =========  ===================  ==================================================
input     ``image``  ``[N, 3, H, W]``     camera frame(s): RGB, channels first, resized to
                     float32              W x H (``cv2.INTER_AREA``, aspect not kept) and
                                          scaled to [0, 1] (``pixel / 255``, DonkeyCar's
                                          ``normalize_image``); ``N`` is free (1 at run time)
output    ``command``  ``[N, 2]``         ``[:, 0]`` linear.x in m/s, ``[:, 1]`` angular.z in
                     float32              rad/s (REP 103: positive = forward / to the left)
========  =========  ===================  ==================================================

The model's ``metadata_props`` carry the frame size and the limits it was trained with
(:data:`META_WIDTH`, ...). The pilot reads them, so it never needs to be told the size, and
clamps every output to ``±max_linear`` / ``±max_angular`` before sending it.
"""

import cv2
import numpy as np

INPUT_NAME = 'image'
OUTPUT_NAME = 'command'
#: Version of this contract, stored in the model (``kropbot.contract``).
CONTRACT_VERSION = '1'
#: DonkeyCar's default frame size (its ``KerasLinear`` input is 120x160x3).
DEFAULT_WIDTH, DEFAULT_HEIGHT = 160, 120

META_CONTRACT = 'kropbot.contract'
META_WIDTH = 'kropbot.width'
META_HEIGHT = 'kropbot.height'
META_MAX_LINEAR = 'kropbot.max_linear'
META_MAX_ANGULAR = 'kropbot.max_angular'
META_INPUT = 'kropbot.input'
META_OUTPUT = 'kropbot.output'
INPUT_TEXT = 'image: float32 [N,3,H,W], RGB, pixel/255, resized with cv2.INTER_AREA'
OUTPUT_TEXT = 'command: float32 [N,2] = linear.x m/s, angular.z rad/s'


def resize_rgb(bgr, width, height):
    """Return a BGR frame (as OpenCV decodes it) as an ``(height, width, 3)`` uint8 RGB image.

    Raises:
        ValueError: not an HxWx3 uint8 array.

    """
    if not isinstance(bgr, np.ndarray) or bgr.dtype != np.uint8 or bgr.ndim != 3 \
            or bgr.shape[2] != 3:
        raise ValueError(f'expected an HxWx3 uint8 BGR image, got '
                         f'{getattr(bgr, "shape", None)} {getattr(bgr, "dtype", type(bgr))}')
    if bgr.shape[:2] != (height, width):
        bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def to_input(rgb):
    """Return uint8 RGB image(s) ``(H, W, 3)`` or ``(N, H, W, 3)`` as the model input.

    Returns:
        float32 ``(N, 3, H, W)`` in [0, 1] (a single image gets ``N = 1``).

    """
    batch = rgb[None] if rgb.ndim == 3 else rgb
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255)


def preprocess(bgr, width, height):
    """Turn one decoded camera frame (BGR) into the model input ``(1, 3, height, width)``."""
    return to_input(resize_rgb(bgr, width, height))


def decode_jpeg(data):
    """Decode JPEG (or PNG) bytes into a BGR uint8 image, or None if they are not an image."""
    buf = np.frombuffer(bytes(data), dtype=np.uint8)
    if buf.size == 0:
        return None
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return img if img is not None and img.ndim == 3 else None
