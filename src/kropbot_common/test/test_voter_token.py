"""Voter tokens: the fixed test vectors (the page's copy is checked against the same ones)."""

from hypothesis import given
from hypothesis import strategies as st
from kropbot_common.voter_token import TEST_VECTORS, TOKEN_HEX_DIGITS, voter_token
import pytest


@pytest.mark.parametrize(('voter_id', 'token'), TEST_VECTORS)
def test_vectors(voter_id, token):
    assert voter_token(voter_id) == token


@given(st.text())
def test_token_is_short_lower_hex_and_deterministic(voter_id):
    token = voter_token(voter_id)
    assert len(token) == TOKEN_HEX_DIGITS and int(token, 16) >= 0 and token == token.lower()
    assert voter_token(voter_id) == token  # deterministic: the gateway and page agree


def test_tokens_of_gateway_ids_rarely_collide():
    tokens = {voter_token(f'ws-{i:012x}') for i in range(2000)}
    assert len(tokens) >= 1999


def test_non_string_is_refused():
    with pytest.raises(TypeError):
        voter_token(b'ws-1')
