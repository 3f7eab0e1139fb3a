"""Reading the camera test pattern back (test support).

:class:`kropbot_camera.pattern.TestPatternSource` draws its frame counter as a strip of black
and white blocks along the bottom edge; tests decode it to check frame order end to end.
"""

from kropbot_camera.pattern import COUNTER_BITS


def read_counter_strip(img):
    """Decode the frame counter (modulo ``2**COUNTER_BITS``) from a test-pattern image.

    Args:
        img: HxWx3 uint8 image drawn by ``kropbot_camera.pattern.TestPatternSource``
            (possibly after a JPEG round trip; the strip blocks are large enough to survive
            moderate quality).

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
