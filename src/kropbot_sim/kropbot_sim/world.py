"""The sim world file: a YAML description of the arena, loaded and validated (pure, ROS-free).

One file describes everything the simulation needs, so the driver's sim backend, the camera's
sim views, the expert and the range sensors all see the same world:

.. code-block:: yaml

    kropbot_sim_world: 1          # format version (required: tells a world file from others)
    name: stairwell arena
    arena:                        # the floor, centred on the origin, walls along its edges
      size: [4.0, 4.0]            # m, extent along x and y
      wall_height: 0.5            # m
      wall_color: "#d9d4c7"       # "#rrggbb" or [r, g, b] (0..255)
    floor:
      colors: ["#8a7f6d", "#a0947f"]   # checker tiles
      tile: 0.25                  # m, side of one tile
    robot:
      radius: 0.08                # m, the robot's footprint is a disc
      camera: {height: 0.10, forward: 0.06, hfov: 1.085, horizon: 0.4}
    boxes:                        # obstacles: rectangles on the floor, any yaw
      - {name: crate, center: [-1.0, 1.1], size: [0.4, 0.4], yaw: 0.0, height: 0.3,
         color: "#c0392b"}
    walls:                        # interior walls as thick segments (become boxes)
      - {from: [-2.0, 0.5], to: [-1.2, 0.5], thickness: 0.05, height: 0.5, color: "#d9d4c7"}
    pits:                         # holes in the floor (the stairwell): the robot falls in
      - {name: stairwell, center: [1.4, 0.8], size: [1.2, 0.9], yaw: 0.0, depth: 2.5}
    starts:                       # start poses [x, y, yaw] (m, m, rad); the first is the default
      - [0.0, 0.0, 0.0]

Frames and units follow REP 103 (x forward at yaw 0, y left, yaw counter-clockwise; m, rad).
Every key but ``kropbot_sim_world`` is optional (defaults below). A bad file raises
:class:`WorldError` whose message names the file, the key path and the rule, e.g.
``world.yaml: boxes[2].size: must be a list of 2 numbers > 0, got [0.3]``.
"""

from dataclasses import dataclass, field
from functools import cached_property
import math
import os
import re

import yaml

from kropbot_sim.kinematics import Pose2D

#: Value of the ``kropbot_sim_world`` key this module reads.
FORMAT_VERSION = 1
#: Prefix of a ``sim_world`` parameter naming a file in an installed package's share directory.
PACKAGE_PREFIX = 'package://'

_HEX_COLOR = re.compile(r'^#([0-9a-fA-F]{6})$')


class WorldError(ValueError):
    """A world file is missing, unreadable or invalid; the message says where and why."""


@dataclass(frozen=True)
class Box:
    """An obstacle: a rectangle on the floor extruded to ``height``.

    Attributes:
        name: label used in messages.
        center: ``(x, y)`` of the centre, m.
        size: ``(length, width)``: extent along the box's own x and y axes, m.
        yaw: rotation of the box's x axis from the world x axis, rad (CCW).
        height: m.
        color: ``(r, g, b)``, 0..255.

    """

    name: str
    center: tuple
    size: tuple
    yaw: float = 0.0
    height: float = 0.3
    color: tuple = (200, 60, 50)


@dataclass(frozen=True)
class Pit:
    """A rectangular hole in the floor (a stairwell): a robot whose centre enters it falls.

    Attributes:
        name: label used in messages.
        center: ``(x, y)``, m.
        size: ``(length, width)`` along the pit's own axes, m.
        yaw: rad (CCW).
        depth: drop below the floor, m (what a downward range sensor sees, see
            :mod:`kropbot_sim.ranges`).

    """

    name: str
    center: tuple
    size: tuple
    yaw: float = 0.0
    depth: float = 2.5


@dataclass(frozen=True)
class CameraMount:
    """The simulated first-person camera on the robot (see :mod:`kropbot_sim.fpv`).

    Attributes:
        height: lens height above the floor, m.
        forward: lens position ahead of the robot's centre, m.
        hfov: horizontal field of view, rad (1.085 = 62.2 deg, the Raspberry Pi Camera v2).
        horizon: image row of the horizon as a fraction of the height (0.5 = a level camera;
            smaller shows more floor, like a camera tilted down, without bending vertical
            edges).

    """

    height: float = 0.10
    forward: float = 0.06
    hfov: float = 1.085
    horizon: float = 0.4


@dataclass(frozen=True)
class RobotSpec:
    """The simulated robot's body: a disc of ``radius`` m carrying a :class:`CameraMount`."""

    radius: float = 0.08
    camera: CameraMount = field(default_factory=CameraMount)


@dataclass(frozen=True)
class World:
    """A validated sim world (see the module docstring for the file format).

    Attributes:
        name: human name.
        size: ``(sx, sy)`` arena extent, m; the arena is ``|x| <= sx/2``, ``|y| <= sy/2``.
        wall_height: m.
        wall_color: ``(r, g, b)``.
        floor_colors: two ``(r, g, b)`` checker tile colours.
        tile: checker tile side, m.
        boxes: tuple of :class:`Box` (interior walls included).
        pits: tuple of :class:`Pit`.
        starts: tuple of :class:`~kropbot_sim.kinematics.Pose2D`, at least one.
        robot: :class:`RobotSpec`.
        source: where it was loaded from ('' if built in code).

    """

    name: str = 'empty arena'
    size: tuple = (4.0, 4.0)
    wall_height: float = 0.5
    wall_color: tuple = (217, 212, 199)
    floor_colors: tuple = ((138, 127, 109), (160, 148, 127))
    tile: float = 0.25
    boxes: tuple = ()
    pits: tuple = ()
    starts: tuple = (Pose2D(),)
    robot: RobotSpec = field(default_factory=RobotSpec)
    source: str = ''

    @property
    def half_extent(self):
        """Return ``(sx / 2, sy / 2)``, m: the walls are at ``x = ±sx/2`` and ``y = ±sy/2``."""
        return self.size[0] / 2.0, self.size[1] / 2.0

    @cached_property
    def geometry(self):
        """The numpy arrays of the obstacles and pits (:class:`kropbot_sim.geometry.Geometry`)."""
        from kropbot_sim.geometry import Geometry
        return Geometry(self)

    def placement_problem(self, x, y):
        """Return why the robot cannot stand at ``(x, y)`` (m), or None if it can.

        It cannot where its disc (``robot.radius``) overlaps a wall or box, or where its centre
        is inside a pit: the rule for start poses and for a pose set at run time.
        """
        blocker = self.geometry.disc_blocker(x, y, self.robot.radius)
        if blocker is not None:
            return (f'the robot (radius {self.robot.radius:g} m) at ({x:g}, {y:g}) overlaps '
                    f'{blocker}')
        pit = self.geometry.pit_at(x, y)
        if pit is not None:
            return f'({x:g}, {y:g}) is inside pit {self.pits[pit].name!r}'
        return None


def empty_world(size=4.0):
    """Return a square arena of side ``size`` m centred on the origin, no boxes, no pit.

    This is the sim of earlier KropBot versions (``sim_world: ''``).

    Raises:
        WorldError: if ``size`` is not in [0.5, 100].

    """
    size = _number(size, 'arena.size', 0.5, 100.0)
    return World(size=(size, size))


def resolve_path(value):
    """Turn a ``sim_world`` parameter value into a file path.

    ``package://<pkg>/<path>`` is ``<path>`` in the share directory of the installed ROS
    package ``<pkg>`` (the convention of URDF meshes and camera_info URLs; resolved with
    ``ament_index_python``, imported here only); anything else is a file path (``~`` expanded).

    Raises:
        WorldError: malformed ``package://`` value or the package is not installed.

    """
    value = value.strip()
    if not value.startswith(PACKAGE_PREFIX):
        return os.path.expanduser(value)
    rest = value[len(PACKAGE_PREFIX):]
    package, _, relative = rest.partition('/')
    if not package or not relative:
        raise WorldError(f'sim world {value!r}: expected package://<package>/<path>')
    try:
        from ament_index_python.packages import (
            PackageNotFoundError,
            get_package_share_directory,
        )
    except ImportError as exc:
        raise WorldError(f'sim world {value!r}: package:// needs ament_index_python '
                         f'({exc})') from None
    try:
        share = get_package_share_directory(package)
    except PackageNotFoundError:
        raise WorldError(f'sim world {value!r}: package {package!r} is not installed (source '
                         f'the workspace, or give a file path)') from None
    return os.path.join(share, relative)


def world_from_parameter(value, arena_size=4.0):
    """Return the :class:`World` named by a node's ``sim_world`` parameter.

    Args:
        value: ``''`` for :func:`empty_world` of ``arena_size`` (the old sim), a file path, or
            ``package://<pkg>/<path>``.
        arena_size: side of the empty arena, m (the ``sim_arena_size`` parameter).

    Raises:
        WorldError: the file cannot be found, read or parsed, or is invalid.

    """
    if not value.strip():
        return empty_world(arena_size)
    return load_world(resolve_path(value))


def load_world(path):
    """Read and validate the world file ``path``; return a :class:`World`.

    Raises:
        WorldError: missing or unreadable file, YAML syntax error, or invalid content.

    """
    label = os.path.basename(path) or path
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as exc:
        raise WorldError(f'cannot read sim world {path}: {exc.strerror or exc}') from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = f' line {mark.line + 1}' if mark is not None else ''
        raise WorldError(f'{label}:{where} not valid YAML: '
                         f'{getattr(exc, "problem", None) or exc}') from None
    try:
        return parse_world(data, source=str(path))
    except WorldError as exc:
        raise WorldError(f'{label}: {exc}') from None


_TOP_KEYS = ('kropbot_sim_world', 'name', 'arena', 'floor', 'robot', 'boxes', 'walls', 'pits',
             'starts')


def parse_world(data, source=''):
    """Validate a world given as the parsed YAML mapping ``data``; return a :class:`World`.

    Raises:
        WorldError: naming the key path and the rule (without the file name).

    """
    if not isinstance(data, dict) or 'kropbot_sim_world' not in data:
        raise WorldError('not a KropBot sim world (a mapping with "kropbot_sim_world: 1" '
                         'expected)')
    if data['kropbot_sim_world'] != FORMAT_VERSION:
        raise WorldError(f'kropbot_sim_world: this version reads format {FORMAT_VERSION}, '
                         f'got {data["kropbot_sim_world"]!r}')
    _known_keys(data, _TOP_KEYS, '')
    defaults = World()
    name = _text(data.get('name', 'sim world'), 'name')

    arena = _mapping(data.get('arena', {}), 'arena', ('size', 'wall_height', 'wall_color'))
    size = _pair(arena.get('size', list(defaults.size)), 'arena.size', 0.5, 100.0)
    wall_height = _number(arena.get('wall_height', defaults.wall_height), 'arena.wall_height',
                          0.01, 10.0)
    wall_color = _color(arena.get('wall_color', list(defaults.wall_color)), 'arena.wall_color')

    floor = _mapping(data.get('floor', {}), 'floor', ('colors', 'tile'))
    colors = floor.get('colors', [list(c) for c in defaults.floor_colors])
    if not isinstance(colors, list) or len(colors) != 2:
        raise WorldError(f'floor.colors: must be a list of 2 colours, got {colors!r}')
    floor_colors = tuple(_color(c, f'floor.colors[{i}]') for i, c in enumerate(colors))
    tile = _number(floor.get('tile', defaults.tile), 'floor.tile', 0.01, 10.0)

    robot = _robot(data.get('robot', {}))
    boxes = [_box(item, f'boxes[{i}]', i) for i, item in enumerate(_list(data, 'boxes'))]
    boxes += [_wall(item, f'walls[{i}]', i, wall_height, wall_color)
              for i, item in enumerate(_list(data, 'walls'))]
    pits = [_pit(item, f'pits[{i}]', i) for i, item in enumerate(_list(data, 'pits'))]
    raw_starts = data.get('starts', [[0.0, 0.0, 0.0]])
    if not isinstance(raw_starts, list) or not raw_starts:
        raise WorldError(f'starts: must be a non-empty list of [x, y, yaw], got {raw_starts!r}')
    starts = tuple(_pose(item, f'starts[{i}]') for i, item in enumerate(raw_starts))

    world = World(name=name, size=size, wall_height=wall_height, wall_color=wall_color,
                  floor_colors=floor_colors, tile=tile, boxes=tuple(boxes), pits=tuple(pits),
                  starts=starts, robot=robot, source=source)
    _check_starts(world)
    return world


def _check_starts(world):
    """Every start pose must leave the robot's disc free of walls and boxes, out of the pits."""
    for i, start in enumerate(world.starts):
        problem = world.placement_problem(start.x, start.y)
        if problem is not None:
            raise WorldError(f'starts[{i}]: {problem}')


def _robot(raw):
    spec = _mapping(raw, 'robot', ('radius', 'camera'))
    defaults = RobotSpec()
    radius = _number(spec.get('radius', defaults.radius), 'robot.radius', 0.01, 1.0)
    cam = _mapping(spec.get('camera', {}), 'robot.camera', ('height', 'forward', 'hfov',
                                                            'horizon'))
    d = defaults.camera
    camera = CameraMount(
        height=_number(cam.get('height', d.height), 'robot.camera.height', 0.01, 2.0),
        forward=_number(cam.get('forward', d.forward), 'robot.camera.forward', 0.0, 1.0),
        hfov=_number(cam.get('hfov', d.hfov), 'robot.camera.hfov', 0.2, 3.0),
        horizon=_number(cam.get('horizon', d.horizon), 'robot.camera.horizon', 0.1, 0.9))
    return RobotSpec(radius=radius, camera=camera)


def _box(raw, where, index):
    item = _mapping(raw, where, ('name', 'center', 'size', 'yaw', 'height', 'color'))
    _required(item, where, ('center', 'size'))
    return Box(name=_text(item.get('name', f'box {index + 1}'), f'{where}.name'),
               center=_pair(item['center'], f'{where}.center'),
               size=_pair(item['size'], f'{where}.size', 1e-3, 100.0),
               yaw=_number(item.get('yaw', 0.0), f'{where}.yaw'),
               height=_number(item.get('height', Box.height), f'{where}.height', 0.01, 10.0),
               color=_color(item.get('color', list(Box.color)), f'{where}.color'))


def _wall(raw, where, index, wall_height, wall_color):
    item = _mapping(raw, where, ('name', 'from', 'to', 'thickness', 'height', 'color'))
    _required(item, where, ('from', 'to'))
    (x0, y0), (x1, y1) = _pair(item['from'], f'{where}.from'), _pair(item['to'], f'{where}.to')
    length = math.hypot(x1 - x0, y1 - y0)
    if length < 1e-3:
        raise WorldError(f'{where}: from and to must differ')
    thickness = _number(item.get('thickness', 0.05), f'{where}.thickness', 1e-3, 10.0)
    return Box(name=_text(item.get('name', f'wall {index + 1}'), f'{where}.name'),
               center=((x0 + x1) / 2.0, (y0 + y1) / 2.0), size=(length, thickness),
               yaw=math.atan2(y1 - y0, x1 - x0),
               height=_number(item.get('height', wall_height), f'{where}.height', 0.01, 10.0),
               color=_color(item.get('color', list(wall_color)), f'{where}.color'))


def _pit(raw, where, index):
    item = _mapping(raw, where, ('name', 'center', 'size', 'yaw', 'depth'))
    _required(item, where, ('center', 'size'))
    return Pit(name=_text(item.get('name', f'pit {index + 1}'), f'{where}.name'),
               center=_pair(item['center'], f'{where}.center'),
               size=_pair(item['size'], f'{where}.size', 1e-3, 100.0),
               yaw=_number(item.get('yaw', 0.0), f'{where}.yaw'),
               depth=_number(item.get('depth', Pit.depth), f'{where}.depth', 1e-3, 100.0))


def _pose(raw, where):
    if not isinstance(raw, list) or len(raw) != 3:
        raise WorldError(f'{where}: must be [x, y, yaw] (m, m, rad), got {raw!r}')
    x, y, yaw = (_number(v, where) for v in raw)
    return Pose2D(x, y, yaw)


def _list(data, key):
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise WorldError(f'{key}: must be a list, got {value!r}')
    return value


def _mapping(raw, where, keys):
    if not isinstance(raw, dict):
        raise WorldError(f'{where}: must be a mapping, got {raw!r}')
    _known_keys(raw, keys, where)
    return raw


def _known_keys(mapping, keys, where):
    unknown = sorted(str(k) for k in mapping if k not in keys)
    if unknown:
        prefix = f'{where}: ' if where else ''
        raise WorldError(f'{prefix}unknown key(s) {", ".join(unknown)} (known: '
                         f'{", ".join(keys)})')


def _required(mapping, where, keys):
    missing = [k for k in keys if k not in mapping]
    if missing:
        raise WorldError(f'{where}: missing {", ".join(missing)}')


def _number(value, where, low=-math.inf, high=math.inf):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise WorldError(f'{where}: must be a finite number, got {value!r}')
    if not low <= value <= high:
        raise WorldError(f'{where}: must be in [{low:g}, {high:g}], got {value!r}')
    return float(value)


def _pair(value, where, low=-math.inf, high=math.inf):
    bounds = '' if low == -math.inf else f' in [{low:g}, {high:g}]'
    if not isinstance(value, list) or len(value) != 2:
        raise WorldError(f'{where}: must be a list of 2 numbers{bounds}, got {value!r}')
    return tuple(_number(v, where, low, high) for v in value)


def _text(value, where):
    if not isinstance(value, str) or not value.strip():
        raise WorldError(f'{where}: must be a non-empty string, got {value!r}')
    return value.strip()


def _color(value, where):
    """Return ``(r, g, b)`` from ``"#rrggbb"`` or ``[r, g, b]`` (integers 0..255)."""
    if isinstance(value, str):
        m = _HEX_COLOR.match(value.strip())
        if m:
            n = int(m.group(1), 16)
            return (n >> 16) & 255, (n >> 8) & 255, n & 255
    elif isinstance(value, list) and len(value) == 3 and all(
            isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value):
        return tuple(value)
    raise WorldError(f'{where}: must be "#rrggbb" or [r, g, b] with integers 0..255, '
                     f'got {value!r}')
