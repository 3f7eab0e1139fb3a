"""The record node as a process over real DDS: what it records, SIGINT, a full file system."""

import collections
import json
import os
from pathlib import Path
import resource
import signal
import subprocess
import time

from geometry_msgs.msg import Twist, TwistStamped
from kropbot_testing.processes import INSTALL
import pytest
from rosbags.rosbag2 import Reader

from kropbot_pilot import bagread

TOPICS = {'/camera/image_raw/compressed': 'sensor_msgs/msg/CompressedImage',
          '/cmd_vel': 'geometry_msgs/msg/Twist', '/odom': 'nav_msgs/msg/Odometry',
          '/crowd/status': 'std_msgs/msg/String'}
CAMERA = {'source': 'test_pattern', 'width': 64, 'height': 48, 'fps': 10.0}


def vote(pub, linear):
    msg = TwistStamped()
    msg.header.frame_id = 'alice'
    msg.twist.linear.x = linear
    pub.publish(msg)


def recording_all(proc):
    return all(f'recording {topic} ' in proc.log() for topic in TOPICS)


@pytest.mark.dds
def test_records_the_stack_and_sigint_leaves_a_valid_bag(start_node, ros, tmp_path, wait_for):
    start_node('kropbot_camera', 'camera_node', 'camera', params=CAMERA)
    start_node('kropbot_vote', 'vote_node', 'vote')
    start_node('kropbot_driver', 'driver_node', 'driver')
    out = tmp_path / 'drive'
    record = start_node('kropbot_pilot', 'record', 'record', params={'output': str(out)})
    pub = ros.node.create_publisher(TwistStamped, 'crowd/vote', 10)
    cmd_vel = ros.collect(Twist, 'cmd_vel')
    wait_for(lambda: recording_all(record), 20, message='the recorder subscribed to all topics')

    def driving():
        vote(pub, 0.2)
        return any(m.linear.x > 0.1 for _, m in cmd_vel)
    wait_for(driving, 15, period=0.1, message='the vote reaching cmd_vel')
    for _ in range(10):  # 1 s more of a voter driving forward
        vote(pub, 0.2)
        time.sleep(0.1)
    assert record.stop() == 0, record.log()
    assert 'recorded ' in record.log()

    messages = list(bagread.read_messages([out]))
    counts = collections.Counter(m.topic for m in messages)
    assert set(counts) == set(TOPICS) and min(counts.values()) >= 2, counts
    assert {m.topic: m.type for m in messages} == TOPICS
    frames = [m for m in messages if m.topic == '/camera/image_raw/compressed']
    assert all(m.msg.header.frame_id == 'camera_optical_frame' for m in frames)
    assert bytes(frames[-1].msg.data[:2]) == b'\xff\xd8'  # JPEG SOI
    assert any(m.msg.linear.x > 0.1 for m in messages if m.topic == '/cmd_vel')
    statuses = [json.loads(m.msg.data) for m in messages if m.topic == '/crowd/status']
    assert max(s['voters'] for s in statuses) == 1
    assert all(0 < m.publish_time <= m.log_time for m in messages)

    # An independent rosbag2 implementation reads the bag directory (metadata.yaml) and the file.
    with Reader(out) as reader:
        assert reader.message_count == len(messages)
        assert {c.topic: c.msgtype for c in reader.connections} == TOPICS
        qos = reader.connections[0].ext.offered_qos_profiles
        assert qos and qos[0].reliability.name == 'RELIABLE'
    with Reader(out / 'drive_0.mcap') as reader:
        assert reader.message_count == len(messages)


def _limit_file_size(limit):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.dds
def test_full_file_system_stops_with_a_clear_error_and_a_readable_bag(start_node, tmp_path,
                                                                      wait_for):
    """RLIMIT_FSIZE makes the kernel refuse writes past 200 kB (EFBIG), like a full disk."""
    start_node('kropbot_camera', 'camera_node', 'camera',
               params={**CAMERA, 'width': 320, 'height': 240, 'jpeg_quality': 95})
    out = tmp_path / 'full'
    exe = INSTALL / 'kropbot_pilot' / 'lib' / 'kropbot_pilot' / 'record'
    log = open(tmp_path / 'record.log', 'wb')
    env = dict(os.environ, ROS_LOG_DIR=str(tmp_path / 'roslog'))
    proc = subprocess.Popen(
        [str(exe), '--ros-args', '-p', f'output:={out}', '-p', 'flush_period:=0.2',
         '-p', "topics:=['camera/image_raw/compressed']"],
        stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_limit_file_size(200_000))
    try:
        code = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        proc.wait(5)
        raise
    finally:
        log.close()
    text = Path(tmp_path / 'record.log').read_text()
    assert code == 3, text
    assert 'disk full: File too large' in text and 'sealed (readable)' in text, text
    files = bagread.bag_files(out)
    assert files[0].stat().st_size <= 200_000
    frames = list(bagread.read_messages([out]))
    assert len(frames) >= 5
    stamps = [(m.msg.header.stamp.sec, m.msg.header.stamp.nanosec) for m in frames]
    assert stamps == sorted(stamps)
