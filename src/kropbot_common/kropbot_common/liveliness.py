"""Sender liveliness: commands end when their publisher dies (ROS-free contract and rules).

A vote on ``crowd/vote`` or an operator command on ``teleop/cmd_vel`` outlives its publisher by
up to ``vote_timeout`` (3 s) or ``teleop_timeout`` (0.5 s) unless the vote node learns that the
publisher is gone. It learns it from DDS QoS *liveliness*, on a **presence topic** next to each
command topic (:func:`presence_topic`: ``crowd/vote/alive``, ``teleop/cmd_vel/alive``):

- **Senders** (the crowd gateway, ``relay_link``, any tool that wants the same guarantee)
  declare, in the process that publishes the commands, a ``std_msgs/msg/Empty`` publisher on the
  presence topic with liveliness ``AUTOMATIC`` and a lease of :data:`SENDER_LEASE` s, and never
  publish on it (``kropbot_common.ros_liveliness.declare_sender``). The middleware asserts it
  alive every 2/3 of the lease (rmw_fastrtps) while the process runs.
- **The vote node** subscribes to each presence topic requesting ``AUTOMATIC`` and a lease of
  ``liveliness_lease`` s (default :data:`WATCH_LEASE`; ``kropbot_common.ros_liveliness.
  watch_senders``). When a sender misses its lease (``kill -9``, power loss, a frozen process)
  or is destroyed, the subscription's liveliness-changed event reports ``alive_count_change <
  0`` (:func:`senders_lost`) and the vote node ends the commands at once.

Why a presence topic rather than a lease on ``crowd/vote`` itself (measured with
``bench/vote_cost.py``'s method): a reader that tracks a writer's liveliness re-asserts it on
every sample it receives, and Fast DDS restarts the writer's lease timer each time, so watching
``crowd/vote`` cost the vote node 20-30 us more CPU per vote (about +45 %, in its shared-memory
receive and event threads), and the writer side pays per vote too. The presence topic carries no
data: the cost per vote is zero. It also keeps ``crowd/vote`` compatible with everything: a
subscription that requests a lease is *incompatible* with a publisher offering a longer one (DDS
rule, :func:`compatible`), and ``ros2 topic pub`` or a default rclpy publisher offers an
infinite one; the vote node's ``crowd/vote`` subscription requests none, so every publisher can
vote, and only senders that declare a presence are watched.

Which sender died is not reported: rmw's liveliness status holds counts only (no writer
identity), the ROS graph keeps a killed publisher until its participant lease (about 20 s) ends,
and rclpy 7 (Jazzy) has no ``publisher_gid`` in ``MessageInfo``. So the vote node drops *every*
crowd vote when any watched sender of ``crowd/vote`` is lost (and ends the operator override
when a ``teleop/cmd_vel`` sender is lost): a false alarm costs the surviving senders' voters one
re-send (the page re-sends a held control every second), a missed one could drive the robot on
a dead gateway's votes for ``vote_timeout``.

Timing: a sender killed just after an assertion is reported ``WATCH_LEASE`` s later, then the
next ``cmd_vel`` tick (``rate``, 0.1 s) publishes the command without its votes: <= 0.4 s,
inside the 0.5 s bound of docs/SAFETY.md. The margin between the assertion period (2/3 x 0.2 s
= 0.133 s) and the watch lease (0.3 s) tolerates one late assertion before a false alarm.
"""

#: Liveliness lease offered by the presence publisher of a sender, s.
SENDER_LEASE = 0.2
#: Liveliness lease the vote node's watch subscriptions request by default, s (>= SENDER_LEASE).
WATCH_LEASE = 0.3
#: Last name token of a presence topic: ``<command topic>/alive``.
PRESENCE_SUFFIX = 'alive'


def presence_topic(topic):
    """Return the presence topic of a command ``topic`` (``/crowd/vote`` -> ``/crowd/vote/alive``).

    Use the *resolved* (namespaced, remapped) command topic on both sides, so a sender and the
    vote node agree whatever the namespace or remapping.
    """
    return f'{topic.rstrip("/")}/{PRESENCE_SUFFIX}'


def compatible(offered_lease, requested_lease):
    """Return True if a publisher offering ``offered_lease`` matches a reader requesting one.

    The DDS 1.4 rule for the LIVELINESS policy (same kind assumed, both ``AUTOMATIC`` here):
    offered ``lease_duration`` <= requested ``lease_duration``. ``None`` means infinite (a
    default publisher or subscription).
    """
    if requested_lease is None:
        return True
    return offered_lease is not None and offered_lease <= requested_lease


def senders_lost(alive_count_change):
    """Return True if a liveliness-changed event means a watched publisher is gone.

    Args:
        alive_count_change: the event's ``alive_count_change`` (rmw liveliness changed
            status): -1 when a publisher missed its lease (it becomes *not alive*) or was
            destroyed while alive; +1 when one is discovered or asserts itself again.

    """
    return alive_count_change < 0
