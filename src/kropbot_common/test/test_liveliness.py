"""Sender liveliness: the pure rules, and the presence watch on real rclpy nodes (DDS)."""

import threading
import time

from geometry_msgs.msg import TwistStamped
from kropbot_common.liveliness import (
    SENDER_LEASE,
    WATCH_LEASE,
    compatible,
    presence_topic,
    senders_lost,
)
from kropbot_common.ros_liveliness import PRESENCE_QOS, declare_sender, watch_senders
import pytest
import rclpy
from rclpy.duration import Duration
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile
from std_msgs.msg import Empty


def test_the_dds_lease_rule_the_chosen_leases_and_the_presence_topic():
    assert compatible(0.2, 0.3) and compatible(0.3, 0.3) and not compatible(0.4, 0.3)
    assert compatible(None, None) and compatible(0.2, None)  # a default reader takes anyone
    assert not compatible(None, 0.3)  # a default publisher would not match a watch
    assert compatible(SENDER_LEASE, WATCH_LEASE)
    assert PRESENCE_QOS.liveliness_lease_duration == Duration(seconds=SENDER_LEASE)
    assert senders_lost(-1) and not senders_lost(0) and not senders_lost(1)
    assert presence_topic('/crowd/vote') == '/crowd/vote/alive'
    assert presence_topic('/bot/teleop/cmd_vel') == '/bot/teleop/cmd_vel/alive'


@pytest.fixture
def graph():
    """Two contexts (two DDS participants): the watcher and the senders."""
    contexts = []
    for _ in range(2):
        context = rclpy.context.Context()
        rclpy.init(context=context)
        contexts.append(context)
    yield contexts
    for context in contexts:
        rclpy.try_shutdown(context=context)


def test_the_watch_reports_a_lost_sender_only(graph):
    watcher_ctx, sender_ctx = graph
    node = rclpy.create_node('watcher', context=watcher_ctx)
    got, lost, incompatible, alive = [], [], [], []
    data = node.create_subscription(TwistStamped, 'crowd/vote', got.append, 10)
    watch_senders(node, data.topic_name, WATCH_LEASE, lambda: lost.append(time.monotonic()),
                  lambda info: incompatible.append(info.total_count_change),
                  on_alive=lambda: alive.append(time.monotonic()))
    executor = SingleThreadedExecutor(context=watcher_ctx)
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    senders = rclpy.create_node('senders', context=sender_ctx)
    try:
        plain = senders.create_publisher(TwistStamped, 'crowd/vote', QoSProfile(depth=10))
        declared = senders.create_publisher(TwistStamped, 'crowd/vote', QoSProfile(depth=10))
        presence = declare_sender(senders, declared.topic_name)
        assert presence.topic_name == '/crowd/vote/alive'
        too_long = senders.create_publisher(  # offers a longer lease than the watch asks
            Empty, '/crowd/vote/alive', QoSProfile(
                depth=1, liveliness_lease_duration=Duration(seconds=1.0)))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (len(got) < 4 or not incompatible or not alive):
            plain.publish(TwistStamped())
            declared.publish(TwistStamped())
            time.sleep(0.05)
        assert len(got) >= 4  # every publisher votes: crowd/vote requests no lease
        assert incompatible == [1] and lost == []  # the 1 s presence cannot be watched
        assert len(alive) == 1  # the declared sender is watched (only it: too_long is not)
        gone = time.monotonic()
        senders.destroy_publisher(presence)  # the sender leaves (kill -9: tests/test_votes_end)
        while time.monotonic() - gone < 5 and not lost:
            time.sleep(0.01)
        assert lost and lost[0] - gone < 1.0
        senders.destroy_publisher(plain)  # not a declared sender: nothing reported
        senders.destroy_publisher(too_long)
        time.sleep(0.5)
        assert len(lost) == 1
    finally:
        executor.shutdown()
        node.destroy_node()
        senders.destroy_node()
