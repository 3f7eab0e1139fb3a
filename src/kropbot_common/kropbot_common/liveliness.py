"""Sender liveliness: commands end when their publisher dies (ROS-free contract and rule).

A vote on ``crowd/vote`` or an operator command on ``teleop/cmd_vel`` outlives its publisher by
up to ``vote_timeout`` (3 s) or ``teleop_timeout`` (0.5 s) unless the vote node learns that the
publisher is gone. It learns it from DDS QoS *liveliness*:

- **Senders** (the crowd gateway, ``relay_link``, any tool that wants the same guarantee)
  publish with liveliness ``AUTOMATIC`` and a lease of :data:`SENDER_LEASE` s
  (``kropbot_common.ros.sender_qos``): the middleware asserts the publisher alive every 2/3 of
  the lease (rmw_fastrtps) while its process runs, whatever the vote rate.
- **The vote node** watches each command topic with a second subscription that requests
  ``AUTOMATIC`` and a lease of ``liveliness_lease`` s (default :data:`WATCH_LEASE`) and never
  takes data (``kropbot_common.ros.LivelinessWatch``). When a watched publisher misses its lease
  (``kill -9``, power loss, a frozen process) or is destroyed, the watch subscription's
  liveliness-changed event reports ``alive_count_change < 0`` (:func:`senders_lost`), and the
  vote node ends the commands at once.

Why two subscriptions: a subscription that requests a lease is *incompatible* with a publisher
that offers a longer one (DDS rule: offered lease <= requested lease, :func:`compatible`), and
``ros2 topic pub`` or a default rclpy publisher offers an infinite lease. The data subscription
therefore requests no lease (every publisher can vote, as before); only the watch requests one,
so it matches the senders alone. Fast DDS tracks a matched writer's liveliness only for a reader
whose own requested lease is finite (``StatefulReader::matched_writer_add``), which is why the
watch cannot be the data subscription itself.

Which sender died is not reported: rmw's liveliness status holds counts only (no writer
identity), the ROS graph keeps a killed publisher until its participant lease (about 20 s) ends,
and rclpy 7 (Jazzy) has no ``publisher_gid`` in ``MessageInfo``. So the vote node drops *every*
crowd vote when any watched sender of ``crowd/vote`` is lost (and ends the operator override
when a watched ``teleop/cmd_vel`` sender is lost): a false alarm costs the surviving senders'
voters one re-send (the page re-sends a held control every second), a missed one could drive
the robot on a dead gateway's votes for ``vote_timeout``.

Timing: a sender killed just after asserting is reported ``WATCH_LEASE`` s later, then the next
``cmd_vel`` tick (``rate``, 0.1 s) publishes the command without its votes: <= 0.4 s, inside the
0.5 s bound of docs/SAFETY.md. The margin between the assertion period (2/3 x 0.2 s = 0.133 s)
and the watch lease (0.3 s) tolerates one late assertion before a false alarm.
"""

#: Liveliness lease offered by senders of ``crowd/vote`` and ``teleop/cmd_vel``, s.
SENDER_LEASE = 0.2
#: Liveliness lease the vote node's watch subscriptions request by default, s (>= SENDER_LEASE).
WATCH_LEASE = 0.3


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
