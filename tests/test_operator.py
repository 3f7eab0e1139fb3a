"""Operator access through the real gateway process: auth op, roles, override over real DDS.

The gateway runs with a secrets file (``alice`` the operator, ``pilot`` a bot-only secret);
clients are roslibpy (unchanged ``Ros.authenticate()``) and raw WebSockets; the vote node, the
sim driver and a test-side rclpy node are real processes/participants on this run's DDS domain.
Every test ends by grepping the node logs for the secrets and every MAC sent: none may appear.
"""

from contextlib import ExitStack
import json
import time

from geometry_msgs.msg import Twist
from kropbot_gateway.auth import auth_op
from kropbot_testing.processes import free_port
import pytest
import roslibpy
from std_msgs.msg import String
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytestmark = pytest.mark.dds

SECRET = 'alice-Zt8sK1pQ4rW7yX0vB3nM'
BOT_SECRET = 'pilot-3q2x7aBf9kzV0xY8wPq1'
MAX_FAILURES = 4


class Gateway:
    """The gateway process with operator access, and what was sent to it (for the log check)."""

    def __init__(self, start_node, wait_for, tmp_path, **params):
        secrets = tmp_path / 'operators.secrets'
        secrets.write_text(f'# test operators\nalice: {SECRET}\npilot: {BOT_SECRET}\n')
        secrets.chmod(0o600)
        self.port = free_port()
        self.url = f'ws://127.0.0.1:{self.port}/'
        self.macs = []
        self.proc = start_node('kropbot_gateway', 'gateway_node', 'gateway', params={
            'port': self.port, 'auth_secret_file': str(secrets), 'auth_bot_names': ['pilot'],
            'max_auth_failures': MAX_FAILURES, **params})
        wait_for(lambda: 'crowd gateway on http://' in self.proc.log() or not self.proc.alive(),
                 20, message='gateway start')
        assert self.proc.alive(), self.proc.log()

    def op(self, secret=SECRET, level='admin', **changes):
        op = {**auth_op(secret, 'laptop', '127.0.0.1', level, lifetime=600), **changes}
        self.macs.append(op['mac'])
        return op

    def raw(self):
        return connect(self.url, open_timeout=5, close_timeout=1)


def reply(ws, timeout=5.0):
    return json.loads(ws.recv(timeout))


def teleop(x=0.0, z=0.0):
    return json.dumps({'op': 'publish', 'topic': 'teleop/cmd_vel',
                       'msg': {'linear': {'x': x}, 'angular': {'z': z}}})


def vote(x=0.0, z=0.0):
    return json.dumps({'op': 'publish', 'topic': 'crowd/vote',
                       'msg': {'twist': {'linear': {'x': x}, 'angular': {'z': z}}}})


def assert_no_secret_in_logs(procs, macs):
    for proc in procs:
        proc.stop()  # the gateway logs its stats at exit: included
        log = proc.log()
        for secret in (SECRET, BOT_SECRET, *macs):
            assert secret not in log, f'a secret or MAC in the {proc.name} log'


@pytest.fixture
def gateway(start_node, wait_for, tmp_path):
    return Gateway(start_node, wait_for, tmp_path)


def test_auth_with_roslibpy_and_raw_accepted_and_refusals_say_why(gateway, ros, wait_for):
    teleops = ros.collect(Twist, 'teleop/cmd_vel')
    # roslibpy, unchanged: authenticate() before run() (it sends the op on connection)
    client = roslibpy.Ros(host='127.0.0.1', port=gateway.port)
    op = gateway.op()
    client.authenticate(*(op[k] for k in ('mac', 'client', 'dest', 'rand', 't', 'level', 'end')))
    client.run(timeout=10)
    try:
        topic = roslibpy.Topic(client, 'teleop/cmd_vel', 'geometry_msgs/Twist')
        time.sleep(0.5)  # DDS: the gateway's teleop publisher matched with this test's reader

        def operator_command_arrives():
            topic.publish(roslibpy.Message({'linear': {'x': 0.12}, 'angular': {'z': -0.4}}))
            return any(m.linear.x == pytest.approx(0.12) and m.angular.z == pytest.approx(-0.4)
                       for _, m in teleops)
        wait_for(operator_command_arrives, 10, period=0.2,
                 message="roslibpy operator's teleop/cmd_vel on DDS")
    finally:
        client.close()
    with gateway.raw() as ws:
        ws.send(json.dumps(gateway.op()))
        assert reply(ws) == {'op': 'status', 'level': 'info',
                             'msg': 'auth: authenticated as operator'}
    # refusals, each on its own connection: why, and nothing changes
    now = time.time()
    reused = gateway.op()
    with gateway.raw() as ws:
        ws.send(json.dumps(reused))
        assert reply(ws)['level'] == 'info'
    cases = [
        (gateway.op(mac='0' * 128), 'auth: wrong MAC'),
        (gateway.op(secret='not-the-secret-0123456'), 'auth: wrong MAC'),
        (auth_op(SECRET, 'laptop', '127.0.0.1', now=now - 60, lifetime=600),
         'auth: "t" is not within 5 s of the server clock'),
        (auth_op(SECRET, 'laptop', '127.0.0.1', now=now, lifetime=-10),
         'auth: "end" is in the past'),
        (reused, 'auth: reused "rand"'),
    ]
    for bad, why in cases:
        gateway.macs.append(bad['mac'])
        with gateway.raw() as ws:
            ws.send(json.dumps({**bad, 'id': 'a1'}))
            assert reply(ws) == {'op': 'status', 'level': 'error', 'msg': why, 'id': 'a1'}
            ws.send(teleop(0.3))
            assert 'needs the operator role' in reply(ws)['msg']
    assert_no_secret_in_logs([gateway.proc], gateway.macs)


def test_operator_overrides_the_crowd_over_dds_then_hands_back(gateway, start_node, ros,
                                                               wait_for):
    start_node('kropbot_vote', 'vote_node', 'vote')
    start_node('kropbot_driver', 'driver_node', 'driver')
    cmd = ros.collect(Twist, 'cmd_vel')
    teleops = ros.collect(Twist, 'teleop/cmd_vel')
    statuses = []
    ros.node.create_subscription(String, 'crowd/status',
                                 lambda m: statuses.append(json.loads(m.data)), 10)
    with ExitStack() as stack:
        crowd = [stack.enter_context(gateway.raw()) for _ in range(2)]
        operator = stack.enter_context(gateway.raw())
        # an unauthenticated teleop/cmd_vel publish: a status error and no ROS effect
        operator.send(teleop(0.0, 1.5))
        assert 'needs the operator role' in reply(operator)['msg']
        operator.send(json.dumps({'op': 'subscribe', 'topic': 'odom'}))
        assert 'needs the operator role' in reply(operator)['msg']

        def crowd_forward():
            for ws in crowd:
                ws.send(vote(0.3))
            return (cmd and cmd[-1][1].linear.x == pytest.approx(0.3)
                    and statuses and statuses[-1]['voters'] == 2)
        wait_for(crowd_forward, 15, period=0.2, message='the crowd drives forward')
        assert teleops == [] and statuses[-1]['operator'] is False

        operator.send(json.dumps(gateway.op()))
        assert reply(operator)['msg'] == 'auth: authenticated as operator'
        operator.send(json.dumps({'op': 'subscribe', 'id': 'odom', 'topic': 'odom',
                                  'type': 'nav_msgs/Odometry', 'throttle_rate': 200}))

        last_command = []

        def operator_turns():
            for ws in crowd:
                ws.send(vote(0.3))
            operator.send(teleop(0.0, -1.0))
            last_command.append(time.monotonic())
            last = cmd[-1][1]
            return (last.linear.x == 0.0 and last.angular.z == pytest.approx(-1.0)
                    and statuses[-1]['operator'] is True)
        wait_for(operator_turns, 10, period=0.1,
                 message='cmd_vel turns as the operator says, status operator: true')
        odom = None
        deadline = time.monotonic() + 10
        while odom is None and time.monotonic() < deadline:
            msg = reply(operator)
            if msg.get('op') == 'publish' and msg.get('topic') == 'odom':
                odom = msg['msg']
        assert odom and odom['header']['frame_id'] == 'odom'

        # the operator stopped sending: the crowd gets the robot back after teleop_timeout

        def crowd_again():
            for ws in crowd:
                ws.send(vote(0.3))
            return (cmd[-1][1].linear.x == pytest.approx(0.3)
                    and statuses[-1]['operator'] is False)
        back = wait_for(crowd_again, 10, period=0.05, message='the crowd back in control') \
            and time.monotonic()
        assert back - last_command[-1] > 0.4  # teleop_timeout 0.5 s held it first
    ros_graph = dict(ros.node.get_topic_names_and_types())
    assert '/teleop/cmd_vel' in ros_graph  # the gateway's operator publisher
    assert_no_secret_in_logs([gateway.proc], gateway.macs)


def test_brute_force_closes_and_bots_are_counted_apart(gateway, start_node, ros, wait_for):
    start_node('kropbot_vote', 'vote_node', 'vote')
    statuses = []
    ros.node.create_subscription(String, 'crowd/status',
                                 lambda m: statuses.append(json.loads(m.data)), 10)
    with gateway.raw() as bystander, gateway.raw() as bot, gateway.raw() as pilot_bot, \
            gateway.raw() as attacker:
        for i in range(MAX_FAILURES):
            attacker.send(json.dumps(gateway.op(mac=f'{i:0128x}')))
            assert reply(attacker)['msg'] == 'auth: wrong MAC'
        with pytest.raises(ConnectionClosed) as closed:
            reply(attacker)
        assert closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason == 'too many failed auth attempts'

        # level "bot" with the operator's secret, and the bot-only secret with level "admin"
        bot.send(json.dumps(gateway.op(level='bot')))
        assert reply(bot)['msg'] == 'auth: authenticated as bot'
        pilot_bot.send(json.dumps(gateway.op(secret=BOT_SECRET)))
        assert reply(pilot_bot)['msg'] == 'auth: authenticated as bot'
        pilot_bot.send(teleop(0.3))
        assert 'needs the operator role' in reply(pilot_bot)['msg']

        def counted():
            for ws in (bystander, bot, pilot_bot):
                ws.send(vote(0.2))
            return statuses and statuses[-1]['voters'] == 3 and statuses[-1]['bots'] == 2
        wait_for(counted, 15, period=0.2, message='3 voters, 2 of them bots')
    log = gateway.proc.log()
    assert "authenticated as bot (secret 'pilot')" in log
    assert 'auth: wrong MAC' in log  # refusals are logged (throttled), without the MAC
    assert_no_secret_in_logs([gateway.proc], gateway.macs)


@pytest.mark.parametrize('content, why', [
    (None, 'cannot read secrets file'),
    ('short-secret-15\n', 'at least 16 are needed'),
    ('alice: fine-secret-0123456789\nalice: another-secret-012345\n', 'listed twice'),
])
def test_unusable_secrets_file_is_a_clear_startup_error(start_node, wait_for, tmp_path, content,
                                                         why):
    path = tmp_path / 'secrets'
    if content is not None:
        path.write_text(content)
    proc = start_node('kropbot_gateway', 'gateway_node', 'gateway',
                      params={'port': free_port(), 'auth_secret_file': str(path)})
    assert proc.proc.wait(20) == 1
    log = proc.log()
    assert 'FATAL' in log and 'auth_secret_file' in log and why in log, log
    assert 'Traceback' not in log
    for secret in ('short-secret-15', 'fine-secret-0123456789', 'another-secret-012345'):
        assert secret not in log


def test_without_a_secrets_file_auth_is_refused_and_the_page_works(start_node, wait_for, ros):
    port = free_port()
    proc = start_node('kropbot_gateway', 'gateway_node', 'gateway', params={'port': port})
    wait_for(lambda: 'crowd gateway on http://' in proc.log(), 20, message='gateway start')
    with connect(f'ws://127.0.0.1:{port}/', open_timeout=5) as ws:
        ws.send(json.dumps(auth_op(SECRET, 'laptop', 'robot', lifetime=60)))
        assert 'auth_secret_file is empty' in reply(ws)['msg']
        ws.send(teleop(0.3))
        assert reply(ws)['msg'].endswith("publishing to 'teleop/cmd_vel' is not allowed")
    names = dict(ros.node.get_topic_names_and_types())
    assert not ros.node.get_publishers_info_by_topic('/teleop/cmd_vel') \
        or '/teleop/cmd_vel' not in names
    assert proc.stop() == 0


def test_moderation_without_a_vote_node_says_so_and_a_crowd_member_cannot(gateway):
    """No vote node: an operator's pause is answered (refused) within the call timeout, never
    left hanging; a crowd connection's moderation command is refused by the role table."""
    with gateway.raw() as op, gateway.raw() as crowd:
        op.send(json.dumps(gateway.op()))
        assert reply(op)['msg'] == 'auth: authenticated as operator'
        command = {'op': 'publish', 'topic': 'crowd/moderation', 'id': 'p1',
                   'msg': {'data': '{"action": "pause"}'}}
        crowd.send(json.dumps(command))
        assert 'needs the operator role' in reply(crowd)['msg']
        started = time.monotonic()
        op.send(json.dumps(command))
        answer = reply(op, timeout=10)
        assert answer['id'] == 'p1' and answer['level'] == 'error'
        assert answer['msg'] == ('moderation: crowd/pause is not available (is the vote node '
                                 'running?)')
        assert time.monotonic() - started < 5.0
    assert_no_secret_in_logs([gateway.proc], gateway.macs)
    assert "action=pause operator='alice': refused" in gateway.proc.log()
