"""Shared pieces of the KropBot benchmarks: statistics, tables, JSON results, process sampling.

Benchmarks print a table to stdout and write the same figures as JSON (``--json``). They make no
pass/fail judgement; the README's Performance section quotes one run.
"""

import argparse
import json
import os
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
    """CPU-seconds and peak RSS of a set of processes (and their children) over a window.

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


def write_json(path, scenario, params, rows):
    """Write ``{'scenario', 'machine', 'params', 'rows'}`` to ``path`` (skipped when empty)."""
    if not path:
        return
    with open(path, 'w') as f:
        json.dump({'scenario': scenario, 'machine': machine(), 'params': params,
                   'rows': rows, 'time': time.time()}, f, indent=2, default=str)


def parser(description):
    """Return an ArgumentParser with the options every benchmark has (--short, --json)."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--short', action='store_true',
                   help='tiny setting for a quick smoke run (what the test suite uses)')
    p.add_argument('--json', metavar='FILE', default='',
                   help='also write the results as JSON to FILE')
    return p


def median(values):
    """Return the median of ``values`` or nan when empty."""
    return statistics.median(values) if values else float('nan')
