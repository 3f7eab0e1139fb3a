"""A rosbag2-compatible MCAP bag writer: split files, bounded size, safe on a full disk (ROS-free).

What ``ros2 bag record -s mcap`` writes, and so what ``ros2 bag info/play`` (Jazzy, Kilted) read,
checked against rosbag2's ``rosbag2_storage_mcap/src/mcap_storage.cpp`` and
``rosbag2_storage/yaml.hpp`` / ``qos.cpp`` (metadata version 9) and the MCAP ``ros2`` profile:

* a bag is a **directory** ``<name>/`` holding ``<name>_0.mcap``, ``<name>_1.mcap``, ... and a
  ``metadata.yaml`` (key ``rosbag2_bagfile_information``); every ``.mcap`` file is also a valid
  bag on its own (``ros2 bag info <name>_0.mcap``);
* each file: header profile ``ros2``; one schema per type, named ``pkg/msg/Type``, encoding
  ``ros2msg``, data the full ``.msg`` text (:mod:`kropbot_pilot.msgdefs`); one channel per topic
  (fully qualified name), message encoding ``cdr``, channel metadata ``offered_qos_profiles``
  (YAML list of the publishers' QoS, rosbag2's version 9 field names and policy strings) and
  ``topic_type_hash`` (``RIHS01_...``); messages hold the CDR bytes as received, ``log_time`` =
  reception time, ``publish_time`` = the publisher's source timestamp (ns since the epoch);
* at close a metadata record named ``rosbag2`` with key ``serialized_metadata`` (the bag
  metadata of that file as YAML), then the summary (schemas, channels, statistics, chunk and
  metadata indexes) and the footer. Chunks are uncompressed by default, as rosbag2's.

Bounded size: a new file starts when the current one reaches ``max_file_size`` bytes (checked
before each message, so a file may exceed it by at most one chunk) or spans
``max_file_duration`` s (rosbag2's ``--max-bag-size`` / ``--max-bag-duration``); with
``max_files`` > 0 the oldest file is deleted when a new one would make more (a ring buffer:
the bag never holds more than about ``max_files * max_file_size`` bytes).

Full disk: every write goes through :class:`GuardedFile`, which cuts a failed write back off
the file (so the file always ends on a record boundary). On ``ENOSPC``, ``EDQUOT`` or ``EFBIG``
the writer seals the file with a data-end record and a footer (no summary section: readers
rebuild it by scanning, as rosbag2's reader and ``mcap`` do), dropping the last written chunks
only if even these ~50 bytes do not fit, writes ``metadata.yaml`` if it can, and raises
:class:`DiskFullError`. Messages still in the unwritten chunk (at most one chunk, or one flush
period) are lost.
"""


import os
from pathlib import Path

from mcap import __version__ as _MCAP_VERSION
from mcap.well_known import MessageEncoding, Profile, SchemaEncoding
from mcap.writer import CompressionType, Writer
import yaml

from kropbot_pilot.bag_metadata import FileStats, QosProfile, TopicInfo, bag_metadata
from kropbot_pilot.guarded_file import DiskFullError, GuardedFile, minimal_ending

__all__ = ['BagWriter', 'COMPRESSIONS', 'DiskFullError', 'QosProfile', 'TopicInfo']

#: ``compression`` values accepted by :class:`BagWriter` (per chunk).
COMPRESSIONS = {'none': CompressionType.NONE, 'zstd': CompressionType.ZSTD,
                'lz4': CompressionType.LZ4}
#: Bytes a message record adds besides its data (opcode, length, channel, sequence, 2 times;
#: plus its message index entry).
_MESSAGE_OVERHEAD = 1 + 8 + 2 + 4 + 8 + 8 + 16
#: Header ``library`` field.
LIBRARY = f'kropbot_pilot; mcap {_MCAP_VERSION}'


class BagWriter:
    """Write a rosbag2 MCAP bag directory (see the module docstring).

    Args:
        path: the bag directory to create (must not exist, or be empty).
        max_file_size: start a new file at this size, bytes (0: never).
        max_file_duration: start a new file when it spans this long, s (0: never).
        max_files: keep at most this many files, deleting the oldest (0: keep all).
        compression: one of :data:`COMPRESSIONS` (per chunk).
        chunk_size: uncompressed chunk size, bytes.
        ros_distro: written into the metadata (``ROS_DISTRO``).
        write: ``os.write``-like function for the files (tests inject a full disk).

    Raises:
        FileExistsError: ``path`` exists and is not an empty directory.
        ValueError: a negative limit or an unknown compression.

    """

    def __init__(self, path, *, max_file_size=0, max_file_duration=0.0, max_files=0,
                 compression='none', chunk_size=1024 * 1024, ros_distro='', write=os.write):
        if max_file_size < 0 or max_file_duration < 0 or max_files < 0:
            raise ValueError('bag limits must be >= 0')
        if compression not in COMPRESSIONS:
            raise ValueError(f'compression must be one of {", ".join(COMPRESSIONS)}, '
                             f'got {compression!r}')
        self.path = Path(path)
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise FileExistsError(f'bag {self.path} already exists; give a new name')
        self.path.mkdir(parents=True, exist_ok=True)
        self.name = self.path.name
        self.max_file_size = int(max_file_size)
        self.max_file_duration_ns = int(max_file_duration * 1e9)
        self.max_files = int(max_files)
        self._compression = COMPRESSIONS[compression]
        self._chunk_size = int(chunk_size)
        self.ros_distro = ros_distro
        self._os_write = write
        self.topics = {}  # name -> TopicInfo
        self.files = []  # _FileStats, oldest first (deleted ones removed)
        self._index = 0
        self._file = None
        self._writer = None
        self._channels = {}  # topic -> channel id in the current file
        self._data_start = 0
        self.closed = False
        self.message_count = 0
        self._open_next()

    # ---- public API -----------------------------------------------------------------------
    @property
    def current_file(self):
        """Path of the file being written (None once closed)."""
        return None if self.closed else self.files[-1].path

    def add_topic(self, topic):
        """Add a :class:`TopicInfo` (schema + channel in the current and every later file).

        Raises:
            ValueError: the topic exists with another type.
            DiskFullError: see :meth:`write`.

        """
        self._check_open()
        known = self.topics.get(topic.name)
        if known is not None:
            if known.type != topic.type:
                raise ValueError(f'topic {topic.name} already recorded as {known.type}, '
                                 f'not {topic.type}')
            return
        self.topics[topic.name] = topic
        self._guarded(self._register, topic)

    def write(self, topic, data, log_time, publish_time=None):
        """Append one serialized (CDR) message.

        Args:
            topic: name of a topic added with :meth:`add_topic`.
            data: the CDR bytes.
            log_time: reception time, ns since the epoch.
            publish_time: send time, ns (default ``log_time``).

        Raises:
            KeyError: unknown topic.
            DiskFullError: no room left; the bag has been sealed and closed (readable).

        """
        self._check_open()
        if topic not in self._channels:
            raise KeyError(f'topic {topic} was not added to the bag')
        stats = self.files[-1]
        if self._rotation_due(stats, log_time):
            self._guarded(self._rotate)
            stats = self.files[-1]
        publish_time = log_time if publish_time is None else publish_time
        self._guarded(self._writer.add_message, self._channels[topic], int(log_time),
                      bytes(data), int(publish_time))
        stats.add(topic, int(log_time))
        self.message_count += 1
        self._pending += len(data) + _MESSAGE_OVERHEAD

    def flush(self):
        """Write the chunk in progress to the file (bounds what a power cut can lose).

        Raises:
            DiskFullError: see :meth:`write`.

        """
        self._check_open()
        self._guarded(self._writer.flush)

    def close(self):
        """Finish the current file (metadata record, summary, footer) and write metadata.yaml.

        Idempotent. Raises :class:`DiskFullError` if the disk filled up while finishing (the
        file is then sealed without a summary and still readable).
        """
        if self.closed:
            return
        try:
            self._guarded(self._finish_file)
        finally:
            self.closed = True
        self._write_metadata_yaml()

    # ---- internals ------------------------------------------------------------------------
    def _check_open(self):
        if self.closed:
            raise ValueError(f'bag {self.path} is closed')

    def _rotation_due(self, stats, log_time):
        if stats.count == 0:
            return False
        if self.max_file_size and self._size_estimate() >= self.max_file_size:
            return True
        return bool(self.max_file_duration_ns
                    and int(log_time) - stats.start >= self.max_file_duration_ns)

    def _size_estimate(self):
        """Bytes on disk plus the messages of the chunk not yet written (an estimate)."""
        written = self._file.tell()
        if written != self._written:
            self._written, self._pending = written, 0
        return written + self._pending

    def _open_next(self):
        path = self.path / f'{self.name}_{self._index}.mcap'
        self._index += 1
        self._file = GuardedFile(path, write=self._os_write)
        self.files.append(FileStats(path))
        self._writer = Writer(self._file, chunk_size=self._chunk_size,
                              compression=self._compression)
        self._channels = {}
        self._data_start = None  # set once the header is on disk
        self._writer.start(profile=Profile.ROS2, library=LIBRARY)
        self._data_start = self._file.tell()
        self._data_end = None
        self._written, self._pending = self._data_start, 0
        for topic in self.topics.values():
            self._register(topic)
        if self.max_files and len(self.files) > self.max_files:
            oldest = self.files.pop(0)
            oldest.path.unlink(missing_ok=True)

    def _register(self, topic):
        schema_id = self._writer.register_schema(topic.type, SchemaEncoding.ROS2,
                                                 topic.definition.encode('utf-8'))
        qos = yaml.safe_dump([q.to_dict() for q in topic.offered_qos], sort_keys=False)
        self._channels[topic.name] = self._writer.register_channel(
            topic.name, MessageEncoding.CDR, schema_id,
            {'offered_qos_profiles': qos if topic.offered_qos else '',
             'topic_type_hash': topic.type_hash})

    def _finish_file(self):
        stats = self.files[-1]
        meta = bag_metadata([stats], self.topics, self.ros_distro)
        self._writer.flush()
        self._writer.add_metadata('rosbag2', {
            'serialized_metadata': yaml.safe_dump(meta, sort_keys=False)})
        self._data_end = self._file.tell()  # the data section ends here (DataEnd follows)
        self._writer.finish()
        self._file.close()

    def _rotate(self):
        self._finish_file()
        self._write_metadata_yaml()
        self._open_next()

    def _guarded(self, action, *args):
        """Run a write action; on a full disk seal the current file, close, and re-raise."""
        try:
            return action(*args)
        except DiskFullError as exc:
            sealed = self._seal()
            self.closed = True
            self._write_metadata_yaml()
            last = self.files[-1].path.name if self.files else 'no file'
            state = 'sealed (readable)' if sealed else 'could not be sealed'
            raise DiskFullError(exc.errno, f'{exc.strerror}; recording stopped after '
                                           f'{self.message_count} messages, {last} {state}'
                                ) from None

    def _seal(self):
        """Close the current file with :func:`minimal_ending`, cutting writes until it fits."""
        if self._data_start is None:  # not even the header fitted: drop the empty file
            self._file.close()
            self.files.pop().path.unlink(missing_ok=True)
            return bool(self.files)
        ending = minimal_ending()
        if self._data_end is not None and self._file.tell() > self._data_end:
            self._file.cut(self._data_end)  # finish() failed after the data section: redo
        try:
            while True:
                try:
                    self._file.write(ending)
                    return True
                except DiskFullError:
                    if not self._file.drop_last_write(self._data_start):
                        return False
        finally:
            self._file.close()

    def _write_metadata_yaml(self):
        """Write metadata.yaml atomically (best effort on a full disk)."""
        target = self.path / 'metadata.yaml'
        tmp = self.path / '.metadata.yaml.tmp'
        text = yaml.safe_dump(
            {'rosbag2_bagfile_information': bag_metadata(self.files, self.topics,
                                                         self.ros_distro)}, sort_keys=False)
        try:
            tmp.write_text(text)
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)
