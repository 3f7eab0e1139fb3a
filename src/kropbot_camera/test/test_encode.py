import cv2
from kropbot_camera.encode import encode_jpeg, fit_frame
import numpy as np
import pytest


def _noisy(height, width, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_round_trip_gives_configured_size():
    img = _noisy(48, 64)
    data = encode_jpeg(img, 80)
    assert isinstance(data, bytes) and data[:2] == b'\xff\xd8'
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (48, 64, 3)


def test_round_trip_keeps_content_at_high_quality():
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, 32:] = (0, 0, 255)  # right half red (BGR)
    decoded = cv2.imdecode(np.frombuffer(encode_jpeg(img, 95), np.uint8), cv2.IMREAD_COLOR)
    assert decoded[32, 48, 2] > 200 and decoded[32, 48, 0] < 50
    assert decoded[32, 8].max() < 50


def test_quality_affects_size():
    img = _noisy(120, 160, seed=1)
    sizes = [len(encode_jpeg(img, q)) for q in (10, 50, 95)]
    assert sizes[0] < sizes[1] < sizes[2]


@pytest.mark.parametrize('bad', [
    np.zeros((10, 10), np.uint8),
    np.zeros((10, 10, 4), np.uint8),
    np.zeros((10, 10, 3), np.float32),
    np.zeros((0, 10, 3), np.uint8),
    [[0, 0, 0]],
])
def test_bad_image_is_rejected(bad):
    with pytest.raises(ValueError, match='image'):
        encode_jpeg(bad, 50)


@pytest.mark.parametrize('quality', [0, 101, -1, 50.0, True, '50', None])
def test_bad_quality_is_rejected(quality):
    with pytest.raises(ValueError, match='quality'):
        encode_jpeg(np.zeros((8, 8, 3), np.uint8), quality)


def test_fit_frame_keeps_right_sized_frames_without_copy():
    img = _noisy(24, 32)
    assert fit_frame(img, 32, 24) is img


@pytest.mark.parametrize('shape', [(48, 64, 3), (48, 64), (48, 64, 1), (48, 64, 4), (10, 90, 3)])
def test_fit_frame_converts_and_resizes(shape):
    out = fit_frame(np.full(shape, 200, np.uint8), 32, 24)
    assert out.shape == (24, 32, 3) and out.dtype == np.uint8
    assert abs(int(out[12, 16, 0]) - 200) <= 1


@pytest.mark.parametrize('bad', [np.zeros((4, 4, 2), np.uint8), np.zeros((4, 4, 3), np.int16),
                                 np.zeros((0, 0, 3), np.uint8)])
def test_fit_frame_rejects_bad_frames(bad):
    with pytest.raises(ValueError, match='frame'):
        fit_frame(bad, 32, 24)
