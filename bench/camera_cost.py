"""Camera cost: CPU per frame of the camera node's capture+encode path vs a bare cv2.imencode.

The node path is the real ``kropbot_camera`` code: ``CaptureLoop`` (the node's capture thread)
driving a source (grab, retrieve = draw the frame), ``fit_frame`` and ``encode_jpeg``, with a
sink that only keeps the JPEG (no ROS). Sources: ``test_pattern``, and the two sim views ``sim``
(top-down) and ``sim_fpv`` (first-person ray caster) of the default sim world, fed with the
poses of an expert roll-out. Its thread CPU time per frame is compared with ``cv2.imencode`` of
*the same frames* (the same sequence) at the same JPEG quality. ``encode_path`` isolates
``fit_frame`` + ``encode_jpeg`` on the same frames, so the cost of drawing the frame (which a
real camera does not have) is visible separately (``draw_ms``).

Run: ``python bench/camera_cost.py``. No ROS, no server. Targets: test_pattern node <= 1.2x bare
encode; sim_fpv render + encode <= 10 ms per 320x240 frame (10 % of a core at 10 fps).
"""

from dataclasses import dataclass
from pathlib import Path
import threading
import time

from common import parser, print_table, str_list, write_json
import cv2
from kropbot_camera.capture import CaptureLoop
from kropbot_camera.encode import encode_jpeg, fit_frame
from kropbot_camera.pattern import TestPatternSource
from kropbot_camera.sources import make_source
from kropbot_sim.expert import make_expert
from kropbot_sim.rollout import rollout
from kropbot_sim.world import load_world
from tqdm import tqdm

WARMUP = 20  # frames run before the measurement starts (caches, allocator)
SOURCES = ('test_pattern', 'sim', 'sim_fpv')
WORLD_FILE = (Path(__file__).resolve().parents[1] / 'src' / 'kropbot_bringup' / 'config'
              / 'sim_world.yaml')


class PoseSequence:
    """A pose provider replaying ``(x, y, yaw)`` rows in a loop, one per call (one per grab)."""

    def __init__(self, poses):
        self.poses = poses
        self.index = 0

    def __call__(self):
        """Return the next pose ``(x, y, yaw)``."""
        pose = tuple(self.poses[self.index % len(self.poses)])
        self.index += 1
        return pose


def make_frame_source(name, width, height, world, poses):
    """Return a fresh source ``name`` whose frame sequence is always the same."""
    if name == 'test_pattern':
        return TestPatternSource(width, height)
    return make_source(name, width, height, 10.0, pose_provider=PoseSequence(poses),
                       world=world)


@dataclass
class Settings:
    """The settings object CaptureLoop reads each frame (as CameraConfig)."""

    width: int
    height: int
    fps: float
    jpeg_quality: int


def capture_loop_cost(make, width, height, quality, frames):
    """Run the real CaptureLoop on ``make()`` for ``frames`` frames as fast as it goes.

    Returns ``(cpu_s_per_frame, recorded_frames, jpeg_sizes)``; CPU is the capture thread's.
    The frames are recorded afterwards from a second source with the same sequence (the test
    pattern is deterministic apart from the clock text), so no copying disturbs the loop.
    """
    source = make()
    sizes = []
    done = threading.Event()
    cpu = {}

    def sink(jpeg, stamp):
        sizes.append(len(jpeg))
        if len(sizes) == WARMUP:
            cpu['t0'] = time.thread_time()
        if len(sizes) == WARMUP + frames:
            cpu['t1'] = time.thread_time()
            done.set()

    loop = CaptureLoop(source, lambda: Settings(width, height, 1e6, quality), sink)
    loop.start()
    done.wait(120)
    loop.stop()
    replay = make()
    recorded = []
    for i in range(WARMUP + frames):
        replay.grab()
        img = replay.retrieve()
        if i >= WARMUP:
            recorded.append(img)
    return (cpu['t1'] - cpu['t0']) / frames, recorded, sizes


def per_frame_cpu(fn, frames, repeat):
    """Return the CPU seconds per call of ``fn(frame)`` over ``frames`` (best of ``repeat``)."""
    best = float('inf')
    for _ in range(repeat):
        t0 = time.process_time()
        for img in frames:
            fn(img)
        best = min(best, (time.process_time() - t0) / len(frames))
    return best


def main():
    """Run the benchmark and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'camera_cost')
    p.add_argument('--sizes', type=str_list, default=['320x240', '640x480'],
                   help='frame sizes WxH')
    p.add_argument('--quality', type=int, default=60, help='JPEG quality (robot.yaml: 60)')
    p.add_argument('--frames', type=int, default=300, help='frames per size')
    p.add_argument('--sources', type=str_list, default=list(SOURCES),
                   help=f'sources among {", ".join(SOURCES)}')
    args = p.parse_args()
    if args.short:
        args.sizes, args.frames = ['320x240'], 30
    cv2.setNumThreads(1)
    world = load_world(WORLD_FILE)
    poses = rollout(world, make_expert(), world.starts[1], duration=60.0, seed=1,
                    record=True).poses
    rows = []
    configs = [(size, name) for size in args.sizes for name in args.sources]
    for size, name in tqdm(configs, desc='camera', unit='config'):
        width, height = (int(v) for v in size.lower().split('x'))

        def make(name=name, width=width, height=height):
            return make_frame_source(name, width, height, world, poses)
        node_s, frames, sizes = capture_loop_cost(make, width, height, args.quality,
                                                  args.frames)
        params = (cv2.IMWRITE_JPEG_QUALITY, args.quality)
        bare_s = per_frame_cpu(lambda img, p=params: cv2.imencode('.jpg', img, p), frames, 3)
        path_s = per_frame_cpu(
            lambda img, w=width, h=height: encode_jpeg(fit_frame(img, w, h), args.quality),
            frames, 3)
        src = make()

        def draw(_img, src=src):
            src.grab()
            return src.retrieve()
        draw_s = per_frame_cpu(draw, frames, 3)
        rows.append({'source': name, 'size': size, 'quality': args.quality,
                     'frames': len(frames), 'jpeg_kb': sum(sizes) / len(sizes) / 1024,
                     'node_ms': node_s * 1e3, 'bare_encode_ms': bare_s * 1e3,
                     'encode_path_ms': path_s * 1e3, 'draw_ms': draw_s * 1e3,
                     'ratio_node': node_s / bare_s, 'ratio_encode_path': path_s / bare_s})
    print_table('Camera CPU per frame: node capture+encode path vs bare cv2.imencode',
                ['source', 'size', 'quality', 'frames', 'jpeg_kb', 'node_ms', 'bare_encode_ms',
                 'encode_path_ms', 'draw_ms', 'ratio_node', 'ratio_encode_path'], rows)
    print('node_ms: CaptureLoop thread CPU (draw + fit_frame + encode_jpeg); draw_ms: the '
          'source drawing its frame (test pattern, top-down sim view, first-person render); '
          'ratio_encode_path excludes that drawing, which a real camera does not do.')
    write_json(args.json, 'camera_cost', {'sizes': args.sizes, 'sources': args.sources,
                                          'quality': args.quality, 'frames': args.frames,
                                          'short': args.short,
                                          'target': 'test_pattern node <= 1.2x bare encode; '
                                                    'sim_fpv node <= 10 ms at 320x240'}, rows)


if __name__ == '__main__':
    main()
