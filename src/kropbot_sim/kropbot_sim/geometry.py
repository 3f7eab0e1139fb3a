"""Geometry queries on a sim world, vectorised with numpy (pure, ROS-free).

Boxes and pits are oriented rectangles: centre ``c``, half sizes ``h``, yaw ``a``. A world point
``p`` has local coordinates ``l = R(-a) (p - c)``; it is inside when ``|l_x| <= h_x`` and
``|l_y| <= h_y``. Rays are intersected with the slab method (Kay & Kajiya 1986, as in every ray
tracer): per local axis the ray is inside the slab for ``t`` in ``[t_min, t_max]``; the ray meets
the rectangle if ``max(t_min) <= min(t_max)``. The arena walls are the edges of
``|x| <= sx/2, |y| <= sy/2`` seen from inside. All distances are in m, angles in rad (REP 103).
"""

import math

import numpy as np

#: Direction components smaller than this count as parallel to a slab in the slab test.
_TINY = 1e-12
#: Face index of a hit on a rectangle's local x faces (normal ±x) and y faces (normal ±y).
FACE_X, FACE_Y = 0, 1


def _rect_arrays(rects):
    """Return ``(centres (K, 2), half sizes (K, 2), cos (K,), sin (K,))`` of rectangles."""
    if not rects:
        empty = np.zeros((0, 2))
        return empty, empty, np.zeros(0), np.zeros(0)
    centres = np.array([r.center for r in rects], dtype=float)
    half = np.array([r.size for r in rects], dtype=float) / 2.0
    yaw = np.array([r.yaw for r in rects], dtype=float)
    return centres, half, np.cos(yaw), np.sin(yaw)


def _local(points, centres, cos, sin):
    """Local coordinates ``(lx, ly)``, each ``(K, N)``, of points ``(N, 2)`` in K rectangles."""
    dx = points[None, :, 0] - centres[:, None, 0]
    dy = points[None, :, 1] - centres[:, None, 1]
    return cos[:, None] * dx + sin[:, None] * dy, -sin[:, None] * dx + cos[:, None] * dy


def _points(x, y):
    """Return ``(flat (N, 2) points, shape)`` of broadcast scalar-or-array ``x``, ``y``."""
    pts = np.stack(np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float)), -1)
    return pts.reshape(-1, 2), pts.shape[:-1]


def _rect_sdf(points, rects):
    """Signed distance ``(K, N)`` from points ``(N, 2)`` to K rectangles (negative inside).

    The standard box signed distance: with ``o = |l| - h``, ``|max(o, 0)| + min(max(o), 0)``.
    """
    centres, half, cos, sin = rects
    lx, ly = _local(points, centres, cos, sin)
    ox = np.abs(lx) - half[:, None, 0]
    oy = np.abs(ly) - half[:, None, 1]
    return np.hypot(np.maximum(ox, 0.0), np.maximum(oy, 0.0)) + np.minimum(np.maximum(ox, oy),
                                                                           0.0)


def _slab_interval(origin, direction, half):
    """Return ``(t_min, t_max)`` where ``|origin + t direction| <= half`` (arrays).

    A ray parallel to the slab (``|direction| < 1e-12``) is inside it for every ``t`` or none.
    """
    parallel = np.abs(direction) < _TINY
    safe = np.where(parallel, 1.0, direction)
    t1, t2 = (-half - origin) / safe, (half - origin) / safe
    inside = np.abs(origin) <= half
    t_min = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    t_max = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    return t_min, t_max


def _slab(origins, angles, rects, inflate):
    """Slab test of N rays against K rectangles grown by ``inflate``: see :meth:`box_hits`."""
    centres, half, cos, sin = rects
    ox, oy = _local(origins, centres, cos, sin)
    ux, uy = np.cos(angles)[None, :], np.sin(angles)[None, :]
    c, s = cos[:, None], sin[:, None]
    dx, dy = c * ux + s * uy, -s * ux + c * uy
    hx = half[:, 0:1] + inflate
    hy = half[:, 1:2] + inflate
    tminx, tmaxx = _slab_interval(ox, dx, hx)
    tminy, tmaxy = _slab_interval(oy, dy, hy)
    t_near = np.maximum(tminx, tminy)
    t_far = np.minimum(tmaxx, tmaxy)
    hit = (t_near <= t_far) & (t_far >= 0.0)
    face = np.where(tminx >= tminy, FACE_X, FACE_Y)
    return np.where(hit, np.maximum(t_near, 0.0), np.inf), np.where(hit, t_far, np.inf), face


def _rays(origins, angles):
    angles = np.asarray(angles, float).reshape(-1)
    return np.broadcast_to(np.asarray(origins, float), (len(angles), 2)), angles


class Geometry:
    """Precomputed arrays of a :class:`~kropbot_sim.world.World` and the queries on them.

    Built once per world (``world.geometry``); every method accepts scalars or arrays.
    """

    def __init__(self, world):
        self.world = world
        self.half_extent = np.array(world.half_extent, dtype=float)
        self.boxes = _rect_arrays(world.boxes)
        self.pits = _rect_arrays(world.pits)
        self.box_heights = np.array([b.height for b in world.boxes], dtype=float)

    # --- points and discs ---------------------------------------------------------------------

    def pit_index(self, x, y, margin=0.0):
        """Return the index of the pit containing each point, or -1 (int array of x's shape).

        Args:
            x: m (scalar or array).
            y: m (same shape).
            margin: grow every pit by this much on each side, m (a safety margin).

        """
        flat, shape = _points(x, y)
        if not len(self.world.pits):
            return np.full(shape, -1, dtype=int)
        centres, half, cos, sin = self.pits
        lx, ly = _local(flat, centres, cos, sin)
        inside = ((np.abs(lx) <= half[:, None, 0] + margin)
                  & (np.abs(ly) <= half[:, None, 1] + margin))
        index = np.where(inside.any(axis=0), inside.argmax(axis=0), -1)
        return index.reshape(shape)

    def pit_at(self, x, y):
        """Return the index (int) of the pit containing the point ``(x, y)``, or None."""
        index = int(self.pit_index(x, y))
        return None if index < 0 else index

    def disc_clearance(self, x, y):
        """Return the distance from each point to the nearest wall or box surface, m.

        Negative inside a box or outside the arena. A disc of radius ``r`` centred there is
        free exactly when the clearance is ``>= r``. Shapes like ``x``.
        """
        flat, shape = _points(x, y)
        hx, hy = self.half_extent
        clearance = np.minimum(np.minimum(hx - flat[:, 0], hx + flat[:, 0]),
                               np.minimum(hy - flat[:, 1], hy + flat[:, 1]))
        if len(self.world.boxes):
            clearance = np.minimum(clearance, _rect_sdf(flat, self.boxes).min(axis=0))
        return clearance.reshape(shape)

    def disc_free(self, x, y, radius):
        """Return True where a disc of ``radius`` m at ``(x, y)`` touches no wall or box."""
        return self.disc_clearance(x, y) >= radius

    def disc_blocker(self, x, y, radius):
        """Return a description of what a disc at ``(x, y)`` overlaps (str), or None."""
        hx, hy = self.half_extent
        if abs(x) + radius > hx or abs(y) + radius > hy:
            return 'the arena wall'
        if len(self.world.boxes):
            sdf = _rect_sdf(np.array([[x, y]], dtype=float), self.boxes)[:, 0]
            if sdf.min() < radius:
                return f'box {self.world.boxes[int(sdf.argmin())].name!r}'
        return None

    # --- rays -----------------------------------------------------------------------------------

    def box_hits(self, origins, angles, inflate=0.0):
        """Intersect rays with every box (slab method).

        Args:
            origins: ``(N, 2)`` ray origins, m (or one ``(2,)`` origin for all rays).
            angles: ``(N,)`` ray directions in the world frame, rad.
            inflate: grow every box by this much on each side, m (a disc of that radius
                sweeping along the ray hits the grown box where the disc would touch the box,
                conservatively at the corners).

        Returns:
            ``(t_near, t_far, face)``, each ``(K, N)``: entry and exit distance along the ray
            (m; ``inf`` where the ray misses; ``t_near`` is 0 for an origin inside the box) and
            the face hit on entry (:data:`FACE_X` or :data:`FACE_Y`).

        """
        origins, angles = _rays(origins, angles)
        if not len(self.world.boxes):
            shape = (0, len(angles))
            return np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=int)
        return _slab(origins, angles, self.boxes, inflate)

    def wall_hits(self, origins, angles, inflate=0.0):
        """Distance from inside the arena to its walls along rays.

        Args:
            origins: ``(N, 2)`` or ``(2,)``, m.
            angles: ``(N,)``, rad.
            inflate: move every wall inwards by this much, m.

        Returns:
            ``(t, face)``, each ``(N,)``: distance to the wall (m, >= 0) and
            :data:`FACE_X` for the walls at ``x = ±sx/2``, :data:`FACE_Y` for ``y = ±sy/2``.

        """
        origins, angles = _rays(origins, angles)
        hx, hy = self.half_extent - inflate
        ux, uy = np.cos(angles), np.sin(angles)
        safe_ux = np.where(np.abs(ux) > _TINY, ux, 1.0)
        safe_uy = np.where(np.abs(uy) > _TINY, uy, 1.0)
        tx = np.where(np.abs(ux) > _TINY, (np.sign(ux) * hx - origins[:, 0]) / safe_ux, np.inf)
        ty = np.where(np.abs(uy) > _TINY, (np.sign(uy) * hy - origins[:, 1]) / safe_uy, np.inf)
        return np.maximum(np.minimum(tx, ty), 0.0), np.where(tx <= ty, FACE_X, FACE_Y)

    def ray_distance(self, origins, angles, max_range=math.inf, inflate=0.0):
        """Distance along each ray to the first wall or box (pits are not obstacles), m.

        Args:
            origins: ``(N, 2)`` or ``(2,)``, m.
            angles: ``(N,)`` or scalar, rad.
            max_range: longer distances are reported as ``inf``, m.
            inflate: grow boxes and move walls inwards by this much, m (see
                :meth:`box_hits`; with the robot's radius this is the free travel of its disc).

        Returns:
            ``(N,)`` float array, m.

        """
        t_wall, _ = self.wall_hits(origins, angles, inflate)
        t_box, _, _ = self.box_hits(origins, angles, inflate)
        t = np.minimum(t_wall, t_box.min(axis=0)) if len(t_box) else t_wall
        return np.where(t > max_range, np.inf, t)

    def pit_entry(self, origins, angles, margin=0.0):
        """Distance along each ray until it enters a pit (grown by ``margin``), m; inf if never.

        Shapes as :meth:`ray_distance`; 0 for an origin already inside.
        """
        origins, angles = _rays(origins, angles)
        if not len(self.world.pits):
            return np.full(len(angles), np.inf)
        t_near, _, _ = _slab(origins, angles, self.pits, margin)
        return t_near.min(axis=0)
