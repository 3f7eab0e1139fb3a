"""The withdrawal vote: how a sender ends a voter's vote at once (ROS-free, proposed contract).

A vote on ``crowd/vote`` (``geometry_msgs/TwistStamped``) normally lives ``vote_timeout``
seconds after it arrived. A *withdrawal* ends it immediately: a ``TwistStamped`` on the same
topic (so it is ordered with that sender's votes) whose ``header.frame_id`` is the voter id, or
a prefix pattern ``<scope>/*`` (every voter whose id starts with ``<scope>/``, e.g. all voters of
one relay gateway, ``gw1/*``), and whose **six twist components are all NaN**. No real vote can
look like that: the gateways refuse non-finite votes from clients, and a vote node that does
not know withdrawals rejects it as ``non_finite``, keeping the voter's previous vote until it
expires (so a sender may always send withdrawals: with such a vote node they cost one rejected
vote and change nothing else).

Users: ``relay_link`` (a relay gateway died or the link to the cloud was lost: all its voters
end within 0.5 s) and, proposed for the local crowd gateway, a WebSocket that closes ("votes
end with their sender").
"""

import math

#: The value of every twist component of a withdrawal.
WITHDRAW = float('nan')


def prefix_pattern(scope):
    """Return the withdrawal pattern ``'<scope>/*'`` of every voter id ``'<scope>/...'``."""
    return f'{scope}/*'


def withdrawal_twist():
    """Return ``(linear_xyz, angular_xyz)`` of a withdrawal: two 3-tuples of NaN."""
    return (WITHDRAW, WITHDRAW, WITHDRAW), (WITHDRAW, WITHDRAW, WITHDRAW)


def is_withdrawal(linear, angular):
    """Return True if a twist is a withdrawal (all six components NaN).

    Args:
        linear: ``(x, y, z)`` of ``twist.linear`` (m/s).
        angular: ``(x, y, z)`` of ``twist.angular`` (rad/s).

    """
    return all(math.isnan(v) for v in linear) and all(math.isnan(v) for v in angular)
