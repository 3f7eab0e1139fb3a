"""Zenoh configurations of the relay tier: robot and gateway clients, the router and its ACL.

ROS-free. Builders return a flat dict ``{'path/of/key': value}`` (keys of Zenoh's
``DEFAULT_CONFIG.json5``, zenoh 1.x); :func:`to_zenoh` turns it into a ``zenoh.Config`` and
:func:`nested` into the JSON document ``zenohd -c`` reads (``kropbot-router --print-config``).

Security model (docs/DEPLOY.md): the router authenticates every session by user/password
(``transport/auth/usrpwd``; optionally TLS, with client certificates for mutual TLS) and its
access control denies everything except a narrow allow-list:

- the robot's users may put the camera and status keys, declare the robot's liveliness token
  and subscribe to vote batches;
- the gateways' users may put vote batches, declare gateway liveliness tokens and subscribe to
  the camera and status keys;
- both may watch the liveliness tokens.

Nobody else can even open a session (no or wrong credentials: the handshake fails).
"""

import json

from kropbot_gateway import keys

DEFAULT_PORT = 7447
#: Link lease (ms): a silent peer is declared gone after this (keep-alives every lease/4).
LEASE_MS = 3000
#: Reconnection to the router: first retry after 250 ms, then at most every second.
RETRY = {'period_init_ms': 250, 'period_max_ms': 1000, 'period_increase_factor': 2}


def _common(mode):
    # No shared memory: Zenoh would move payloads over 3 KB (camera frames) through it between
    # processes of one host, bypassing the network path; the relay tier is a network link, and
    # tests and benchmarks on one machine must measure that path.
    return {'mode': mode, 'scouting/multicast/enabled': False,
            'transport/link/tx/lease': LEASE_MS, 'transport/shared_memory/enabled': False}


def client_config(endpoints, credentials, tls_ca=None, tls_cert=None, tls_key=None):
    """Return the config of a robot or gateway session (client mode, connects outbound).

    Args:
        endpoints: Zenoh locators of the router(s), e.g. ``['tcp/relay.example:7447']``;
            ``tls/`` locators need ``tls_ca``.
        credentials: ``(user, password)``.
        tls_ca: CA certificate file that signed the router's certificate (TLS), or None.
        tls_cert: client certificate file (mutual TLS), or None.
        tls_key: its private key file, or None.

    The session retries the connection forever (``connect/timeout_ms`` -1), so it may start
    before the router and reconnects after an outage.

    Raises:
        ValueError: if no endpoint is given or only one of ``tls_cert``/``tls_key`` is.

    """
    endpoints = [e for e in endpoints if e]
    if not endpoints:
        raise ValueError('no Zenoh endpoint to connect to (e.g. tcp/127.0.0.1:7447)')
    if bool(tls_cert) != bool(tls_key):
        raise ValueError('a TLS client certificate needs its key (and the key its certificate)')
    user, password = credentials
    cfg = _common('client')
    cfg.update({'connect/endpoints': endpoints, 'connect/timeout_ms': -1,
                'connect/retry': RETRY,
                'transport/auth/usrpwd/user': user, 'transport/auth/usrpwd/password': password})
    if tls_ca:
        cfg['transport/link/tls/root_ca_certificate'] = str(tls_ca)
    if tls_cert:
        cfg['transport/link/tls/connect_certificate'] = str(tls_cert)
        cfg['transport/link/tls/connect_private_key'] = str(tls_key)
    return cfg


def acl_config(robot_users, gateway_users, robot_cns=(), gateway_cns=()):
    """Return the router's ``access_control`` section (default deny, the allow-list above).

    Args:
        robot_users: user names (usrpwd) of robots.
        gateway_users: user names of relay gateways.
        robot_cns: TLS certificate common names of robots (mutual TLS), optional.
        gateway_cns: TLS certificate common names of gateways, optional.

    Raises:
        ValueError: if a role has neither users nor common names, or one name has both roles.

    """
    if not (robot_users or robot_cns) or not (gateway_users or gateway_cns):
        raise ValueError('the ACL needs at least one robot and one gateway identity')
    both = (set(robot_users) & set(gateway_users)) | (set(robot_cns) & set(gateway_cns))
    if both:
        raise ValueError(f'identities cannot be both robot and gateway: {sorted(both)}')

    def rule(rule_id, messages, flow, exprs):
        return {'id': rule_id, 'messages': messages, 'flows': [flow], 'permission': 'allow',
                'key_exprs': exprs}

    media = [keys.CAMERA_ANY, keys.STATUS_ANY]
    rules = [
        rule('robot-in-put', ['put'], 'ingress', media),
        rule('robot-in-sub', ['declare_subscriber'], 'ingress', [keys.VOTES_ANY]),
        rule('robot-in-token', ['liveliness_token'], 'ingress', [keys.ALIVE_ROBOT_ANY]),
        rule('robot-out-put', ['put'], 'egress', [keys.VOTES_ANY]),
        rule('robot-out-sub', ['declare_subscriber'], 'egress', media),
        rule('gateway-in-put', ['put'], 'ingress', [keys.VOTES_ANY]),
        rule('gateway-in-sub', ['declare_subscriber'], 'ingress', media),
        rule('gateway-in-token', ['liveliness_token'], 'ingress', [keys.ALIVE_GATEWAY_ANY]),
        rule('gateway-out-put', ['put'], 'egress', media),
        rule('gateway-out-sub', ['declare_subscriber'], 'egress', [keys.VOTES_ANY]),
        rule('alive-in', ['declare_liveliness_subscriber', 'liveliness_query'], 'ingress',
             [keys.ALIVE_ANY]),
        rule('alive-out', ['liveliness_token', 'reply'], 'egress', [keys.ALIVE_ANY]),
    ]
    subjects, robot_ids, gateway_ids = [], [], []
    for role, users, cns, ids in (('robot', robot_users, robot_cns, robot_ids),
                                  ('gateway', gateway_users, gateway_cns, gateway_ids)):
        if users:
            subjects.append({'id': f'{role}-users', 'usernames': list(users)})
            ids.append(f'{role}-users')
        if cns:
            subjects.append({'id': f'{role}-certs', 'cert_common_names': list(cns)})
            ids.append(f'{role}-certs')
    policies = [
        {'id': 'robots', 'subjects': robot_ids,
         'rules': [r['id'] for r in rules if r['id'].startswith(('robot-', 'alive-'))]},
        {'id': 'gateways', 'subjects': gateway_ids,
         'rules': [r['id'] for r in rules if r['id'].startswith(('gateway-', 'alive-'))]},
    ]
    return {'enabled': True, 'default_permission': 'deny', 'rules': rules,
            'subjects': subjects, 'policies': policies}


def router_config(listen, users_file, robot_users, gateway_users, *, tls_cert=None,
                  tls_key=None, tls_client_ca=None, robot_cns=(), gateway_cns=()):
    """Return the router's config: listen, authenticate, enforce :func:`acl_config`.

    Args:
        listen: locators to listen on, e.g. ``['tcp/0.0.0.0:7447']`` or ``['tls/...']``.
        users_file: the usrpwd dictionary file (``user:password`` lines).
        robot_users: users with the robot's rights.
        gateway_users: users with the gateways' rights.
        tls_cert: the router's TLS certificate file (for ``tls/`` locators), or None.
        tls_key: its private key file, or None.
        tls_client_ca: CA that signed client certificates: enables mutual TLS, or None.
        robot_cns: certificate common names with the robot's rights (mutual TLS).
        gateway_cns: certificate common names with the gateways' rights (mutual TLS).

    Raises:
        ValueError: on an empty listen list, half a TLS pair, or :func:`acl_config` errors.

    """
    listen = [e for e in listen if e]
    if not listen:
        raise ValueError('no endpoint to listen on (e.g. tcp/0.0.0.0:7447)')
    if bool(tls_cert) != bool(tls_key):
        raise ValueError('the router TLS certificate needs its key (and the key its certificate)')
    if any(e.startswith('tls/') for e in listen) and not tls_cert:
        raise ValueError('a tls/ endpoint needs --tls-cert and --tls-key')
    cfg = _common('router')
    cfg.update({'listen/endpoints': listen, 'scouting/gossip/enabled': False,
                'transport/auth/usrpwd/dictionary_file': str(users_file),
                'access_control': acl_config(robot_users, gateway_users, robot_cns,
                                             gateway_cns)})
    if tls_cert:
        cfg['transport/link/tls/listen_certificate'] = str(tls_cert)
        cfg['transport/link/tls/listen_private_key'] = str(tls_key)
    if tls_client_ca:
        cfg['transport/link/tls/root_ca_certificate'] = str(tls_client_ca)
        cfg['transport/link/tls/enable_mtls'] = True
    return cfg


#: What to install for Zenoh on a machine without it (the package's ``relay`` extra).
RELAY_EXTRA = ("install the package's relay extra (eclipse-zenoh): "
               "pip install 'src/kropbot_gateway[relay]' in a checkout")


def require_zenoh():
    """Import and return the ``zenoh`` module (the relay commands' one optional dependency).

    The gateway core imports Zenoh only where a session is opened, so the package works without
    it; ``kropbot-gateway`` and ``kropbot-router`` call this first.

    Raises:
        RuntimeError: Zenoh is not installed (the message says what to install).

    """
    try:
        import zenoh
    except ImportError:
        raise RuntimeError(f'Zenoh is not installed: {RELAY_EXTRA}') from None
    return zenoh


def to_zenoh(cfg):
    """Return a ``zenoh.Config`` with every entry of the flat dict ``cfg`` inserted.

    Raises:
        zenoh.ZError: if Zenoh rejects a key or value (names it).

    """
    import zenoh

    config = zenoh.Config()
    for path, value in cfg.items():
        config.insert_json5(path, json.dumps(value))
    return config


def nested(cfg):
    """Return the flat dict ``cfg`` as the nested document of a Zenoh config file."""
    out = {}
    for path, value in cfg.items():
        node = out
        *parents, leaf = path.split('/')
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def redacted(cfg):
    """Return ``cfg`` with every password replaced by ``'***'`` (for printing or logging)."""
    return {k: ('***' if k.endswith('/password') else v) for k, v in cfg.items()}
