"""Sim render: start-up and per-frame cost of the first-person view, ray caster vs MuJoCo.

Renders the default sim world (``kropbot_bringup/config/sim_world.yaml``) from the poses of an
expert roll-out with each renderer, each in a fresh Python process (so ``startup_s`` includes
the imports): ``raycast`` is :class:`kropbot_sim.fpv.FpvRenderer` (numpy, what the camera's
``sim_fpv`` source uses); ``mujoco`` (only if the ``mujoco`` package is importable; not a
KropBot requirement) builds an MJCF model of the same world (checker floor, walls, boxes, the
pit as a near-black tile) and renders it offscreen with ``mujoco.Renderer`` through
``MUJOCO_GL`` (``--mujoco-gl``, default ``egl``). Columns: ``startup_s`` (process start to the
first frame: imports, model, GL context), ``frame_ms`` (wall) and ``frame_cpu_ms`` (CPU of all
threads of the process; Mesa's software rasteriser uses several) per frame.

Run: ``python bench/sim_render.py``. No ROS. Judges nothing; the camera README quotes a run.
"""

import json
import math
import os
from pathlib import Path
import subprocess
import sys
import time

T0 = time.perf_counter()

WORLD_FILE = (Path(__file__).resolve().parents[1] / 'src' / 'kropbot_bringup' / 'config'
              / 'sim_world.yaml')


def _poses(world):
    from kropbot_sim.expert import make_expert
    from kropbot_sim.rollout import rollout
    return rollout(world, make_expert(), world.starts[1], duration=30.0, seed=1,
                   record=True).poses


def _mjcf(world, width, height):
    """Return an MJCF model (str) of ``world`` for a ``width`` x ``height`` first-person view."""
    cam = world.robot.camera
    fovy = math.degrees(2 * math.atan(math.tan(cam.hfov / 2) * height / width))
    hx, hy = world.half_extent
    (r0, g0, b0), (r1, g1, b1) = (tuple(c / 255 for c in col) for col in world.floor_colors)
    geoms = []
    for name, x, y, sx, sy in (('wn', 0, hy, hx, 0.025), ('ws', 0, -hy, hx, 0.025),
                               ('we', hx, 0, 0.025, hy), ('ww', -hx, 0, 0.025, hy)):
        rgb = ' '.join(f'{c / 255:.3f}' for c in world.wall_color)
        geoms.append(f'<geom name="{name}" type="box" pos="{x} {y} {world.wall_height / 2}" '
                     f'size="{sx} {sy} {world.wall_height / 2}" rgba="{rgb} 1"/>')
    for box in world.boxes:
        rgb = ' '.join(f'{c / 255:.3f}' for c in box.color)
        geoms.append(f'<geom type="box" pos="{box.center[0]} {box.center[1]} {box.height / 2}" '
                     f'size="{box.size[0] / 2} {box.size[1] / 2} {box.height / 2}" '
                     f'euler="0 0 {math.degrees(box.yaw)}" rgba="{rgb} 1"/>')
    for pit in world.pits:
        geoms.append(f'<geom type="box" pos="{pit.center[0]} {pit.center[1]} 0.001" '
                     f'size="{pit.size[0] / 2} {pit.size[1] / 2} 0.001" '
                     f'euler="0 0 {math.degrees(pit.yaw)}" rgba="0.05 0.05 0.07 1"/>')
    return f"""<mujoco>
  <visual><global fovy="{fovy}" offwidth="{width}" offheight="{height}"/></visual>
  <asset>
    <texture name="tiles" type="2d" builtin="checker" rgb1="{r0} {g0} {b0}" rgb2="{r1} {g1} {b1}"
             width="64" height="64"/>
    <material name="tiles" texture="tiles" texrepeat="{hx / world.tile} {hy / world.tile}"/>
  </asset>
  <worldbody>
    <light pos="0 0 3" dir="0 0 -1" diffuse="0.8 0.8 0.8"/>
    <geom type="plane" size="{hx} {hy} 0.1" material="tiles"/>
    {chr(10).join(geoms)}
  </worldbody>
</mujoco>"""


def worker(kind, width, height, frames):
    """Measure one renderer in this process; print a JSON dict."""
    from kropbot_sim.kinematics import Pose2D
    from kropbot_sim.world import load_world

    world = load_world(WORLD_FILE)
    poses = _poses(world)
    cam = world.robot.camera
    if kind == 'raycast':
        from kropbot_sim.fpv import FpvRenderer
        renderer = FpvRenderer(world, width, height)

        def render(x, y, yaw):
            return renderer.render(Pose2D(x, y, yaw))
    else:
        import mujoco
        model = mujoco.MjModel.from_xml_string(_mjcf(world, width, height))
        data = mujoco.MjData(model)
        mujoco.mj_forward(model, data)
        mj_renderer = mujoco.Renderer(model, height, width)
        view = mujoco.MjvCamera()
        view.type = mujoco.mjtCamera.mjCAMERA_FREE
        focal = (width / 2) / math.tan(cam.hfov / 2)
        pitch = math.degrees(math.atan((0.5 - cam.horizon) * height / focal))

        def render(x, y, yaw):
            lx, ly = x + cam.forward * math.cos(yaw), y + cam.forward * math.sin(yaw)
            view.lookat[:] = (lx + math.cos(yaw), ly + math.sin(yaw), cam.height)
            view.distance, view.azimuth, view.elevation = 1.0, math.degrees(yaw), -pitch
            mj_renderer.update_scene(data, camera=view)
            return mj_renderer.render()
    first = render(*poses[0])
    startup = time.perf_counter() - T0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(frames):
        render(*poses[i % len(poses)])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({'renderer': kind, 'size': f'{width}x{height}', 'frames': frames,
                      'startup_s': startup, 'frame_ms': wall / frames * 1e3,
                      'frame_cpu_ms': cpu / frames * 1e3,
                      'mean_level': float(first.mean())}))


def main():
    """Run every renderer and size in a subprocess and print/write the table."""
    from common import parser, print_table, str_list, write_json

    p = parser(__doc__.split('\n\n')[0], 'sim_render')
    p.add_argument('--sizes', type=str_list, default=['160x120', '320x240'],
                   help='frame sizes WxH')
    p.add_argument('--frames', type=int, default=200, help='frames per renderer and size')
    p.add_argument('--mujoco-gl', default='egl', help='MUJOCO_GL backend (egl, osmesa, glfw)')
    args = p.parse_args()
    if args.short:
        args.sizes, args.frames = ['160x120'], 20
    kinds = ['raycast']
    env = dict(os.environ, MUJOCO_GL=args.mujoco_gl)
    probe = subprocess.run([sys.executable, '-c', 'import mujoco'], env=env,
                           capture_output=True)
    if probe.returncode == 0:
        kinds.append('mujoco')
    else:
        print('mujoco is not importable here: only the ray caster is measured')
    rows = []
    for size in args.sizes:
        width, height = (int(v) for v in size.lower().split('x'))
        for kind in kinds:
            proc = subprocess.run([sys.executable, __file__, '--worker', kind, str(width),
                                   str(height), str(args.frames)], env=env,
                                  capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                print(f'{kind} {size} failed: {proc.stderr.strip().splitlines()[-1:]}')
                continue
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print_table('First-person render: start-up and per-frame cost',
                ['renderer', 'size', 'frames', 'startup_s', 'frame_ms', 'frame_cpu_ms'], rows)
    write_json(args.json, 'sim_render', {'sizes': args.sizes, 'frames': args.frames,
                                         'mujoco_gl': args.mujoco_gl, 'short': args.short},
               rows)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
