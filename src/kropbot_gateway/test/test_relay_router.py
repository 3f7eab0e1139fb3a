"""``kropbot-router`` as a real process: user/password authentication and access control.

Real Zenoh sessions (the Python package) on loopback: only the robot's user may put the camera
and status, only gateways may put votes; a session with no or wrong credentials cannot even
open, so it can neither publish votes nor read the stream.
"""

import os
from pathlib import Path
import subprocess
import time

from kropbot_gateway.keys import KeySpace
from kropbot_testing.processes import INSTALL, free_port, wait_for
import pytest

from kropbot_gateway import relay_auth, relay_config

zenoh = pytest.importorskip('zenoh')
ROUTER = INSTALL / 'kropbot_gateway' / 'lib' / 'kropbot_gateway' / 'kropbot-router'
KS = KeySpace('r1')


@pytest.fixture
def router(tmp_path):
    if not ROUTER.exists():
        pytest.fail(f'{ROUTER} not built: run tools/setup.sh')
    port = free_port()
    env = dict(os.environ, KROPBOT_RELAY_DIR=str(tmp_path / 'relay'))
    log = open(tmp_path / 'router.log', 'wb')
    proc = subprocess.Popen([str(ROUTER), '--listen', f'tcp/127.0.0.1:{port}'], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    text = Path(tmp_path / 'router.log')
    wait_for(lambda: 'listening on' in text.read_text() or proc.poll() is not None, 20,
             message='router start')
    assert proc.poll() is None, text.read_text()
    demo = relay_auth.DemoCredentials(tmp_path / 'relay')
    yield port, demo
    proc.terminate()
    assert proc.wait(10) == 0
    log.close()
    out = text.read_text()
    print(out)
    for path in (demo.robot, demo.gateway):  # no secret in the log
        assert relay_auth.read_credentials(path)[1] not in out


def session(port, credentials, timeout_ms=-1):
    cfg = relay_config.client_config([f'tcp/127.0.0.1:{port}'], credentials)
    cfg['connect/timeout_ms'] = timeout_ms
    return zenoh.open(relay_config.to_zenoh(cfg))


def test_acl_lets_each_role_put_only_its_keys(router):
    port, demo = router
    robot = session(port, relay_auth.read_credentials(demo.robot))
    robot2 = session(port, relay_auth.read_credentials(demo.robot))
    gateway = session(port, relay_auth.read_credentials(demo.gateway))
    gateway2 = session(port, relay_auth.read_credentials(demo.gateway))
    got = {'robot': [], 'gateway': []}
    robot.declare_subscriber(KS.votes_all, lambda s: got['robot'].append(bytes(
        s.payload.to_bytes())))
    for key in (KS.camera, KS.status):
        gateway.declare_subscriber(key, lambda s: got['gateway'].append(
            (str(s.key_expr), bytes(s.payload.to_bytes()))))
    spy = []  # a gateway may not read the other gateways' votes, nor anything by wildcard
    spy_session = session(port, relay_auth.read_credentials(demo.gateway))
    for key in (KS.votes_all, f'{KS.base}/**'):
        spy_session.declare_subscriber(key, lambda s: spy.append(str(s.key_expr)))
    time.sleep(0.5)  # declarations propagate
    try:
        wait_for(lambda: (gateway2.put(KS.votes('gw2'), b'vote'), got['robot'])[1], 10,
                 period=0.1, message='a gateway vote reaching the robot')
        wait_for(lambda: (robot2.put(KS.camera, b'frame'), got['gateway'])[1], 10,
                 period=0.1, message='a robot frame reaching the gateway')
        time.sleep(0.3)  # let the probes in flight arrive
        got['robot'].clear()
        got['gateway'].clear()
        for _ in range(5):
            robot2.put(KS.votes('gw2'), b'forged vote')  # robots may not vote
            gateway2.put(KS.camera, b'forged frame')  # gateways may not send camera/status
            gateway2.put(KS.status, b'forged status')
            time.sleep(0.05)
            gateway2.put(KS.votes('gw2'), b'vote')
            robot2.put(KS.status, b'{}')
        time.sleep(0.5)
        assert set(got['robot']) == {b'vote'}
        assert set(got['gateway']) == {(KS.status, b'{}')}
        assert spy == []
    finally:
        for s in (robot, robot2, gateway, gateway2, spy_session):
            s.close()


@pytest.mark.parametrize('credentials', [None, ('gateway', 'wrong'), ('intruder', 'x'),
                                         ('robot', 'wrong')])
def test_no_or_wrong_credentials_cannot_open_a_session(router, credentials):
    port, _ = router
    cfg = relay_config.client_config([f'tcp/127.0.0.1:{port}'], credentials or ('x', 'y'))
    cfg['connect/timeout_ms'] = 1500
    if credentials is None:
        del cfg['transport/auth/usrpwd/user'], cfg['transport/auth/usrpwd/password']
    with pytest.raises(zenoh.ZError):
        zenoh.open(relay_config.to_zenoh(cfg))


def test_print_config_is_a_zenohd_document(tmp_path):
    import json
    users = tmp_path / 'users'
    users.write_text('bot:pw1\ngw:pw2\n')
    out = subprocess.run([str(ROUTER), '--users', str(users), '--robot-user', 'bot',
                          '--gateway-user', 'gw', '--print-config'], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc['mode'] == 'router' and doc['access_control']['enabled']
    assert 'pw1' not in out.stdout  # the dictionary is referenced, not copied
    bad = subprocess.run([str(ROUTER), '--users', str(users), '--print-config'],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and 'users not in' in bad.stderr


def _openssl(*args, cwd):
    subprocess.run(['openssl', *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def test_tls_link_checks_the_router_certificate(tmp_path):
    """tls/ locators: clients with the CA connect and relay; without it they are refused."""
    if subprocess.run(['which', 'openssl'], capture_output=True).returncode:
        pytest.skip('openssl not installed')
    _openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=ca',
             '-keyout', 'ca.key', '-out', 'ca.pem', cwd=tmp_path)
    _openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout',
             'router.key', '-out', 'router.csr', '-addext', 'subjectAltName=DNS:localhost',
             cwd=tmp_path)
    _openssl('x509', '-req', '-in', 'router.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
             '-CAcreateserial', '-days', '2', '-copy_extensions', 'copy', '-out', 'router.pem',
             cwd=tmp_path)
    port = free_port()
    locator = f'tls/localhost:{port}'
    env = dict(os.environ, KROPBOT_RELAY_DIR=str(tmp_path / 'relay'))
    proc = subprocess.Popen([str(ROUTER), '--listen', locator, '--tls-cert', 'router.pem',
                             '--tls-key', 'router.key'], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    demo = relay_auth.DemoCredentials(tmp_path / 'relay')
    try:
        wait_for(lambda: demo.users.exists(), 20, message='router start')
        time.sleep(1.0)

        def tls_session(credentials_file, ca):
            cfg = relay_config.client_config([locator], relay_auth.read_credentials(
                credentials_file), ca)
            cfg['connect/timeout_ms'] = 3000
            return zenoh.open(relay_config.to_zenoh(cfg))
        robot = tls_session(demo.robot, tmp_path / 'ca.pem')
        gateway = tls_session(demo.gateway, tmp_path / 'ca.pem')
        got = []
        gateway.declare_subscriber(KS.camera, lambda s: got.append(len(s.payload)))
        wait_for(lambda: (robot.put(KS.camera, b'x' * 20000), got)[1], 10, period=0.1,
                 message='a frame over TLS')
        assert got[0] == 20000
        robot.close()
        gateway.close()
        with pytest.raises(zenoh.ZError):  # the router's certificate cannot be verified
            tls_session(demo.gateway, None)
    finally:
        proc.terminate()
        print(proc.communicate(timeout=10)[0])
