"""rosbag2's bag metadata, as ``metadata.yaml`` and the MCAP ``rosbag2`` record hold it (pure).

Field names and formats of metadata version 9 (rosbag2 ``rosbag2_storage/yaml.hpp`` and
``qos.cpp``, read, not copied): durations ``{nanoseconds}``, start ``{nanoseconds_since_epoch}``,
offered QoS profiles as mappings with rmw's lower-case policy names and ``{sec, nsec}``
durations. See :mod:`kropbot_pilot.bag` for the writer.
"""

from dataclasses import dataclass, field
from pathlib import Path

#: rosbag2 bag metadata format version written (Jazzy and Kilted read it).
METADATA_VERSION = 9
#: ``storage_identifier`` of the MCAP storage plugin.
STORAGE_ID = 'mcap'
#: rmw's ``RMW_DURATION_INFINITE`` in ns (``{sec: 9223372036, nsec: 854775807}``).
INFINITE_NS = 2**63 - 1


@dataclass(frozen=True)
class QosProfile:
    """One offered QoS profile as rosbag2 stores it (metadata version 9).

    Policies are rmw's lower-case names (``rmw_qos_*_policy_to_str``): history ``keep_last``,
    ``keep_all``, ``system_default`` or ``unknown`` (what DDS discovery reports); reliability
    ``reliable``, ``best_effort``...; durability ``volatile``, ``transient_local``...;
    liveliness ``automatic``, ``manual_by_topic``... Durations in ns (``INFINITE_NS`` =
    infinite).
    """

    history: str = 'unknown'
    depth: int = 0
    reliability: str = 'reliable'
    durability: str = 'volatile'
    deadline_ns: int = INFINITE_NS
    lifespan_ns: int = INFINITE_NS
    liveliness: str = 'automatic'
    liveliness_lease_duration_ns: int = INFINITE_NS
    avoid_ros_namespace_conventions: bool = False

    def to_dict(self):
        """Return the profile as rosbag2's YAML mapping (``{sec, nsec}`` durations)."""
        def duration(ns):
            return {'sec': int(ns) // 10**9, 'nsec': int(ns) % 10**9}
        return {'history': self.history, 'depth': int(self.depth),
                'reliability': self.reliability, 'durability': self.durability,
                'deadline': duration(self.deadline_ns), 'lifespan': duration(self.lifespan_ns),
                'liveliness': self.liveliness,
                'liveliness_lease_duration': duration(self.liveliness_lease_duration_ns),
                'avoid_ros_namespace_conventions': bool(self.avoid_ros_namespace_conventions)}


@dataclass(frozen=True)
class TopicInfo:
    """A topic of the bag.

    Attributes:
        name: fully qualified topic name, e.g. ``/camera/image_raw/compressed``.
        type: ``pkg/msg/Type``.
        definition: the full ``ros2msg`` text (:func:`kropbot_pilot.msgdefs.full_text`).
        offered_qos: tuple of :class:`QosProfile` of the publishers seen.
        type_hash: ``RIHS01_<sha256>`` type description hash, '' if unknown.

    """

    name: str
    type: str
    definition: str
    offered_qos: tuple = ()
    type_hash: str = ''

    def metadata(self):
        """Return rosbag2's ``topic_metadata`` mapping (version 9)."""
        return {'name': self.name, 'type': self.type, 'serialization_format': 'cdr',
                'offered_qos_profiles': [q.to_dict() for q in self.offered_qos],
                'type_description_hash': self.type_hash}

@dataclass
class FileStats:
    """Counts of one ``.mcap`` file of a bag (times in ns since the epoch)."""

    path: Path
    start: int = 0  # ns, first log time
    end: int = 0  # ns, last log time
    count: int = 0
    per_topic: dict = field(default_factory=dict)

    def add(self, topic, log_time):
        """Count one message of ``topic`` logged at ``log_time`` (ns)."""
        self.start = log_time if self.count == 0 else min(self.start, log_time)
        self.end = max(self.end, log_time)
        self.count += 1
        self.per_topic[topic] = self.per_topic.get(topic, 0) + 1

    def info(self):
        """Return the file's entry of ``files`` in the bag metadata."""
        return {'path': self.path.name,
                'starting_time': {'nanoseconds_since_epoch': self.start},
                'duration': {'nanoseconds': self.end - self.start},
                'message_count': self.count}


def bag_metadata(files, topics, ros_distro=''):
    """Return rosbag2's ``BagMetadata`` mapping (version 9) for ``files`` (list of stats)."""
    counted = [f for f in files if f.count]
    start = min((f.start for f in counted), default=0)
    end = max((f.end for f in counted), default=0)
    return {
        'version': METADATA_VERSION,
        'storage_identifier': STORAGE_ID,
        'duration': {'nanoseconds': end - start},
        'starting_time': {'nanoseconds_since_epoch': start},
        'message_count': sum(f.count for f in files),
        'topics_with_message_count': [
            {'topic_metadata': t.metadata(),
             'message_count': sum(f.per_topic.get(t.name, 0) for f in files)}
            for t in topics.values()],
        'compression_format': '',
        'compression_mode': '',
        'relative_file_paths': [f.path.name for f in files],
        'files': [f.info() for f in files],
        'custom_data': {},
        'ros_distro': ros_distro,
    }
