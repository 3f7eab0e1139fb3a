"""Many crowd votes in one message: the ``crowd/vote_batch`` payload (ROS-free, both ends).

``crowd/vote`` carries one ``geometry_msgs/TwistStamped`` per vote, which is right for the
robot's own gateway but makes a sender that relays a large crowd pay one DDS message per vote
(``relay_link``: ~30 µs of rclpy per vote on the sender, as much again on the vote node). A
sender that already holds votes in batches (the relay tier: one Zenoh batch per relay gateway
every few tens of ms) publishes them instead as one ``std_msgs/msg/String`` on
``crowd/vote_batch`` whose ``data`` is this JSON object::

    {"withdraw": ["gw1/*", "gw2/c7", ...],
     "votes": [["gw1/c1", 0.3, 0.0], ["gw2/c9", 0.0, -1.5], ...]}

- ``withdraw``: voter ids or ``<scope>/*`` patterns whose votes end now, applied first
  (exactly as a withdrawal vote on ``crowd/vote``, :mod:`kropbot_common.withdrawal`);
- ``votes``: ``[voter_id, linear_x (m/s), angular_z (rad/s)]``, each then handled exactly as a
  ``TwistStamped`` on ``crowd/vote`` with that ``header.frame_id`` arriving now (the vote node's
  checks, clamps and per-voter limits apply to each one).

Either list may be missing or empty. :func:`decode` refuses the whole message on anything else
(the vote node logs it and changes nothing): a standard message type, because custom ``.msg``
generation is kept out of the build (docs/ARCHITECTURE.md).
"""

import json
import math

#: Entries (votes + withdrawals) one batch may hold (the vote node's ``max_voters`` ceiling).
MAX_ENTRIES = 10000
#: Longest voter id or pattern, characters (the gateways' voter ids are far shorter).
MAX_VOTER_LEN = 128


def encode(votes=(), withdrawals=()):
    """Encode a batch as the JSON text for ``std_msgs/String.data``.

    Args:
        votes: iterable of ``(voter_id, linear_x, angular_z)`` (str, m/s, rad/s).
        withdrawals: iterable of voter ids or ``<scope>/*`` patterns (str).

    Returns:
        str (compact JSON). Non-finite numbers are not checked here: :func:`decode` refuses
        them.

    """
    body = {}
    if withdrawals:
        body['withdraw'] = list(withdrawals)
    if votes:
        body['votes'] = [[v, lin, ang] for v, lin, ang in votes]
    return json.dumps(body, separators=(',', ':'))


def _refuse_constant(name):
    raise ValueError(f'non-finite number {name} in a vote batch')


def decode(text, max_entries=MAX_ENTRIES):
    """Decode and validate a batch.

    Args:
        text: the ``String.data`` of a ``crowd/vote_batch`` message.
        max_entries: most votes + withdrawals accepted in one batch.

    Returns:
        ``(votes, withdrawals)``: a list of ``(voter_id, linear_x, angular_z)`` (floats, m/s and
        rad/s, finite) and a list of voter ids / patterns.

    Raises:
        ValueError: not such a JSON object, an entry of the wrong shape or type, an empty or
            too long voter id, a non-finite number, or more than ``max_entries`` entries; the
            message says which.

    """
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError('vote batch nested too deeply') from None
    except json.JSONDecodeError as exc:
        raise ValueError(f'vote batch is not JSON: {exc.msg}') from None
    if not isinstance(body, dict):
        raise ValueError('vote batch must be a JSON object')
    unknown = set(body) - {'votes', 'withdraw'}
    if unknown:
        raise ValueError(f'vote batch with unknown field(s) {sorted(unknown)[:3]}')
    votes, withdraw = body.get('votes', []), body.get('withdraw', [])
    if not isinstance(votes, list) or not isinstance(withdraw, list):
        raise ValueError('vote batch votes/withdraw must be lists')
    if len(votes) + len(withdraw) > max_entries:
        raise ValueError(f'vote batch with more than {max_entries} entries')
    for voter in withdraw:
        _check_voter(voter)
    out = []
    for vote in votes:
        if not (isinstance(vote, list) and len(vote) == 3):
            raise ValueError('a vote must be [voter_id, linear_x, angular_z]')
        voter, linear, angular = vote
        _check_voter(voter)
        if not (_is_number(linear) and _is_number(angular)):
            raise ValueError('a vote must have numbers for linear_x and angular_z')
        linear, angular = float(linear), float(angular)
        if not (math.isfinite(linear) and math.isfinite(angular)):
            raise ValueError('a vote must have finite numbers')
        out.append((voter, linear, angular))
    return out, list(withdraw)


def _check_voter(voter):
    if not (isinstance(voter, str) and 0 < len(voter) <= MAX_VOTER_LEN):
        raise ValueError(f'invalid voter id {str(voter)[:70]!r} (1-{MAX_VOTER_LEN} characters)')


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
