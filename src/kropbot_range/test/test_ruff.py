from pathlib import Path
import subprocess
import sys


def test_ruff():
    pkg = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, '-m', 'ruff', 'check', str(pkg)], check=True)
