from pathlib import Path
import subprocess


def test_ruff():
    pkg = Path(__file__).resolve().parents[1]
    subprocess.run(['ruff', 'check', str(pkg)], check=True)
