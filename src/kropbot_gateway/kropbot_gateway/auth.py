"""rosauth-compatible MAC authentication for the rosbridge v2 ``auth`` op (ROS-free).

Clock injected; used by the gateway (verifier) and by clients such as kropbot_remote (op).

The rules are those of GT-RAIL/rosauth, ``src/ros_mac_authentication.cpp`` (read at commit
36c607ada811805a27812f30a77e86d64578ce5b; not copied), which rosbridge_server called for every
``auth`` op and which roslibjs ``Ros.authenticate()`` / roslibpy ``Ros.authenticate()`` target:

* the MAC is the lower-case hex SHA-512 digest of the concatenation
  ``secret + client + dest + rand + str(t.sec) + level + str(end.sec)`` — ``t`` and ``end`` as
  integer seconds in decimal (rosbridge turned the op's numbers into ``rospy.Time`` and rosauth
  hashes only their ``sec`` part);
* the time check passes when ``|t - now| < allowed_time_delta`` (rosauth's default 5 s; clocks
  may be skewed either way) **and** ``end > now``; only then is the MAC compared;
* the secret file is one line holding the secret (rosauth insists on exactly 16 characters).

What KropBot adds (documented in the package README): a reused ``rand`` inside the window is
refused (rosauth had no replay protection), the MAC is compared in constant time
(:func:`hmac.compare_digest`; rosauth used ``strcmp``), a time check cannot be disabled (rosauth
disables it with a negative delta), secrets must have at least 16 characters, and a secrets
file may name several operators (``name: secret`` lines). No exception text, reason or
``repr`` here ever contains a secret or a MAC.
"""

from dataclasses import dataclass, field
import hashlib
import heapq
import hmac
import math
import re
import secrets as _secrets
import time

#: rosauth's ``allowed_time_delta`` default (s): how far ``t`` may be from the server's clock.
DEFAULT_WINDOW = 5.0
#: rosauth's ``SECRET_LENGTH``; KropBot accepts longer secrets too (characters).
MIN_SECRET_LENGTH = 16
#: Name given to the secret of a one-line (rosauth) secrets file.
DEFAULT_OPERATOR = 'operator'
#: Longest accepted text field of an ``auth`` op (characters); a MAC is 128.
MAX_FIELD_LENGTH = 256
#: Fields of the rosbridge v2 ``auth`` op, in rosauth's hashing order (``mac`` apart).
FIELDS = ('client', 'dest', 'rand', 't', 'level', 'end')

_NAMED_LINE = re.compile(r'\s*([A-Za-z0-9_.@-]{1,64})\s*:\s+(\S.*?)\s*')


class SecretsError(ValueError):
    """A secrets (or token) file that cannot be used. The text never contains a secret."""


def parse_secrets(text):
    """Parse a secrets file's ``text`` into ``{operator name: secret}``.

    Two formats:

    * rosauth's: the file's only non-blank line is the secret (kept exactly, spaces included;
      a trailing carriage return is dropped). Its operator is named :data:`DEFAULT_OPERATOR`.
    * KropBot's extension: one ``name: secret`` line per operator (``name`` is 1-64 of
      ``A-Z a-z 0-9 _ . @ -``, then a colon and at least one space; surrounding spaces of the
      secret are dropped); blank lines and lines starting with ``#`` are ignored. A file is
      read in this format when it has several non-blank lines or its single line has this shape.

    Raises:
        SecretsError: no secret, a malformed line (by line number), a duplicate name, or a
            secret shorter than :data:`MIN_SECRET_LENGTH` (by name). Secrets are never quoted.

    """
    lines = [ln[:-1] if ln.endswith('\r') else ln for ln in text.split('\n')]
    content = [ln for ln in lines if ln.strip()]
    if not content:
        raise SecretsError('the secrets file holds no secret')
    if len(content) == 1 and not _NAMED_LINE.fullmatch(content[0]):
        out = {DEFAULT_OPERATOR: content[0]}
    else:
        out = {}
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            match = _NAMED_LINE.fullmatch(line)
            if match is None:
                raise SecretsError(f'line {number}: expected "name: secret"')
            name, secret = match.groups()
            if name in out:
                raise SecretsError(f'line {number}: operator {name!r} is listed twice')
            out[name] = secret
        if not out:
            raise SecretsError('the secrets file holds no secret')
    for name, secret in out.items():
        if len(secret) < MIN_SECRET_LENGTH:
            raise SecretsError(f'the secret of {name!r} has {len(secret)} characters; at least '
                               f'{MIN_SECRET_LENGTH} are needed')
    return out


def load_secrets(path):
    """Read and parse the secrets file at ``path`` (see :func:`parse_secrets`).

    Raises:
        SecretsError: if the file cannot be read (the OS reason is given) or is invalid.

    """
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else 'not UTF-8 text'
        raise SecretsError(f'cannot read secrets file {str(path)!r}: {reason}') from None
    return parse_secrets(text)


def load_token(path):
    """Return the one secret in a client's token file ``path`` (either format, one entry).

    Raises:
        SecretsError: unreadable, invalid, or more than one secret in the file.

    """
    found = load_secrets(path)
    if len(found) != 1:
        raise SecretsError(f'token file {str(path)!r} holds {len(found)} secrets; a client '
                           'needs exactly one')
    return next(iter(found.values()))


def time_seconds(value):
    """Return a rosbridge time ``value`` as float seconds.

    Accepted: a number of seconds (what rosbridge's ``rospy.Time(msg['t'])`` took), or an
    object ``{"sec", "nanosec"}`` (ROS 2) / ``{"secs", "nsecs"}`` (ROS 1) of integers.

    Raises:
        ValueError: on anything else, a non-finite or negative time.

    """
    if isinstance(value, dict):
        sec = value.get('sec', value.get('secs'))
        nsec = value.get('nanosec', value.get('nsecs', 0))
        if (set(value) - {'sec', 'secs', 'nanosec', 'nsecs'} or len(value) > 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in (sec, nsec))
                or not 0 <= nsec < 1_000_000_000):
            raise ValueError('must be a number of seconds or {"sec", "nanosec"} integers')
        value = sec + nsec * 1e-9
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError('must be a number of seconds or {"sec", "nanosec"} integers')
    try:
        value = float(value)
    except OverflowError:
        raise ValueError('is out of range') from None
    if not math.isfinite(value) or value < 0 or value >= 2**63:
        raise ValueError('is out of range')
    return value


def mac(secret, client, dest, rand, t, level, end):
    """Return rosauth's MAC: hex SHA-512 of ``secret client dest rand t level end``.

    Args:
        secret: the shared secret (str; all strings are UTF-8 encoded for hashing).
        client: the op's ``client`` (str).
        dest: the op's ``dest`` (str).
        rand: the op's nonce (str).
        t: request time, s since the epoch; only the integer part (``floor``) is hashed, in
            decimal, as rosauth hashes ``Time.sec``.
        level: the op's user level (str).
        end: session end, s since the epoch; hashed like ``t``.

    Returns:
        128 lower-case hex characters.

    """
    text = (f'{secret}{client}{dest}{rand}{math.floor(t)}{level}{math.floor(end)}')
    return hashlib.sha512(text.encode('utf-8')).hexdigest()


def auth_op(secret, client, dest, level='admin', now=None, lifetime=3600.0, rand=None):
    """Build the rosbridge v2 ``auth`` op a client sends (what roslibjs ``authenticate`` sends).

    Args:
        secret: the shared secret (str).
        client: free string bound into the MAC (rosauth: the client's address; the KropBot
            gateway does not compare it with the connection).
        dest: free string bound into the MAC (rosauth: the server's address).
        level: user level string bound into the MAC (rosauth: e.g. ``'admin'``).
        now: the current time (s since the epoch); default :func:`time.time`.
        lifetime: session length (s); ``end = now + lifetime``.
        rand: the nonce; default 32 random hex digits (:func:`secrets.token_hex`).

    Returns:
        ``{'op': 'auth', 'mac', 'client', 'dest', 'rand', 't', 'level', 'end'}`` with ``t`` and
        ``end`` as integer seconds.

    """
    now = time.time() if now is None else now
    t = math.floor(now)
    end = math.floor(now + lifetime)
    rand = _secrets.token_hex(16) if rand is None else rand
    return {'op': 'auth', 'mac': mac(secret, client, dest, rand, t, level, end),
            'client': client, 'dest': dest, 'rand': rand, 't': t, 'level': level, 'end': end}


@dataclass(frozen=True)
class AuthResult:
    """Outcome of one ``auth`` op.

    Attributes:
        ok: True if authenticated.
        operator: the matching secret's name (None on failure).
        level: the op's ``level`` (None on failure).
        end: session end (s since the epoch; None on failure): the role must lapse then.
        reason: why it failed ('' on success); safe to log (no secret, no MAC).

    """

    ok: bool
    operator: str = None
    level: str = None
    end: float = None
    reason: str = ''


@dataclass
class Verifier:
    """Check ``auth`` ops against named secrets with rosauth's rules plus replay protection.

    Args:
        secrets: ``{operator name: secret}`` (e.g. from :func:`load_secrets`); must not be empty.
        window: allowed ``|t - now|`` (s), > 0 (rosauth's ``allowed_time_delta``).
        clock: returns the current time in s since the epoch (injected; default time.time).
        max_replay: most ``rand`` values remembered at once; when full (after forgetting those
            whose ``t`` left the window) further ops are refused until entries expire
            (fail closed).

    Raises:
        ValueError: no secrets, or ``window``/``max_replay`` not positive.

    """

    secrets: dict
    window: float = DEFAULT_WINDOW
    clock: object = time.time
    max_replay: int = 10000
    _seen: dict = field(default_factory=dict, init=False, repr=False)
    _expiry: list = field(default_factory=list, init=False, repr=False)

    def __post_init__(self):
        if not self.secrets:
            raise ValueError('a Verifier needs at least one secret')
        if not self.window > 0 or not self.max_replay > 0:
            raise ValueError('window and max_replay must be positive')
        self.secrets = dict(self.secrets)

    def __repr__(self):
        """Name the operators, never their secrets."""
        return f'Verifier(operators={sorted(self.secrets)}, window={self.window})'

    def _forget(self, now):
        while self._expiry and self._expiry[0][0] <= now:
            _, rand = heapq.heappop(self._expiry)
            self._seen.pop(rand, None)

    def verify(self, request):
        """Check one ``auth`` op dict (the decoded JSON); return an :class:`AuthResult`.

        Order (rosauth's, then KropBot's): field types, time window and ``end > now``, the MAC
        against every secret (all compared, in constant time each), then the ``rand`` replay
        cache (only successful ``rand`` values are remembered, until their ``t`` leaves the
        window). Never raises on bad input.
        """
        if not isinstance(request, dict):
            return _refused('malformed auth op: not an object')
        for key in ('mac', 'client', 'dest', 'rand', 'level'):
            value = request.get(key)
            if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
                return _refused(f'malformed auth op: "{key}" must be a string of at most '
                                      f'{MAX_FIELD_LENGTH} characters')
        if not request['rand']:
            return _refused('malformed auth op: "rand" is empty')
        times = {}
        for key in ('t', 'end'):
            try:
                times[key] = time_seconds(request.get(key))
            except ValueError as exc:
                return _refused(f'malformed auth op: "{key}" {exc}')
        now = self.clock()
        if not abs(times['t'] - now) < self.window:
            return _refused(f'"t" is not within {self.window:g} s of the server clock')
        if not times['end'] > now:
            return _refused('"end" is in the past')
        given = request['mac'].encode('utf-8', 'replace')
        matched = None
        for name, secret in self.secrets.items():
            expected = mac(secret, request['client'], request['dest'], request['rand'],
                           times['t'], request['level'], times['end']).encode('ascii')
            if hmac.compare_digest(expected, given) and matched is None:
                matched = name
        if matched is None:
            return _refused('wrong MAC')
        self._forget(now)
        rand = request['rand']
        if rand in self._seen:
            return _refused('reused "rand"')
        if len(self._seen) >= self.max_replay:
            return _refused('too many authentications in the time window; try later')
        expiry = times['t'] + self.window
        self._seen[rand] = expiry
        heapq.heappush(self._expiry, (expiry, rand))
        return AuthResult(True, operator=matched, level=request['level'], end=times['end'])


def _refused(reason):
    return AuthResult(False, reason=reason)
