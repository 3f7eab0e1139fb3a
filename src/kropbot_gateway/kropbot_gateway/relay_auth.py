"""Credentials of the relay tier: files named by options, or demo ones made on first use.

ROS-free. Zenoh user/password authentication (``transport/auth/usrpwd``) reads, on the router,
a *dictionary file* of ``user:password`` lines, and on each client one ``user`` and
``password``. KropBot keeps each client's pair in a *credentials file* of one ``user:password``
line (mode 0600), so no secret is ever on a command line (visible in ``ps``) or in a log.

With no credentials given, the three relay commands use demo credentials made on first use in
:func:`default_relay_dir` (``<checkout>/.kropbot/relay/``, gitignored): ``users`` (the router's
dictionary: users ``robot`` and ``gateway``), ``robot.cred`` and ``gateway.cred``, with random
passwords. So ``kropbot-router``, ``kropbot-gateway`` and the robot's ``relay_link`` work on one
machine with nothing to set up; production uses files of its own (docs/DEPLOY.md).
"""

from dataclasses import dataclass
import fcntl
import os
from pathlib import Path
import secrets

ROBOT_USER = 'robot'
GATEWAY_USER = 'gateway'
ENV_DIR = 'KROPBOT_RELAY_DIR'
_MARKER = Path('src') / 'kropbot_gateway' / 'package.xml'


class CredentialsError(ValueError):
    """A credentials file is missing or malformed (the message never contains a password)."""


@dataclass(frozen=True)
class DemoCredentials:
    """Paths of the demo credential files in one folder."""

    folder: Path

    @property
    def users(self):
        """The router's user/password dictionary."""
        return self.folder / 'users'

    @property
    def robot(self):
        """The robot link's credentials file."""
        return self.folder / 'robot.cred'

    @property
    def gateway(self):
        """The relay gateways' credentials file."""
        return self.folder / 'gateway.cred'


def find_checkout(start):
    """Return the KropBot checkout containing ``start`` (a path), or None.

    A checkout is a directory holding ``src/kropbot_gateway/package.xml``.
    """
    path = Path(start).resolve()
    for folder in (path, *path.parents):
        if (folder / _MARKER).is_file():
            return folder
    return None


def default_relay_dir():
    """Return the folder of the demo credentials.

    ``$KROPBOT_RELAY_DIR`` if set; else ``.kropbot/relay`` in the checkout around the current
    directory or around this module (a source or ``--symlink-install`` build); else
    ``~/.kropbot/relay``.
    """
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    root = find_checkout(Path.cwd()) or find_checkout(Path(__file__))
    base = root if root is not None else Path.home()
    return base / '.kropbot' / 'relay'


def ensure_demo_credentials(folder=None):
    """Create the demo credentials in ``folder`` unless they exist; return their paths.

    Safe when several processes start at once (an exclusive ``flock`` on ``folder/.lock``);
    files are written with mode 0600 in a 0700 folder. Existing files are never changed.

    Raises:
        OSError: if the folder cannot be created or written.

    """
    demo = DemoCredentials(Path(folder) if folder else default_relay_dir())
    demo.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(demo.folder / '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not demo.users.exists():
            pairs = {ROBOT_USER: secrets.token_urlsafe(18),
                     GATEWAY_USER: secrets.token_urlsafe(18)}
            _write_secret(demo.robot, f'{ROBOT_USER}:{pairs[ROBOT_USER]}\n')
            _write_secret(demo.gateway, f'{GATEWAY_USER}:{pairs[GATEWAY_USER]}\n')
            _write_secret(demo.users, ''.join(f'{u}:{p}\n' for u, p in pairs.items()))
    return demo


def _write_secret(path, text):
    tmp = path.with_name(path.name + '.tmp')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def read_credentials(path):
    """Return ``(user, password)`` from a credentials file of one ``user:password`` line.

    Raises:
        CredentialsError: if the file cannot be read or is not one non-empty ``user:password``
            line (the message names the file, never its content).

    """
    try:
        lines = [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f'cannot read credentials file {path}: '
                               f'{type(exc).__name__}') from None
    if len(lines) != 1 or ':' not in lines[0]:
        raise CredentialsError(f'credentials file {path} must hold one line user:password')
    user, password = (part.strip() for part in lines[0].split(':', 1))
    if not user or not password:
        raise CredentialsError(f'credentials file {path}: empty user or password')
    return user, password


def read_users(path):
    """Return the user names of a router dictionary file (``user:password`` lines).

    Raises:
        CredentialsError: if it cannot be read, has a malformed line or no user.

    """
    try:
        lines = [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f'cannot read users file {path}: {type(exc).__name__}') from None
    users = []
    for number, line in enumerate(lines, 1):
        user, sep, password = line.partition(':')
        if not sep or not user.strip() or not password.strip():
            raise CredentialsError(f'users file {path} line {number}: expected user:password')
        users.append(user.strip())
    if not users:
        raise CredentialsError(f'users file {path} has no user')
    return users
