"""Training data from bags: each frame paired with the command in force when it was taken.

ROS-free and torch-free (numpy, OpenCV, mcap). The rule (:func:`command_in_force`): a frame
taken at ``t`` (its ``header.stamp``, the camera's capture time) is labelled with the newest
``cmd_vel`` sent at or before ``t``; the frame is dropped if there is none, or if that command
is older than ``max_command_age`` (the driver would have stopped: ``cmd_vel_timeout``, 0.5 s).
A command's time is its publish time (the sender's source timestamp, which both KropBot's
recorder and rosbag2 store), or its reception time if the bag has none; a
``geometry_msgs/TwistStamped`` command uses its ``header.stamp`` when set.
"""

from dataclasses import dataclass, field

import numpy as np

from kropbot_pilot.bagread import read_messages
from kropbot_pilot.contract import decode_jpeg, resize_rgb

IMAGE_TOPIC = '/camera/image_raw/compressed'
CMD_TOPIC = '/cmd_vel'
#: Frames of one block go to the same split, so near-identical neighbours never straddle it.
SPLIT_BLOCK = 5.0  # s


@dataclass
class Dataset:
    """Frames and their labels.

    Attributes:
        images: ``(N, H, W, 3)`` uint8 RGB, already resized.
        targets: ``(N, 2)`` float32: linear m/s, angular rad/s.
        stamps: ``(N,)`` int64 capture times, ns.
        stats: counts of what was read and dropped (``frames``, ``kept``, ``no_command``,
            ``stale_command``, ``undecodable``, ``commands``).

    """

    images: np.ndarray
    targets: np.ndarray
    stamps: np.ndarray
    stats: dict = field(default_factory=dict)

    def __len__(self):
        """Return the number of frames."""
        return len(self.targets)

    def subset(self, index):
        """Return the frames at ``index`` (an index array) as a new :class:`Dataset`."""
        return Dataset(self.images[index], self.targets[index], self.stamps[index],
                       dict(self.stats))


def _stamp_ns(stamp):
    return int(stamp.sec) * 10**9 + int(stamp.nanosec)


def command_in_force(frame_times, command_times, max_age):
    """Index of the command in force at each frame, or -1 (none, or stale).

    Args:
        frame_times: ``(N,)`` frame capture times, ns.
        command_times: ``(M,)`` command times, ns, sorted ascending.
        max_age: s; a command older than this at the frame's time is stale.

    Returns:
        ``(N,)`` int array: ``j`` with ``command_times[j] <= frame_time`` maximal and
        ``frame_time - command_times[j] <= max_age``, else -1.

    """
    frame_times = np.asarray(frame_times, dtype=np.int64)
    command_times = np.asarray(command_times, dtype=np.int64)
    if len(command_times) == 0:
        return np.full(len(frame_times), -1)
    index = np.searchsorted(command_times, frame_times, side='right') - 1
    valid = index >= 0
    age = frame_times - command_times[np.maximum(index, 0)]
    valid &= age <= int(max_age * 1e9)
    return np.where(valid, index, -1)


def _command(message):
    """Return ``(time ns, linear, angular)`` of a Twist or TwistStamped bag message."""
    msg = message.msg
    twist = getattr(msg, 'twist', msg)
    time = message.publish_time or message.log_time
    header = getattr(msg, 'header', None)
    if header is not None and (header.stamp.sec or header.stamp.nanosec):
        time = _stamp_ns(header.stamp)
    return time, float(twist.linear.x), float(twist.angular.z)


def load_dataset(paths, width, height, image_topic=IMAGE_TOPIC, cmd_topic=CMD_TOPIC,
                 max_command_age=0.5, progress=None):
    """Read bags and build a :class:`Dataset` of ``width`` x ``height`` frames.

    Args:
        paths: bag directories or ``.mcap`` files (KropBot's recorder or ``ros2 bag record``).
        width: frame width for the model, px.
        height: frame height, px.
        image_topic: a ``sensor_msgs/msg/CompressedImage`` topic (JPEG or PNG).
        cmd_topic: a ``geometry_msgs/msg/Twist`` or ``TwistStamped`` topic.
        max_command_age: s (see the module docstring).
        progress: optional callable ``(count)`` called per message read (a progress bar).

    Raises:
        kropbot_pilot.bagread.BagError: a path is not a bag.

    """
    frames, commands = [], []
    undecodable = 0
    for message in read_messages(paths, topics=[image_topic, cmd_topic]):
        if progress is not None:
            progress(1)
        if message.topic == cmd_topic:
            commands.append(_command(message))
            continue
        bgr = decode_jpeg(message.msg.data)
        if bgr is None:
            undecodable += 1
            continue
        frames.append((_stamp_ns(message.msg.header.stamp), resize_rgb(bgr, width, height)))
    frames.sort(key=lambda f: f[0])
    commands.sort(key=lambda c: c[0])
    frame_times = np.array([f[0] for f in frames], dtype=np.int64)
    cmd = np.array(commands, dtype=np.float64).reshape(-1, 3)
    index = command_in_force(frame_times, cmd[:, 0].astype(np.int64), max_command_age)
    keep = index >= 0
    no_command = int(np.sum(np.searchsorted(cmd[:, 0], frame_times, side='right') == 0))
    stats = {'frames': len(frames) + undecodable, 'kept': int(keep.sum()),
             'no_command': no_command, 'stale_command': int((~keep).sum()) - no_command,
             'undecodable': undecodable, 'commands': len(commands)}
    images = np.stack([f[1] for f, k in zip(frames, keep) if k]) if keep.any() \
        else np.zeros((0, height, width, 3), np.uint8)
    targets = cmd[index[keep]][:, 1:].astype(np.float32)
    return Dataset(images, targets, frame_times[keep], stats)


def split_by_blocks(stamps, val_fraction, seed=0, block=SPLIT_BLOCK):
    """Split frame indices into training and validation sets by time blocks.

    Frames are grouped into blocks of ``block`` seconds; a random ``val_fraction`` of the
    blocks (at least one, if there are two or more) is held out. Neighbouring frames are
    nearly identical, so a frame-wise random split would leak the validation set into training.

    Returns:
        ``(train_index, val_index)`` int arrays.

    Raises:
        ValueError: ``val_fraction`` not in (0, 1), or fewer than two blocks.

    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f'val_fraction must be in (0, 1), got {val_fraction}')
    stamps = np.asarray(stamps, dtype=np.int64)
    blocks = (stamps - stamps.min()) // int(block * 1e9) if len(stamps) else stamps
    unique = np.unique(blocks)
    if len(unique) < 2:
        raise ValueError(f'need at least {2 * block:g} s of frames to hold some out, got '
                         f'{len(unique)} block(s)')
    rng = np.random.default_rng(seed)
    count = min(len(unique) - 1, max(1, int(round(val_fraction * len(unique)))))
    held = rng.choice(unique, size=count, replace=False)
    val = np.isin(blocks, held)
    return np.flatnonzero(~val), np.flatnonzero(val)


def flip_horizontally(images, targets):
    """Mirror frames left-right and negate the angular command (the mirrored drive).

    Args:
        images: ``(N, H, W, 3)`` array.
        targets: ``(N, 2)`` linear, angular.

    Returns:
        ``(images, targets)``: new arrays.

    """
    flipped = np.ascontiguousarray(images[:, :, ::-1])
    mirrored = np.array(targets, dtype=np.float32, copy=True)
    mirrored[:, 1] = -mirrored[:, 1]
    return flipped, mirrored
