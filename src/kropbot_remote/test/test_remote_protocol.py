"""The client's own rosbridge messages, send policy and frame composition (pure).

The part shared with the pilot is tested in kropbot_gateway (test_client_protocol.py).
"""

import json
from pathlib import Path
import subprocess
import sys
import sysconfig

import cv2
from kropbot_gateway.client_protocol import CROWD, OPERATOR, ServerMessage, decode
from kropbot_remote.overlay import compose, decode_jpeg
from kropbot_remote.protocol import (
    MODES,
    SendPolicy,
    auth_answer,
    moderation_answer,
    moderation_op,
    next_mode,
)
from kropbot_remote.teleop import STOP_TWIST, Twist
import numpy as np
import pytest


def test_auth_answer_reads_the_gateways_status():
    assert auth_answer(ServerMessage('info', 'auth: authenticated as operator')) == 'ok'
    assert auth_answer(ServerMessage('info', 'auth: authenticated as bot')) == 'refused'
    assert auth_answer(ServerMessage('error', 'auth: wrong MAC')) == 'refused'
    assert auth_answer(ServerMessage(
        'error', 'op "auth" is not available on the KropBot crowd gateway')) == 'refused'
    assert auth_answer(ServerMessage('warning', 'vote rate limit exceeded')) is None
    assert auth_answer(ServerMessage('error', 'publish: bad twist')) is None


def test_moderation_ops_and_answers():
    op = moderation_op('m1', 'ban', token='0a1b2c3d', duration=600.0, address=None)
    assert op == {'op': 'publish', 'id': 'm1', 'topic': 'crowd/moderation',
                  'msg': {'data': '{"action":"ban","token":"0a1b2c3d","duration":600.0}'}}
    assert json.loads(moderation_op('m2', 'pause')['msg']['data']) == {'action': 'pause'}
    answer = decode(json.dumps({'op': 'status', 'level': 'info', 'id': 'm1',
                                'msg': 'moderation: crowd paused'}))
    assert answer == ServerMessage('info', 'moderation: crowd paused', 'm1')
    assert moderation_answer(answer) == (True, 'crowd paused')
    assert moderation_answer(ServerMessage('error', 'moderation: mode chaos refused')) == \
        (False, 'mode chaos refused')
    assert moderation_answer(ServerMessage('info', 'auth: authenticated as operator')) is None
    assert [next_mode(m) for m in MODES] == ['anarchy', 'democracy', 'queue', 'vote']
    assert next_mode('chaos') == 'vote'


def test_send_policy_crowd():
    p = SendPolicy.for_role(CROWD)
    go, back = Twist(0.3, 0.0), Twist(-0.3, 0.0)
    assert p.due(STOP_TWIST, 0.0)
    p.sent(STOP_TWIST, 0.0)
    assert not p.due(STOP_TWIST, 0.5) and p.due(STOP_TWIST, 1.0)  # heartbeat 1 s
    assert p.next_due(STOP_TWIST) == 1.0
    assert p.due(go, 0.1)  # the first change goes out at once
    p.sent(go, 0.1)
    p.sent(go, 1.1)  # a heartbeat does not delay the next change
    assert p.due(back, 1.15)
    p.sent(back, 1.15)
    assert not p.due(go, 1.2) and p.next_due(go) == pytest.approx(1.4)
    assert p.due(go, 1.4)  # changes at most 4/s
    assert p.due(STOP_TWIST, 1.16)  # a stop is never delayed
    p.reset()
    assert p.due(go, 0.27) and p.next_due(go) == float('-inf')


def test_send_policy_operator_is_faster():
    p = SendPolicy.for_role(OPERATOR)
    p.sent(STOP_TWIST, 0.0)
    assert p.due(STOP_TWIST, 0.1) and p.due(Twist(0.1, 0.0), 0.034)


def test_compose_scales_and_draws_overlay():
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :160] = (0, 0, 255)
    ok, jpeg = cv2.imencode('.jpg', frame)
    image = decode_jpeg(jpeg.tobytes())
    assert image.shape == (240, 320, 3)
    out = compose(image, 2, [('hello', (0, 255, 0))])
    assert out.shape == (480, 640, 3)
    assert out[400, 100, 2] > 200 and out[400, 500, 2] < 50  # red left half, scaled
    assert (out[:26, :120, 1] > 150).any()  # green text on the band
    assert compose(None, 1.5, []).shape == (360, 480, 3)
    assert decode_jpeg(b'not a jpeg') is None


def test_packaging_gives_console_scripts(tmp_path):
    """``pip install src/kropbot_remote`` (with its siblings) yields ``kropbot-remote``."""
    src = Path(__file__).resolve().parents[2]
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    # the test venv's packages (websockets, cbor2, numpy, cv2, pygame) stay visible; the three
    # KropBot packages are installed as a desktop would, without network (--no-deps, and the
    # test venv's setuptools + wheel build them: requirements-test.txt)
    site = next((venv / 'lib').glob('python*/site-packages'))
    parent_site = sysconfig.get_paths()['purelib']
    (site / 'parent.pth').write_text(parent_site + '\n')
    subprocess.run([sys.executable, '-m', 'pip', '--python', str(venv / 'bin' / 'python'),
                    'install', '-q', '--no-deps', '--no-build-isolation',
                    str(src / 'kropbot_common'), str(src / 'kropbot_gateway'),
                    str(src / 'kropbot_remote')], check=True, cwd=tmp_path)
    env = {'PATH': str(venv / 'bin'), 'HOME': str(tmp_path)}
    out = subprocess.run([str(venv / 'bin' / 'kropbot-remote'), '--help'], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert '--token-file' in out.stdout
    where = subprocess.run([str(venv / 'bin' / 'python'), '-c',
                            'import kropbot_remote, kropbot_gateway.auth as a; '
                            'print(kropbot_remote.__file__, a.__file__)'],
                           env=env, cwd=tmp_path, capture_output=True, text=True)
    assert str(venv) in where.stdout, where.stdout + where.stderr
