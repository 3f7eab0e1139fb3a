"""The QoS conventions of KropBot topics, one helper each (ROS side: imports rclpy.qos only).

Every package names its profiles in its own ``qos.py`` (``CMD_VEL_QOS = reliable_qos(10)``...);
the policies behind the names are built here only:

* :func:`reliable_qos`: the shared profile of commands, votes, state and sensor readings.
  RELIABLE, so nothing is silently lost on a good link and every reader matches (a reliable
  writer serves reliable and best-effort readers); VOLATILE, because a late joiner must never
  act on an old command or reading; KEEP_LAST ``depth``.
* :func:`best_effort_qos`: viewers that want only the newest sample (camera frames to the
  gateway's clients): BEST_EFFORT, VOLATILE, KEEP_LAST ``depth``; it matches reliable and
  best-effort writers alike.

Uses only rclpy APIs present in both Jazzy and Kilted.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy


def reliable_qos(depth):
    """Return a RELIABLE, VOLATILE, KEEP_LAST ``depth`` profile (``depth`` >= 1 messages)."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


def best_effort_qos(depth):
    """Return a BEST_EFFORT, VOLATILE, KEEP_LAST ``depth`` profile (``depth`` >= 1 messages)."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.VOLATILE)
