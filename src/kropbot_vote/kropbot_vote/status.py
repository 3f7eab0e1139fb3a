"""The ``crowd/status`` JSON object (pure, ROS-free)."""


def status_dict(fused, *, strategy, operator, command, book, stamp, teleop_rejected=0,
                 falls=None, guard=None, senders_lost=0):
    """Build the ``crowd/status`` JSON object (contract keys plus extras).

    Args:
        fused: the crowd's :class:`kropbot_vote.fusion.Fused` result (``voters``,
            ``histogram``, ``winner``).
        strategy: the active strategy name.
        operator: True while the operator's ``teleop/cmd_vel`` overrides the crowd.
        command: ``(linear, angular)`` actually published on ``cmd_vel`` (m/s, rad/s).
        book: the :class:`kropbot_vote.fusion.VoteBook` (limits, timeout and counters).
        stamp: publication time (s).
        teleop_rejected: count of non-finite operator commands.
        falls: the sim's fall count since the driver started (int), or None without a sim
            (:class:`kropbot_vote.falls.FallsTracker`).
        guard: the cliff guard's state, ``'cliff'``, ``'stale'``, ``'obstacle'`` or None
            (:class:`kropbot_vote.guard_state.GuardTracker`).
        senders_lost: count of liveliness losses of watched senders (``crowd/vote`` and
            ``teleop/cmd_vel`` publishers, :mod:`kropbot_common.liveliness`).

    Returns:
        dict with the contract keys ``voters`` (people and bots), ``bots`` (how many of the
        voters are labelled bots), ``histogram``, ``command`` (``linear``,
        ``angular``), ``strategy``, ``operator``, ``max_linear``, ``max_angular``, ``stamp`` and
        the extras ``vote_timeout``, ``stop_threshold``, ``max_voters``, ``winner``,
        ``accepted`` (votes accepted since start), ``rejected`` (per reason), ``clamped``,
        ``withdrawn`` (votes ended early: their sender withdrew them or was lost),
        ``teleop_rejected``, ``senders_lost``, ``falls`` (int, or None = JSON ``null`` without a
        sim) and ``guard`` (``"cliff"`` | ``"stale"`` | ``"obstacle"`` | ``null``: what the
        guard between the vote node and the driver is refusing or slowing).

    """
    return {
        'voters': fused.voters,
        'bots': fused.bots,
        'histogram': dict(fused.histogram),
        'command': {'linear': float(command[0]), 'angular': float(command[1])},
        'strategy': strategy,
        'operator': bool(operator),
        'max_linear': book.max_linear,
        'max_angular': book.max_angular,
        'stamp': float(stamp),
        'vote_timeout': book.vote_timeout,
        'stop_threshold': book.stop_threshold,
        'max_voters': book.max_voters,
        'winner': fused.winner,
        'accepted': book.accepted,
        'rejected': dict(book.rejected),
        'clamped': book.clamped,
        'withdrawn': book.withdrawn,
        'teleop_rejected': teleop_rejected,
        'falls': falls,
        'guard': guard,
        'senders_lost': senders_lost,
    }
