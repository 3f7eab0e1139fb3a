"""The bag writer: rosbag2's MCAP layout, read back with mcap-ros2, rotation, a full disk."""

import errno
import os

from geometry_msgs.msg import Twist
from mcap.reader import make_reader
import pytest
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CompressedImage
import yaml

from kropbot_pilot import bag, bagread, msgdefs

T0 = 1_700_000_000 * 10**9  # ns
TWIST = 'geometry_msgs/msg/Twist'
IMAGE = 'sensor_msgs/msg/CompressedImage'


def twist(v):
    msg = Twist()
    msg.linear.x = float(v)
    msg.angular.z = -float(v)
    return serialize_message(msg)


def image(i, size=2000):
    msg = CompressedImage()
    msg.header.stamp.sec = 1_700_000_000
    msg.header.stamp.nanosec = i
    msg.header.frame_id = 'camera_optical_frame'
    msg.format = 'jpeg'
    msg.data = bytes([i % 256]) * size
    return serialize_message(msg)


def topics(writer):
    qos = bag.QosProfile(history='keep_last', depth=10, reliability='best_effort')
    writer.add_topic(bag.TopicInfo('/cmd_vel', TWIST, msgdefs.full_text(TWIST), (qos,),
                                   'RIHS01_' + '1' * 64))
    writer.add_topic(bag.TopicInfo('/camera/image_raw/compressed', IMAGE,
                                   msgdefs.full_text(IMAGE)))


def test_full_text_is_rosbag2s_concatenation():
    text = msgdefs.full_text(TWIST)
    assert text.startswith(open(msgdefs.find_msg_file(TWIST)).read())
    assert text.count('MSG: ') == 1  # Vector3 once, although Twist uses it twice
    assert f'\n{"=" * 80}\nMSG: geometry_msgs/Vector3\n' in text
    image_text = msgdefs.full_text(IMAGE)
    deps = [line[5:] for line in image_text.splitlines() if line.startswith('MSG: ')]
    assert deps == ['std_msgs/Header', 'builtin_interfaces/Time']  # depth first
    with pytest.raises(msgdefs.MessageDefinitionError, match='no_such_pkg'):
        msgdefs.full_text('no_such_pkg/msg/Nothing')
    with pytest.raises(msgdefs.MessageDefinitionError, match='not understood'):
        msgdefs.full_text('std_srvs/srv/Trigger/Request')


def test_written_bag_has_the_ros2_profile_and_reads_back(tmp_path):
    writer = bag.BagWriter(tmp_path / 'run', ros_distro='jazzy')
    topics(writer)
    for i in range(20):
        writer.write('/cmd_vel', twist(i * 0.01), T0 + i * 10**8, T0 + i * 10**8 - 5)
        writer.write('/camera/image_raw/compressed', image(i), T0 + i * 10**8 + 1)
    writer.close()
    files = bagread.bag_files(tmp_path / 'run')
    assert [f.name for f in files] == ['run_0.mcap']
    with open(files[0], 'rb') as f:
        reader = make_reader(f)
        header = reader.get_header()
        summary = reader.get_summary()
        metadata = {m.name: m.metadata for m in reader.iter_metadata()}
    assert header.profile == 'ros2'
    schemas = {s.name: s for s in summary.schemas.values()}
    assert set(schemas) == {TWIST, IMAGE}
    assert all(s.encoding == 'ros2msg' for s in schemas.values())
    assert schemas[TWIST].data.decode() == msgdefs.full_text(TWIST)
    channels = {c.topic: c for c in summary.channels.values()}
    assert all(c.message_encoding == 'cdr' for c in channels.values())
    qos = yaml.safe_load(channels['/cmd_vel'].metadata['offered_qos_profiles'])
    assert qos[0]['reliability'] == 'best_effort' and qos[0]['history'] == 'keep_last'
    assert qos[0]['deadline'] == {'sec': 9223372036, 'nsec': 854775807}
    assert channels['/cmd_vel'].metadata['topic_type_hash'] == 'RIHS01_' + '1' * 64
    assert summary.statistics.message_count == 40
    serialized = yaml.safe_load(metadata['rosbag2']['serialized_metadata'])
    assert serialized['version'] == 9 and serialized['ros_distro'] == 'jazzy'
    assert serialized['storage_identifier'] == 'mcap'

    messages = list(bagread.read_messages([tmp_path / 'run']))
    assert len(messages) == 40
    cmds = [m for m in messages if m.topic == '/cmd_vel']
    assert [round(m.msg.linear.x, 2) for m in cmds] == [round(i * 0.01, 2) for i in range(20)]
    assert cmds[3].publish_time == T0 + 3 * 10**8 - 5 and cmds[3].log_time == T0 + 3 * 10**8
    frames = [m for m in messages if m.topic == '/camera/image_raw/compressed']
    assert frames[7].msg.header.stamp.nanosec == 7 and frames[7].type == IMAGE
    assert bytes(frames[7].msg.data) == bytes([7]) * 2000

    info = yaml.safe_load((tmp_path / 'run' / 'metadata.yaml').read_text())
    info = info['rosbag2_bagfile_information']
    assert info['message_count'] == 40 and info['relative_file_paths'] == ['run_0.mcap']
    counts = {t['topic_metadata']['name']: t['message_count']
              for t in info['topics_with_message_count']}
    assert counts == {'/cmd_vel': 20, '/camera/image_raw/compressed': 20}
    assert info['duration']['nanoseconds'] == 19 * 10**8 + 1


def test_split_by_size_and_duration_and_ring_of_files(tmp_path):
    writer = bag.BagWriter(tmp_path / 'sized', max_file_size=20_000, chunk_size=8_000)
    topics(writer)
    for i in range(60):
        writer.write('/camera/image_raw/compressed', image(i), T0 + i * 10**6)
    writer.close()
    files = bagread.bag_files(tmp_path / 'sized')
    assert len(files) >= 5
    for f in files[:-1]:  # the bound is checked before each message: overshoot < 1 chunk
        assert f.stat().st_size < 20_000 + 8_000 + 12_000  # + schemas and summary
    assert len(list(bagread.read_messages([tmp_path / 'sized']))) == 60

    writer = bag.BagWriter(tmp_path / 'timed', max_file_duration=1.0, max_files=2)
    topics(writer)
    for i in range(50):  # 5 s at 10 Hz: files of 1 s, only the last 2 kept
        writer.write('/cmd_vel', twist(i), T0 + i * 10**8)
    writer.close()
    files = bagread.bag_files(tmp_path / 'timed')
    assert [f.name for f in files] == ['timed_3.mcap', 'timed_4.mcap']
    values = [m.msg.linear.x for m in bagread.read_messages([tmp_path / 'timed'])]
    assert values == [float(i) for i in range(30, 50)]


class FullDisk:
    """An ``os.write`` on a disk of ``capacity`` bytes holding only this file.

    Writes what fits, then fails like a full disk (``error``); truncating the file frees
    space again, as on a real file system.
    """

    def __init__(self, capacity, error=errno.ENOSPC):
        self.capacity = capacity
        self.error = error

    def __call__(self, fd, data):
        room = self.capacity - os.fstat(fd).st_size
        if room <= 0:
            raise OSError(self.error, os.strerror(self.error))
        return os.write(fd, bytes(data[:room]))


@pytest.mark.parametrize('room', [30_000, 100_537, 200_003])
def test_full_disk_seals_a_readable_file_and_says_so(tmp_path, room):
    full = FullDisk(room)
    writer = bag.BagWriter(tmp_path / 'full', chunk_size=10_000, write=full)
    topics(writer)
    written = 0
    with pytest.raises(bag.DiskFullError) as caught:
        for i in range(1000):
            writer.write('/camera/image_raw/compressed', image(i), T0 + i * 10**6)
            written += 1
    assert caught.value.errno == errno.ENOSPC
    assert 'No space left on device' in str(caught.value)
    assert 'sealed (readable)' in str(caught.value)
    assert writer.closed
    with pytest.raises(ValueError, match='closed'):
        writer.write('/cmd_vel', twist(1), T0)
    path = tmp_path / 'full' / 'full_0.mcap'
    assert path.stat().st_size <= room
    messages = list(bagread.read_messages([path]))
    # Everything in the chunks that reached the disk is there, in order; at most the chunk
    # being written (and the one before, if even the footer did not fit) is lost.
    assert 0 < len(messages) <= written
    assert len(messages) >= written - 2 * (10_000 // 2000 + 1)
    assert [m.msg.header.stamp.nanosec for m in messages] == list(range(len(messages)))


def test_full_disk_while_closing_and_file_size_limit(tmp_path):
    full = FullDisk(10**9, error=errno.EFBIG)
    writer = bag.BagWriter(tmp_path / 'late', write=full)
    topics(writer)
    for i in range(30):
        writer.write('/camera/image_raw/compressed', image(i), T0 + i)
    # The chunk in progress (60 kB) does not fit any more: close must seal what it can.
    full.capacity = (tmp_path / 'late' / 'late_0.mcap').stat().st_size + 3000
    with pytest.raises(bag.DiskFullError, match='File too large'):
        writer.close()
    assert writer.closed
    # Nothing but the header reached the file: it is sealed empty, and still valid MCAP.
    assert list(bagread.read_messages([tmp_path / 'late'])) == []


def test_existing_bag_is_never_overwritten(tmp_path):
    (tmp_path / 'old').mkdir()
    (tmp_path / 'old' / 'old_0.mcap').write_bytes(b'precious')
    with pytest.raises(FileExistsError, match='already exists'):
        bag.BagWriter(tmp_path / 'old')
    assert (tmp_path / 'old' / 'old_0.mcap').read_bytes() == b'precious'
