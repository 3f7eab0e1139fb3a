"""The page's copy of the direction names matches the one Python definition."""

from pathlib import Path
import re

from kropbot_common.directions import DIRECTIONS, HISTOGRAM_KEYS, STOP

COMMANDS_JS = Path(__file__).resolve().parents[3] / 'web' / 'src' / 'logic' / 'commands.js'


def page_bin_names():
    """Return the string literals of ``BIN_NAMES`` in the page's commands.js, in order."""
    source = COMMANDS_JS.read_text()
    match = re.search(r'export\s+const\s+BIN_NAMES\s*=\s*(?:Object\.freeze\(\s*)?\[(.*?)\]',
                      source, re.DOTALL)
    assert match, f'no BIN_NAMES array in {COMMANDS_JS}'
    return re.findall(r"""['"]([^'"]+)['"]""", match.group(1))


def test_page_bin_names_are_the_histogram_keys_in_order():
    # The page draws the crowd/status histogram in BIN_NAMES order: same names, same order.
    assert tuple(page_bin_names()) == HISTOGRAM_KEYS


def test_python_definitions_agree():
    assert len(DIRECTIONS) == 9 and DIRECTIONS[STOP] == 'stop'
    assert sorted(DIRECTIONS) == sorted(HISTOGRAM_KEYS)
    # sector k is centred on k * 45 degrees counter-clockwise from forward
    assert DIRECTIONS[0] == 'forward' and DIRECTIONS[2] == 'left' and DIRECTIONS[6] == 'right'
    assert HISTOGRAM_KEYS[-1] == 'stop'
