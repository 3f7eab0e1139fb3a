"""Withdrawal votes (kropbot_common.withdrawal) and VoteBook.withdraw (relay hook, issue 12)."""

import math

from kropbot_common.withdrawal import is_withdrawal, prefix_pattern, withdrawal_twist
from kropbot_vote.fusion import VoteBook

NAN = math.nan


def test_only_an_all_nan_twist_is_a_withdrawal():
    assert is_withdrawal(*withdrawal_twist())
    assert not is_withdrawal((NAN, 0.0, 0.0), (0.0, 0.0, NAN))
    assert not is_withdrawal((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    assert prefix_pattern('gw1') == 'gw1/*'


def test_withdraw_one_voter_and_a_gateway_pattern():
    book = VoteBook(100, 3.0, 0.3, 1.5)
    for voter, v in (('gw1/a', 0.3), ('gw1/b', 0.3), ('gw2/a', -0.3), ('gw10/a', -0.3),
                     ('local', 0.0)):
        book.add(voter, v, 0.0, 0.0)
    assert book.withdraw('gw1/a') == 1
    assert book.withdraw('gw1/a') == 0
    assert book.fuse(0.1).voters == 4
    assert book.withdraw('gw1/*') == 1  # gw1/b, not gw10/a
    assert book.withdraw('gw2/*') == 1
    fused = book.fuse(0.1)
    assert fused.voters == 2 and fused.linear == -0.15
    assert book.withdraw('nobody/*') == 0
    book.add('gw1/c', 0.3, 0.0, 0.2)  # the book stays consistent: add after withdraw works
    assert book.fuse(0.3).voters == 3
    assert len(book) == 3


def test_withdrawn_votes_count_in_no_bin_and_are_counted():
    book = VoteBook(100, 3.0, 0.3, 1.5)
    book.add('a', 0.3, 0.0, 0.0)
    book.add('b', 0.0, 1.5, 0.0)
    assert book.withdraw('a') == 1 and book.withdrawn == 1
    fused = book.fuse(0.1)
    assert fused.voters == 1 and fused.histogram['stop'] == 0 and fused.histogram['left'] == 1
    assert (fused.linear, fused.angular) == (0.0, 1.5)
    assert book.rejected['non_finite'] == 0  # a withdrawal is not a rejected vote


def test_clear_drops_every_vote_and_the_book_keeps_working():
    book = VoteBook(3, 3.0, 0.3, 1.5)
    for i in range(3):
        book.add(f'v{i}', 0.3, 0.0, 0.0)
    assert book.add('v3', 0.3, 0.0, 0.0) == 'over_capacity'
    assert book.clear() == 3 and len(book) == 0 and book.withdrawn == 3
    fused = book.fuse(0.1)
    assert fused.voters == 0 and (fused.linear, fused.angular) == (0.0, 0.0)
    assert sum(fused.histogram.values()) == 0
    assert book.clear() == 0
    for i in range(3):  # capacity is free again, ids are reusable
        assert book.add(f'v{i}', -0.3, 0.0, 0.2) == 'accepted'
    assert book.withdraw('v1') == 1
    assert book.fuse(0.3).voters == 2 and book.fuse(0.3).linear == -0.3
