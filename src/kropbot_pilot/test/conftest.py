"""Fixtures of the pilot tests: the ``train`` executable and a model trained once per session.

The training data is :func:`kropbot_testing.recordings.write_synthetic_bag` (frames drawn by
the real camera source at known poses, with known commands).
"""

import os
from pathlib import Path
import subprocess

from kropbot_testing.processes import INSTALL
from kropbot_testing.recordings import write_synthetic_bag
import pytest


def _run_train(bag_path, out, *extra):
    """Run the installed ``train`` executable on a small budget; return the CompletedProcess."""
    exe = INSTALL / 'kropbot_pilot' / 'lib' / 'kropbot_pilot' / 'train'
    return subprocess.run([str(exe), str(bag_path), '--out', str(out), '--width', '64',
                           '--height', '64', '--epochs', '4', '--patience', '10',
                           '--batch-size', '32', '--quiet', *extra],
                          capture_output=True, text=True, timeout=240,
                          env=dict(os.environ, PYTHONUNBUFFERED='1'))


@pytest.fixture
def run_train():
    """Return a function running ``train BAG --out OUT [extra...]`` (small budget)."""
    return _run_train


@pytest.fixture(scope='session')
def trained(tmp_path_factory):
    """Train once per session (real ``train`` process); return ``(out_dir, CompletedProcess)``."""
    root = tmp_path_factory.mktemp('trained')
    write_synthetic_bag(root / 'drive')
    proc = _run_train(root / 'drive', root / 'model')
    return Path(root / 'model'), proc
