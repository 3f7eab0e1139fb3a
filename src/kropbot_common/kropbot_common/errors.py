"""Exceptions shared by the KropBot nodes (ROS-free)."""


class StartupError(RuntimeError):
    """A node cannot start (port in use, hardware missing...); the message says why.

    :func:`kropbot_common.ros.run_node` logs it as one FATAL line and exits with code 1.
    """
