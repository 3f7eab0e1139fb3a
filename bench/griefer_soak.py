"""Griefer soak: scripted griefers drive the sim arena, with and without the cliff guard.

30 simulated minutes per griefer strategy and guard setting.

Protocol (issue 14, "Proof"). Three griefer strategies each have the robot to themselves (the
whole crowd agrees) in the default world (the stairwell room), from the newcomer's start pose:

- ``random``: a random command (v in [-0.1, 0.3] m/s, w in [-1.5, 1.5] rad/s) held 1 s at a
  time;
- ``forward``: always full speed forward (0.3 m/s), steering randomly (w in [-1, 1] rad/s, 1 s);
- ``pit``: aims for the stairwell: full speed towards the nearest point of the pit.

Each runs ``--minutes`` of simulated time with the guard (``kropbot_guard.core.GuardCore`` with
the sim's configuration: both sensors enforced, robot.yaml's thresholds) and without it. A fall
puts the robot back on the start pose (as ``sim/reset`` would) and counts.

It is the pure roll-out (:func:`kropbot_sim.rollout.rollout`, the driver's sim step rules at its
50 ms control period, no DDS), so 30 simulated minutes take seconds: the DDS path of the same
chain is covered by ``tests/test_guard_stack.py``. The sensing is modelled as the stack does it
(``kropbot_guard.stopping.SIM``): the range sensor node samples ``cliff_range``/``front_range``
(:mod:`kropbot_sim.ranges`, robot.yaml's mountings and limits) 25 times a second from the newest
``odom`` (the pose at the last driver step), each reading reaches the guard ``--transport`` s
later, and the driver applies the guard's newest command for a whole control period.

Per strategy and guard setting, summed over the runs (one per ``--seeds`` entry), the table
reports falls (goal: 0 with the guard) and the most in one run, collisions (contact episodes
with walls and boxes), distance driven (m), and the time the guard stopped (forward refused) or
slowed a forward command (s).
"""

import argparse
from collections import namedtuple
import math
from pathlib import Path
import sys
import time

from common import parser, print_table, write_json
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORLD = ROOT / 'src' / 'kropbot_bringup' / 'config' / 'sim_world.yaml'
DT = 0.05                 # s, the driver's control period (update_rate 20 Hz)
SENSOR_RATE = 25.0        # Hz, range_sensors' rate in robot.yaml
MAX_LINEAR, MAX_ANGULAR = 0.3, 1.5
HOLD = 1.0                # s a random griefer holds a command
STRATEGIES = ('random', 'forward', 'pit')

Sim = namedtuple('Sim', 'core kinematics ranges rollout world')


def load():
    """Import the arena and guard packages, or exit with a clear message."""
    try:
        from kropbot_guard import core
        from kropbot_sim import kinematics, ranges, rollout, world
    except ImportError as exc:
        sys.exit(f'griefer_soak needs kropbot_sim and kropbot_guard ({exc}); build the '
                 'workspace (tools/setup.sh) and source tools/env.sh')
    return Sim(core, kinematics, ranges, rollout, world)


def griefer(name, world, dt=DT):
    """Return the policy ``(pose, world, rng) -> (v, w)`` of a griefer strategy."""
    held = {'until': -1.0, 'cmd': (0.0, 0.0), 't': 0.0}

    def hold(rng, draw):
        held['t'] += dt
        if held['t'] >= held['until']:
            held['cmd'], held['until'] = draw(rng), held['t'] + HOLD
        return held['cmd']

    if name == 'random':
        return lambda pose, w, rng: hold(rng, lambda r: (float(r.uniform(-0.1, MAX_LINEAR)),
                                                         float(r.uniform(-MAX_ANGULAR,
                                                                         MAX_ANGULAR))))
    if name == 'forward':
        return lambda pose, w, rng: hold(rng, lambda r: (MAX_LINEAR, float(r.uniform(-1, 1))))
    if name == 'pit':
        pit = world.pits[0]
        (cx, cy), (sx, sy) = pit.center, pit.size

        def aim(pose, w, rng):
            # nearest point of the (axis-aligned) pit rectangle, then steer at it
            tx = min(max(pose.x, cx - sx / 2), cx + sx / 2)
            ty = min(max(pose.y, cy - sy / 2), cy + sy / 2)
            if math.hypot(tx - pose.x, ty - pose.y) < 1e-6:
                tx, ty = cx, cy
            error = math.atan2(ty - pose.y, tx - pose.x) - pose.yaw
            error = math.atan2(math.sin(error), math.cos(error))
            return MAX_LINEAR, max(-MAX_ANGULAR, min(MAX_ANGULAR, 3.0 * error))
        return aim
    raise ValueError(f'unknown strategy {name!r}')


class Guarded:
    """A policy seen through the modelled sensors and the guard core (see the module docstring).

    Args:
        sim: :func:`load`'s modules.
        policy: the griefer.
        world: the world.
        transport: s from a sensor sample to the guard.
        noise: m, Gaussian noise of both sensors.
        enabled: False = the griefer drives the robot directly (no guard).

    Attributes:
        stopped: s during which a forward command was refused.
        slowed: s during which a forward command was reduced but not refused.

    """

    def __init__(self, sim, policy, world, transport=0.01, noise=0.0, enabled=True):
        self.sim, self.policy, self.world = sim, policy, world
        self.enabled = enabled
        self.transport = transport
        self.core = sim.core.GuardCore(sim.core.GuardConfig(front_mode='enforce'))
        spec = sim.ranges.RangeSpec
        self.cliff = spec(x=0.08, z=0.03, min_range=0.005, max_range=0.2, field_of_view=0.4363,
                          noise_std=noise)
        self.front = spec(x=0.08, z=0.05, min_range=0.03, max_range=1.2, field_of_view=0.4363,
                          noise_std=noise)
        self.t = 0.0
        self.poses = []           # pose at each driver step (what odom says then), by step
        self.next_sample = 0.0
        self.pending = []         # (arrival, cliff, front)
        self.stopped = 0.0
        self.slowed = 0.0
        self.rng = np.random.default_rng(12345)

    def __call__(self, pose, world, rng):
        """Return the guarded command for ``pose`` (the roll-out's policy interface)."""
        v, w = self.policy(pose, world, rng)
        t = self.t
        self.t += DT
        if not self.enabled:
            return v, w
        self.poses.append(pose)
        while self.next_sample <= t + 1e-9:       # samples taken since the last step
            newest = self.poses[int(self.next_sample / DT + 1e-9)]   # odom at that instant
            self.pending.append((self.next_sample + self.transport,
                                 self.sim.ranges.cliff_range(world, newest, self.cliff,
                                                             self.rng),
                                 self.sim.ranges.front_range(world, newest, self.front,
                                                             self.rng)))
            self.next_sample += 1.0 / SENSOR_RATE
        while self.pending and self.pending[0][0] <= t + 1e-9:
            arrival, cliff, front = self.pending.pop(0)
            self.core.reading('cliff', cliff, arrival)
            self.core.reading('front', front, arrival)
        decision = self.core.filter(v, w, t)
        self.core.published(decision.linear, decision.angular, t)
        if decision.limited:
            if decision.linear == 0.0:
                self.stopped += DT
            else:
                self.slowed += DT
        return decision.linear, decision.angular


def run(sim, world, strategy, guarded, minutes, seeds, transport, noise):
    """Run one soak of ``minutes`` per seed in ``seeds``; return its table row (summed)."""
    row = {'strategy': strategy, 'guard': 'on' if guarded else 'off', 'runs': 0,
           'minutes': 0.0, 'falls': 0, 'worst_run_falls': 0, 'collisions': 0,
           'distance_m': 0.0, 'stopped_s': 0.0, 'slowed_s': 0.0, 'wall_s': 0.0}
    for seed in seeds:
        policy = Guarded(sim, griefer(strategy, world), world, transport, noise,
                         enabled=guarded)
        wall = time.perf_counter()
        result = sim.rollout.rollout(world, policy, world.starts[0],
                                     duration=minutes * 60.0, dt=DT, seed=seed,
                                     max_linear=MAX_LINEAR, max_angular=MAX_ANGULAR,
                                     on_fall='reset')
        row['runs'] += 1
        row['minutes'] += result.duration / 60.0
        row['falls'] += result.falls
        row['worst_run_falls'] = max(row['worst_run_falls'], result.falls)
        row['collisions'] += result.collisions
        row['distance_m'] += result.distance
        row['stopped_s'] += policy.stopped
        row['slowed_s'] += policy.slowed
        row['wall_s'] += time.perf_counter() - wall
    return row


def int_list_or_zero(text):
    """Parse ``'0,1,2'`` into ``[0, 1, 2]`` (argparse type; seeds may be 0)."""
    try:
        values = [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected integers, got {text!r}') from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f'expected non-negative integers, got {text!r}')
    return values


def main():
    p = parser(__doc__.split('\n\n')[0], scenario='griefer_soak')
    p.add_argument('--minutes', type=float, default=30.0,
                   help='simulated minutes per strategy and guard setting')
    p.add_argument('--strategies', default=','.join(STRATEGIES),
                   help=f'comma-separated, of {", ".join(STRATEGIES)}')
    p.add_argument('--transport', type=float, default=0.01,
                   help='s from a sensor sample to the guard (DDS + processing)')
    p.add_argument('--noise', type=float, default=0.0, help='m, sensor noise (std)')
    p.add_argument('--seeds', type=int_list_or_zero, default=[0],
                   help='comma-separated seeds: one run of --minutes per seed, summed per row')
    p.add_argument('--world', default=str(WORLD))
    args = p.parse_args()
    if args.short:
        args.minutes = 0.5
    sim = load()
    world = sim.world.load_world(args.world)
    rows = []
    for strategy in [s.strip() for s in args.strategies.split(',') if s.strip()]:
        for guarded in (True, False):
            rows.append(run(sim, world, strategy, guarded, args.minutes, args.seeds,
                            args.transport, args.noise))
    print_table(f'Griefer soak ({args.minutes:g} simulated minutes per run, seeds '
                f'{",".join(map(str, args.seeds))}, world {world.name!r})',
                ['strategy', 'guard', 'runs', 'minutes', 'falls', 'worst_run_falls',
                 'collisions', 'distance_m', 'stopped_s', 'slowed_s', 'wall_s'], rows)
    write_json(args.json, 'griefer_soak', vars(args), rows)


if __name__ == '__main__':
    main()
