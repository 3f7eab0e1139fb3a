"""Smoke test of the pilot proof benchmark (``bench/pilot_eval.py --short``).

Runs the whole protocol on a tiny budget (the camera teacher's recording with DART noise -> bag
-> train -> ONNX -> random, teacher, wandering expert and pilot episodes in the pure sim loop)
and checks the table, JSON and plots; it judges no quality (the targets live in
bench/README.md). Needs the sim arena package ``kropbot_sim``; skipped where it is not
installed.
"""

import json
import math
import os
from pathlib import Path
import subprocess
import sys

import pytest

pytest.importorskip('kropbot_sim.rollout', reason='the sim arena (kropbot_sim) is not installed')
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(240)
def test_pilot_eval_short(tmp_path):
    out = tmp_path / 'results.json'
    proc = subprocess.run([sys.executable, str(ROOT / 'bench' / 'pilot_eval.py'), '--short',
                           '--json', str(out), '--out', str(tmp_path / 'eval')], cwd=ROOT,
                          env=dict(os.environ, PYTHONUNBUFFERED='1'), capture_output=True,
                          text=True, timeout=220)
    assert proc.returncode == 0, f'{proc.stdout}\n{proc.stderr[-4000:]}'
    assert 'Pilot evaluation (held-out starts)' in proc.stdout
    data = json.loads(out.read_text())
    rows = {row['policy']: row for row in data['rows']}
    assert set(rows) == {'random', 'expert', 'wander expert', 'pilot', 'pilot vs'}
    for name in ('random', 'expert', 'wander expert', 'pilot'):
        for key in ('distance_before_incident_m', 'collisions_per_min', 'falls_per_min'):
            assert math.isfinite(rows[name][key]) and rows[name][key] >= 0
        assert 0 <= rows[name]['clean_episodes'] <= rows[name]['episodes'] == 2
    figures = rows['pilot vs']
    assert figures['model_bytes'] > 0 and figures['infer_p50_ms'] > 0
    assert data['params']['teacher'] == 'camera' and data['params']['dart_std'] > 0
    for png in ('trajectories.png', 'distance_before_incident.png', 'model/loss.png'):
        assert (tmp_path / 'eval' / png).read_bytes()[:4] == b'\x89PNG'
