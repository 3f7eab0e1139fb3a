"""Which stored voters a withdrawal names (pure, ROS-free).

A withdrawal (:mod:`kropbot_common.withdrawal`) names one voter id, or a prefix pattern
``<scope>/*`` meaning every voter whose id starts with ``<scope>/`` (the rule of
:meth:`kropbot_vote.fusion.VoteBook.withdraw`, shared here by the crowd-mode cores).
"""


def withdrawn(voter_id, stored):
    """Return the ids among ``stored`` that the withdrawal ``voter_id`` ends (a new list).

    Args:
        voter_id: one voter id, or a pattern ending in ``/*``.
        stored: a container of the stored voter ids (``in`` is used for one id, iteration for
            a pattern: O(1) for a dict or set and one id, O(len(stored)) for a pattern).

    """
    if voter_id.endswith('/*'):
        prefix = voter_id[:-1]
        return [v for v in stored if v.startswith(prefix)]
    return [voter_id] if voter_id in stored else []
