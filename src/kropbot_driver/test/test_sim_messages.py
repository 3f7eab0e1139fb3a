"""The sim's diagnostics keys, the set_pose message and start-up errors (no DDS)."""
import math

from diagnostic_msgs.msg import DiagnosticStatus
from geometry_msgs.msg import PoseWithCovarianceStamped
from kropbot_common.errors import StartupError
from kropbot_driver.backends import BackendError
from kropbot_driver.driver_node import make_backend
from kropbot_driver.kinematics import Pose2D
from kropbot_driver.messages import motor_status, pose_from_set_pose, sim_pairs
from kropbot_driver.params import PARAMETERS
from kropbot_sim.motion import SimState
import pytest

COMMON = dict(backend='sim', stop_mode='brake', throttles=(0.0, 0.0), command_age=None,
              fresh=False, rejected=0, timeouts=0, backend_errors=0, watchdog='off',
              watchdog_lost=False, watchdog_trips=0)


def _values(status):
    return {kv.key: kv.value for kv in status.values}


def test_sim_keys_and_warn_while_fallen():
    state = SimState(pose=Pose2D(1.25, -0.5, 0.1), collisions=2, falls=1, fallen=True)
    assert sim_pairs('room', state) == {
        'sim_world': 'room', 'collisions': '2', 'falls': '1', 'fallen': 'true',
        'in_contact': 'false', 'pose': '1.250 -0.500 0.100'}
    status = motor_status('driver: motors', 'sim', sim_world='room', sim_state=state, **COMMON)
    assert status.level == DiagnosticStatus.WARN and 'sim/reset' in status.message
    values = _values(status)
    assert values['falls'] == '1' and values['backend'] == 'sim'
    standing = motor_status('driver: motors', 'sim', sim_world='room',
                            sim_state=SimState(falls=1), **COMMON)
    assert standing.level == DiagnosticStatus.OK and _values(standing)['fallen'] == 'false'
    # a lost watchdog outranks the fall; the motorkit backend has no sim keys
    lost = motor_status('driver: motors', 'sim', sim_world='room', sim_state=state,
                        **{**COMMON, 'watchdog_lost': True})
    assert lost.level == DiagnosticStatus.ERROR
    assert 'falls' not in _values(motor_status('driver: motors', 'pca9685@0x60', **COMMON))


def _pose_msg(x, y, yaw, frame_id='odom'):
    msg = PoseWithCovarianceStamped()
    msg.header.frame_id = frame_id
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    msg.pose.pose.orientation.z = math.sin(yaw / 2)
    msg.pose.pose.orientation.w = math.cos(yaw / 2)
    return msg


def test_pose_from_set_pose():
    pose, error = pose_from_set_pose(_pose_msg(0.5, -1.0, 2.0), 'odom')
    assert error is None and pose.x == 0.5 and pose.y == -1.0
    assert pose.yaw == pytest.approx(2.0)
    assert pose_from_set_pose(_pose_msg(0.5, 0.0, 0.0, frame_id=''), 'odom')[0] is not None
    pose, error = pose_from_set_pose(_pose_msg(0.5, 0.0, 0.0, frame_id='map'), 'odom')
    assert pose is None and "'map'" in error
    pose, error = pose_from_set_pose(_pose_msg(math.nan, 0.0, 0.0), 'odom')
    assert pose is None and 'non-finite' in error


def test_a_bad_world_is_a_startup_error(tmp_path):
    cfg = {p.name: p.default for p in PARAMETERS}
    cfg.update(backend='sim', sim_world=str(tmp_path / 'missing.yaml'))
    with pytest.raises(StartupError, match='cannot read sim world'):
        make_backend(cfg)
    world = tmp_path / 'w.yaml'
    world.write_text('kropbot_sim_world: 1\nstarts: [[0, 0, 0], [1, 0, 0]]\n')
    with pytest.raises(BackendError, match='has 2 start pose'):
        make_backend({**cfg, 'sim_world': str(world), 'sim_start': 2})
    assert make_backend({**cfg, 'sim_world': str(world), 'sim_start': 1}).pose == Pose2D(1, 0, 0)
