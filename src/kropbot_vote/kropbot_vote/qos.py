"""The vote node's QoS profiles, named in one place.

All are RELIABLE, VOLATILE, KEEP_LAST (the shared conventions): reliable so that no vote or
command is silently lost on a good link and every reader (reliable or best-effort) matches;
volatile because a late joiner must never act on an old command. The data subscriptions request
no liveliness lease, so every publisher matches them, including default ones (``ros2 topic
pub``); the senders are watched on their presence topics
(``kropbot_common.ros_liveliness.watch_qos``, lease = parameter ``liveliness_lease``).
The policies: :func:`kropbot_common.ros_qos.reliable_qos` (ROS side).
"""

from kropbot_common.ros_qos import reliable_qos

#: ``crowd/vote`` subscription: depth 100 absorbs a burst of crowd votes arriving between two
#: executor wake-ups (each voter's newest vote replaces its older one anyway).
VOTE_QOS = reliable_qos(100)
#: ``crowd/vote_batch`` subscription (many votes per message, from relaying senders).
VOTE_BATCH_QOS = reliable_qos(100)
#: ``crowd/mode_vote`` subscription (JSON mode votes: rare, each voter's newest one counts).
MODE_VOTE_QOS = reliable_qos(100)
#: ``teleop/cmd_vel`` subscription: the operator's stream; only the newest command matters.
TELEOP_QOS = reliable_qos(10)
#: ``cmd_vel`` publisher (the driver subscribes with the same profile).
CMD_VEL_QOS = reliable_qos(10)
#: ``crowd/status`` publisher (JSON, 2 Hz by default; the gateway and tools read it).
STATUS_QOS = reliable_qos(10)
#: ``diagnostics`` subscription (the driver publishes with the same profile at 1 Hz; only the
#: newest array matters).
DIAGNOSTICS_QOS = reliable_qos(10)
#: ``guard/state`` subscription (the guard publishes on change and at 2 Hz).
GUARD_STATE_QOS = reliable_qos(10)
