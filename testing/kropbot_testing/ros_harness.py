"""rclpy on the test side, each in its own context: a spun harness node, or unspun nodes.

- :class:`RosHarness`: a test/benchmark-side node spun in a background thread (publish,
  collect).
- :func:`node_factory`: the nodes under test built in-process, not spun (parameters,
  start-up errors), destroyed with their context at the end.

rclpy is imported only when one is made, so importing this module needs no ROS.
"""

from contextlib import contextmanager
import os
import threading
import time


@contextmanager
def node_factory(make_node):
    """Yield ``make(**overrides)``, which builds a node in a fresh rclpy context (not spun).

    ``make(name=value, ...)`` calls ``make_node(context=..., parameter_overrides=[...])`` (a
    node class such as ``VoteNode``, or ``functools.partial(rclpy.create_node, 'name')``) and
    returns the node. At exit every node made is destroyed and the context shut down. Use it
    in a fixture::

        @pytest.fixture
        def vote_node():
            with node_factory(VoteNode) as make:
                yield make

    """
    import rclpy
    from rclpy.parameter import Parameter

    context = rclpy.context.Context()
    rclpy.init(context=context)
    nodes = []

    def make(**overrides):
        node = make_node(context=context, parameter_overrides=[
            Parameter(name, value=value) for name, value in overrides.items()])
        nodes.append(node)
        return node

    try:
        yield make
    finally:
        for node in nodes:
            node.destroy_node()
        rclpy.try_shutdown(context=context)


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
