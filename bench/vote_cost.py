"""Vote node CPU per vote with and without the senders' liveliness watch (issue 9).

Method: a vote node process (``executor`` events, the default) is started with
``liveliness_lease`` 0.3 s (the watch on, as shipped) or 0 (off), ``--repeat`` times each in
the order on, off, off, on, on, off... (ABBA: on a shared machine the second run of a pair tends
to cost more, and this order cancels that drift). This process publishes ``--rate`` votes/s
from ``--voters`` voter ids on ``crowd/vote`` as a declared sender (presence publisher on
``crowd/vote/alive`` with a 0.2 s liveliness lease, vote publisher with the gateway's QoS),
exactly as the gateway does. Over a ``--duration`` s window (plus 0.7 s before and after without
votes, so the ``accepted`` counter of ``crowd/status`` is read settled) it reads the vote node's
CPU time (``/proc``, psutil); ``us_per_vote`` = CPU-seconds / accepted votes, the node's timers
included (``idle_cpu_pct``, measured first with no votes, shows their share).
"""

import json
import os
import statistics
import time

from common import ProcessSampler, parser, print_table, write_json
from stack import LocalStack
from tqdm import tqdm

STATUS_WAIT = 0.7  # s: longer than one crowd/status period (2 Hz) plus delivery


class Publisher:
    """rclpy votes with the senders' QoS, and a crowd/status reader, in this process."""

    def __init__(self):
        from geometry_msgs.msg import TwistStamped
        from kropbot_common.ros_liveliness import declare_sender
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from std_msgs.msg import String

        self.rclpy = rclpy
        self.context = rclpy.context.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(f'bench_vote_cost_{os.getpid()}', context=self.context)
        self.pub = self.node.create_publisher(TwistStamped, 'crowd/vote', 100)  # gateway QoS
        self.presence = declare_sender(self.node, self.pub.topic_name)
        self.msg = TwistStamped()
        self.msg.twist.linear.x = 0.1
        self.accepted = None
        self.node.create_subscription(String, 'crowd/status', self._on_status, 10)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def _on_status(self, msg):
        self.accepted = json.loads(msg.data)['accepted']

    def spin(self, seconds):
        """Spin the reader for ``seconds``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)

    def run(self, seconds, rate, voters):
        """Publish ``rate`` votes/s over ``voters`` ids for ``seconds``; spin in between."""
        tick, sent = 0.01, 0
        start = time.monotonic()
        while (now := time.monotonic()) - start < seconds:
            due = rate * (now - start + tick)
            while sent < due:
                self.msg.header.frame_id = f'bench-{sent % voters}'
                self.pub.publish(self.msg)
                sent += 1
            self.executor.spin_once(timeout_sec=0.0)
            pause = now + tick - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        return sent

    def close(self):
        """Shut the node and its context down."""
        self.executor.shutdown()
        self.node.destroy_node()
        self.rclpy.try_shutdown(context=self.context)


def measure(pub, lease, args):
    with LocalStack() as stack:
        node = stack.start('kropbot_vote', 'vote_node', 'vote',
                           params={'liveliness_lease': lease, 'max_voters': 100000},
                           ready='fusing crowd/vote')
        pub.spin(args.settle)  # discovery and matching
        sampler = ProcessSampler([node.proc.pid])
        sampler.start()
        pub.spin(args.idle)
        idle = sampler.stop()[node.proc.pid]
        pub.run(1.0, args.rate, args.voters)  # warm-up
        pub.spin(STATUS_WAIT)  # the counter settles and a status reports it
        accepted0 = pub.accepted
        sampler = ProcessSampler([node.proc.pid])
        sampler.start()
        sent = pub.run(args.duration, args.rate, args.voters)
        pub.spin(STATUS_WAIT)
        busy = sampler.stop()[node.proc.pid]
        accepted = (pub.accepted or 0) - (accepted0 or 0)
    return {'watch': 'on' if lease > 0 else 'off', 'offered_votes_s': sent / args.duration,
            'accepted_votes_s': accepted / args.duration,
            'vote_cpu_pct': busy['cpu_pct'], 'idle_cpu_pct': idle['cpu_pct'],
            'us_per_vote': 1e6 * busy['cpu_s'] / accepted if accepted else float('nan')}


def main():
    p = parser(__doc__.split('\n\n')[0], 'vote_cost')
    p.add_argument('--rate', type=float, default=3000.0, help='votes per second offered')
    p.add_argument('--voters', type=int, default=1000, help='distinct voter ids')
    p.add_argument('--duration', type=float, default=10.0, help='measured window, s')
    p.add_argument('--idle', type=float, default=3.0, help='idle window before, s')
    p.add_argument('--settle', type=float, default=2.0, help='discovery time, s')
    p.add_argument('--repeat', type=int, default=2, help='runs of each configuration')
    args = p.parse_args()
    if args.short:
        args.rate, args.voters, args.duration, args.idle, args.settle, args.repeat = (
            300.0, 50, 1.0, 0.5, 0.5, 1)
    pub = Publisher()
    rows = []
    try:
        configs = [(0.3, 0.0) if i % 2 == 0 else (0.0, 0.3) for i in range(args.repeat)]
        configs = [lease for pair in configs for lease in pair]
        for lease in tqdm(configs, desc='vote_cost', unit='run'):
            rows.append(measure(pub, lease, args))
    finally:
        pub.close()
    summary = []
    for watch in ('off', 'on'):
        runs = [r for r in rows if r['watch'] == watch]
        summary.append({'watch': watch, 'runs': len(runs), **{
            k: statistics.median(r[k] for r in runs)
            for k in ('offered_votes_s', 'accepted_votes_s', 'vote_cpu_pct', 'idle_cpu_pct',
                      'us_per_vote')}})
    print_table("Vote node CPU per vote, senders' liveliness watch off/on (medians)",
                ['watch', 'runs', 'offered_votes_s', 'accepted_votes_s', 'vote_cpu_pct',
                 'idle_cpu_pct', 'us_per_vote'], summary)
    write_json(args.json, 'vote_cost', {**vars(args), 'runs_detail': rows}, summary)


if __name__ == '__main__':
    main()
