"""``pip install src/kropbot_gateway`` into a fresh venv without ROS, then serve with no ROS.

The venv is built from the base interpreter (no ROS wheels, no workspace on PYTHONPATH) and
installs offline (``--no-index``) from the wheelhouse that ``tools/setup.sh test`` fills with
the gateway's declared dependencies. The sources are copied first, so the build leaves nothing
in src/. In that venv ``python -m kropbot_gateway.standalone`` (MemoryBridge on stdio) must
serve ``GET /`` and ``/config.json``, deliver a message to a roslibpy-style subscriber, hand a
vote to the bridge under the server's voter id, refuse a forbidden publish, and end the vote
when the connection closes. Zenoh is the optional ``relay`` extra, not installed here: the
relay commands must say so and exit 1.
"""

import asyncio
import json
import os
from pathlib import Path
import queue
import re
import shutil
import subprocess
import sys
import threading
import urllib.request

import pytest
from websockets.asyncio.client import connect

pytestmark = pytest.mark.venv

SRC = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(sys.prefix) / 'wheelhouse'
ROS_MODULES = ('rclpy', 'rosidl_runtime_py', 'geometry_msgs', 'std_msgs', 'ament_index_python')


def clean_env():
    """The environment without the ROS workspace, the outer venv and pip configuration."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('PYTHON', 'AMENT_', 'COLCON_', 'ROS_', 'PIP_', 'VIRTUAL_ENV'))
           and k not in ('LD_LIBRARY_PATH', 'CMAKE_PREFIX_PATH')}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX='1', PIP_DISABLE_PIP_VERSION_CHECK='1',
               PYTHONUNBUFFERED='1')
    return env


@pytest.fixture(scope='module')
def venv(tmp_path_factory):
    """Return ``(python, env)`` of a fresh venv with the gateway installed from a copy of src/."""
    if not list(WHEELHOUSE.glob('websockets-*.whl')):
        pytest.fail(f'no wheelhouse at {WHEELHOUSE}: run tools/setup.sh test (it fills it)')
    root = tmp_path_factory.mktemp('rosfree')
    for pkg in ('kropbot_gateway', 'kropbot_common'):  # siblings: setup.py finds common
        shutil.copytree(SRC / pkg, root / 'src' / pkg, ignore=shutil.ignore_patterns(
            'build', '*.egg-info', '__pycache__', 'test'))
    env = clean_env()
    # a venv without its own pip (ensurepip costs ~4 s); this pip installs into it (--python)
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(root / 'venv')],
                   env=env, check=True, timeout=60)
    python = str(root / 'venv' / 'bin' / 'python')
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', '--python', python, 'install', '-q', '--no-index',
         '--find-links', str(WHEELHOUSE), str(root / 'src' / 'kropbot_gateway')],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return python, env


def test_the_venv_has_no_ros_and_the_gateway_from_the_copy(venv):
    python, env = venv
    probe = ('import importlib.util, json, kropbot_gateway, websockets, cbor2; print(json.dumps('
             '{"missing": [m for m in %r if importlib.util.find_spec(m) is None],'
             ' "file": kropbot_gateway.__file__}))' % (ROS_MODULES,))
    out = json.loads(subprocess.run([python, '-c', probe], env=env, capture_output=True,
                                    text=True, check=True, timeout=30).stdout)
    assert out['missing'] == list(ROS_MODULES)
    assert Path(out['file']).is_relative_to(Path(python).parents[1])  # the venv, not src/


def test_the_relay_commands_without_the_relay_extra_say_what_to_install(venv):
    python, env = venv
    bin_dir = Path(python).parent
    for cmd in (['kropbot-gateway', '--zenoh', 'tcp/127.0.0.1:9', '--port', '0'],
                ['kropbot-router', '--listen', 'tcp/127.0.0.1:9']):
        proc = subprocess.run([str(bin_dir / cmd[0]), *cmd[1:]], env=env, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 1, (cmd, proc.stdout, proc.stderr)
        assert 'Zenoh is not installed' in proc.stderr and 'kropbot_gateway[relay]' in \
            proc.stderr, proc.stderr


class Standalone:
    """``python -m kropbot_gateway.standalone`` in the venv; stdout events read in a thread."""

    def __init__(self, python, env, web_root):
        self.proc = subprocess.Popen(
            [python, '-m', 'kropbot_gateway.standalone', '--port', '0', '--web-root',
             str(web_root)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.events.put(json.loads(line))
        self.events.put(None)

    def event(self, timeout=10.0):
        event = self.events.get(timeout=timeout)
        assert event is not None, self.proc.stderr.read()
        return event

    def send(self, topic, msg):
        self.proc.stdin.write(json.dumps({'topic': topic, 'msg': msg}) + '\n')
        self.proc.stdin.flush()

    def finish(self):
        """Close stdin (stops the server); return the remaining events and the exit code."""
        self.proc.stdin.close()
        code = self.proc.wait(10)
        rest = []
        while (event := self.events.get(timeout=5)) is not None:
            rest.append(event)
        return rest, code


def http_get(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.headers, resp.read()


def test_serve_page_subscribe_vote_and_refuse_without_ros(venv, tmp_path):
    python, env = venv
    (tmp_path / 'index.html').write_text('<title>KropBot ROS-free</title>')
    server = Standalone(python, env, tmp_path)
    try:
        listening = server.event()
        assert listening['event'] == 'listening'
        base = f'127.0.0.1:{listening["port"]}'
        assert b'KropBot ROS-free' in http_get(f'http://{base}/')[1]
        headers, body = http_get(f'http://{base}/config.json')
        assert json.loads(body) == {'voter_id': 'server'}
        assert headers['Cache-Control'] == 'no-cache'

        async def client():
            async with connect(f'ws://{base}/') as ws:
                # The ops exactly as roslibpy 1.x sends them (core.py: Topic.subscribe/publish).
                await ws.send(json.dumps({
                    'op': 'subscribe', 'id': 'subscribe:/crowd/status:1',
                    'type': 'std_msgs/String', 'topic': '/crowd/status', 'compression': None,
                    'throttle_rate': 0, 'queue_length': 0}))
                subscribed = await asyncio.to_thread(server.event)
                assert subscribed == {'event': 'subscribe', 'topic': '/crowd/status',
                                      'type': 'std_msgs/msg/String'}
                server.send('/crowd/status', {'data': '{"voters": 0}'})
                received = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert received == {'op': 'publish', 'topic': '/crowd/status',
                                    'msg': {'data': '{"voters": 0}'}}
                await ws.send(json.dumps({
                    'op': 'advertise', 'id': 'advertise:/crowd/vote:2',
                    'type': 'geometry_msgs/TwistStamped', 'topic': '/crowd/vote',
                    'latch': False, 'queue_size': 100}))
                await ws.send(json.dumps({
                    'op': 'publish', 'id': 'publish:/crowd/vote:3', 'topic': '/crowd/vote',
                    'msg': {'header': {'frame_id': 'forged'},
                            'twist': {'linear': {'x': 0.25, 'y': 0.0, 'z': 0.0},
                                      'angular': {'x': 0.0, 'y': 0.0, 'z': -0.5}}},
                    'latch': False}))
                vote = await asyncio.to_thread(server.event)
                await ws.send(json.dumps({
                    'op': 'publish', 'id': 'publish:/cmd_vel:4', 'topic': '/cmd_vel',
                    'msg': {'linear': {'x': 1.0}}, 'latch': False}))
                refusal = json.loads(await asyncio.wait_for(ws.recv(), 10))
                return vote, refusal

        vote, refusal = asyncio.run(client())
        assert vote['event'] == 'vote' and vote['topic'] == '/crowd/vote'
        assert re.fullmatch(r'ws-[0-9a-f]{12}', vote['voter_id']), vote
        assert (vote['linear_x'], vote['angular_z']) == (0.25, -0.5)
        assert (refusal['op'], refusal['level'], refusal['id']) == (
            'status', 'error', 'publish:/cmd_vel:4')
        assert 'not allowed' in refusal['msg']
        rest, code = server.finish()
        assert code == 0, server.proc.stderr.read()
        assert [e for e in rest if e['event'] == 'vote'] == []  # the refused publish: no vote
        assert rest == [{'event': 'left', 'topic': '/crowd/vote', 'voter_id': vote['voter_id']},
                        {'event': 'unsubscribe', 'topic': '/crowd/status'}]
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(5)
