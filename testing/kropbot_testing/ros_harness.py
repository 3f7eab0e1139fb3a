"""A test/benchmark-side rclpy node spun in a background thread, with its own context.

rclpy is imported only when a harness is made, so importing this module needs no ROS.
"""

import os
import threading
import time


class RosHarness:
    """A test-side rclpy node spun in a background thread.

    Args:
        name: node name (default ``kropbot_test_<pid>``).

    Attributes:
        node: the ``rclpy.node.Node`` to create publishers/subscriptions on.

    """

    def __init__(self, name=None):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        self._rclpy = rclpy
        self.context = rclpy.context.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name or f'kropbot_test_{os.getpid()}',
                                      context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - shutdown races end the spin thread
            pass

    def collect(self, msg_type, topic, qos=10):
        """Subscribe to ``topic``; return a list that receives ``(monotonic_s, msg)`` tuples."""
        received = []
        self.node.create_subscription(
            msg_type, topic, lambda m: received.append((time.monotonic(), m)), qos)
        return received

    def close(self):
        """Shut the executor, node and context down."""
        self.executor.shutdown()
        self.node.destroy_node()
        self._rclpy.try_shutdown(context=self.context)
        self._thread.join(2)
