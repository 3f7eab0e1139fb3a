"""Shared pieces of the KropBot benchmarks: statistics, tables, JSON results, process sampling.

Benchmarks print a table to stdout and write the same figures as JSON (``--json``). They make no
pass/fail judgement; the README's Performance section quotes one run.
"""

import argparse
import json
import math
import os
from pathlib import Path
import platform
import statistics
import sys
import time

import psutil


def percentile(values, q):
    """Return the ``q``-th percentile (0..100) of ``values`` by linear interpolation, or nan."""
    if not values:
        return float('nan')
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(seconds):
    """Return p50/p95/p99/max in milliseconds of a list of durations in seconds."""
    ms = [s * 1000.0 for s in seconds]
    return {'n': len(ms), 'p50_ms': percentile(ms, 50), 'p95_ms': percentile(ms, 95),
            'p99_ms': percentile(ms, 99), 'max_ms': max(ms) if ms else float('nan')}


def machine():
    """Describe this machine (for the results header): CPU model, cores, memory, Python."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            model = next(ln.split(':', 1)[1].strip() for ln in f if ln.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return {'cpu': model, 'cores': os.cpu_count(),
            'memory_gib': round(psutil.virtual_memory().total / 2**30, 1),
            'python': platform.python_version(), 'platform': platform.platform()}


class ProcessSampler:
    """CPU-seconds and peak RSS of a set of processes over a window.

    Call :meth:`start` before the measured window and :meth:`stop` after it; RSS is sampled
    whenever :meth:`sample` is called (call it periodically from the benchmark loop).
    """

    def __init__(self, pids):
        self.procs = {pid: psutil.Process(pid) for pid in pids}
        self.cpu0 = {}
        self.peak_rss = dict.fromkeys(pids, 0)
        self.t0 = None
        self.result = {}

    def _cpu(self, proc):
        t = proc.cpu_times()
        return t.user + t.system

    def start(self):
        """Begin the window."""
        self.t0 = time.monotonic()
        self.cpu0 = {pid: self._cpu(p) for pid, p in self.procs.items()}
        self.sample()

    def sample(self):
        """Record RSS (bytes) of every process now."""
        for pid, p in self.procs.items():
            try:
                self.peak_rss[pid] = max(self.peak_rss[pid], p.memory_info().rss)
            except psutil.NoSuchProcess:
                pass

    def stop(self):
        """End the window; return ``{pid: {'cpu_s', 'cpu_pct', 'peak_rss_mb'}}``."""
        self.sample()
        wall = time.monotonic() - self.t0
        for pid, p in self.procs.items():
            cpu = self._cpu(p) - self.cpu0[pid]
            self.result[pid] = {'cpu_s': cpu, 'cpu_pct': 100.0 * cpu / wall,
                                'peak_rss_mb': self.peak_rss[pid] / 2**20}
        return self.result


def print_table(title, columns, rows, out=sys.stdout):
    """Print ``rows`` (list of dicts) as an aligned text table with the given ``columns``."""
    def fmt(v):
        if isinstance(v, float):
            return f'{v:.3g}' if abs(v) < 1000 else f'{v:.0f}'
        return str(v)
    cells = [[fmt(r.get(c, '')) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c)
              for i, c in enumerate(columns)]
    print(f'\n{title}', file=out)
    print('  '.join(c.rjust(w) for c, w in zip(columns, widths)), file=out)
    print('  '.join('-' * w for w in widths), file=out)
    for row in cells:
        print('  '.join(v.rjust(w) for v, w in zip(row, widths)), file=out)


RESULTS = Path(__file__).resolve().parent / 'results'


def _json_safe(value):
    """Return ``value`` with non-finite floats replaced by None (strict JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_json(path, scenario, params, rows):
    """Write ``{'scenario', 'machine', 'params', 'rows', 'time'}`` to ``path`` (skipped if empty).

    Non-finite floats (a figure that could not be measured) are written as ``null``, so the file
    is strict JSON. The parent directory is created if needed.
    """
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(_json_safe({'scenario': scenario, 'machine': machine(), 'params': params,
                              'rows': rows, 'time': time.time()}),
                  f, indent=2, default=str, allow_nan=False)
    print(f'\nresults written to {path}')


def parser(description, scenario=None):
    """Return an ArgumentParser with the options every benchmark has (--short, --json).

    With ``scenario`` the JSON goes to ``bench/results/<scenario>.json`` unless ``--json`` says
    otherwise (``--json ''`` writes none).
    """
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--short', action='store_true',
                   help='tiny setting for a quick smoke run (what the test suite uses)')
    default = str(RESULTS / f'{scenario}.json') if scenario else ''
    p.add_argument('--json', metavar='FILE', default=default,
                   help="write the results as JSON to FILE ('' = none)")
    return p


def int_list(text):
    """Parse ``'10,100,1000'`` into ``[10, 100, 1000]`` (argparse type)."""
    try:
        values = [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected comma-separated integers, got {text!r}') from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f'expected positive integers, got {text!r}')
    return values


def str_list(text):
    """Parse ``'a,b'`` into ``['a', 'b']`` (argparse type)."""
    values = [v.strip() for v in text.split(',') if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError('expected a comma-separated list')
    return values


def median(values):
    """Return the median of ``values`` or nan when empty."""
    return statistics.median(values) if values else float('nan')
