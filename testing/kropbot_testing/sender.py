"""A ROS 2 command sender in its own process, for tests that ``kill -9`` it (not a KropBot node).

``python -m kropbot_testing.sender vote|batch|teleop [--qos sender|default] [--linear V]
[--angular W] [--rate HZ] [--voter ID]`` publishes a ``geometry_msgs/TwistStamped`` vote on
``crowd/vote`` (``header.frame_id`` = ``--voter``), a one-vote ``std_msgs/String`` batch on
``crowd/vote_batch`` (as ``relay_link`` does, :mod:`kropbot_common.vote_batch`) or a
``geometry_msgs/Twist`` on ``teleop/cmd_vel`` at ``--rate`` Hz until killed, with a plain
``QoSProfile(depth=10)`` (as ``ros2 topic pub``). ``--qos sender`` (default) also declares it
a sender (``kropbot_common.ros_liveliness.declare_sender``, as the gateway and ``relay_link``
do), so its commands end when it dies; ``--qos default`` does not.
It prints one line ``publishing`` once the first message is out, then nothing.
"""

import argparse
import os
from pathlib import Path
import subprocess
import sys
import time

TESTING = Path(__file__).resolve().parents[1]  # testing/, put on the child's PYTHONPATH


def start_sender(kind, log_path, **options):
    """Start ``python -m kropbot_testing.sender kind`` (options as ``--name value``).

    Returns the ``Popen`` once the process printed ``publishing`` (its first message is out).
    Its output goes to ``log_path``.

    Raises:
        RuntimeError: if it exits or stays silent for 30 s (the log is in the message).

    """
    args = [sys.executable, '-m', 'kropbot_testing.sender', kind]
    for name, value in options.items():
        args += [f'--{name}', str(value)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(TESTING), os.environ.get('PYTHONPATH')) if p))
    log = open(log_path, 'wb')
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while b'publishing' not in Path(log_path).read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait(5)
            raise RuntimeError(f'sender did not start: {Path(log_path).read_text()}')
        time.sleep(0.05)
    return proc


def main(argv=None):
    """Publish until killed (SIGINT ends it cleanly); return the exit code."""
    p = argparse.ArgumentParser(prog='python -m kropbot_testing.sender')
    p.add_argument('kind', choices=('vote', 'batch', 'teleop'))
    p.add_argument('--qos', choices=('sender', 'default'), default='sender')
    p.add_argument('--linear', type=float, default=0.2, help='linear.x, m/s')
    p.add_argument('--angular', type=float, default=0.0, help='angular.z, rad/s')
    p.add_argument('--rate', type=float, default=20.0, help='messages per second')
    p.add_argument('--voter', default='ros-sender', help='voter id (votes only)')
    args = p.parse_args(argv)

    from geometry_msgs.msg import Twist, TwistStamped
    from kropbot_common.ros_liveliness import declare_sender
    import rclpy
    from rclpy.qos import QoSProfile
    from std_msgs.msg import String

    from kropbot_common import vote_batch

    rclpy.init()
    node = rclpy.create_node(f'test_sender_{args.kind}')
    qos = QoSProfile(depth=10)
    if args.kind == 'vote':
        pub = node.create_publisher(TwistStamped, 'crowd/vote', qos)
        msg = TwistStamped()
        msg.header.frame_id = args.voter
        msg.twist.linear.x, msg.twist.angular.z = args.linear, args.angular
    elif args.kind == 'batch':
        pub = node.create_publisher(String, 'crowd/vote_batch', qos)
        msg = String(data=vote_batch.encode([(args.voter, args.linear, args.angular)]))
    else:
        pub = node.create_publisher(Twist, 'teleop/cmd_vel', qos)
        msg = Twist()
        msg.linear.x, msg.angular.z = args.linear, args.angular
    if args.qos == 'sender':
        presence = declare_sender(node, pub.topic_name)  # noqa: F841 - kept alive
    first = True
    try:
        while rclpy.ok():
            pub.publish(msg)
            if first:
                print('publishing', flush=True)
                first = False
            time.sleep(1.0 / args.rate)
    except Exception:  # noqa: BLE001 - SIGINT shut the context down mid-publish
        pass
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
