"""``ruff check`` over the whole repository (pyproject.toml's settings and excludes).

Each package's own test_ruff.py checks that package (``colcon test`` runs them one by one); this
one also covers what belongs to no package: tests/, testing/, bench/, conftest.py.
"""

from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_of_the_whole_repository():
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '.'], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
