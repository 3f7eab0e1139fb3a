"""`train` end to end on a synthetic-but-real recording; the pairing rule; the ONNX contract."""

import json

from kropbot_pilot.dataset import (
    command_in_force,
    flip_horizontally,
    load_dataset,
    split_by_blocks,
)
from kropbot_testing.recordings import FRAME_PERIOD, T0, expert_command, write_synthetic_bag
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from kropbot_pilot import contract


def test_command_in_force_is_the_newest_at_or_before_the_frame_and_fresh():
    commands = np.array([100, 200, 300]) * 10**6  # ns
    frames = np.array([50, 100, 150, 299, 300, 790, 800, 801]) * 10**6
    got = command_in_force(frames, commands, max_age=0.5)
    #                     none, same time, newest before, at 300: itself, 490 ms, 500 ms, stale
    assert got.tolist() == [-1, 0, 0, 1, 2, 2, 2, -1]
    assert command_in_force(frames, np.array([], np.int64), 0.5).tolist() == [-1] * 8


def test_dataset_pairs_frames_with_the_recorded_commands(tmp_path):
    poses = write_synthetic_bag(tmp_path / 'drive', frames=60)
    data = load_dataset([tmp_path / 'drive'], 64, 48)
    assert data.stats == {'frames': 60, 'kept': 60, 'no_command': 0, 'stale_command': 0,
                          'undecodable': 0, 'commands': 60}
    assert data.images.shape == (60, 48, 64, 3) and data.images.dtype == np.uint8
    expected = np.array([expert_command(x, y) for x, y, _ in poses], np.float32)
    np.testing.assert_allclose(data.targets, expected)
    assert data.stamps[1] - data.stamps[0] == FRAME_PERIOD and data.stamps[0] == T0

    # A stricter age drops every frame: its command was sent 20 ms before it.
    strict = load_dataset([tmp_path / 'drive'], 64, 48, max_command_age=0.01)
    assert len(strict) == 0 and strict.stats['stale_command'] == 60


def test_split_holds_out_whole_blocks_and_flip_mirrors_the_turn():
    stamps = np.arange(300) * FRAME_PERIOD  # 30 s: six 5-s blocks
    train, val = split_by_blocks(stamps, 0.34, seed=3)
    assert len(train) + len(val) == 300 and len(val) == 100
    assert not set(train) & set(val)
    held = set((stamps[val] // (5 * 10**9)).tolist())
    assert len(held) == 2 and not held & set((stamps[train] // (5 * 10**9)).tolist())
    with pytest.raises(ValueError, match='at least'):
        split_by_blocks(stamps[:40], 0.2)
    images = np.arange(2 * 2 * 3 * 3).reshape(2, 2, 3, 3).astype(np.uint8)
    flipped, targets = flip_horizontally(images, np.array([[0.2, 0.5], [0.1, -1.0]]))
    assert (flipped[:, :, 0] == images[:, :, 2]).all()
    assert targets.tolist() == [[pytest.approx(0.2), -0.5], [pytest.approx(0.1), 1.0]]


def test_train_learns_exports_the_documented_onnx_and_reports(trained):
    out, proc = trained
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'train: 4 epochs' in proc.stdout
    report = json.loads((out / 'report.json').read_text())
    assert report['data']['kept'] == 240
    assert report['split']['train'] + report['split']['val'] == 240
    losses = report['train_loss']
    assert len(losses) == 4 and losses[-1] < losses[0], losses  # the loss falls
    assert report['validation']['frames'] == report['split']['val']
    assert (out / 'loss.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert 'RMSE' in (out / 'report.md').read_text()

    model = onnx.load(str(out / 'model.onnx'))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta[contract.META_WIDTH] == '64' and meta[contract.META_HEIGHT] == '64'
    assert float(meta[contract.META_MAX_LINEAR]) == 0.3
    session = ort.InferenceSession(str(out / 'model.onnx'), providers=['CPUExecutionProvider'])
    (inp,), (outp,) = session.get_inputs(), session.get_outputs()
    assert inp.name == 'image' and inp.type == 'tensor(float)' and inp.shape[1:] == [3, 64, 64]
    assert outp.name == 'command' and outp.shape[1:] == [2]
    frame = np.zeros((96, 128, 3), np.uint8)
    for batch in (1, 5):
        x = np.repeat(contract.preprocess(frame, 64, 64), batch, axis=0)
        (y,) = session.run(None, {'image': x})
        assert y.shape == (batch, 2) and y.dtype == np.float32 and np.isfinite(y).all()


def test_train_refuses_what_it_cannot_use(tmp_path, run_train):
    (tmp_path / 'empty').mkdir()
    proc = run_train(tmp_path / 'empty', tmp_path / 'out')
    assert proc.returncode == 1 and 'no .mcap file' in proc.stderr
    write_synthetic_bag(tmp_path / 'short', frames=30)
    proc = run_train(tmp_path / 'short', tmp_path / 'out')
    assert proc.returncode == 1 and 'need at least 10 s of frames' in proc.stderr
    proc = run_train(tmp_path / 'short', tmp_path / 'out', '--cmd-topic', '/nothing')
    assert proc.returncode == 1 and 'only 0 usable frames' in proc.stderr
