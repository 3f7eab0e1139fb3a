"""relay_link as a process: bad parameters or credentials stop it with one FATAL line, exit 1."""

import pytest


@pytest.mark.parametrize('params, reason', [
    ({'credentials': '/nonexistent/robot.cred'}, 'cannot read credentials file'),
    ({'robot': 'a/b'}, 'robot name'),
    ({'connect': ['']}, 'no Zenoh endpoint'),
    ({'gateway_timeout': 0.0}, 'gateway_timeout'),
])
def test_bad_configuration_exits_1(start_node, wait_for, tmp_path, monkeypatch, params, reason):
    monkeypatch.setenv('KROPBOT_RELAY_DIR', str(tmp_path / 'relay'))
    node = start_node('kropbot_relay', 'relay_link', 'relay_link', params=params)
    wait_for(lambda: not node.alive(), 20, message='relay_link to exit')
    assert node.proc.returncode == 1
    log = node.log()
    assert 'FATAL' in log and reason in log, log
    assert 'Traceback' not in log
