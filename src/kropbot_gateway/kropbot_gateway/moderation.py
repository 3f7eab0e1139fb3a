"""Moderation of the crowd by the operator: commands, bans that survive a restart, the log.

ROS-free. An authenticated operator (role ``operator``, :mod:`kropbot_gateway.roles`) sends
moderation commands as a publish on the gateway topic :data:`MODERATION_TOPIC`
(``std_msgs/msg/String``, ``data`` a JSON object); a process on the robot's ROS graph may send
the same JSON on the ROS topic of that name (the gateway subscribes to it). The gateway itself
interprets them (:func:`parse_moderation`):

===========  ======================================  ========================================
``action``   other keys                              effect
===========  ======================================  ========================================
``pause``    --                                      the vote node's ``crowd/pause`` (true)
``resume``   --                                      the vote node's ``crowd/pause`` (false)
``mode``     ``mode``: vote|anarchy|democracy|queue   the vote node's ``mode`` parameter
``kick``     ``token``: a voter token                close that voter's connection(s) (1008);
                                                     refuse their address ``kick_duration`` s
``ban``      ``token`` or ``address``;               close every connection from the address
             ``duration`` (s, optional)              (1008) and refuse it for ``duration`` s
``unban``    ``address``                             lift a ban early
===========  ======================================  ========================================

Unknown actions or keys, a malformed token or address, a duration out of range: refused with a
reason. A ROS message may name the operator for the log (``"operator": "alice"``); over the
WebSocket the gateway writes the authenticated operator's secret name itself and refuses the
key.

Bans are kept by :class:`BanList` in a small JSON file (``ban_file``), rewritten atomically on
every change and read at start-up, so they survive a respawn of the gateway. Times in the file
are wall-clock seconds since the epoch (a restart loses the monotonic clock). Each moderation
action is logged as one line (:func:`log_line`): time (UTC), action, target, operator name,
result; never a secret.
"""

from dataclasses import dataclass
import ipaddress
import json
import math
import os
from pathlib import Path
import re
import tempfile
import time

from kropbot_gateway.errors import ProtocolError

#: Gateway topic an operator publishes moderation commands on (std_msgs/msg/String, JSON);
#: also the ROS topic the gateway subscribes to for commands from the robot's graph.
MODERATION_TOPIC = 'crowd/moderation'
#: Type of :data:`MODERATION_TOPIC` and of the gateway's own per-connection topics.
STRING_TYPE = 'std_msgs/msg/String'
#: The moderation actions, in the order of the module table.
ACTIONS = ('pause', 'resume', 'mode', 'kick', 'ban', 'unban')
#: Modes an operator may set (the vote node's ``mode`` parameter; it validates again).
MODES = ('vote', 'anarchy', 'democracy', 'queue')
#: Longest ban an operator may give (s): a year.
MAX_BAN_DURATION = 365 * 24 * 3600.0
#: Longest moderation command accepted (characters of ``data``).
MAX_TEXT = 1024
#: Name written in the log for commands from the ROS graph that name no operator.
ROS_OPERATOR = 'ros'

_TOKEN_RE = re.compile(r'^[0-9a-f]{8}$')
_NAME_RE = re.compile(r'^[\w .@-]{1,64}$')
_KEYS = {'pause': (), 'resume': (), 'mode': ('mode',), 'kick': ('token',),
         'ban': ('token', 'address', 'duration'), 'unban': ('address',)}


@dataclass(frozen=True)
class Moderation:
    """One parsed moderation command.

    Attributes:
        action: one of :data:`ACTIONS`.
        mode: the mode to set (``mode``), else None.
        token: the target voter token (``kick``, ``ban``), else None.
        address: the target address, canonical (``ban``, ``unban``), else None.
        duration: ban length in s (``ban``; None = the gateway's ``ban_duration``).
        operator: operator name from a ROS message, else None.

    """

    action: str
    mode: str = None
    token: str = None
    address: str = None
    duration: float = None
    operator: str = None

    def target(self):
        """Return the command's target for the log (mode, token or address; '' for none)."""
        return self.mode or self.token or self.address or ''


def canonical_address(address):
    """Return the canonical text of an IP ``address`` (IPv4-mapped IPv6 as IPv4).

    Raises:
        ValueError: if ``address`` is not an IPv4 or IPv6 address.

    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def parse_moderation(data, *, from_ros=False):
    """Parse the ``data`` of a moderation message into a :class:`Moderation`.

    Args:
        data: str, the JSON object (see the module table).
        from_ros: True for the ROS topic: the optional key ``operator`` (a name for the log,
            1-64 letters, digits, spaces or ``.@_-``) is accepted.

    Raises:
        ProtocolError: naming what is wrong (the text is safe to send back and to log).

    """
    if not isinstance(data, str) or len(data) > MAX_TEXT:
        raise ProtocolError(f'moderation: "data" must be a JSON text of at most {MAX_TEXT} '
                            'characters')
    try:
        obj = json.loads(data)
    except ValueError:
        raise ProtocolError('moderation: "data" is not JSON') from None
    if not isinstance(obj, dict):
        raise ProtocolError('moderation: "data" must be a JSON object')
    action = obj.get('action')
    if not isinstance(action, str) or action not in ACTIONS:
        raise ProtocolError(f'moderation: "action" must be one of {", ".join(ACTIONS)}')
    allowed = {'action', *_KEYS[action], *(('operator',) if from_ros else ())}
    unknown = set(obj) - allowed
    if unknown:
        raise ProtocolError(f'moderation: unknown key(s) for {action}: '
                            f'{", ".join(sorted(str(k)[:32] for k in unknown))}')
    operator = obj.get('operator')
    if operator is not None and (not isinstance(operator, str) or not _NAME_RE.match(operator)):
        raise ProtocolError('moderation: "operator" must be a name of 1-64 letters, digits, '
                            'spaces or .@_-')
    fields = {'action': action, 'operator': operator}
    if action == 'mode':
        mode = obj.get('mode')
        if mode not in MODES:
            raise ProtocolError(f'moderation: "mode" must be one of {", ".join(MODES)}')
        fields['mode'] = mode
    if 'token' in obj or action == 'kick':
        token = obj.get('token')
        if not isinstance(token, str) or not _TOKEN_RE.match(token):
            raise ProtocolError('moderation: "token" must be a voter token (8 lower-case hex '
                                'digits, from crowd/status or crowd/connections)')
        fields['token'] = token
    if 'address' in obj or action == 'unban':
        try:
            fields['address'] = canonical_address(obj.get('address'))
        except (TypeError, ValueError):
            raise ProtocolError('moderation: "address" must be an IPv4 or IPv6 address') \
                from None
    if action == 'ban':
        if ('token' in fields) == ('address' in fields):
            raise ProtocolError('moderation: ban needs "token" or "address" (one of them)')
        duration = obj.get('duration')
        if duration is not None:
            if isinstance(duration, bool) or not isinstance(duration, (int, float)) or \
                    not math.isfinite(duration) or not 0 < duration <= MAX_BAN_DURATION:
                raise ProtocolError(f'moderation: "duration" must be a number of seconds in '
                                    f'(0, {MAX_BAN_DURATION:.0f}]')
            fields['duration'] = float(duration)
    return Moderation(**fields)


def log_line(command, operator, result, wall=None):
    """Return the log line of one moderation action (no secret: names and tokens only).

    Args:
        command: the :class:`Moderation`.
        operator: the operator's name (the secret's *name*, or the ROS message's name).
        result: what happened, e.g. ``'closed 1 connection, 203.0.113.5 refused for 60 s'``.
        wall: wall-clock time (s since the epoch; default now).

    """
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() if wall is None
                                                             else wall))
    target = command.target()
    return (f'moderation: {stamp} action={command.action}'
            + (f' target={target}' if target else '')
            + f' operator={operator!r}: {result}')


def default_ban_file(environ=None):
    """Return the default ``ban_file``: ``$XDG_STATE_HOME/kropbot/bans.json``.

    ``XDG_STATE_HOME`` defaults to ``~/.local/state`` (XDG Base Directory Specification).
    """
    environ = os.environ if environ is None else environ
    base = environ.get('XDG_STATE_HOME') or os.path.join(os.path.expanduser('~'), '.local',
                                                          'state')
    return os.path.join(base, 'kropbot', 'bans.json')


@dataclass
class Ban:
    """One refused address.

    Attributes:
        address: canonical IP address.
        until: end of the ban (wall-clock s since the epoch).
        since: when it was given (wall-clock s).
        action: ``'kick'`` or ``'ban'``.
        operator: who gave it (a name).

    """

    address: str
    until: float
    since: float
    action: str
    operator: str

    def to_json(self):
        """Return the ban as a JSON-able dict (the file's and ``crowd/connections``' form)."""
        return {'address': self.address, 'until': self.until, 'since': self.since,
                'action': self.action, 'operator': self.operator}


class BanList:
    """The refused addresses, kept in a JSON file so that they survive a restart.

    Args:
        path: the file (its directory is created, mode 0700; the file is written with mode
            0600, atomically: a temporary file renamed over it), or None: in memory only.
        clock: wall clock (s since the epoch), injectable for tests.

    Attributes:
        warnings: problems met while loading (a missing file is none; an unreadable or
            malformed one is moved aside to ``<path>.corrupt`` and the list starts empty, so
            that a broken file never keeps the gateway from serving).

    """

    VERSION = 1

    def __init__(self, path=None, clock=time.time):
        self.path = Path(path) if path else None
        self.clock = clock
        self.warnings = []
        self._bans = {}
        if self.path is not None:
            self._load()

    def __len__(self):
        """Return the number of stored bans (expired ones not yet dropped included)."""
        return len(self._bans)

    def _load(self):
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return
        except OSError as exc:
            self.warnings.append(f'cannot read the ban file {self.path}: {exc}')
            return
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or doc.get('version') != self.VERSION:
                raise ValueError(f'not a version {self.VERSION} ban file')
            now = self.clock()
            for item in doc['bans']:
                ban = Ban(canonical_address(item['address']), float(item['until']),
                          float(item['since']), str(item['action']), str(item['operator']))
                if ban.until > now:
                    self._bans[ban.address] = ban
        except (ValueError, KeyError, TypeError) as exc:
            aside = self.path.with_name(self.path.name + '.corrupt')
            self.warnings.append(f'ban file {self.path} is malformed ({exc}); moved to {aside}, '
                                 'starting without bans')
            self._bans = {}
            try:
                os.replace(self.path, aside)
            except OSError:
                pass

    def save(self):
        """Write the live bans to the file (atomically). Raises OSError if it cannot."""
        if self.path is None:
            return
        now = self.clock()
        doc = {'version': self.VERSION,
               'bans': [b.to_json() for b in self._bans.values() if b.until > now]}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix='.bans-', suffix='.json')
        try:
            with os.fdopen(fd, 'w') as f:
                json.dump(doc, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def add(self, address, duration, action, operator):
        """Refuse ``address`` for ``duration`` s from now; return the :class:`Ban`.

        A longer existing ban of the same address is kept (a kick never shortens a ban).
        Call :meth:`save` afterwards.
        """
        now = self.clock()
        address = canonical_address(address)
        ban = Ban(address, now + float(duration), now, action, operator)
        old = self.banned(address)
        if old is not None and old.until >= ban.until:
            return old
        self._bans[address] = ban
        return ban

    def remove(self, address):
        """Lift the ban of ``address``; return True if there was a live one (then save)."""
        ban = self._bans.pop(canonical_address(address), None)
        return ban is not None and ban.until > self.clock()

    def banned(self, address):
        """Return the live :class:`Ban` of ``address`` (canonical), or None. O(1)."""
        ban = self._bans.get(address)
        if ban is None:
            return None
        if ban.until <= self.clock():
            del self._bans[address]
            return None
        return ban

    def active(self):
        """Return the live bans, soonest end first."""
        now = self.clock()
        for address in [a for a, b in self._bans.items() if b.until <= now]:
            del self._bans[address]
        return sorted(self._bans.values(), key=lambda b: b.until)
