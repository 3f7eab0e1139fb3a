"""The relay link's pure core: batches, lateness, gateways going down, withdrawals."""

from pathlib import Path

from kropbot_common.params import readme_table_errors
from kropbot_gateway.relay_wire import Batch
from kropbot_relay.config import PARAMETERS
from kropbot_relay.link import APPLIED, DUPLICATE, LATE, DelayFloor, RelayBook
import pytest


def batch(seq, sent, votes=(), left=(), boot='b1'):
    return Batch(boot, seq, sent, tuple(votes), tuple(left))


def test_votes_are_scoped_by_gateway():
    book = RelayBook()
    out = book.on_batch('gw1', batch(1, 100.0, [('ws-a', 0.2, 0.0), ('ws-b', 0.0, 1.0)]), 5.0)
    assert out.result == APPLIED and out.withdrawals == []
    assert out.votes == [('gw1/ws-a', 0.2, 0.0), ('gw1/ws-b', 0.0, 1.0)]
    out = book.on_batch('gw1', batch(2, 100.1, left=['ws-a']), 5.1)
    assert out.withdrawals == ['gw1/ws-a'] and out.votes == []


def test_duplicates_and_reordered_batches_dropped():
    book = RelayBook()
    book.on_batch('gw1', batch(5, 1.0, [('ws-a', 0.1, 0.0)]), 10.0)
    for seq in (5, 4):
        out = book.on_batch('gw1', batch(seq, 1.0, [('ws-a', 0.3, 0.0)]), 10.01)
        assert out.result == DUPLICATE and out.votes == []
    assert book.gateways()['gw1']['duplicate'] == 2


def test_late_batches_dropped_without_synchronised_clocks():
    # The gateway's clock is 1000 s behind ours: only delay differences matter.
    book = RelayBook(max_delay=0.25)
    assert book.on_batch('gw1', batch(1, 0.0, [('a', 0.1, 0.0)]), 1000.02).result == APPLIED
    assert book.on_batch('gw1', batch(2, 0.1, [('a', 0.1, 0.0)]), 1000.13).result == APPLIED
    # held 2 s by the network (an outage), then delivered: late
    out = book.on_batch('gw1', batch(3, 0.2, [('a', 0.3, 0.0)]), 1002.2)
    assert out.result == LATE and out.votes == []
    # fresh batches after it are applied again
    assert book.on_batch('gw1', batch(4, 2.2, [('a', 0.1, 0.0)]), 1002.23).result == APPLIED


def test_delay_floor_tolerates_clock_drift_up_to_the_allowance():
    floor = DelayFloor(drift=1e-3)
    # sender clock 0.05 % slower than ours over 1000 s: lateness stays ~0
    worst = max(floor.lateness(t * (1 - 5e-4), t + 0.01) for t in range(0, 1000, 1))
    assert worst < 1e-9
    assert floor.lateness(1000.0, 1003.0) > 2.0


def test_silent_gateway_goes_down_and_its_voters_are_withdrawn_once():
    book = RelayBook(gateway_timeout=0.3)
    book.on_batch('gw1', batch(1, 0.0, [('a', 0.1, 0.0)]), 10.0)
    book.on_batch('gw2', batch(1, 0.0), 10.0)  # heartbeat only: nothing to withdraw
    assert book.expire(10.29) == []
    assert book.expire(10.3) == ['gw1/*']  # fresh while now - last < timeout
    assert book.expire(11.0) == []
    assert not book.gateways()['gw1']['up']
    # it comes back: votes apply again, and the next silence withdraws again
    assert book.on_batch('gw1', batch(2, 1.0, [('a', 0.1, 0.0)]), 11.0).result == APPLIED
    assert book.expire(11.5) == ['gw1/*']


def test_token_loss_and_link_loss_withdraw():
    book = RelayBook()
    for gw in ('gw1', 'gw2', 'gw3'):
        book.on_batch(gw, batch(1, 0.0, [('a', 0.1, 0.0)]), 1.0)
    assert book.gateway_gone('gw2') == ['gw2/*']
    assert book.gateway_gone('gw2') == []
    assert book.gateway_gone('unknown') == []
    assert sorted(book.link_lost()) == ['gw1/*', 'gw3/*']
    assert book.link_lost() == []


def test_gateway_restart_withdraws_the_old_boot():
    book = RelayBook()
    book.on_batch('gw1', batch(40, 5.0, [('a', 0.1, 0.0)], boot='old'), 1.0)
    out = book.on_batch('gw1', batch(1, 0.0, [('b', 0.2, 0.0)], boot='new'), 2.0)
    assert out.result == APPLIED
    assert out.withdrawals == ['gw1/*'] and out.votes == [('gw1/b', 0.2, 0.0)]


def test_bad_arguments():
    with pytest.raises(ValueError):
        RelayBook(gateway_timeout=0)


def test_readme_parameter_table_matches_the_schema():
    readme = (Path(__file__).resolve().parents[1] / 'README.md').read_text()
    assert readme_table_errors(readme, PARAMETERS) == []
