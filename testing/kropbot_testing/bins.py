"""The direction bin name of one command (test support; the node bins whole arrays)."""

from kropbot_common.directions import DIRECTIONS
from kropbot_vote.bins import direction_bins


def direction_bin(linear, angular, max_linear, max_angular, stop_threshold=0.2):
    """Return the direction bin name of one command (see ``kropbot_vote.bins.direction_bins``).

    Args:
        linear: linear.x (m/s).
        angular: angular.z (rad/s).
        max_linear: normalisation for ``linear`` (m/s), > 0.
        max_angular: normalisation for ``angular`` (rad/s), > 0.
        stop_threshold: normalised magnitude below which the command is ``stop``.

    Returns:
        One of ``DIRECTIONS``, e.g. ``'forward_left'`` for ``linear > 0, angular > 0``.

    """
    index = direction_bins([linear], [angular], max_linear, max_angular, stop_threshold)[0]
    return DIRECTIONS[int(index)]
