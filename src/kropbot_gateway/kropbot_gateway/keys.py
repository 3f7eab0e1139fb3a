"""The relay tier's Zenoh key space: every key lives under ``kropbot/<robot>/`` (ROS-free).

One router can carry several robots; each robot's traffic stays under its own prefix, and the
router's access control (:mod:`kropbot_gateway.relay_config`) is written against the same
patterns with ``*`` in place of the robot name.

=================================== ============ ===========================================
key                                 written by   payload (:mod:`kropbot_gateway.relay_wire`)
=================================== ============ ===========================================
``kropbot/<robot>/camera``          robot        one camera frame (JPEG + stamp/format), once
``kropbot/<robot>/status``          robot        ``crowd/status`` JSON text (UTF-8)
``kropbot/<robot>/votes/<gateway>`` gateway      a vote batch of that gateway (CBOR)
``kropbot/<robot>/alive/robot``     robot        liveliness token: the robot's link is up
``kropbot/<robot>/alive/gateway/<gateway>`` gw   liveliness token: that gateway is up
=================================== ============ ===========================================

Robot and gateway names are single key chunks: 1-64 characters of ``[A-Za-z0-9_-]`` (no ``/``,
no Zenoh wildcards ``*``/``$``, no ``@``, which starts Zenoh's admin space).
"""

from dataclasses import dataclass
import re

PREFIX = 'kropbot'
_NAME = re.compile(r'[A-Za-z0-9_-]{1,64}')

# Patterns for access control, any robot: who may put what (see relay_config.acl_config).
CAMERA_ANY = f'{PREFIX}/*/camera'
STATUS_ANY = f'{PREFIX}/*/status'
VOTES_ANY = f'{PREFIX}/*/votes/*'
ALIVE_ROBOT_ANY = f'{PREFIX}/*/alive/robot'
ALIVE_GATEWAY_ANY = f'{PREFIX}/*/alive/gateway/*'
ALIVE_ANY = f'{PREFIX}/*/alive/**'


def check_name(kind, name):
    """Return ``name`` if it is a valid robot or gateway name (one key chunk).

    Raises:
        ValueError: naming ``kind`` (e.g. ``'robot'``) and the rule.

    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f'{kind} name {name!r} must be 1-64 characters of A-Z a-z 0-9 _ -')
    return name


@dataclass(frozen=True)
class KeySpace:
    """The keys of one robot. ``robot`` is checked with :func:`check_name`.

    Raises:
        ValueError: on an invalid robot name.

    """

    robot: str

    def __post_init__(self):
        """Validate the robot name."""
        check_name('robot', self.robot)

    @property
    def base(self):
        """``kropbot/<robot>``."""
        return f'{PREFIX}/{self.robot}'

    @property
    def camera(self):
        """Key of the camera frames (robot puts, gateways subscribe)."""
        return f'{self.base}/camera'

    @property
    def status(self):
        """Key of ``crowd/status`` (robot puts, gateways subscribe)."""
        return f'{self.base}/status'

    def votes(self, gateway):
        """Key of ``gateway``'s vote batches (that gateway puts, the robot subscribes)."""
        return f'{self.base}/votes/{check_name("gateway", gateway)}'

    @property
    def votes_all(self):
        """Pattern of every gateway's vote batches (the robot's subscription)."""
        return f'{self.base}/votes/*'

    @property
    def alive_robot(self):
        """Liveliness token key of the robot's link."""
        return f'{self.base}/alive/robot'

    def alive_gateway(self, gateway):
        """Liveliness token key of ``gateway``."""
        return f'{self.base}/alive/gateway/{check_name("gateway", gateway)}'

    @property
    def alive_gateways(self):
        """Pattern of every gateway's liveliness token (the robot's liveliness subscription)."""
        return f'{self.base}/alive/gateway/*'

    def last_chunk(self, key, parent):
        """Return the last chunk of ``key`` if it is ``<base>/<parent>/<name>``, else None.

        ``parent`` is ``'votes'`` or ``'alive/gateway'``: gives the gateway name of a vote batch
        or of a liveliness token.
        """
        head = f'{self.base}/{parent}/'
        key = str(key)
        if not key.startswith(head):
            return None
        name = key[len(head):]
        return name if _NAME.fullmatch(name) else None
