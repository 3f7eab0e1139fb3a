"""Export a trained :class:`~kropbot_pilot.model.LinearPilot` to ONNX (torch, onnx, onnxruntime).

Uses PyTorch's default exporter (``torch.onnx.export(..., dynamo=True)``, torch.export based,
needs ``onnxscript``) with a free batch dimension, then writes the contract's metadata
(:mod:`kropbot_pilot.contract`) into the model, checks it with ``onnx.checker`` and checks that
ONNX Runtime reproduces PyTorch's outputs.
"""

import logging
import os
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch

from kropbot_pilot import contract


class ExportError(RuntimeError):
    """The exported model does not reproduce the PyTorch model."""


def export_onnx(model, path, tolerance=1e-4):
    """Write ``model`` to ``path`` as ONNX with the contract's names, shapes and metadata.

    Args:
        model: a :class:`~kropbot_pilot.model.LinearPilot` (put in eval mode).
        path: the ``.onnx`` file to write.
        tolerance: largest accepted |ONNX Runtime - PyTorch| output difference (m/s, rad/s).

    Returns:
        int: the file size, bytes.

    Raises:
        ExportError: ONNX Runtime's outputs differ from PyTorch's by more than ``tolerance``.

    """
    model.eval()
    # The exporter logs a warning per torchvision operator it cannot register: not used here.
    logging.getLogger('torch.onnx._internal.exporter._registration').setLevel(logging.ERROR)
    example = torch.zeros(1, 3, model.height, model.width)
    batch = torch.export.Dim('batch', min=1, max=4096)
    with warnings.catch_warnings():  # torch.export's own deprecation notices, not ours
        warnings.simplefilter('ignore', FutureWarning)
        torch.onnx.export(model, (example,), str(path), dynamo=True, external_data=False,
                          input_names=[contract.INPUT_NAME],
                          output_names=[contract.OUTPUT_NAME], dynamic_shapes=({0: batch},),
                          verbose=False)
    proto = onnx.load(str(path))
    meta = {contract.META_CONTRACT: contract.CONTRACT_VERSION,
            contract.META_WIDTH: str(model.width), contract.META_HEIGHT: str(model.height),
            contract.META_MAX_LINEAR: repr(model.max_linear),
            contract.META_MAX_ANGULAR: repr(model.max_angular),
            contract.META_INPUT: contract.INPUT_TEXT, contract.META_OUTPUT: contract.OUTPUT_TEXT}
    onnx.helper.set_model_props(proto, meta)
    proto.doc_string = 'KropBot imitation pilot (DonkeyCar-style linear CNN)'
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))

    generator = torch.Generator().manual_seed(0)
    sample = torch.rand(3, 3, model.height, model.width, generator=generator)
    with torch.no_grad():
        expected = model(sample).numpy()
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    got = session.run([contract.OUTPUT_NAME], {contract.INPUT_NAME: sample.numpy()})[0]
    worst = float(np.max(np.abs(got - expected)))
    if not worst <= tolerance:
        raise ExportError(f'ONNX Runtime differs from PyTorch by {worst:g} (> {tolerance:g})')
    return os.path.getsize(path)
