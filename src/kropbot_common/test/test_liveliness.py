"""Sender liveliness: the pure rule, and the watch on real rclpy nodes (in-process, DDS)."""

import threading
import time

from geometry_msgs.msg import TwistStamped
from kropbot_common.liveliness import SENDER_LEASE, WATCH_LEASE, compatible, senders_lost
from kropbot_common.ros_liveliness import LivelinessWatch, sender_qos
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile


def test_the_dds_lease_rule_and_the_chosen_leases():
    assert compatible(0.2, 0.3) and compatible(0.3, 0.3) and not compatible(0.4, 0.3)
    assert compatible(None, None) and compatible(0.2, None)  # a default reader takes anyone
    assert not compatible(None, 0.3)  # a default publisher cannot match the watch
    assert compatible(SENDER_LEASE, WATCH_LEASE)
    assert senders_lost(-1) and not senders_lost(0) and not senders_lost(1)


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


def test_the_watch_reports_a_lost_sender_and_ignores_default_publishers(graph):
    watcher_ctx, sender_ctx = graph
    node = rclpy.create_node('watched', context=watcher_ctx)
    data = node.create_subscription(TwistStamped, 'crowd/vote', lambda m: got.append(m), 10)
    got, lost, incompatible = [], [], []
    watch = LivelinessWatch(node, WATCH_LEASE)
    watch.watch(TwistStamped, data.topic_name, lambda: lost.append(time.monotonic()),
                lambda info: incompatible.append(info.total_count_change))
    executor = SingleThreadedExecutor(context=watcher_ctx)
    executor.add_node(node)
    spinning = threading.Thread(target=executor.spin, daemon=True)
    spinning.start()
    senders = rclpy.create_node('senders', context=sender_ctx)
    try:
        plain = senders.create_publisher(TwistStamped, 'crowd/vote', QoSProfile(depth=10))
        watched = senders.create_publisher(TwistStamped, 'crowd/vote', sender_qos(10))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (len(got) < 4 or not incompatible):
            plain.publish(TwistStamped())
            watched.publish(TwistStamped())
            time.sleep(0.05)
        assert len(got) >= 4  # both publishers reach the data subscription
        assert incompatible and incompatible[0] == 1  # the default one is not watched
        assert lost == []
        # the watch never takes data: its subscription is on the helper node, not spun
        assert node.get_name() + '_liveliness' in senders.get_node_names()
        gone = time.monotonic()
        senders.destroy_publisher(watched)  # a sender leaves (kill -9 is tests/test_votes_end)
        while time.monotonic() - gone < 5 and not lost:
            time.sleep(0.01)
        assert lost and lost[0] - gone < 1.0
        senders.destroy_publisher(plain)  # not watched: no loss reported
        time.sleep(0.5)
        assert len(lost) == 1
    finally:
        executor.shutdown()
        watch.destroy()
        watch.destroy()  # idempotent
        node.destroy_node()
        senders.destroy_node()
