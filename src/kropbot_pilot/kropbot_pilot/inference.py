"""Running the pilot model with ONNX Runtime, and its latency statistics (ROS-free, torch-free).

Needs only ``onnxruntime``, numpy and OpenCV (requirements-pilot.txt), so the pilot runs on any
desktop. The model follows :mod:`kropbot_pilot.contract`.
"""

from collections import deque
import math
import time

import numpy as np
import onnxruntime as ort

from kropbot_pilot import contract


class ModelError(ValueError):
    """The ONNX file is missing, unreadable or does not follow the pilot contract."""


def _clamp(value, limit):
    return max(-limit, min(limit, value))


class PilotModel:
    """An ONNX pilot model ready to drive: frame in, clamped command out.

    Args:
        path: the ``.onnx`` file written by ``train``.
        threads: ONNX Runtime intra-op threads (1 keeps a desktop responsive; inference of
            the default model takes a few ms).
        clock: monotonic clock (s) used to time inference.

    Attributes:
        width, height: frame size the model takes, px (from its metadata).
        max_linear, max_angular: limits the commands are clamped to (m/s, rad/s).
        rejected: count of outputs that were not finite (replaced by a stop).

    Raises:
        ModelError: the file cannot be loaded or lacks the contract's names and metadata.

    """

    def __init__(self, path, threads=1, clock=time.perf_counter):
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), options,
                                                providers=['CPUExecutionProvider'])
        except Exception as exc:  # noqa: BLE001 - ORT raises its own exception types
            raise ModelError(f'cannot load model {path}: {exc}') from None
        meta = self.session.get_modelmeta().custom_metadata_map
        try:
            self.width = int(meta[contract.META_WIDTH])
            self.height = int(meta[contract.META_HEIGHT])
            self.max_linear = float(meta[contract.META_MAX_LINEAR])
            self.max_angular = float(meta[contract.META_MAX_ANGULAR])
        except (KeyError, ValueError):
            raise ModelError(f'{path} is not a KropBot pilot model (metadata '
                             f'{sorted(meta)} lacks the contract keys)') from None
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        shape = getattr(inputs.get(contract.INPUT_NAME), 'shape', None)
        if shape is None or list(shape[1:]) != [3, self.height, self.width] \
                or contract.OUTPUT_NAME not in outputs:
            raise ModelError(f'{path}: expected input {contract.INPUT_NAME!r} '
                             f'[N,3,{self.height},{self.width}] and output '
                             f'{contract.OUTPUT_NAME!r}, got {inputs} -> {sorted(outputs)}')
        self._clock = clock
        self.rejected = 0

    def predict(self, bgr):
        """Return ``(linear, angular, seconds)`` for one decoded BGR frame.

        The command (m/s, rad/s) is clamped to the limits; a non-finite output becomes a stop
        ``(0, 0)`` and is counted in :attr:`rejected`. ``seconds`` is the time spent in
        preprocessing and inference.
        """
        started = self._clock()
        x = contract.preprocess(bgr, self.width, self.height)
        (out,) = self.session.run([contract.OUTPUT_NAME], {contract.INPUT_NAME: x})
        linear, angular = (float(v) for v in np.asarray(out).reshape(-1)[:2])
        elapsed = self._clock() - started
        if not (math.isfinite(linear) and math.isfinite(angular)):
            self.rejected += 1
            return 0.0, 0.0, elapsed
        return _clamp(linear, self.max_linear), _clamp(angular, self.max_angular), elapsed


class LatencyStats:
    """Per-frame latencies (s) over the last ``window`` frames; percentiles in ms.

    Args:
        window: number of most recent samples kept.

    """

    def __init__(self, window=2000):
        self._samples = deque(maxlen=window)
        self.count = 0

    def add(self, seconds):
        """Record one latency (s)."""
        self._samples.append(float(seconds))
        self.count += 1

    def percentile_ms(self, q):
        """Return the ``q``-th percentile (0..100) of the kept samples in ms (nan if none)."""
        if not self._samples:
            return float('nan')
        return float(np.percentile(np.fromiter(self._samples, float), q)) * 1000.0

    def summary(self):
        """Return ``{'frames', 'p50_ms', 'p95_ms', 'max_ms'}`` (all frames counted; the
        percentiles are None before the first frame).
        """  # noqa: D205 - two lines
        if not self._samples:
            return {'frames': 0, 'p50_ms': None, 'p95_ms': None, 'max_ms': None}
        return {'frames': self.count, 'p50_ms': self.percentile_ms(50),
                'p95_ms': self.percentile_ms(95), 'max_ms': self.percentile_ms(100)}
