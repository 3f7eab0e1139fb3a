"""Fitting :class:`~kropbot_pilot.model.LinearPilot`: mini-batches, early stopping (torch).

As DonkeyCar trains its pilots (``KerasPilot.train``): Adam, MSE loss, early stopping on the
validation loss with ``patience`` epochs and ``min_delta`` (its defaults 5 and 0.0005), keeping
the best weights. Augmentation: each training frame is mirrored left-right with probability
0.5 and its angular command negated (:func:`kropbot_pilot.dataset.flip_horizontally`).
"""

from dataclasses import dataclass, field
import time

import numpy as np
import torch
from torch import nn

from kropbot_pilot.contract import to_input
from kropbot_pilot.dataset import flip_horizontally


@dataclass
class History:
    """What happened during :func:`fit`.

    Attributes:
        train_loss: mean training loss per epoch (MSE of normalised commands).
        val_loss: validation loss per epoch (same units).
        best_epoch: 1-based epoch whose weights were kept.
        stopped_early: True if early stopping ended the run.
        seconds: wall time of the fit, s.

    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0


def _batches(count, batch_size, rng=None):
    order = rng.permutation(count) if rng is not None else np.arange(count)
    for start in range(0, count, batch_size):
        yield order[start:start + batch_size]


def _device(model):
    return next(model.parameters()).device


def _tensor(images, device):
    return torch.from_numpy(to_input(images)).to(device)


def evaluate(model, images, targets, batch_size=256):
    """Return the model's predictions ``(N, 2)`` (m/s, rad/s) on uint8 RGB ``images``."""
    model.eval()
    out = []
    device = _device(model)
    with torch.no_grad():
        for index in _batches(len(images), batch_size):
            out.append(model(_tensor(images[index], device)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 2), np.float32)


def fit(model, train, val, epochs=50, batch_size=64, lr=1e-3, patience=5, min_delta=0.0005,
        flip=True, seed=0, progress=None):
    """Train ``model`` on ``train`` and stop early on ``val`` (both :class:`Dataset`).

    Args:
        model: a :class:`~kropbot_pilot.model.LinearPilot`, on the device to train on.
        train: training :class:`~kropbot_pilot.dataset.Dataset`.
        val: validation :class:`~kropbot_pilot.dataset.Dataset` (not empty).
        epochs: most epochs.
        batch_size: frames per step.
        lr: Adam learning rate.
        patience: stop after this many epochs without a val-loss gain of ``min_delta``.
        min_delta: smallest improvement that counts.
        flip: mirror augmentation (see the module docstring).
        seed: seeds torch and numpy (shuffling, flips, dropout).
        progress: optional callable ``(epoch, train_loss, val_loss, best_val)`` per epoch.

    Returns:
        :class:`History`; the model holds the best weights afterwards.

    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    scale = model.scale.cpu().numpy()
    device = _device(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    history = History()
    best, best_state, waited = np.inf, None, 0
    started = time.monotonic()
    val_targets = torch.from_numpy(val.targets / scale)
    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        for index in _batches(len(train), batch_size, rng):
            images, targets = train.images[index], train.targets[index] / scale
            if flip:
                mirror = rng.random(len(index)) < 0.5
                images, targets = images.copy(), targets.copy()
                images[mirror], targets[mirror] = flip_horizontally(images[mirror],
                                                                    targets[mirror])
            optimizer.zero_grad()
            loss = loss_fn(model.normalized(_tensor(images, device)),
                           torch.from_numpy(targets.astype(np.float32)).to(device))
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        history.train_loss.append(total / max(1, len(train)))
        predicted = torch.from_numpy(evaluate(model, val.images, val.targets) / scale)
        val_loss = float(loss_fn(predicted, val_targets))
        history.val_loss.append(val_loss)
        if val_loss < best - min_delta:
            best, waited, history.best_epoch = val_loss, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
        if progress is not None:
            progress(epoch, history.train_loss[-1], val_loss, best)
        if waited >= patience:
            history.stopped_early = True
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    history.seconds = time.monotonic() - started
    return history


def errors(model, data):
    """Return validation errors in SI units: RMSE and MAE of linear (m/s) and angular (rad/s).

    Also the RMSE of always predicting the mean command (``baseline_*``), for scale.
    """
    predicted = evaluate(model, data.images, data.targets)
    diff = predicted - data.targets
    mean = data.targets.mean(axis=0)
    base = data.targets - mean
    return {'rmse_linear': float(np.sqrt(np.mean(diff[:, 0] ** 2))),
            'rmse_angular': float(np.sqrt(np.mean(diff[:, 1] ** 2))),
            'mae_linear': float(np.mean(np.abs(diff[:, 0]))),
            'mae_angular': float(np.mean(np.abs(diff[:, 1]))),
            'baseline_rmse_linear': float(np.sqrt(np.mean(base[:, 0] ** 2))),
            'baseline_rmse_angular': float(np.sqrt(np.mean(base[:, 1] ** 2))),
            'frames': int(len(data))}
