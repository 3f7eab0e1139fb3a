"""``train``: fit the imitation pilot on recorded bags and export it to ONNX.

Usage (see the package README)::

    train BAG [BAG ...] --out models/run1 [--epochs 50] [--width 160 --height 120] ...

Writes into ``--out``: ``model.onnx`` (the contract of :mod:`kropbot_pilot.contract`),
``loss.png``, ``report.json`` and ``report.md``. Exit codes: 0 done, 1 bad input (no bag, not
enough data), 2 bad command line.
"""

import argparse
import os
from pathlib import Path
import sys
import time

from kropbot_pilot.bagread import BagError
from kropbot_pilot.contract import DEFAULT_HEIGHT, DEFAULT_WIDTH
from kropbot_pilot.dataset import CMD_TOPIC, IMAGE_TOPIC, load_dataset, split_by_blocks

#: The vote node's default limits (robot.yaml): the scale of the outputs.
MAX_LINEAR, MAX_ANGULAR = 0.3, 1.5


def parser():
    """Return the command-line parser."""
    p = argparse.ArgumentParser(
        prog='train', description='Train the KropBot imitation pilot (a DonkeyCar-style linear '
        'CNN) on rosbag2 MCAP bags and export it to ONNX.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('bags', nargs='+', help='bag directories or .mcap files')
    p.add_argument('--out', required=True, help='output directory (created)')
    p.add_argument('--width', type=int, default=DEFAULT_WIDTH, help='model frame width, px')
    p.add_argument('--height', type=int, default=DEFAULT_HEIGHT, help='model frame height, px')
    p.add_argument('--image-topic', default=IMAGE_TOPIC, help='CompressedImage topic')
    p.add_argument('--cmd-topic', default=CMD_TOPIC, help='Twist/TwistStamped command topic')
    p.add_argument('--max-command-age', type=float, default=0.5,
                   help='drop frames whose command in force is older than this, s')
    p.add_argument('--max-linear', type=float, default=MAX_LINEAR,
                   help='linear limit, m/s (output scale; the pilot clamps to it)')
    p.add_argument('--max-angular', type=float, default=MAX_ANGULAR,
                   help='angular limit, rad/s (output scale; the pilot clamps to it)')
    p.add_argument('--epochs', type=int, default=50, help='most epochs')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3, help='Adam learning rate')
    p.add_argument('--patience', type=int, default=5,
                   help='early stopping: epochs without validation gain')
    p.add_argument('--min-delta', type=float, default=0.0005,
                   help='early stopping: smallest validation gain that counts')
    p.add_argument('--val-fraction', type=float, default=0.2,
                   help='share of 5 s blocks held out for validation')
    p.add_argument('--no-flip', dest='flip', action='store_false',
                   help='no mirror augmentation')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: default)')
    p.add_argument('--device', default='auto',
                   help="torch device: 'auto' (CUDA if available, else CPU), 'cpu', 'cuda'...")
    p.add_argument('--quiet', action='store_true', help='no progress bars')
    return p


def run(args):
    """Train and export as ``args`` says; return the report dict.

    Raises:
        ValueError: not enough usable data, or bad sizes.
        kropbot_pilot.bagread.BagError: a path is not a bag.

    """
    import torch
    from tqdm import tqdm

    from kropbot_pilot.export import export_onnx
    from kropbot_pilot.model import LinearPilot
    from kropbot_pilot.report import plot_losses, write_report
    from kropbot_pilot.training import errors, fit

    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device
    if device == 'auto':
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = LinearPilot(args.width, args.height, args.max_linear, args.max_angular).to(device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tqdm(desc='reading bags', unit=' msg', disable=args.quiet) as bar:
        data = load_dataset(args.bags, args.width, args.height, args.image_topic,
                            args.cmd_topic, args.max_command_age, progress=bar.update)
    if len(data) < 10:
        raise ValueError(f'only {len(data)} usable frames ({data.stats}); record longer, or '
                         'check --image-topic/--cmd-topic')
    train_index, val_index = split_by_blocks(data.stamps, args.val_fraction, args.seed)
    train, val = data.subset(train_index), data.subset(val_index)
    with tqdm(total=args.epochs, desc='training', unit=' epoch', disable=args.quiet) as bar:
        def progress(epoch, train_loss, val_loss, best):
            bar.update(1)
            bar.set_postfix(train=f'{train_loss:.4f}', val=f'{val_loss:.4f}', best=f'{best:.4f}')
        history = fit(model, train, val, epochs=args.epochs, batch_size=args.batch_size,
                      lr=args.lr, patience=args.patience, min_delta=args.min_delta,
                      flip=args.flip, seed=args.seed, progress=progress)
    model.to('cpu')
    size = export_onnx(model, out / 'model.onnx')
    plot_losses(history, out / 'loss.png')
    report = {
        'bags': [str(b) for b in args.bags], 'width': args.width, 'height': args.height,
        'max_linear': args.max_linear, 'max_angular': args.max_angular,
        'data': data.stats, 'split': {'train': len(train), 'val': len(val)},
        'epochs': len(history.train_loss), 'best_epoch': history.best_epoch,
        'stopped_early': history.stopped_early, 'training_seconds': history.seconds,
        'device': device if device != 'cpu' else f'cpu ({torch.get_num_threads()} threads)',
        'model_bytes': size,
        'parameters': sum(p.numel() for p in model.parameters()),
        'train_loss': history.train_loss, 'val_loss': history.val_loss,
        'validation': errors(model, val)}
    write_report(report, out / 'report.json', out / 'report.md')
    return report


def main(argv=None):
    """Run ``train``; return the exit code."""
    args = parser().parse_args(argv)
    started = time.monotonic()
    try:
        report = run(args)
    except (BagError, ValueError, OSError) as exc:
        print(f'train: error: {exc}', file=sys.stderr)
        return 1
    err = report['validation']
    print(f"train: {report['epochs']} epochs in {time.monotonic() - started:.1f} s; validation "
          f"RMSE {err['rmse_linear']:.3f} m/s, {err['rmse_angular']:.3f} rad/s; model "
          f"{os.path.join(args.out, 'model.onnx')} ({report['model_bytes']} bytes)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
