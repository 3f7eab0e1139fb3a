"""Smoke tests of the benchmark suite: each ``bench/<scenario>.py --short`` runs as a subprocess.

Checks only that a scenario exits 0, prints its table and writes strict JSON with the expected
keys and finite numbers; no timing is asserted (benchmarks judge nothing). The server scenarios
start their own nodes, in this test run's ROS_DOMAIN_ID (conftest.py).
"""

import json
import math
import os
from pathlib import Path
import subprocess
import sys

from kropbot_testing.processes import free_port
from kropbot_testing.rosbridge_standin import start_standin
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / 'bench'

# scenario -> (table title fragment, keys every row must have with a finite number)
SCENARIOS = {
    'fusion_scaling': ('Fusion tick time', ['voters', 'median_ms', 'p95_ms', 'add_new_us']),
    'mode_cost': ('Crowd mode cost', ['voters', 'vote_us', 'votes_per_s', 'tick_median_ms',
                                      'status_median_ms']),
    'motor_cost': ('Two-motor update cost', ['transactions', 'bytes_written', 'cpu_us']),
    'page_bytes': ('Page weight', ['requests', 'from_cache', 'wire_bytes', 'decoded_bytes']),
    'camera_cost': ('Camera CPU per frame', ['node_ms', 'bare_encode_ms', 'ratio_node',
                                              'ratio_encode_path']),
    'crowd_latency': ('Crowd path', ['clients', 'offered_votes_s', 'accepted_votes_s',
                                     'p50_ms', 'p95_ms', 'p99_ms', 'gateway_cpu_pct',
                                     'vote_cpu_pct', 'gateway_rss_mb', 'vote_rss_mb',
                                     'client_cpu_pct']),
    'remote_latency': ('Desktop client latency', ['n', 'missed', 'p50_ms', 'p95_ms', 'p99_ms',
                                                  'max_ms']),
    'griefer_soak': ('Griefer soak', ['runs', 'minutes', 'falls', 'worst_run_falls',
                                       'collisions', 'distance_m', 'stopped_s', 'slowed_s']),
    'sim_render': ('First-person render', ['frames', 'startup_s', 'frame_ms', 'frame_cpu_ms']),
    'soak': ('Soak', ['samples', 'rss_mb_start', 'rss_mb_end', 'fds_start', 'fds_end',
                      'threads_start', 'threads_end']),
    'relay_scaling': ('Relay scaling', ['clients', 'uplink_bytes_s', 'uplink_msgs_s',
                                         'downlink_bytes_s', 'link_cpu_pct', 'p50_ms', 'p99_ms',
                                         'frame_p95_ms']),
    'vote_cost': ('Vote node CPU per vote', ['offered_votes_s', 'accepted_votes_s',
                                             'vote_cpu_pct', 'idle_cpu_pct', 'us_per_vote']),
    'video_fanout': ('Video fan-out', ['viewers', 'stalled', 'fps_min', 'fps_median', 'p50_ms',
                                       'p95_ms', 'p99_ms', 'gateway_cpu_pct', 'gateway_rss_mb',
                                       'client_cpu_pct']),
}


def _finite_numbers(value):
    """Yield every number nested in ``value``."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _finite_numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _finite_numbers(v)


@pytest.mark.timeout(90)
@pytest.mark.parametrize('scenario', sorted(SCENARIOS))
def test_bench_short(scenario, tmp_path):
    """``--short`` exits 0, prints the table and writes well-formed JSON with finite figures."""
    out = tmp_path / f'{scenario}.json'
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.run([sys.executable, str(BENCH / f'{scenario}.py'), '--short',
                           '--json', str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=80)
    assert proc.returncode == 0, f'stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}'
    title, keys = SCENARIOS[scenario]
    assert title in proc.stdout
    for key in keys:
        assert key in proc.stdout.split(title, 1)[1], f'column {key} missing from the table'
    data = json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f'{c} in JSON'))
    assert data['scenario'] == scenario
    assert {'machine', 'params', 'rows', 'time'} <= set(data)
    assert data['machine']['cores'] >= 1
    assert data['rows'], 'no result rows'
    for row in data['rows']:
        for key in keys:
            assert isinstance(row.get(key), (int, float)), (key, row)
            assert math.isfinite(row[key]), (key, row)
        for number in _finite_numbers(row):
            assert math.isfinite(number)


def test_help_describes_every_scenario():
    """Every scenario answers ``--help`` with its description and the common options."""
    for scenario in SCENARIOS:
        proc = subprocess.run([sys.executable, str(BENCH / f'{scenario}.py'), '--help'],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert '--short' in proc.stdout and '--json' in proc.stdout
        if scenario in ('crowd_latency', 'video_fanout'):
            assert '--url' in proc.stdout


@pytest.mark.dds
@pytest.mark.timeout(120)
def test_crowd_latency_url_mode_against_a_server_without_identity(start_node, tmp_path):
    """``--url`` against a rosbridge stand-in that publishes votes as sent (no voter ids).

    The clients must set their own voter ids: otherwise every vote reaches the vote node with
    an empty ``frame_id`` and is rejected (0 voters, every probe missed), which is what stock
    rosbridge_suite 2.1.0 showed.
    """
    start_node('kropbot_vote', 'vote_node', 'vote', params={'strategy': 'mean'})
    port = free_port()
    standin = start_standin(port, tmp_path / 'standin.log')
    out = tmp_path / 'crowd_latency.json'
    try:
        proc = subprocess.run(
            [sys.executable, str(BENCH / 'crowd_latency.py'), '--short', '--json', str(out),
             '--url', f'ws://127.0.0.1:{port}/'], cwd=ROOT, capture_output=True, text=True,
            timeout=90)
    finally:
        standin.terminate()
        assert standin.wait(10) == 0
    assert proc.returncode == 0, f'stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}'
    assert 'voter ids: set by the clients' in proc.stdout
    data = json.loads(out.read_text())
    assert data['params']['voter_ids'] == 'client'
    row = data['rows'][0]
    assert row['probes'] > 0 and row['missed'] < row['probes'], row
    assert row['live_voters_max'] == row['clients'] + 1, row  # one voter per client + probe
