"""Top-down view of the simulated robot in its arena (pure drawing with OpenCV, no ROS imports).

World → pixel transform (see :class:`ViewTransform`): the odom origin is the image centre, +x
(forward at start, REP 103) points right and +y (left) points up, like a map seen from above:

    u = width / 2 + scale * x        v = height / 2 - scale * y

with ``scale`` (px/m) chosen so the whole arena (centred on the origin, walls at ±size/2; the
longer side of a sim world's arena, or a square of side ``arena_size``) plus a 5 % margin fits
the shorter image side. Yaw is counter-clockwise from +x (REP 103), so it turns
counter-clockwise on screen. The sim world's boxes are drawn in their colours, its pits black
with a yellow rim (the stairwell).
"""

from dataclasses import dataclass
import math

import cv2
from kropbot_sim.world import empty_world
import numpy as np

#: Grid spacing on the floor (m).
GRID_STEP = 0.5
#: Radius of the drawn robot body (m); about KropBot's size (12 cm wheel base).
ROBOT_RADIUS = 0.08
#: Length of the heading arrow from the body centre (m).
ARROW_LENGTH = 0.25
#: Fraction of the arena size left free around the walls.
MARGIN = 0.05

_OUTSIDE = (24, 24, 24)
_FLOOR = (48, 48, 48)
_GRID = (80, 80, 80)
_WALL = (220, 220, 220)
_TRAIL = (200, 200, 0)
_BODY = (0, 140, 255)
_ARROW = (255, 255, 255)
_TEXT = (230, 230, 230)
_X_AXIS = (0, 0, 200)
_Y_AXIS = (0, 200, 0)
_PIT = (0, 0, 0)
_PIT_RIM = (0, 200, 255)


@dataclass(frozen=True)
class ViewTransform:
    """World (odom frame, m) → image pixel transform; see the module docstring.

    Attributes:
        width: image width (px).
        height: image height (px).
        scale: pixels per metre.

    """

    width: int
    height: int
    scale: float

    def to_pixel(self, x, y):
        """Map world point(s) ``(x, y)`` (m) to pixel coordinates ``(u, v)`` (float px).

        Works on scalars or numpy arrays of equal shape. ``u`` grows to the right (+x),
        ``v`` grows downwards, so +y world is up in the image.
        """
        return self.width / 2.0 + self.scale * x, self.height / 2.0 - self.scale * y

    def to_world(self, u, v):
        """Inverse of :meth:`to_pixel`: pixel ``(u, v)`` → world ``(x, y)`` (m)."""
        return (u - self.width / 2.0) / self.scale, (self.height / 2.0 - v) / self.scale


def make_transform(arena_size, width, height):
    """Return the :class:`ViewTransform` that fits the arena plus margin into the image.

    Args:
        arena_size: side of the square arena (m, > 0).
        width: image width (px, > 0).
        height: image height (px, > 0).

    Raises:
        ValueError: if an argument is not positive.

    """
    if not arena_size > 0 or width <= 0 or height <= 0:
        raise ValueError(f'arena_size, width and height must be > 0, got '
                         f'{arena_size!r}, {width!r}, {height!r}')
    return ViewTransform(int(width), int(height),
                         min(width, height) / (arena_size * (1.0 + 2.0 * MARGIN)))


def yaw_from_quaternion(x, y, z, w):
    """Return the yaw (rad, about +z, in (-pi, pi]) of a unit quaternion ``(x, y, z, w)``.

    Standard ZYX Euler extraction: ``yaw = atan2(2 (w z + x y), 1 - 2 (y^2 + z^2))``.
    """
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def _pt(transform, x, y):
    u, v = transform.to_pixel(x, y)
    return int(round(u)), int(round(v))


def _label(img, text):
    """Write ``text`` in the top-left corner on a black box."""
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
    cv2.rectangle(img, (0, 0), (tw + 6, th + base + 4), (0, 0, 0), cv2.FILLED)
    cv2.putText(img, text, (3, th + 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4, _TEXT, 1, cv2.LINE_AA)


def _corners(rect):
    """Return the 4 corners ``(x, y)`` (m) of a box or pit of a sim world, counter-clockwise."""
    c, s = math.cos(rect.yaw), math.sin(rect.yaw)
    hx, hy = rect.size[0] / 2.0, rect.size[1] / 2.0
    return [(rect.center[0] + c * a - s * b, rect.center[1] + s * a + c * b)
            for a, b in ((-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy))]


class SimView:
    """Draws frames of the simulated robot; the static floor, grid, walls, boxes and pits once.

    Args:
        arena_size: side of the square arena centred on the odom origin (m), used when
            ``world`` is None.
        width: image width (px).
        height: image height (px).
        world: a :class:`kropbot_sim.world.World` to draw (its boxes and pits), or None for
            the empty square arena.

    Raises:
        ValueError: if an argument is not positive.

    """

    def __init__(self, arena_size, width, height, world=None):
        self.world = world if world is not None else empty_world(arena_size)
        self.arena_size = float(max(self.world.size))
        self.transform = make_transform(self.arena_size, width, height)
        self._background = self._draw_background()

    def _polygon(self, rect):
        u, v = self.transform.to_pixel(*np.array(_corners(rect)).T)
        return np.round(np.stack([u, v], axis=1)).astype(np.int32)

    def _draw_background(self):
        t = self.transform
        img = np.full((t.height, t.width, 3), _OUTSIDE, np.uint8)
        hx, hy = self.world.half_extent
        cv2.rectangle(img, _pt(t, -hx, hy), _pt(t, hx, -hy), _FLOOR, cv2.FILLED)
        for i in range(-int(math.floor(hx / GRID_STEP + 1e-9)),
                       int(math.floor(hx / GRID_STEP + 1e-9)) + 1):
            cv2.line(img, _pt(t, i * GRID_STEP, -hy), _pt(t, i * GRID_STEP, hy), _GRID, 1)
        for i in range(-int(math.floor(hy / GRID_STEP + 1e-9)),
                       int(math.floor(hy / GRID_STEP + 1e-9)) + 1):
            cv2.line(img, _pt(t, -hx, i * GRID_STEP), _pt(t, hx, i * GRID_STEP), _GRID, 1)
        cv2.line(img, _pt(t, 0.0, 0.0), _pt(t, GRID_STEP, 0.0), _X_AXIS, 1)
        cv2.line(img, _pt(t, 0.0, 0.0), _pt(t, 0.0, GRID_STEP), _Y_AXIS, 1)
        for pit in self.world.pits:
            poly = self._polygon(pit)
            cv2.fillPoly(img, [poly], _PIT)
            cv2.polylines(img, [poly], True, _PIT_RIM, 1)
        for box in self.world.boxes:
            # crisp edges: no blended colours that could pass for the robot's body
            cv2.fillPoly(img, [self._polygon(box)], tuple(int(c) for c in box.color[::-1]))
        wall = max(2, int(round(0.03 * t.scale)))
        cv2.rectangle(img, _pt(t, -hx, hy), _pt(t, hx, -hy), _WALL, wall)
        return img

    def draw(self, pose, trail=()):
        """Return a new ``(height, width, 3)`` uint8 BGR image of the arena and the robot.

        Args:
            pose: ``(x, y, yaw)`` in the odom frame (m, m, rad), or None if no odometry has
                arrived yet (then only the arena and a 'waiting for odom' note are drawn).
            trail: sequence of recent ``(x, y)`` positions (m), oldest first, drawn as a line.

        """
        t = self.transform
        img = self._background.copy()
        if len(trail) >= 2:
            pts = np.asarray(trail, dtype=np.float64)
            u, v = t.to_pixel(pts[:, 0], pts[:, 1])
            poly = np.round(np.stack([u, v], axis=1)).astype(np.int32)
            cv2.polylines(img, [poly], False, _TRAIL, 1, cv2.LINE_AA)
        if pose is None:
            _label(img, 'waiting for odom')
            return img
        x, y, yaw = pose
        centre = _pt(t, x, y)
        radius = max(5, int(round(ROBOT_RADIUS * t.scale)))
        length = max(2.2 * radius / t.scale, ARROW_LENGTH)
        tip = _pt(t, x + length * math.cos(yaw), y + length * math.sin(yaw))
        cv2.circle(img, centre, radius, _BODY, cv2.FILLED, cv2.LINE_AA)
        cv2.arrowedLine(img, centre, tip, _ARROW, 2, cv2.LINE_AA, 0, 0.35)
        _label(img, f'x={x:+.2f} y={y:+.2f} yaw={math.degrees(yaw):+.0f}deg')
        return img


def draw(pose, trail, arena_size, width, height):
    """Draw one top-down frame (convenience wrapper around :class:`SimView`).

    Args:
        pose: ``(x, y, yaw)`` (m, m, rad) in the odom frame, or None.
        trail: recent ``(x, y)`` positions (m), oldest first.
        arena_size: side of the square arena (m).
        width: image width (px).
        height: image height (px).

    Returns:
        numpy.ndarray: ``(height, width, 3)`` uint8 BGR image.

    """
    return SimView(arena_size, width, height).draw(pose, trail)
