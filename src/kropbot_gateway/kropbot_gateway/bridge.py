"""What the server needs from the robot side (:class:`Bridge`) and an in-memory one (ROS-free).

The server (:mod:`kropbot_gateway.server`) talks to ROS only through a :class:`Bridge`: it
hands it the votes and mode votes to publish, the voters whose connection ended (their votes
end with them: "votes end with their sender"), the topics its viewers want and the operator's
pause and mode commands, and the bridge hands messages back through the ``deliver`` function
the server gives it when it starts (and moderation commands from the robot's side through
``attach_moderation``). The rclpy
implementation is :class:`kropbot_gateway.ros_bridge.RosBridge`; :class:`MemoryBridge` keeps
everything in memory, for tests, the ROS-free runner (:mod:`kropbot_gateway.standalone`) and
relays that reach the robot by other means.
"""

class Bridge:
    """Interface to the robot side; every method but ``deliver`` runs on the server's loop.

    Implementations must not block the loop: ``subscribe``/``unsubscribe`` hand their work to
    whatever owns the ROS entities; ``publish_vote`` may publish directly if that is thread-safe
    and non-blocking (rclpy publishers are).
    """

    def attach(self, deliver):
        """Receive the server's ``deliver(topic, msg)`` when the server starts.

        ``deliver`` may be called from any thread; ``topic`` is a resolved topic name and
        ``msg`` a plain message dict (see :mod:`kropbot_gateway.msgconv`).
        """

    def publish_vote(self, vote):
        """Publish a :class:`~kropbot_gateway.session.PublishVote`."""

    def publish_mode_vote(self, vote):
        """Publish a :class:`~kropbot_gateway.session.PublishModeVote`.

        Called only for the mode vote topics of the allow-list (``std_msgs/msg/String``
        entries). A bridge that cannot carry mode votes raises NotImplementedError; give its
        server a config without them (``GatewayConfig.without_mode_votes``).
        """
        raise NotImplementedError(f'{type(self).__name__} does not carry mode votes')

    def vote_id(self, client_id):
        """Return the voter id the vote node sees for the connection id ``client_id``.

        The voter tokens of ``crowd/status`` are computed over it. Default: the same id (a
        relay gateway's ids are prefixed with its name on the robot).
        """
        return client_id

    def pause_crowd(self, paused, done):
        """Ask the vote node to pause (``paused`` True) or resume the crowd.

        ``done(ok, text)`` is called once with the outcome, from any thread. The default
        answers that this bridge cannot.
        """
        done(False, 'pausing the crowd is not available on this gateway')

    def set_mode(self, mode, done):
        """Ask the vote node to set its ``mode`` parameter; ``done(ok, text)`` as above."""
        done(False, 'changing the mode is not available on this gateway')

    def attach_moderation(self, handler):
        """Receive ``handler(data)`` for moderation commands from the robot's side (any thread).

        ``data`` is the JSON text of a ``crowd/moderation`` message
        (:mod:`kropbot_gateway.moderation`). The default has no such source.
        """

    def publish_teleop(self, command):
        """Publish an operator's :class:`~kropbot_gateway.session.PublishTeleop`.

        Called only for the topics of the role table's operator entries, and only on a gateway
        with operator access (``auth_secret_file`` set). A bridge that cannot carry operator
        commands must not be used with operator access (it raises NotImplementedError here).
        """
        raise NotImplementedError(f'{type(self).__name__} does not carry operator commands')

    def voter_left(self, voter_id, topic):
        """End ``voter_id``'s vote on resolved ``topic`` now: its connection closed.

        Called once per topic the connection published a vote on, after its last vote, whether
        it closed cleanly or not. The rclpy bridge publishes a withdrawal vote
        (:mod:`kropbot_common.withdrawal`) on ``topic``; the relay bridge lists the voter in its
        next batch's ``left``. The default does nothing (the vote then lives until the vote
        node's ``vote_timeout``).
        """

    def subscribe(self, topic, type_name):
        """Create the (single) subscription for resolved ``topic`` of ``type_name``."""

    def unsubscribe(self, topic):
        """Destroy the subscription for ``topic`` (no viewer left)."""


class MemoryBridge(Bridge):
    """A :class:`Bridge` that keeps everything in memory.

    Args:
        on_vote: optional callable taking each :class:`~kropbot_gateway.session.PublishVote`
            (called on the server's loop; must not block).
        on_teleop: the same for each :class:`~kropbot_gateway.session.PublishTeleop`.
        on_subscription: optional callable ``(event, topic, type_name)`` with ``event``
            ``'subscribe'`` or ``'unsubscribe'`` (``type_name`` None for the latter).
        on_left: optional callable ``(voter_id, topic)`` for each ended vote (server loop).
        on_mode_vote: optional callable taking each
            :class:`~kropbot_gateway.session.PublishModeVote`.
        on_control: optional callable ``(what, value)`` for the operator's ``('pause', bool)``
            and ``('mode', str)`` commands.

    Attributes:
        votes: every published vote, in order.
        mode_votes: every published mode vote, in order.
        paused: the crowd's pause state as last set (False at first); ``modes``: every mode
            set, in order. Both are answered at once with success.
        teleops: every published operator command, in order.
        left: every ``(voter_id, topic)`` whose vote ended (:meth:`voter_left`), in order.
        subscribed: every topic ``subscribe`` was called for, in order.
        unsubscribed: every topic ``unsubscribe`` was called for, in order.
        topics: ``{topic: type_name}`` of the subscriptions open now.

    """

    def __init__(self, on_vote=None, on_subscription=None, on_teleop=None, on_left=None,
                 on_mode_vote=None, on_control=None):
        self.votes = []
        self._on_control = on_control
        self.mode_votes = []
        self._on_mode_vote = on_mode_vote
        self.paused = False
        self.modes = []
        self._moderation = None
        self.teleops = []
        self.left = []
        self._on_left = on_left
        self.subscribed = []
        self.unsubscribed = []
        self.topics = {}
        self._on_vote = on_vote
        self._on_subscription = on_subscription
        self._on_teleop = on_teleop
        self._deliver = None

    def attach(self, deliver):
        """Store the server's ``deliver`` function (see :meth:`Bridge.attach`)."""
        self._deliver = deliver

    def publish_vote(self, vote):
        """Record ``vote`` (and pass it to ``on_vote``)."""
        self.votes.append(vote)
        if self._on_vote:
            self._on_vote(vote)

    def publish_mode_vote(self, vote):
        """Record a mode ``vote`` (and pass it to ``on_mode_vote``)."""
        self.mode_votes.append(vote)
        if self._on_mode_vote:
            self._on_mode_vote(vote)

    def pause_crowd(self, paused, done):
        """Record the pause state; answer like the vote node's ``crowd/pause``."""
        word = 'paused' if paused else 'resumed'
        changed, self.paused = self.paused != paused, paused
        if self._on_control:
            self._on_control('pause', paused)
        done(True, f'crowd {word}' if changed else f'crowd already {word}')

    def set_mode(self, mode, done):
        """Record the mode; answer with success."""
        self.modes.append(mode)
        if self._on_control:
            self._on_control('mode', mode)
        done(True, f'mode set to {mode}')

    def attach_moderation(self, handler):
        """Keep the server's moderation handler (:meth:`moderate` calls it)."""
        self._moderation = handler

    def moderate(self, data):
        """Hand a moderation command (JSON text) to the server, as the ROS topic would."""
        if self._moderation is None:
            raise RuntimeError('MemoryBridge.moderate before a server started with it')
        self._moderation(data)

    def publish_teleop(self, command):
        """Record an operator ``command`` (and pass it to ``on_teleop``)."""
        self.teleops.append(command)
        if self._on_teleop:
            self._on_teleop(command)

    def voter_left(self, voter_id, topic):
        """Record that ``voter_id``'s vote on ``topic`` ended (and pass it to ``on_left``)."""
        self.left.append((voter_id, topic))
        if self._on_left:
            self._on_left(voter_id, topic)

    def subscribe(self, topic, type_name):
        """Record an open subscription of ``topic``."""
        self.subscribed.append(topic)
        self.topics[topic] = type_name
        if self._on_subscription:
            self._on_subscription('subscribe', topic, type_name)

    def unsubscribe(self, topic):
        """Record that ``topic`` has no viewer left."""
        self.unsubscribed.append(topic)
        self.topics.pop(topic, None)
        if self._on_subscription:
            self._on_subscription('unsubscribe', topic, None)

    def deliver(self, topic, msg):
        """Hand ``msg`` (a plain dict) of resolved ``topic`` to its viewers; any thread.

        Raises:
            RuntimeError: if no server has attached this bridge yet.

        """
        if self._deliver is None:
            raise RuntimeError('MemoryBridge.deliver before a server started with it')
        self._deliver(topic, msg)
