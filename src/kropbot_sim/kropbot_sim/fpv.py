"""First-person view of the sim world: a small numpy ray caster (pure; no OpenGL, no display).

What a camera on the robot sees (:class:`~kropbot_sim.world.CameraMount`): the arena walls and
the boxes in their colours, a checker floor, the pits near black. Geometry:

- Pinhole camera with square pixels, focal length ``f = (W / 2) / tan(hfov / 2)`` px, lens at
  ``camera.height`` m above the floor and ``camera.forward`` m ahead of the robot's centre,
  looking along the robot's heading. The horizon is the image row ``horizon * H``: a level
  camera has it in the middle; a smaller value shows more floor, as a camera tilted down would,
  but by shifting the image centre (y-shearing) so that vertical edges stay vertical.
- A world point at forward depth ``z`` (m, along the optical axis) and height ``h`` lands on the
  row ``v = horizon * H + f (camera.height - h) / z``; image column ``u`` looks along
  ``atan((W/2 - u) / f)`` left of the heading.
- Floor (per pixel below the horizon): the row gives ``z = f camera.height / (v - horizon H)``,
  the column the lateral offset; the world point's tile parity gives the checker colour, a point
  inside a pit the pit colour. Far tiles fade to their mean colour (less aliasing).
- Walls and boxes (per column): rays are cast with the slab method
  (:meth:`kropbot_sim.geometry.Geometry.box_hits`), every hit is drawn as a vertical span from the
  floor to its height, far to near (painter's algorithm), shaded by the face it hit (x faces
  1.0, y faces 0.78) and by distance ``1 / (1 + 0.12 z)``. A box lower than the lens also shows
  its top face (from its far edge).

A frame at 320x240 costs a few ms of one core (``bench/camera_cost.py``, row ``sim_fpv``).
"""

import math

import numpy as np

from kropbot_sim.geometry import FACE_Y

#: Brightness of faces whose normal is the local y axis (x faces are 1.0): cheap directional
#: shading that makes box corners visible.
Y_FACE_SHADE = 0.78
#: Distance darkening ``1 / (1 + FOG * z)`` with z in m.
FOG = 0.12
#: Distance (m) at which floor tiles have faded to their mean colour.
FLOOR_FADE = 5.0
#: Colour of a pit (RGB): near black, so the stairwell is visibly dark.
PIT_RGB = (14, 14, 18)
#: Ceiling colours (RGB) at the top of the image and at the horizon.
CEILING_TOP_RGB, CEILING_HORIZON_RGB = (38, 40, 48), (92, 96, 108)
#: Brightness of a box's top face relative to its colour.
TOP_SHADE = 1.15


def _bgr(rgb):
    return np.array(rgb[::-1], dtype=np.float64)


class FpvRenderer:
    """Renders the first-person view of ``world`` at ``width`` x ``height`` px.

    Everything that depends only on the image geometry (column angles, floor depth per row, the
    ceiling, the floor palette per row) is computed once here; :meth:`render` does the per-pose
    work.

    Args:
        world: :class:`~kropbot_sim.world.World` (its ``robot.camera`` is the lens).
        width: px (>= 16).
        height: px (>= 16).

    Raises:
        ValueError: if the size is too small.

    """

    def __init__(self, world, width, height):
        if width < 16 or height < 16:
            raise ValueError(f'fpv image must be at least 16x16 px, got {width}x{height}')
        self.world = world
        self.width, self.height = int(width), int(height)
        cam = world.robot.camera
        self.cam = cam
        self.focal = (self.width / 2.0) / math.tan(cam.hfov / 2.0)
        self.horizon = cam.horizon * self.height
        u = np.arange(self.width) + 0.5
        lateral = (self.width / 2.0 - u) / self.focal           # left offset per m of depth
        self.col_angles = np.arctan(lateral)                    # rad, left of the heading
        self.col_cos = np.cos(self.col_angles)
        self.rows = (np.arange(self.height) + 0.5)[:, None]     # (H, 1) pixel-centre rows
        first = int(math.floor(self.horizon + 0.5))             # first row below the horizon
        self.floor_row0 = min(max(first, 0), self.height)
        dv = np.arange(self.floor_row0, self.height) + 0.5 - self.horizon
        self.floor_depth = self.focal * cam.height / dv         # (Hf,) m
        self.floor_lateral = self.floor_depth[:, None] * lateral[None, :]  # (Hf, W) m
        self._depth32 = self.floor_depth[:, None].astype(np.float32)
        self._lateral32 = self.floor_lateral.astype(np.float32)
        self._floor_rows = np.arange(len(self.floor_depth))[:, None]
        self._ceiling = self._make_ceiling()
        self._floor_palette = self._make_floor_palette()
        self._pit_frame = np.empty((self.height, self.width, 3), np.uint8)
        self._pit_frame[:] = np.array(PIT_RGB[::-1], dtype=np.uint8)
        boxes = world.boxes
        self._heights = np.array([b.height for b in boxes] + [world.wall_height])
        self._colours = np.array([_bgr(b.color) for b in boxes] + [_bgr(world.wall_color)])

    def _make_ceiling(self):
        img = np.empty((self.height, self.width, 3), np.uint8)
        t = np.clip(self.rows[:, 0] / max(self.horizon, 1.0), 0.0, 1.0)[:, None]
        colour = _bgr(CEILING_TOP_RGB) * (1.0 - t) + _bgr(CEILING_HORIZON_RGB) * t
        img[:] = np.round(colour[:, None, :]).astype(np.uint8)
        return img

    def _make_floor_palette(self):
        """Return ``(Hf, 3, 3)`` uint8: per floor row, the colours of tile 0, tile 1 and a pit."""
        tiles = np.array([_bgr(c) for c in self.world.floor_colors])         # (2, 3)
        mean = tiles.mean(axis=0)
        contrast = np.clip(1.0 - self.floor_depth / FLOOR_FADE, 0.0, 1.0)    # (Hf,)
        fog = 1.0 / (1.0 + FOG * self.floor_depth)
        faded = mean[None, None, :] + (tiles[None] - mean) * contrast[:, None, None]
        pit = np.broadcast_to(_bgr(PIT_RGB), (len(fog), 1, 3))
        palette = np.concatenate([faded * fog[:, None, None], pit], axis=1)
        return np.clip(np.round(palette), 0, 255).astype(np.uint8)

    def camera_position(self, pose):
        """Return the lens position ``(x, y)`` (m, world frame) for the robot at ``pose``."""
        forward = self.cam.forward
        return pose.x + forward * math.cos(pose.yaw), pose.y + forward * math.sin(pose.yaw)

    def render(self, pose):
        """Return the view from ``pose`` as a new ``(height, width, 3)`` uint8 BGR image.

        Args:
            pose: the robot's :class:`~kropbot_sim.kinematics.Pose2D` (or any object with
                ``x``, ``y``, ``yaw``) in the world frame.

        A lens inside a pit (the robot fell) sees only the pit's darkness.

        """
        geometry = self.world.geometry
        cx, cy = self.camera_position(pose)
        if geometry.pit_at(cx, cy) is not None:
            return self._pit_frame.copy()
        img = self._ceiling.copy()
        c, s = math.cos(pose.yaw), math.sin(pose.yaw)
        self._draw_floor(img, geometry, cx, cy, c, s)
        self._draw_solids(img, geometry, cx, cy, pose.yaw)
        return img

    def _draw_floor(self, img, geometry, cx, cy, c, s):
        # float32 on purpose: half the memory traffic, and 1e-7 relative error is < 1 um here.
        depth = self._depth32
        lateral = self._lateral32
        inv_tile = 1.0 / self.world.tile
        tx = np.floor((cx + depth * c - lateral * s) * inv_tile).astype(np.int32)
        ty = np.floor((cy + depth * s + lateral * c) * inv_tile).astype(np.int32)
        index = (tx + ty) & 1
        for pit in self.world.pits:
            # local pit coordinates are affine in (depth, lateral): two multiply-adds each
            pc, ps = math.cos(pit.yaw), math.sin(pit.yaw)
            dx, dy = cx - pit.center[0], cy - pit.center[1]
            lx = (pc * dx + ps * dy) + depth * (pc * c + ps * s) + lateral * (ps * c - pc * s)
            ly = (-ps * dx + pc * dy) + depth * (pc * s - ps * c) + lateral * (pc * c + ps * s)
            inside = (np.abs(lx) <= pit.size[0] / 2.0) & (np.abs(ly) <= pit.size[1] / 2.0)
            index[inside] = 2
        img[self.floor_row0:] = self._floor_palette[self._floor_rows, index]

    def _draw_solids(self, img, geometry, cx, cy, yaw):
        angles = yaw + self.col_angles
        t_wall, wall_face = geometry.wall_hits((cx, cy), angles)
        t_near, t_far, faces = geometry.box_hits((cx, cy), angles)
        near = np.vstack([t_near, t_wall[None]]) * self.col_cos        # (K+1, W) depth, m
        far = np.vstack([t_far, t_wall[None]]) * self.col_cos
        faces = np.vstack([faces, wall_face[None]])
        cols = np.arange(self.width)
        order = np.argsort(-near, axis=0, kind='stable')               # far first, misses first
        hc, f, horizon = self.cam.height, self.focal, self.horizon
        for rank in range(len(near)):
            k = order[rank]
            z = near[k, cols]
            hit = np.isfinite(z) & (z > 1e-6)
            if not hit.any():
                continue
            z = np.where(hit, z, 1.0)
            h = self._heights[k]
            top = np.where(hit, horizon + f * (hc - h) / z, np.inf)
            bottom = horizon + f * hc / z
            shade = np.where(faces[k, cols] == FACE_Y, Y_FACE_SHADE, 1.0) / (1.0 + FOG * z)
            colour = self._colours[k] * shade[:, None]
            low = h < hc
            if low.any():  # lower than the lens: its top face shows, from the far edge
                z_far = np.where(hit, far[k, cols], 1.0)
                top_far = np.where(hit & low, horizon + f * (hc - h) / z_far, top)
                top_colour = (np.minimum(self._colours[k] * TOP_SHADE, 255.0)
                              / (1.0 + FOG * z)[:, None])
                self._paint(img, top_far, top, top_colour)
            self._paint(img, top, bottom, colour)

    def _paint(self, img, top, bottom, colour):
        """Fill the pixels whose centre row is in ``[top, bottom)`` per column with ``colour``."""
        colour = np.broadcast_to(colour, (self.width, 3))
        mask = (self.rows >= top[None, :]) & (self.rows < bottom[None, :])
        np.copyto(img, np.clip(np.round(colour), 0, 255).astype(np.uint8)[None, :, :],
                  where=mask[:, :, None])
