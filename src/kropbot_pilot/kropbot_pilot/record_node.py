"""Record node: writes the robot's drive (frames, command, pose, crowd) to a rosbag2 MCAP bag.

Thin rclpy wiring around :class:`kropbot_pilot.bag.BagWriter`: parameters
(:data:`kropbot_pilot.params.RECORD_PARAMETERS`), topic discovery, raw (serialized)
subscriptions whose CDR bytes go to the bag untouched, a flush timer. What it writes is a bag
``ros2 bag info`` / ``ros2 bag play`` read (see :mod:`kropbot_pilot.bag`). Exit codes: 0 after
SIGINT/SIGTERM or ``max_duration`` (the bag is finished and valid), 1 if it cannot start,
:data:`EXIT_DISK_FULL` when the disk filled up (the bag is sealed and readable).
"""

from datetime import datetime
from functools import partial
import importlib
import os
import sys

from kropbot_common.errors import StartupError
from kropbot_common.ros import declare_parameters, run_node
from kropbot_common.throttled_log import ThrottledLog
import rclpy
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, LivelinessPolicy, ReliabilityPolicy

from kropbot_pilot.bag import BagWriter, DiskFullError, QosProfile, TopicInfo
from kropbot_pilot.msgdefs import MessageDefinitionError, full_text, split_type
from kropbot_pilot.params import RECORD_PARAMETERS
from kropbot_pilot.qos import recording_qos

#: Exit code when the recording stopped because the disk (or quota, or file size limit) is full.
EXIT_DISK_FULL = 3
#: How often the ROS graph is checked for the topics still missing (s).
DISCOVERY_PERIOD = 0.5


def default_bag_name(now=None):
    """Return ``kropbot_YYYY_MM_DD-HH_MM_SS`` (rosbag2's default naming, local time)."""
    return (now or datetime.now()).strftime('kropbot_%Y_%m_%d-%H_%M_%S')


def message_class(type_name):
    """Return the Python class of ``pkg/msg/Type`` (imports ``pkg.msg``).

    Raises:
        MessageDefinitionError: the package or type is not installed.

    """
    package, name = split_type(type_name)
    try:
        return getattr(importlib.import_module(f'{package}.msg'), name)
    except (ImportError, AttributeError):
        raise MessageDefinitionError(f'message type {type_name} is not installed') from None


def offered_qos(profile):
    """Return an rclpy ``QoSProfile`` (a publisher's offer) as a :class:`bag.QosProfile`."""
    return QosProfile(
        history=HistoryPolicy(profile.history).name.lower(),
        depth=int(profile.depth),
        reliability=ReliabilityPolicy(profile.reliability).name.lower(),
        durability=DurabilityPolicy(profile.durability).name.lower(),
        deadline_ns=profile.deadline.nanoseconds,
        lifespan_ns=profile.lifespan.nanoseconds,
        liveliness=LivelinessPolicy(profile.liveliness).name.lower(),
        liveliness_lease_duration_ns=profile.liveliness_lease_duration.nanoseconds,
        avoid_ros_namespace_conventions=bool(profile.avoid_ros_namespace_conventions))


class RecordNode(Node):
    """The ``record`` node: subscribes to ``topics`` (serialized) and writes them to a bag.

    Args:
        **kwargs: passed to ``rclpy.node.Node``.

    Attributes:
        exit_code: 0, or :data:`EXIT_DISK_FULL` after a full disk stopped the recording.

    Raises:
        kropbot_common.params.ParameterError: a parameter is invalid.
        kropbot_common.errors.StartupError: the bag cannot be created (it exists, or the
            directory is not writable).

    """

    def __init__(self, **kwargs):
        super().__init__('record', **kwargs)
        values = declare_parameters(self, RECORD_PARAMETERS)
        self.exit_code = 0
        self._wanted = {self.resolve_topic_name(t): t for t in values['topics']}
        self._failed = set()
        path = os.path.abspath(os.path.expanduser(values['output'] or default_bag_name()))
        try:
            self._bag = BagWriter(path, max_file_size=values['max_file_size'],
                                  max_file_duration=values['max_file_duration'],
                                  max_files=values['max_files'],
                                  compression=values['compression'],
                                  ros_distro=os.environ.get('ROS_DISTRO', ''))
        except (OSError, ValueError) as exc:
            raise StartupError(f'cannot create bag {path}: {exc}') from None
        self._current_file = self._bag.current_file
        self._reported = False
        self._recording = {}
        self._missing_log = ThrottledLog(self.get_logger().info, 10.0)
        self._discovery = self.create_timer(DISCOVERY_PERIOD, self._discover)
        self.create_timer(values['flush_period'], self._flush)
        if values['max_duration'] > 0:
            self._stop_timer = self.create_timer(values['max_duration'], self._on_max_duration)
        self.get_logger().info(
            f"recording {', '.join(sorted(self._wanted))} to {path} (files of at most "
            f"{values['max_file_size']} B, at most {values['max_files'] or 'any number of'} "
            'files)')
        self._discover()

    # ---- discovery ------------------------------------------------------------------------
    def _discover(self):
        if self._bag.closed:
            return
        for name, types in self.get_topic_names_and_types():
            if name in self._wanted and name not in self._recording \
                    and name not in self._failed:
                self._subscribe(name, types)
        missing = sorted(set(self._wanted) - set(self._recording) - self._failed)
        if missing:
            self._missing_log('missing', f'waiting for publishers on {", ".join(missing)}',
                              self.get_clock().now().nanoseconds * 1e-9)

    def _subscribe(self, name, types):
        """Subscribe to ``name`` if it has a publisher (else retry at the next discovery).

        A topic may show up with subscribers only; they say nothing about what to record.
        """
        infos = [i for i in self.get_publishers_info_by_topic(name) if i.topic_type in types]
        if not infos:
            return
        type_name = infos[0].topic_type
        if len({i.topic_type for i in infos}) > 1:
            self.get_logger().warning(f'{name} has publishers of several types; recording '
                                      f'{type_name}')
        infos = [i for i in infos if i.topic_type == type_name]
        try:
            msg_type = message_class(type_name)
            topic = TopicInfo(name, type_name, full_text(type_name),
                              tuple(offered_qos(i.qos_profile) for i in infos),
                              str(infos[0].topic_type_hash))
            self._bag.add_topic(topic)
        except MessageDefinitionError as exc:
            self._failed.add(name)
            self.get_logger().error(f'not recording {name}: {exc}')
            return
        except DiskFullError as exc:
            self._stop_on_full_disk(exc)
            return
        self._recording[name] = self.create_subscription(
            msg_type, name, partial(self._on_message, name),
            recording_qos([i.qos_profile for i in infos]), raw=True)
        self.get_logger().info(f'recording {name} ({type_name})')

    # ---- writing --------------------------------------------------------------------------
    def _on_message(self, topic, data, info):
        if self._bag.closed:
            return
        log_time = self.get_clock().now().nanoseconds
        try:
            self._bag.write(topic, data, log_time, info.get('source_timestamp') or log_time)
        except DiskFullError as exc:
            self._stop_on_full_disk(exc)
            return
        if self._bag.current_file != self._current_file:
            self._current_file = self._bag.current_file
            self.get_logger().info(f'new file {self._current_file.name}')

    def _flush(self):
        if self._bag.closed:
            return
        try:
            self._bag.flush()
        except DiskFullError as exc:
            self._stop_on_full_disk(exc)

    def _stop_on_full_disk(self, exc):
        self.exit_code = EXIT_DISK_FULL
        self.get_logger().error(f'disk full: {exc.strerror} (bag {self._bag.path})')
        self._reported = True
        self.context.try_shutdown()

    def _on_max_duration(self):
        self.get_logger().info('max_duration reached: stopping')
        self._end()

    def _end(self):
        """Close the bag and shut the node's context down (run_node then returns)."""
        self._close_bag()
        self.context.try_shutdown()

    def _close_bag(self):
        if self._reported:
            return
        self._reported = True
        if not self._bag.closed:
            try:
                self._bag.close()
            except DiskFullError as exc:
                self.exit_code = EXIT_DISK_FULL
                self.get_logger().error(f'disk full: {exc.strerror} (bag {self._bag.path})')
                return
        # After SIGINT the context is down and the node logger could not reach rosout.
        logger = self.get_logger() if self.context.ok() else rclpy.logging.get_logger(
            'kropbot_pilot.record')
        logger.info(f'recorded {self._bag.message_count} messages in '
                    f'{len(self._bag.files)} file(s) to {self._bag.path}')

    def destroy_node(self):
        """Finish the bag (summary, footer, metadata.yaml), then destroy the node."""
        bag = getattr(self, '_bag', None)  # rclpy also destroys a node whose __init__ failed
        if bag is not None:
            self._close_bag()
        return super().destroy_node()


def main(args=None):
    """Record until SIGINT/SIGTERM or ``max_duration``; return the exit code (see module)."""
    nodes = []

    def make_node():
        nodes.append(RecordNode())
        return nodes[-1]

    code = run_node(make_node, args, name='record')
    return code or (nodes[0].exit_code if nodes else 0)


if __name__ == '__main__':
    sys.exit(main())
