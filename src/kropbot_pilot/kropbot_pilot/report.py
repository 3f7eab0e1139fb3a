"""The training report: loss curves (PNG, matplotlib), figures as JSON and markdown."""

import json

import matplotlib

matplotlib.use('Agg')  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
from matplotlib.ticker import MaxNLocator  # noqa: E402


def plot_losses(history, path):
    """Save training and validation loss per epoch (log scale) to ``path`` (PNG)."""
    epochs = range(1, len(history.train_loss) + 1)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(epochs, history.train_loss, label='training')
    ax.plot(epochs, history.val_loss, label='validation')
    if history.best_epoch:
        ax.axvline(history.best_epoch, color='grey', linestyle=':', label='kept (best)')
    ax.set_yscale('log')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('epoch')
    ax.set_ylabel('MSE of normalised (linear, angular)')
    ax.set_title('KropBot pilot training')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(report, json_path, markdown_path):
    """Write ``report`` (a dict, see ``train_main``) as JSON and as a short markdown page."""
    json_path.write_text(json.dumps(report, indent=2) + '\n')
    err = report['validation']
    lines = [
        '# KropBot pilot training report', '',
        f"- data: {report['data']['kept']} frames kept of {report['data']['frames']} "
        f"({report['data']['no_command']} without a command, "
        f"{report['data']['stale_command']} with a stale one); "
        f"{report['split']['train']} training, {report['split']['val']} validation",
        f"- epochs: {report['epochs']} (best {report['best_epoch']}, "
        f"{'stopped early' if report['stopped_early'] else 'epoch limit'}), "
        f"{report['training_seconds']:.1f} s on {report['device']}",
        f"- model: {report['model_bytes']} bytes, input {report['width']}x{report['height']}",
        '', '| validation | linear (m/s) | angular (rad/s) |', '|---|---|---|',
        f"| RMSE | {err['rmse_linear']:.4f} | {err['rmse_angular']:.4f} |",
        f"| MAE | {err['mae_linear']:.4f} | {err['mae_angular']:.4f} |",
        f"| RMSE of the mean command | {err['baseline_rmse_linear']:.4f} | "
        f"{err['baseline_rmse_angular']:.4f} |",
        '', '![loss](loss.png)', '']
    markdown_path.write_text('\n'.join(lines))
