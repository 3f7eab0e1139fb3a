"""The cliff guard's banner in the desktop client's overlay (crowd/status ``guard``)."""
from kropbot_remote.app import RED, App, overlay_lines
from kropbot_remote.client import CONNECTED, Snapshot
from kropbot_remote.guard_banner import GUARD_BANNERS, guard_banner
from kropbot_remote.teleop import Arbiter, Limits
import pytest


@pytest.mark.parametrize('status', [None, {}, {'guard': None}, {'guard': 'clear'},
                                    {'guard': 'CLIFF'}, {'guard': 3}, {'guard': ['cliff']},
                                    'cliff'])
def test_no_banner_unless_a_known_state(status):
    assert guard_banner(status) is None


def test_overlay_shows_the_banner_in_red_at_an_edge_and_drops_it_after():
    class Client:
        def set_command(self, twist):
            pass

    app = App(Client(), Arbiter(Limits()))
    snap = Snapshot(state=CONNECTED, status={'voters': 2, 'command': {}, 'guard': 'cliff'})
    lines = overlay_lines(snap, app, 0.0, 'ws://r/')
    assert (GUARD_BANNERS['cliff'], RED) in lines
    assert 'STOPPED AT AN EDGE' in GUARD_BANNERS['cliff']
    snap = Snapshot(state=CONNECTED, status={'voters': 2, 'command': {}, 'guard': None})
    assert not any('EDGE' in text for text, _ in overlay_lines(snap, app, 0.0, 'ws://r/'))
