"""The camera teacher: an expert whose command is a function of what the camera sees (pure).

Imitation learning fits ``frame -> command``. A teacher whose command depends on anything the
frame does not show -- a random draw, a box behind the robot, which way it turned a second
ago -- gives the learner labels it cannot predict: it learns their mean, which is a worse
driver than the teacher. The wandering :mod:`kropbot_sim.expert` is such a teacher: 85 % of
the variance of its angular command is its random wander (given the exact pose, measured over
its roll-outs in the default world; ``bench/README.md``, pilot_eval), and it steers by headings
up to 100 deg off its nose while the camera sees 31 deg either side. This module is the teacher
the pilot benchmark records instead; :class:`Dart` adds the wander back as *execution* noise,
which spreads the recording over the floor without touching the labels.

**What it looks at.** :func:`view_depths`: ``rays`` rays from the lens (``camera.forward``
ahead of the robot's centre) spread evenly over the camera's horizontal field of view
(``±camera.hfov / 2``); per ray the distance to the first wall or box, or to the edge of a pit
less ``pit_margin`` (the stairwell counts as nearer than it is, so the robot turns while its
dark floor is still in view: the camera sees no floor closer than
``camera.height / tan(angle below the horizon of the bottom row)``, about 0.19 m at the
default mount). That is a depth image of the frame's columns: everything in it is in the frame.

**What it does.** :func:`teacher_command`, from those depths ``d_i`` at ray angles ``a_i``
(rad, positive = left):

- *way ahead*: ``ahead`` = the smallest forward distance ``d_i cos a_i`` of the points in the
  robot's corridor (``|d_i sin a_i| <= radius + margin``), at most ``look_ahead``;
- *speed*: ``s = clip((ahead - stop_distance) / (slow_distance - stop_distance), 0, 1)``,
  ``v = max_linear * s``;
- *steering away* (as Braitenberg's obstacle-avoiding vehicles do: the nearer something is on
  one side of the view, the harder it turns to the other side):
  ``steer = gain * mean_i(-sign(a_i) * p_i^2)`` with the proximity
  ``p_i = clip((look_ahead - d_i) / look_ahead, 0, 1)``;
- ``w = s * steer + (1 - s) * blocked_turn``, clamped to ``±max_angular``: as the way ahead
  closes the robot blends into turning in place to the **left** (``blocked_turn`` > 0).

The fixed side is deliberate: a rule that picks the side from the view is mirror-symmetric, and
facing into a corner the symmetric heading is then a stable equilibrium (tried: the robot
dithers left-right; 18 of 30 drives of 60 s from random poses got stuck); a fixed side never
dithers, and it is learnable from one frame (whatever blocks the way, turn left). It also means
the teacher's drives are *not* mirror images of themselves, so train on its recordings without
the left-right flip augmentation (a mirrored "blocked, turn left" frame would be labelled "turn
right", contradicting the real ones).

In the default world, 30 roll-outs of 60 s from random free poses drive on average 13.7 m with
one collision (a low box brushed beside the robot, out of view) and no fall; the wandering
expert drives 12.7 m with none.
"""

from dataclasses import dataclass
import math

import numpy as np


@dataclass(frozen=True)
class TeacherParams:
    """Tuning of :func:`teacher_command` (units: m, rad, m/s, rad/s).

    Attributes:
        max_linear: top forward speed, m/s (the wandering expert's).
        max_angular: top yaw rate, rad/s.
        rays: depth rays across the camera's field of view.
        look_ahead: farthest depth that matters, m.
        stop_distance: turn in place when the corridor ahead is shorter than this, m (from the
            lens; the robot's front is ``radius - camera.forward`` ahead of the lens).
        slow_distance: full speed only with at least this much corridor ahead, m.
        margin: the corridor's half-width beyond the robot's radius, m.
        pit_margin: a pit's edge counts this much nearer than it is, m.
        gain: steering gain, rad/s per unit of mean squared proximity.
        blocked_turn: yaw rate when the way ahead is blocked, rad/s (positive: left).

    """

    max_linear: float = 0.25
    max_angular: float = 1.5
    rays: int = 31
    look_ahead: float = 0.8
    stop_distance: float = 0.1
    slow_distance: float = 0.4
    margin: float = 0.04
    pit_margin: float = 0.12
    gain: float = 4.0
    blocked_turn: float = 1.5


def ray_angles(world, params=TeacherParams()):
    """Return the ``(rays,)`` ray angles (rad, left of the heading) over the camera's view."""
    half = world.robot.camera.hfov / 2.0
    return np.linspace(-half, half, params.rays)


def view_depths(world, pose, params=TeacherParams()):
    """Depth per ray over the camera's field of view (see the module docstring).

    Args:
        world: :class:`~kropbot_sim.world.World`.
        pose: the robot's :class:`~kropbot_sim.kinematics.Pose2D`.
        params: :class:`TeacherParams`.

    Returns:
        ``(angles, depths)``: ``(rays,)`` arrays, rad (left of the heading) and m (>= 0, inf
        where nothing is hit).

    """
    geometry = world.geometry
    angles = ray_angles(world, params)
    forward = world.robot.camera.forward
    lens = (pose.x + forward * math.cos(pose.yaw), pose.y + forward * math.sin(pose.yaw))
    directions = pose.yaw + angles
    solid = geometry.ray_distance(lens, directions)
    pit = geometry.pit_entry(lens, directions) - params.pit_margin
    return angles, np.maximum(np.minimum(solid, pit), 0.0)


def teacher_command(angles, depths, radius, params=TeacherParams()):
    """Return the teacher's command ``(v, w)`` (m/s, rad/s) from a depth scan (pure).

    Args:
        angles: ``(K,)`` ray angles, rad, positive = left of the heading.
        depths: ``(K,)`` distances along them from the lens, m (inf: nothing).
        radius: the robot's radius, m.
        params: :class:`TeacherParams`.

    """
    angles = np.asarray(angles, float)
    depths = np.asarray(depths, float)
    near = depths <= params.look_ahead                   # farther (or inf) does not matter
    forward, lateral = (depths[near] * np.cos(angles[near]),
                        depths[near] * np.sin(angles[near]))
    corridor = np.abs(lateral) <= radius + params.margin
    ahead = min(params.look_ahead, float(forward[corridor].min())) if corridor.any() \
        else params.look_ahead
    proximity = np.clip((params.look_ahead - depths) / params.look_ahead, 0.0, 1.0)
    steer = params.gain * float(np.mean(-np.sign(angles) * proximity ** 2))
    s = min(1.0, max(0.0, (ahead - params.stop_distance)
                     / (params.slow_distance - params.stop_distance)))
    w = s * steer + (1.0 - s) * params.blocked_turn
    return params.max_linear * s, max(-params.max_angular, min(params.max_angular, w))


def teacher_policy(pose, world, rng=None, params=TeacherParams()):
    """Return the teacher's command ``(v, w)`` at ``pose``; ``rng`` is unused (deterministic)."""
    angles, depths = view_depths(world, pose, params)
    return teacher_command(angles, depths, world.robot.radius, params)


def make_teacher(params=TeacherParams()):
    """Return the teacher as a ``policy(pose, world, rng) -> (v, w)`` with fixed ``params``."""
    def policy(pose, world, rng):
        return teacher_policy(pose, world, rng, params)
    return policy


class Dart:
    """Noise injection into a teacher's *executed* command (DART) for recordings.

    DART (Laskey et al., "DART: Noise Injection for Robust Imitation Learning", CoRL 2017):
    while the teacher drives the recording, what the robot executes is its command plus noise,
    but the label recorded is the teacher's own command. The robot drifts into the states a
    learner that errs a little would reach, and the labels show how the teacher recovers from
    them -- without the teacher ever handing control to the learner (which is DAgger). Here the
    noise is an Ornstein-Uhlenbeck process (mean 0, correlation time ``tau``) added to the
    angular command, so it is a slow drift (the wander) rather than jitter, and, scaled by
    ``linear_std``, a relative error of the speed.

    Call it as a policy (``dart(pose, world, rng) -> executed (v, w)``); after each call,
    :attr:`label` holds the teacher's command for that step. The noise is drawn from the
    ``rng`` passed in (nothing is drawn when both deviations are 0).

    Args:
        policy: the teacher, ``policy(pose, world, rng) -> (v, w)``.
        angular_std: stationary standard deviation of the angular noise, rad/s (>= 0).
        tau: its correlation time, s (> 0).
        dt: control period, s (> 0).
        linear_std: stationary standard deviation of the relative speed error (>= 0).

    Raises:
        ValueError: a negative deviation or a non-positive ``tau`` or ``dt``.

    """

    def __init__(self, policy, angular_std=0.5, tau=1.0, dt=0.05, linear_std=0.0):
        if angular_std < 0 or linear_std < 0 or not (tau > 0 and dt > 0):
            raise ValueError('angular_std and linear_std must be >= 0, tau and dt > 0')
        self.policy = policy
        self.angular_std, self.linear_std = float(angular_std), float(linear_std)
        self.decay = math.exp(-dt / tau)
        self.state = np.zeros(2)
        self.label = (0.0, 0.0)

    def __call__(self, pose, world, rng):
        """Return the executed command; the teacher's own is kept in :attr:`label`."""
        v, w = self.policy(pose, world, rng)
        self.label = (float(v), float(w))
        if self.angular_std == 0.0 and self.linear_std == 0.0:
            return v, w                       # no draw: the policy's own rng stream unchanged
        kick = math.sqrt(1.0 - self.decay ** 2)
        self.state = self.decay * self.state + kick * rng.normal(size=2)
        return (v * max(0.0, 1.0 + self.linear_std * self.state[0]),
                w + self.angular_std * self.state[1])
