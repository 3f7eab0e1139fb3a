"""The gateway's protocol error (ROS-free)."""


class ProtocolError(ValueError):
    """A client request that the gateway refuses; the text is sent back in a ``status`` op."""
