"""JPEG encoding and frame shaping with OpenCV (pure functions, no ROS imports)."""

import cv2
import numpy as np

#: ``CompressedImage.format`` written by image_transport's compressed plugin for a bgr8 image
#: encoded as JPEG (compressed_image_transport: ``<encoding>; jpeg compressed <target format>``).
JPEG_FORMAT = 'bgr8; jpeg compressed bgr8'


def _check_image(bgr):
    if not isinstance(bgr, np.ndarray):
        raise ValueError(f'image must be a numpy array, got {type(bgr).__name__}')
    if bgr.dtype != np.uint8:
        raise ValueError(f'image must be uint8, got {bgr.dtype}')
    if bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ValueError(f'image must have shape (height, width, 3), got {bgr.shape}')
    if bgr.shape[0] == 0 or bgr.shape[1] == 0:
        raise ValueError(f'image must not be empty, got shape {bgr.shape}')


def encode_jpeg(bgr, quality):
    """Encode a BGR image as JPEG.

    Args:
        bgr: ``(height, width, 3)`` ``uint8`` array in OpenCV's BGR channel order.
        quality: JPEG quality, int in 1..100 (``cv2.IMWRITE_JPEG_QUALITY``).

    Returns:
        bytes: the JPEG file (starts with the SOI marker ``FF D8``).

    Raises:
        ValueError: if the image is not a non-empty HxWx3 uint8 array, or quality is not an
            int in 1..100, or OpenCV fails to encode.

    """
    _check_image(bgr)
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) \
            or not 1 <= quality <= 100:
        raise ValueError(f'JPEG quality must be an int in 1..100, got {quality!r}')
    ok, buf = cv2.imencode('.jpg', bgr, (cv2.IMWRITE_JPEG_QUALITY, int(quality)))
    if not ok:
        raise ValueError(f'OpenCV could not encode a {bgr.shape} image as JPEG')
    return buf.tobytes()


def fit_frame(frame, width, height):
    """Return ``frame`` as a ``(height, width, 3)`` uint8 BGR image, converting only if needed.

    A frame that already has the right shape is returned as is (no copy). Grey (HxW or HxWx1)
    and BGRA frames are converted to BGR; other sizes are resized with ``cv2.INTER_AREA``
    (good for shrinking, which is the usual case). The aspect ratio is not preserved.

    Args:
        frame: ``uint8`` array as returned by ``cv2.VideoCapture.read`` (HxW, HxWx1, HxWx3 or
            HxWx4).
        width: wanted width (px, > 0).
        height: wanted height (px, > 0).

    Returns:
        numpy.ndarray: ``(height, width, 3)`` ``uint8`` array.

    Raises:
        ValueError: if the frame is not a non-empty uint8 array with 1, 3 or 4 channels.

    """
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        raise ValueError('frame must be a uint8 numpy array')
    if frame.size == 0:
        raise ValueError(f'frame must not be empty, got shape {frame.shape}')
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 1):
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    elif frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f'frame must have 1, 3 or 4 channels, got shape {frame.shape}')
    if frame.shape[0] != height or frame.shape[1] != width:
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return frame
