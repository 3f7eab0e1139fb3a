from pathlib import Path

from kropbot_common.params import readme_table_errors
from kropbot_sim.params import PARAMETERS


def test_readme_parameter_table_matches_the_schema():
    readme = (Path(__file__).resolve().parents[1] / 'README.md').read_text()
    assert readme_table_errors(readme, PARAMETERS) == []
