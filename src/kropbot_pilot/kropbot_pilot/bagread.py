"""Reading rosbag2 MCAP bags: the files of a bag and their decoded messages (ROS-free).

Reads what :mod:`kropbot_pilot.bag` writes and what ``ros2 bag record -s mcap`` writes: a bag
directory (the files named in its ``metadata.yaml``, else every ``*.mcap`` in it, in name
order) or single ``.mcap`` files. Messages are decoded with ``mcap-ros2-support`` from the
schemas stored in the file, so no ROS installation is needed.
"""

from dataclasses import dataclass
from pathlib import Path
import re

from mcap.exceptions import McapError
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
import yaml


class BagError(ValueError):
    """A path is not a bag (no ``.mcap`` file) or a file cannot be read as MCAP."""


@dataclass(frozen=True)
class BagMessage:
    """One decoded message.

    Attributes:
        topic: channel topic (fully qualified name).
        type: schema name (``pkg/msg/Type``).
        msg: the decoded message (attribute access like a ROS message).
        log_time: reception time, ns.
        publish_time: send time, ns (0 if the writer did not know it).

    """

    topic: str
    type: str
    msg: object
    log_time: int
    publish_time: int


def _natural_key(path):
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', path.name)]


def bag_files(path):
    """Return the ``.mcap`` files of a bag directory or file ``path``, in recording order.

    Raises:
        BagError: ``path`` does not exist or holds no ``.mcap`` file.

    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise BagError(f'{path}: no such bag (directory or .mcap file)')
    files = []
    meta = path / 'metadata.yaml'
    if meta.is_file():
        try:
            info = yaml.safe_load(meta.read_text())['rosbag2_bagfile_information']
            files = [path / name for name in info.get('relative_file_paths', [])
                     if (path / name).is_file()]
        except (yaml.YAMLError, KeyError, TypeError):
            files = []
    if not files:
        files = sorted(path.glob('*.mcap'), key=_natural_key)
    if not files:
        raise BagError(f'{path}: no .mcap file in this directory')
    return files


def read_messages(paths, topics=None):
    """Yield :class:`BagMessage` from bags (directories or files), file by file, in log time.

    Args:
        paths: iterable of bag directories or ``.mcap`` files.
        topics: topic names to read (None: all).

    Raises:
        BagError: a path is not a bag or a file is not readable MCAP.

    """
    for bag in paths:
        for file in bag_files(bag):
            yield from _read_file(file, topics)


def _read_file(file, topics):
    with open(file, 'rb') as stream:
        try:
            reader = make_reader(stream, decoder_factories=[DecoderFactory()])
            for schema, channel, message, decoded in reader.iter_decoded_messages(
                    topics=topics, log_time_order=True):
                yield BagMessage(channel.topic, schema.name if schema else '', decoded,
                                 message.log_time, message.publish_time)
        except (McapError, ValueError, EOFError, KeyError) as exc:
            raise BagError(f'{file}: not a readable MCAP file ({exc})') from None
