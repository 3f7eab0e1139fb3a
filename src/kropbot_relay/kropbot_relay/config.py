"""Parameters of the ``relay_link`` node (ROS-free schema, :mod:`kropbot_common.params`)."""

from kropbot_common.params import Param

PARAMETERS = (
    Param('connect', ['tcp/127.0.0.1:7447'],
          'Zenoh router locators to connect to, outbound (tcp/HOST:7447, tls/HOST:7447)'),
    Param('robot', 'kropbot', 'robot name: the key prefix kropbot/<robot>/ (1-64 of A-Z a-z '
          '0-9 _ -)'),
    Param('credentials', '', "file with one line 'user:password'; '' = the demo robot "
          'credentials in .kropbot/relay/ of the checkout'),
    Param('tls_ca', '', "CA certificate of the router's TLS certificate ('' = none)"),
    Param('tls_cert', '', "client TLS certificate for mutual TLS ('' = none)"),
    Param('tls_key', '', "private key of tls_cert ('' = none)"),
    Param('gateway_timeout', 0.3, 'a relay gateway with no batch (heartbeats every 0.1 s) for '
          'this long is down: its voters are withdrawn', 's', 0.05, 10.0),
    Param('max_delay', 0.25, 'a vote batch delayed more than this beyond the smallest delay '
          'seen from its gateway is dropped (stale)', 's', 0.01, 10.0),
    Param('withdraw', True, 'publish withdrawals (crowd/vote_batch withdraw list) when voters '
          'leave; false '
          "= rely on the vote node's vote_timeout only"),
)
