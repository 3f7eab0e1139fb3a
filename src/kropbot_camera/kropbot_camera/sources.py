"""Frame sources: the common interface and :func:`make_source`, which picks one.

All sources share a two-step interface modelled on ``cv2.VideoCapture.grab``/``retrieve``, so
the capture loop (:mod:`kropbot_camera.capture`) can stamp a frame right when it is grabbed and
skip decoding frames it will not publish:

* ``grab() -> bool``: acquire the next frame. Live sources (devices, URLs, pipelines) block
  until the device delivers one; False means the source is down (nothing to publish now).
* ``retrieve() -> numpy.ndarray | None``: the grabbed frame as an HxWx3 (or grey/BGRA) uint8
  array, or None if decoding it failed.
* ``live``: True when the source paces itself (read it continuously and drop early frames),
  False when the caller paces it (files, test pattern, sim views).
* ``close()``: release the device; safe to call twice.

Implementations: :class:`~kropbot_camera.opencv_source.OpenCVSource` (devices, files, URLs,
GStreamer; retry/loop policy), :class:`~kropbot_camera.pattern.TestPatternSource`, and the
sim views of the world file (:mod:`kropbot_sim.world`) from ``odom``:
:class:`~kropbot_camera.sim_source.SimSource` (``sim``, top-down) and
:class:`~kropbot_camera.fpv_source.FpvSource` (``sim_fpv``, first-person). No ROS imports: the
node passes plain callables (pose provider, report function) and the loaded world.
"""

import time

from kropbot_camera.fpv_source import FpvSource
from kropbot_camera.opencv_source import OpenCVSource
from kropbot_camera.pattern import TestPatternSource
from kropbot_camera.sim_source import SimSource

#: ``source`` values drawn from the sim world and ``odom`` (top-down, first-person): the node
#: loads ``sim_world`` and subscribes to ``odom`` for them.
SIM_SOURCES = ('sim', 'sim_fpv')


def _no_report(level, message):
    """Discard a report (default report callable)."""


def make_source(spec, width, height, fps, retry_period=2.0, arena_size=4.0,
                pose_provider=None, report=_no_report, clock=time.monotonic, world=None):
    """Build the source named by the ``source`` parameter.

    Args:
        spec: ``'test_pattern'``, ``'sim'`` or an OpenCV source (see
            :func:`kropbot_camera.opencv_source.classify_source`).
        width: image width (px).
        height: image height (px).
        fps: frame rate (Hz), passed to devices.
        retry_period: reopen period for OpenCV sources (s).
        arena_size: sim arena side (m), sim only.
        pose_provider: callable returning ``(x, y, yaw)`` or None; required for ``'sim'`` and
            ``'sim_fpv'``.
        report: callable ``(level, message)`` for OpenCV source state changes.
        clock: monotonic clock (s) for the retry policy.
        world: the sim world (:class:`kropbot_sim.world.World`) of the sim sources; required
            for ``'sim_fpv'``, None draws the empty arena of ``arena_size`` for ``'sim'``.

    Returns:
        TestPatternSource | SimSource | FpvSource | OpenCVSource

    Raises:
        ValueError: if ``spec`` is empty, or a sim source is asked for without a pose provider
            (or ``'sim_fpv'`` without a world).

    """
    spec = spec.strip()
    if not spec:
        raise ValueError('source must not be empty')
    if spec == 'test_pattern':
        return TestPatternSource(width, height)
    if spec in SIM_SOURCES:
        if pose_provider is None:
            raise ValueError(f'the {spec} source needs a pose provider')
        if spec == 'sim':
            return SimSource(pose_provider, arena_size, width, height, world=world)
        if world is None:
            raise ValueError('the sim_fpv source needs a sim world')
        return FpvSource(pose_provider, world, width, height)
    return OpenCVSource(spec, width, height, fps, retry_period, report=report, clock=clock)
