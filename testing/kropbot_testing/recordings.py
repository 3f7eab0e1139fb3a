"""A synthetic-but-real recording of a drive, for the pilot's tests and benchmarks.

The recording is what the record node would write of a sim drive, made without DDS so it is
fast and exact: frames drawn by the real camera source (``kropbot_camera`` ``sim``, the
top-down view of the simulated robot, JPEG-encoded by the camera's encoder) at known poses,
and the command a driver gave at each frame, a known function of the pose: forward faster in
the upper half (y > 0), turning left in the left half (x < 0) and right in the right half.
"""

import math

from geometry_msgs.msg import Twist
from kropbot_camera.encode import JPEG_FORMAT, encode_jpeg
from kropbot_camera.sim_source import SimSource
import numpy as np
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CompressedImage

from kropbot_pilot import bag, msgdefs

T0 = 1_750_000_000 * 10**9  # ns
FRAME_PERIOD = 10**8  # ns: 10 fps
IMAGE = 'sensor_msgs/msg/CompressedImage'
TWIST = 'geometry_msgs/msg/Twist'


def expert_command(x, y):
    """Return the synthetic driver's command (linear m/s, angular rad/s) at (x, y) (m)."""
    return (0.25 if y > 0 else 0.1), (1.0 if x < 0 else -1.0)


def write_synthetic_bag(path, frames=240, seed=1, size=(128, 96)):
    """Write a bag of ``frames`` frames at 10 fps with their commands; return the poses."""
    rng = np.random.default_rng(seed)
    state = {'pose': None}
    source = SimSource(lambda: state['pose'], 4.0, size[0], size[1], trail_length=1)
    writer = bag.BagWriter(path)
    writer.add_topic(bag.TopicInfo('/camera/image_raw/compressed', IMAGE,
                                   msgdefs.full_text(IMAGE)))
    writer.add_topic(bag.TopicInfo('/cmd_vel', TWIST, msgdefs.full_text(TWIST)))
    poses = []
    for i in range(frames):
        t = T0 + i * FRAME_PERIOD
        x, y = rng.uniform(-1.6, 1.6, 2)
        pose = (float(x), float(y), float(rng.uniform(-math.pi, math.pi)))
        poses.append(pose)
        cmd = Twist()
        cmd.linear.x, cmd.angular.z = expert_command(x, y)
        writer.write('/cmd_vel', serialize_message(cmd), t - 10**7, t - 2 * 10**7)
        state['pose'] = pose
        source.grab()
        msg = CompressedImage()
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(t, 10**9)
        msg.header.frame_id = 'camera_optical_frame'
        msg.format = JPEG_FORMAT
        msg.data = encode_jpeg(source.retrieve(), 80)
        writer.write('/camera/image_raw/compressed', serialize_message(msg), t + 10**6, t)
    writer.close()
    return poses
