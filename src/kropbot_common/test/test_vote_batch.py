"""The crowd/vote_batch payload (kropbot_common.vote_batch): round trip and refusals."""

import json
import math

from hypothesis import given
from hypothesis import strategies as st
import pytest

from kropbot_common import vote_batch

voters = st.text(st.characters(codec='utf-8'), min_size=1, max_size=vote_batch.MAX_VOTER_LEN)
finite = st.floats(allow_nan=False, allow_infinity=False)


@given(votes=st.lists(st.tuples(voters, finite, finite), max_size=20),
       withdrawals=st.lists(voters, max_size=5))
def test_round_trip(votes, withdrawals):
    got_votes, got_withdrawals = vote_batch.decode(vote_batch.encode(votes, withdrawals))
    assert got_votes == [(v, float(a), float(b)) for v, a, b in votes]
    assert got_withdrawals == withdrawals


def test_empty_batch_and_ints():
    assert vote_batch.decode(vote_batch.encode()) == ([], [])
    assert vote_batch.decode('{"votes": [["a", 1, 0]]}') == ([('a', 1.0, 0.0)], [])


@pytest.mark.parametrize('text, why', [
    ('', 'not JSON'),
    ('[1]', 'JSON object'),
    ('{"votes": [["a", NaN, 0]]}', 'non-finite'),
    ('{"votes": [["a", Infinity, 0]]}', 'non-finite'),
    ('{"votes": [["a", 1e999, 0]]}', 'finite'),
    ('{"votes": [["a", true, 0]]}', 'numbers'),
    ('{"votes": [["a", "0.3", 0]]}', 'numbers'),
    ('{"votes": [["a", 0.3]]}', r'\[voter_id'),
    ('{"votes": [[7, 0.3, 0]]}', 'invalid voter id'),
    ('{"votes": [["", 0.3, 0]]}', 'invalid voter id'),
    ('{"withdraw": ["' + 'x' * 129 + '"]}', 'invalid voter id'),
    ('{"withdraw": "gw1/*"}', 'must be lists'),
    ('{"votes": {}}', 'must be lists'),
    ('{"vote": []}', 'unknown field'),
    ('[' * 100000 + ']' * 100000, 'nested too deeply'),
])
def test_malformed_batches_are_refused_whole(text, why):
    with pytest.raises(ValueError, match=why):
        vote_batch.decode(text)


def test_entry_limit_counts_votes_and_withdrawals():
    text = vote_batch.encode([('a', 0.0, 0.0)] * 3, ['b'] * 2)
    assert len(vote_batch.decode(text, max_entries=5)[0]) == 3
    with pytest.raises(ValueError, match='more than 4 entries'):
        vote_batch.decode(text, max_entries=4)


def test_encoding_is_compact_json():
    text = vote_batch.encode([('gw1/c1', 0.3, -1.5)], ['gw2/*'])
    assert json.loads(text) == {'votes': [['gw1/c1', 0.3, -1.5]], 'withdraw': ['gw2/*']}
    assert ' ' not in text
    assert not math.isnan(json.loads(text)['votes'][0][1])
