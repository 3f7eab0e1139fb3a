"""The client's rosbridge messages, send policy, back-off and frame composition (pure)."""

import base64
import json
from pathlib import Path
import random
import subprocess
import sys
import sysconfig

import cbor2
import cv2
from hypothesis import given
from hypothesis import strategies as st
from kropbot_remote.overlay import compose, decode_jpeg
from kropbot_remote.protocol import (
    CROWD,
    MODES,
    OPERATOR,
    Backoff,
    Frame,
    SendPolicy,
    ServerMessage,
    Status,
    auth_answer,
    command_op,
    decode,
    encode,
    moderation_answer,
    moderation_op,
    next_mode,
    setup_ops,
)
from kropbot_remote.teleop import STOP_TWIST, Twist
import numpy as np
import pytest


def test_setup_ops_per_role():
    crowd = setup_ops(CROWD)
    assert crowd[0]['compression'] == 'cbor' and crowd[0]['topic'] == 'camera/image_raw/compressed'
    assert crowd[1]['topic'] == 'crowd/status'
    assert crowd[2] == {'op': 'advertise', 'id': 'command', 'topic': 'crowd/vote',
                        'type': 'geometry_msgs/msg/TwistStamped'}
    assert setup_ops(OPERATOR)[2]['topic'] == 'teleop/cmd_vel'


def test_command_ops():
    vote = command_op(CROWD, 0.2, -0.5)
    assert vote['topic'] == 'crowd/vote'
    assert vote['msg']['twist']['linear']['x'] == 0.2
    assert vote['msg']['twist']['angular']['z'] == -0.5
    teleop = command_op(OPERATOR, 0.1, 0.3)
    assert teleop == {'op': 'publish', 'topic': 'teleop/cmd_vel',
                      'msg': {'linear': {'x': 0.1, 'y': 0.0, 'z': 0.0},
                              'angular': {'x': 0.0, 'y': 0.0, 'z': 0.3}}}
    for bad in (float('nan'), float('inf')):
        with pytest.raises(ValueError):
            command_op(CROWD, bad, 0.0)
    assert json.loads(encode(teleop)) == teleop


def test_decode_frames_status_and_errors():
    header = {'stamp': {'sec': 10, 'nanosec': 500_000_000}, 'frame_id': 'camera_optical_frame'}
    cbor = cbor2.dumps({'op': 'publish', 'topic': 'camera/image_raw/compressed',
                        'msg': {'header': header, 'format': 'jpeg', 'data': b'\xff\xd8xx'}})
    assert decode(cbor) == Frame(b'\xff\xd8xx', 10.5)
    as_json = json.dumps({'op': 'publish', 'topic': '/camera/image_raw/compressed',
                          'msg': {'header': header, 'data': base64.b64encode(b'ab').decode()}})
    assert decode(as_json) == Frame(b'ab', 10.5)
    status = json.dumps({'op': 'publish', 'topic': 'crowd/status',
                         'msg': {'data': json.dumps({'voters': 2})}})
    assert decode(status) == Status({'voters': 2})
    assert decode('{"op":"status","level":"error","msg":"no"}') == ServerMessage('error', 'no')


@given(st.one_of(st.binary(max_size=64), st.text(max_size=64),
                 st.builds(json.dumps, st.dictionaries(st.sampled_from(
                     ['op', 'topic', 'msg']), st.one_of(st.text(max_size=5), st.integers(),
                                                        st.dictionaries(st.text(max_size=4),
                                                                        st.integers()))))))
def test_decode_never_raises(frame):
    assert decode(frame) is None or isinstance(decode(frame), (Frame, Status, ServerMessage))


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


def test_backoff_doubles_to_the_cap_with_jitter_and_resets():
    b = Backoff(first=0.5, cap=8.0, jitter=0.2, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(7)]
    for delay, base in zip(delays, [0.5, 1, 2, 4, 8, 8, 8]):
        assert 0.8 * base <= delay <= 1.2 * base
    b.reset()
    assert b.next_delay() <= 0.6


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
