"""Voter tokens: an opaque short name of a voter id for the broadcast ``crowd/status`` (ROS-free).

``crowd/status`` is one message for everybody, yet the driver queue must let each client find
its own place without showing anyone the other voters' ids (a voter id is what the vote node
counts votes by; in the stock rosbridge mode it is also the client's only credential). So the
status names voters by a *token* instead:

    token = the first 8 hex digits of SHA-256(``'kropbot-voter-token:v1:'`` + voter id, UTF-8)

A token holds 32 bits, and a voter id holds at least 48 random bits (the gateway's
``ws-`` + 12 hex digits; the page's ``tab-`` + UUID v4 holds 122), so a token cannot tell an id
apart from at least 2**16 others with the same token: it reveals nothing usable about the id,
however much computing power is spent. Anyone who *knows* an id can compute its token, which is
how a client finds itself: the gateway knows each connection's voter id and can hand the
connection its token; a page that chose its own id (stock rosbridge mode) computes it (the
page's copy of this function, ``web/src/logic/modes.js`` ``voterToken``, is checked against
:data:`TEST_VECTORS` by tests on both sides).

Two of n listed voters share a token with probability about n**2 / 2**33 (1e-4 for 1000); they
would then both see the earlier one's place. That is the price of short tokens; nothing is
decided by tokens (the vote node works on the ids).
"""

import hashlib

#: Domain-separation prefix hashed before the voter id (versioned).
PREFIX = 'kropbot-voter-token:v1:'
#: Token length in hex digits (32 bits).
TOKEN_HEX_DIGITS = 8

#: ``(voter id, token)`` pairs that every implementation must reproduce.
TEST_VECTORS = (
    ('ws-0123456789ab', '00e367a3'),
    ('tab-2f1c7e6a-9d3b-4c55-8e21-7a0b9c4d5e6f', '557bbef8'),
    ('gw1/ws-00000000ffff', '102203e5'),
    ('wähler ☃', 'a11be5f1'),
    ('', '9374ee47'),
)


def voter_token(voter_id):
    """Return the token of ``voter_id``: 8 lower-case hex digits (see the module docstring).

    Args:
        voter_id: str, the voter id as the vote node sees it (``header.frame_id``).

    Raises:
        TypeError: if ``voter_id`` is not a str.

    """
    if not isinstance(voter_id, str):
        raise TypeError(f'voter id must be a str, got {type(voter_id).__name__}')
    digest = hashlib.sha256((PREFIX + voter_id).encode('utf-8')).hexdigest()
    return digest[:TOKEN_HEX_DIGITS]
