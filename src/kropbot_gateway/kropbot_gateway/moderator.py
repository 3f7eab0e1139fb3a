"""The gateway's view of its connections: vote slots, voter tokens, bans and moderation.

ROS-free; runs on the server's asyncio loop (:mod:`kropbot_gateway.server` calls it). One
:class:`Moderator` per server keeps a :class:`Peer` per open WebSocket connection and

- decides whose votes count (:class:`kropbot_gateway.admission.VoteSlots`,
  ``max_votes_per_address``) and tells the session (``Session.counted``);
- serves the gateway's own topics (:mod:`kropbot_gateway.roles`): ``crowd/you`` to every
  connection that subscribes (its voter token, role and whether its votes count, sent at once
  and again when it changes: a message of a few dozen bytes per connection, while
  ``crowd/status`` stays one message encoded once for every viewer), and ``crowd/connections``
  to operators (every connection's token, address, role and latest vote, and the bans; 1 Hz);
- carries out moderation commands (:mod:`kropbot_gateway.moderation`) from operators and from
  the ROS topic: pause/resume and mode through the bridge (the vote node's ``crowd/pause``
  service and ``mode`` parameter), kick/ban/unban itself (closing connections with 1008, the
  :class:`~kropbot_gateway.moderation.BanList` refusing their address at the handshake), and
  logs each one (:func:`~kropbot_gateway.moderation.log_line`).

A voter token (:func:`kropbot_common.voter_token.voter_token`) is computed over the voter id
as the vote node sees it (``Bridge.vote_id``: a relay gateway's ids are prefixed), so the
tokens in ``crowd/status`` (queue, anarchy) match the ones here.
"""

import asyncio
from dataclasses import dataclass, field
import json
import time

from kropbot_common.voter_token import voter_token
from websockets.exceptions import ConnectionClosed

from kropbot_gateway.actions import status
from kropbot_gateway.admission import VoteSlots, address_of
from kropbot_gateway.encoding import encode_json, encode_publish
from kropbot_gateway.errors import ProtocolError
from kropbot_gateway.moderation import ROS_OPERATOR, log_line, parse_moderation
from kropbot_gateway.names import resolve_topic
from kropbot_gateway.roles import CONNECTIONS_TOPIC, CROWD, YOU_TOPIC

#: Close code and reasons for connections the operator removes.
KICKED = (1008, 'kicked by the operator')
BANNED = (1008, 'banned by the operator')
#: Period of ``crowd/connections`` (s) and the most connections it lists.
LIST_PERIOD = 1.0
LIST_MAX = 200


@dataclass
class Peer:
    """One open connection as the moderator sees it.

    Attributes:
        connection: the websockets connection.
        session: its :class:`~kropbot_gateway.session.Session`.
        address: canonical peer address.
        since: monotonic time of the connection (s).
        token: voter token of its voter id (as the vote node sees it).
        you: its ``crowd/you`` subscription (a ``Subscribe``), or None.
        lister: the task sending ``crowd/connections`` to it (operators), or None.

    """

    connection: object
    session: object
    address: str
    since: float
    token: str = ''
    you: object = None
    lister: asyncio.Task = field(default=None, repr=False)


class Moderator:
    """Connections, vote slots, bans and moderation of one gateway server.

    Args:
        config: the :class:`~kropbot_gateway.config.GatewayConfig`.
        bridge: the :class:`~kropbot_gateway.bridge.Bridge` (``vote_id``, ``pause_crowd``,
            ``set_mode``).
        bans: the :class:`~kropbot_gateway.moderation.BanList`.
        log: object with ``info``/``warning``/``error`` methods taking one str.
        count: callable ``(stats_key, log_text=None)`` (the server's counters).

    """

    def __init__(self, config, bridge, bans, log, count):
        self.config = config
        self.bridge = bridge
        self.bans = bans
        self.log = log
        self._count = count
        self.slots = VoteSlots(config.max_votes_per_address)
        self.peers = {}  # connection -> Peer
        self._you_topic = resolve_topic(YOU_TOPIC, config.namespace)
        self._list_topic = resolve_topic(CONNECTIONS_TOPIC, config.namespace)

    # --- connections ------------------------------------------------------------------------

    def join(self, connection, session):
        """Register a new connection; decide whether its votes count."""
        peer = Peer(connection, session, address_of(connection), time.monotonic())
        peer.token = voter_token(self.bridge.vote_id(session.client_id))
        self.peers[connection] = peer
        if not self.slots.join(connection, peer.address):
            self._watch(peer)

    def leave(self, connection):
        """Forget a closed connection; a watcher of its address may take its vote slot."""
        peer = self.peers.pop(connection, None)
        if peer is None:
            return
        if peer.lister is not None:
            peer.lister.cancel()
        self._promote(self.slots.leave(connection))

    def role_changed(self, connection, role):
        """Take a new role: new voter id (token); bots and operators always vote."""
        peer = self.peers.get(connection)
        if peer is None:
            return
        peer.token = voter_token(self.bridge.vote_id(peer.session.client_id))
        if role != CROWD:
            self._promote(self.slots.exempt(connection))
            peer.session.counted, peer.session.watch_reason = True, ''
        self._send_you(peer)

    def _watch(self, peer):
        n = self.config.max_votes_per_address
        peer.session.counted = False
        peer.session.watch_reason = (f'too many voters from your network: {n} connection'
                                     f'{"s" if n != 1 else ""} from your address already vote')
        self._count('watching')

    def _promote(self, connection):
        peer = self.peers.get(connection)
        if peer is not None:
            peer.session.counted, peer.session.watch_reason = True, ''
            self._count('promoted')
            self._send_you(peer)

    # --- the gateway's own topics -----------------------------------------------------------

    def subscribe(self, connection, sub):
        """Start a ``crowd/you`` or ``crowd/connections`` subscription (``Subscribe``)."""
        peer = self.peers.get(connection)
        if peer is None:
            return
        if sub.topic == self._you_topic:
            peer.you = sub
            self._send_you(peer)
        elif sub.topic == self._list_topic:
            if peer.lister is not None:
                peer.lister.cancel()
            peer.lister = asyncio.get_running_loop().create_task(self._list_loop(peer, sub))

    def unsubscribe(self, connection, topic):
        """Stop ``connection``'s subscription of a gateway topic."""
        peer = self.peers.get(connection)
        if peer is None:
            return
        if topic == self._you_topic:
            peer.you = None
        elif topic == self._list_topic and peer.lister is not None:
            peer.lister.cancel()
            peer.lister = None

    def you(self, peer):
        """Return the ``crowd/you`` object of ``peer``.

        Keys: ``you`` (its voter token), ``role`` (crowd, bot, operator), ``counted`` (whether
        its votes and mode votes count), ``why`` (why not, else null),
        ``max_votes_per_address`` (0 = unlimited).
        """
        s = peer.session
        return {'you': peer.token, 'role': s.role, 'counted': s.counted,
                'why': s.watch_reason or None,
                'max_votes_per_address': self.config.max_votes_per_address}

    def _send_you(self, peer):
        if peer.you is not None:
            self._send(peer, peer.you, self.you(peer))

    def _send(self, peer, sub, obj):
        data = encode_publish(sub.client_topic, {'data': json.dumps(obj)}, sub.compression)
        asyncio.ensure_future(send_quietly(peer.connection, data))

    def connections(self):
        """Return the ``crowd/connections`` object (operators only).

        Keys: ``total`` (open connections), ``connections`` (the first :data:`LIST_MAX`, oldest
        first: ``token``, ``role``, ``address``, ``counted``, ``votes``, ``last_vote``
        ``[linear, angular]`` or null, ``last_vote_age`` s or null, ``age`` s), ``bans``
        (``address``, ``action``, ``operator``, ``until`` and ``since`` in wall-clock s,
        ``remaining`` s), ``max_votes_per_address``.
        """
        now, wall = time.monotonic(), time.time()
        listed = []
        for peer in self.peers.values():
            if len(listed) >= LIST_MAX:
                break
            s = peer.session
            last = s.last_vote
            listed.append({'token': peer.token, 'role': s.role, 'address': peer.address,
                           'counted': s.counted, 'votes': s.votes,
                           'last_vote': None if last is None else [last[0], last[1]],
                           'last_vote_age': None if last is None else round(now - last[2], 1),
                           'age': round(now - peer.since, 1)})
        bans = [{**b.to_json(), 'remaining': round(b.until - wall, 1)}
                for b in self.bans.active()]
        return {'total': len(self.peers), 'connections': listed, 'bans': bans,
                'max_votes_per_address': self.config.max_votes_per_address}

    async def _list_loop(self, peer, sub):
        while True:
            self._send(peer, sub, self.connections())
            await asyncio.sleep(LIST_PERIOD)

    # --- moderation -------------------------------------------------------------------------

    def from_ros(self, data):
        """Carry out a moderation command from the ROS topic (``data`` the JSON text)."""
        try:
            command = parse_moderation(data, from_ros=True)
        except ProtocolError as exc:
            self._count('moderation_refused', f'refused a moderation command from ROS: {exc}')
            return
        # the result is in the log line; there is nobody to answer on ROS
        self.moderate(command, command.operator or ROS_OPERATOR, None, lambda *_: None)

    def moderate(self, command, operator, requester, answer):
        """Carry out ``command`` for ``operator``; ``answer(level, text)`` reports the result.

        ``requester`` is the operator's connection (None from ROS): an operator cannot ban its
        own address. ``answer`` may be called later (pause and mode wait for the vote node).
        """
        action = command.action
        self._count(f'moderation_{action}')

        def finish(ok, result):
            line = log_line(command, operator, result if ok else f'refused: {result}')
            if ok:  # two call sites: rclpy refuses one call site at two severities
                self.log.info(line)
            else:
                self.log.warning(line)
            answer('info' if ok else 'error', f'moderation: {result}')

        if action in ('pause', 'resume'):
            self.bridge.pause_crowd(action == 'pause', self._threadsafe(finish))
        elif action == 'mode':
            self.bridge.set_mode(command.mode, self._threadsafe(finish))
        elif action == 'kick':
            finish(*self._kick(command, operator))
        elif action == 'ban':
            finish(*self._ban(command, operator, requester))
        else:
            removed = self.bans.remove(command.address)
            self._save_bans()
            finish(removed, f'{command.address} may connect again' if removed
                   else f'{command.address} is not banned')

    def _threadsafe(self, fn):
        loop = asyncio.get_running_loop()
        return lambda *args: loop.call_soon_threadsafe(fn, *args)

    def _by_token(self, token):
        return [p for p in self.peers.values() if p.token == token]

    def _kick(self, command, operator):
        peers = self._by_token(command.token)
        if not peers:
            return False, f'no connection has the token {command.token}'
        duration = self.config.kick_duration
        addresses = sorted({p.address for p in peers})
        for peer in peers:
            self._close(peer, KICKED)
        self._count('kicked')
        if duration > 0:
            for address in addresses:
                self.bans.add(address, duration, 'kick', operator)
            self._save_bans()
            return True, (f'kicked {len(peers)} connection(s) of {command.token}; '
                          f'{", ".join(addresses)} refused for {duration:g} s')
        return True, f'kicked {len(peers)} connection(s) of {command.token}'

    def _ban(self, command, operator, requester):
        if command.token is not None:
            peers = self._by_token(command.token)
            if not peers:
                return False, f'no connection has the token {command.token}'
            addresses = sorted({p.address for p in peers})
        else:
            addresses = [command.address]
        own = self.peers.get(requester)
        if own is not None and own.address in addresses:
            return False, f'{own.address} is your own address'
        duration = command.duration or self.config.ban_duration
        closed = 0
        for address in addresses:
            self.bans.add(address, duration, 'ban', operator)
            for peer in [p for p in self.peers.values() if p.address == address]:
                self._close(peer, BANNED)
                closed += 1
        self._count('banned')
        saved = self._save_bans()
        return True, (f'{", ".join(addresses)} banned for {duration:g} s, {closed} '
                      f'connection(s) closed' + ('' if saved else ' (NOT saved: see the log)'))

    def _close(self, peer, why):
        asyncio.ensure_future(peer.connection.close(*why))

    def _save_bans(self):
        try:
            self.bans.save()
        except OSError as exc:
            self.log.error(f'cannot write the ban file {self.bans.path}: {exc}; the bans hold '
                           'until the gateway stops')
            return False
        return True


async def send_quietly(connection, data):
    """Send ``data`` on ``connection``; a connection closed meanwhile is not an error."""
    try:
        await connection.send(data)
    except ConnectionClosed:
        pass


def status_reply(level, text, op_id):
    """Return the encoded rosbridge ``status`` op answering a moderation command."""
    return encode_json(status(level, text, op_id))
