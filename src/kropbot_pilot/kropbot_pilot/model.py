"""The pilot network: DonkeyCar's default "linear" pilot, in PyTorch.

DonkeyCar's ``KerasLinear`` (autorope/donkeycar ``donkeycar/parts/keras.py``,
``default_n_linear`` + ``core_cnn_layers``; read, not copied) is five convolutions with ReLU,
each followed by dropout 0.2 -- 24 filters 5x5 stride 2, 32 5x5/2, 64 5x5/2, 64 3x3/1,
64 3x3/1 (no padding) -- then flatten, dense 100 (ReLU, dropout), dense 50 (ReLU, dropout) and
one linear output per command, trained with MSE and Adam on a 120x160 RGB frame scaled to
[0, 1]. :class:`LinearPilot` is that network with the two outputs (linear, angular) in one
layer, learning commands divided by the robot's limits (``max_linear``, ``max_angular``) so
both outputs weigh alike in the loss; :meth:`LinearPilot.forward` multiplies them back, so the
exported model outputs m/s and rad/s.

One difference: the first thing the network does is centre its [0, 1] input,
``(x - INPUT_MEAN) / INPUT_STD`` (0.5 and 0.25: about zero mean and unit spread, as PyTorch's
image models normalise their inputs). It is part of the network, so the ONNX model still takes
``pixel / 255`` (the contract is unchanged). Measured on a 6-minute recording of the sim arena
(``bench/pilot_eval.py``): after 12 epochs the validation loss was 0.0059 with it and 0.011
without; without it the first epochs sit on the constant-command plateau and Adam at 1e-3
occasionally jumps back to it (a dead-ReLU start).
"""

import torch
from torch import nn

#: The convolutions: (filters, kernel, stride), DonkeyCar's ``core_cnn_layers``.
CONV_LAYERS = ((24, 5, 2), (32, 5, 2), (64, 5, 2), (64, 3, 1), (64, 3, 1))
#: Dense layers after the convolutions.
DENSE_LAYERS = (100, 50)
#: DonkeyCar's dropout rate.
DROPOUT = 0.2
#: The network centres its input ``x`` in [0, 1] as ``(x - INPUT_MEAN) / INPUT_STD``.
INPUT_MEAN, INPUT_STD = 0.5, 0.25


def conv_output_size(size):
    """Return the side (px) after :data:`CONV_LAYERS` of an input side ``size`` (px)."""
    for _, kernel, stride in CONV_LAYERS:
        size = (size - kernel) // stride + 1
    return size


#: Smallest frame side the convolutions accept (61 px).
MIN_SIDE = next(s for s in range(1, 1000) if conv_output_size(s) >= 1)


class LinearPilot(nn.Module):
    """Frames ``[N, 3, height, width]`` (RGB in [0, 1]) -> commands ``[N, 2]`` (m/s, rad/s).

    Args:
        width: input width, px (>= :data:`MIN_SIDE`).
        height: input height, px (>= :data:`MIN_SIDE`).
        max_linear: m/s, the scale of the linear output (the vote node's limit).
        max_angular: rad/s, the scale of the angular output.
        dropout: dropout rate after every hidden layer.

    Raises:
        ValueError: a side smaller than :data:`MIN_SIDE` or a non-positive limit.

    """

    def __init__(self, width, height, max_linear, max_angular, dropout=DROPOUT):
        super().__init__()
        if min(width, height) < MIN_SIDE:
            raise ValueError(f'frames must be at least {MIN_SIDE}x{MIN_SIDE} px for the five '
                             f'convolutions, got {width}x{height}')
        if not (max_linear > 0 and max_angular > 0):
            raise ValueError('max_linear and max_angular must be > 0')
        self.width, self.height = int(width), int(height)
        self.max_linear, self.max_angular = float(max_linear), float(max_angular)
        layers, channels = [], 3
        for filters, kernel, stride in CONV_LAYERS:
            layers += [nn.Conv2d(channels, filters, kernel, stride), nn.ReLU(),
                       nn.Dropout(dropout)]
            channels = filters
        layers.append(nn.Flatten())
        features = channels * conv_output_size(height) * conv_output_size(width)
        for units in DENSE_LAYERS:
            layers += [nn.Linear(features, units), nn.ReLU(), nn.Dropout(dropout)]
            features = units
        layers.append(nn.Linear(features, 2))
        self.body = nn.Sequential(*layers)
        self.register_buffer('scale', torch.tensor([max_linear, max_angular],
                                                   dtype=torch.float32))

    def normalized(self, image):
        """Return the commands divided by ``(max_linear, max_angular)``, ``[N, 2]``."""
        return self.body((image - INPUT_MEAN) * (1.0 / INPUT_STD))

    def forward(self, image):
        """Return the commands ``[N, 2]``: linear m/s, angular rad/s."""
        return self.normalized(image) * self.scale
