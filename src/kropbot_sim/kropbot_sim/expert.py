"""The scripted expert: a wandering driver that avoids walls, boxes and pits (pure, ROS-free).

It drives from privileged state (the true pose and the world file), so it is the teacher for
imitation learning and the reference in benchmarks. The policy is a pure function
``(pose, world, rng) -> (v, w)`` (m/s, rad/s); all its randomness comes from ``rng``.

Each call it looks along a fan of ``fan`` headings spread over ``±fan_angle`` around its heading
and measures, for each, the *free distance*: how far the robot's centre can go along that
heading before its *hazard clearance* becomes negative, sampled every ``sample_step`` m up to
``look_ahead``. The hazard clearance of a point is the smaller of

- its distance to the nearest wall or box minus ``radius + margin``, and
- its signed distance to the nearest pit minus ``pit_margin``.

A sample counts as blocked only if it is also no better than where the robot stands, so a
robot that starts too close to something may still move away from it. Each heading gets the
score ``free - turn_cost |heading offset| + noise`` with ``noise ~ N(0, noise)`` drawn per call:
the noise makes the heading wander (a random walk), which is what spreads the routes over the
whole floor. (A deterministic function of the pose alone would settle into a few closed loops:
tried, with a smooth direction field over the floor.) The robot steers towards the best heading
(``w = gain * offset``, clamped), drives at ``max_linear`` scaled down linearly between
``slow_distance`` and ``stop_distance`` of free distance straight ahead and by how far it must
turn, and turns in place when the way ahead is shorter than ``stop_distance``.

In the default world, 6 roll-outs of 5 simulated minutes from its start poses drive about 360 m
with no collision and no fall (``test_expert.py`` checks shorter ones).
"""

from dataclasses import dataclass
import math

import numpy as np

from kropbot_sim.geometry import _rect_sdf


@dataclass(frozen=True)
class ExpertParams:
    """Tuning of :func:`expert_policy` (units: m, rad, m/s, rad/s).

    Attributes:
        max_linear: top forward speed, m/s.
        max_angular: top yaw rate, rad/s.
        look_ahead: longest free distance measured, m.
        sample_step: spacing of the samples along each heading, m.
        stop_distance: turn in place when less than this is free ahead, m.
        slow_distance: full speed only with at least this much free ahead, m.
        margin: clearance kept to walls and boxes beyond the robot's radius, m.
        pit_margin: clearance kept between the robot's centre and a pit, m.
        fan: number of headings examined (odd, so straight ahead is one).
        fan_angle: the fan spans ``±fan_angle`` around the heading, rad.
        turn_cost: score penalty per rad of heading change, m/rad.
        noise: standard deviation of the score noise, m (the wander).
        gain: steering gain, (rad/s)/rad.

    """

    max_linear: float = 0.25
    max_angular: float = 1.5
    look_ahead: float = 0.6
    sample_step: float = 0.05
    stop_distance: float = 0.15
    slow_distance: float = 0.45
    margin: float = 0.05
    pit_margin: float = 0.12
    fan: int = 15
    fan_angle: float = 1.75
    turn_cost: float = 0.15
    noise: float = 0.1
    gain: float = 2.5


def hazard_clearance(world, x, y, params=ExpertParams()):
    """Return the hazard clearance (m, see the module docstring) of points ``x``, ``y`` (arrays).

    Negative where the robot's disc (plus ``params.margin``) would touch a wall or box, or its
    centre comes within ``params.pit_margin`` of a pit.
    """
    geometry = world.geometry
    x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
    solid = geometry.disc_clearance(x, y) - (world.robot.radius + params.margin)
    if not world.pits:
        return solid
    points = np.stack([x.reshape(-1), y.reshape(-1)], axis=1)
    pit = _rect_sdf(points, geometry.pits).min(axis=0).reshape(x.shape) - params.pit_margin
    return np.minimum(solid, pit)


def free_distances(world, pose, offsets, params=ExpertParams()):
    """Free distance (m, up to ``look_ahead``) along each heading ``pose.yaw + offsets`` (rad)."""
    steps = np.arange(1, int(round(params.look_ahead / params.sample_step)) + 1) \
        * params.sample_step                                              # (J,)
    angles = pose.yaw + np.asarray(offsets, float)                        # (I,)
    xs = pose.x + np.cos(angles)[:, None] * steps[None, :]
    ys = pose.y + np.sin(angles)[:, None] * steps[None, :]
    here = float(hazard_clearance(world, pose.x, pose.y, params))
    clearance = hazard_clearance(world, xs, ys, params)                   # (I, J)
    blocked = (clearance < 0.0) & (clearance <= here + 1e-3)
    first = np.where(blocked.any(axis=1), blocked.argmax(axis=1), len(steps))
    return np.concatenate([[0.0], steps])[first]   # the last free sample before the first block


def expert_policy(pose, world, rng, params=ExpertParams()):
    """Return the expert's command ``(v, w)`` (m/s, rad/s) at ``pose`` in ``world``.

    Args:
        pose: :class:`~kropbot_sim.kinematics.Pose2D` (the true pose).
        world: :class:`~kropbot_sim.world.World`.
        rng: ``numpy.random.Generator`` (the only source of randomness).
        params: :class:`ExpertParams`.

    """
    offsets = np.linspace(-params.fan_angle, params.fan_angle, params.fan)
    free = free_distances(world, pose, offsets, params)
    score = (free - params.turn_cost * np.abs(offsets)
             + rng.normal(0.0, params.noise, len(offsets)))
    best = float(offsets[int(np.argmax(score))])
    ahead = float(free[len(offsets) // 2])
    if ahead < params.stop_distance:
        side = best if best != 0.0 else float(rng.choice((-1.0, 1.0)))
        return 0.0, math.copysign(params.max_angular, side)
    w = max(-params.max_angular, min(params.max_angular, params.gain * best))
    speed = min(1.0, (ahead - params.stop_distance)
                / (params.slow_distance - params.stop_distance))
    v = params.max_linear * speed * max(0.0, math.cos(best))
    return v, w


def make_expert(params=ExpertParams()):
    """Return the expert as a ``policy(pose, world, rng) -> (v, w)`` with fixed ``params``."""
    def policy(pose, world, rng):
        return expert_policy(pose, world, rng, params)
    return policy
