"""Sim-only roll-outs: drive a policy in a world for a while and count incidents (pure, fast).

No ROS and no clock: the same step rules as the driver's sim backend
(:func:`kropbot_sim.motion.advance`), at a fixed control period. About 0.1-0.3 ms per step with
the expert on one core, so 30 simulated minutes at 20 Hz take seconds. The pilot benchmark, the
griefer soak and the tests reuse it::

    from kropbot_sim.expert import make_expert
    from kropbot_sim.rollout import rollout
    from kropbot_sim.world import load_world

    world = load_world('src/kropbot_bringup/config/sim_world.yaml')
    result = rollout(world, make_expert(), world.starts[1], duration=60.0, seed=1)
    print(result.distance_before_incident, result.collisions, result.falls)

A policy is any callable ``policy(pose, world, rng) -> (v, w)`` (m/s, rad/s); to drive from
images, render them inside it (:class:`kropbot_sim.fpv.FpvRenderer`); to put a guard between a
policy and the robot, wrap the policy (e.g. with :mod:`kropbot_sim.ranges` readings).
"""

from dataclasses import dataclass
import math

import numpy as np

from kropbot_sim.motion import SimState, advance, reset

#: What :func:`rollout` does after a fall: put the robot back on its start pose and go on
#: (``'reset'``, as an operator calling ``sim/reset`` would), or end the roll-out (``'stop'``).
ON_FALL = ('reset', 'stop')


@dataclass(frozen=True)
class RolloutResult:
    """Outcome of one roll-out.

    Attributes:
        duration: simulated time, s (shorter than asked if it stopped at a fall).
        distance: path length driven, m.
        distance_before_incident: path length before the first collision or fall, m (all of
            ``distance`` if there was none).
        time_before_incident: s until the first incident (``duration`` if none).
        first_incident: ``'collision'``, ``'fall'`` or None.
        collisions: contact episodes with walls or boxes.
        falls: falls into a pit.
        final: the last :class:`~kropbot_sim.motion.SimState`.
        poses: ``(steps + 1, 3)`` array of ``x, y, yaw`` per step if recorded, else None.

    """

    duration: float
    distance: float
    distance_before_incident: float
    time_before_incident: float
    first_incident: str | None
    collisions: int
    falls: int
    final: SimState
    poses: np.ndarray | None = None

    @property
    def collisions_per_minute(self):
        """Collisions per simulated minute."""
        return self.collisions * 60.0 / self.duration if self.duration > 0 else 0.0

    @property
    def falls_per_minute(self):
        """Falls per simulated minute."""
        return self.falls * 60.0 / self.duration if self.duration > 0 else 0.0


def _clamp(value, limit):
    if not math.isfinite(value):
        return 0.0
    return max(-limit, min(limit, value))


def rollout(world, policy, start=None, duration=60.0, dt=0.05, seed=None, rng=None,
            max_linear=0.3, max_angular=1.5, on_fall='reset', record=False):
    """Drive ``policy`` in ``world`` for ``duration`` simulated seconds.

    Each control period ``dt`` the policy sees the true pose and returns ``(v, w)``; the command
    is clamped to ``±max_linear`` / ``±max_angular`` (non-finite values become 0, as the
    vote node and driver would) and applied for ``dt`` with :func:`~kropbot_sim.motion.advance`.

    Args:
        world: :class:`~kropbot_sim.world.World`.
        policy: ``policy(pose, world, rng) -> (v, w)``.
        start: start :class:`~kropbot_sim.kinematics.Pose2D` (default ``world.starts[0]``).
        duration: s (> 0).
        dt: control period, s (> 0; the driver's default is 0.05).
        seed: seed of a new ``numpy.random.Generator`` (ignored if ``rng`` is given).
        rng: the generator passed to the policy.
        max_linear: m/s (the vote node's ``max_linear`` in robot.yaml is 0.3).
        max_angular: rad/s.
        on_fall: one of :data:`ON_FALL`.
        record: keep every pose in ``poses``.

    Returns:
        :class:`RolloutResult`.

    Raises:
        ValueError: on a non-positive ``duration`` or ``dt`` or an unknown ``on_fall``.

    """
    if not (duration > 0 and dt > 0):
        raise ValueError(f'duration and dt must be > 0, got {duration!r}, {dt!r}')
    if on_fall not in ON_FALL:
        raise ValueError(f'on_fall must be one of {", ".join(ON_FALL)}, got {on_fall!r}')
    rng = rng if rng is not None else np.random.default_rng(seed)
    start = start if start is not None else world.starts[0]
    state = SimState(pose=start)
    steps = int(round(duration / dt))
    poses = [(start.x, start.y, start.yaw)] if record else None
    first, before_distance, before_time = None, None, None
    elapsed = 0.0
    for _ in range(steps):
        v, w = policy(state.pose, world, rng)
        previous = state
        state = advance(world, state, _clamp(v, max_linear), _clamp(w, max_angular), dt)
        elapsed += dt
        if record:
            poses.append((state.pose.x, state.pose.y, state.pose.yaw))
        if first is None and (state.collisions > previous.collisions or state.fallen):
            first = 'fall' if state.fallen else 'collision'
            before_distance, before_time = state.distance, elapsed
        if state.fallen:
            if on_fall == 'stop':
                break
            state = reset(state, start)
    return RolloutResult(
        duration=elapsed, distance=state.distance,
        distance_before_incident=state.distance if first is None else before_distance,
        time_before_incident=elapsed if first is None else before_time,
        first_incident=first, collisions=state.collisions, falls=state.falls, final=state,
        poses=np.array(poses) if record else None)
