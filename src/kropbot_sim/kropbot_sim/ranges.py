"""Simulated range sensors: a downward "cliff" sensor and a forward obstacle sensor (pure).

The readings follow REP 117 (special values in ``sensor_msgs/msg/Range.range``):

- ``+inf``: no return within ``max_range`` (no object ahead; for the cliff sensor: no floor
  within range, i.e. over the stairwell);
- ``-inf``: an object closer than ``min_range`` (too close to measure);
- NaN (an erroneous reading) is never produced by the simulation.

Any finite reading lies in ``[min_range, max_range]``. Gaussian noise of ``noise_std`` m is added
to the true distance before those limits are applied, so a noisy reading near a limit may turn
into ``±inf`` like a real sensor's. Mountings are in ``base_link`` (x forward, y left, z up,
REP 103); poses in the world frame. The default specs are rough models of ST's time-of-flight
breakouts (VL6180X looking down, VL53L0X looking ahead); the issue-14 sensor node supplies its
own parameters.
"""

from dataclasses import dataclass
import math

import numpy as np


@dataclass(frozen=True)
class RangeSpec:
    """Mounting and limits of one simulated range sensor.

    Attributes:
        x: mounting position ahead of the robot's centre, m (None: the robot's radius, i.e.
            the front edge).
        y: mounting position to the left of the centre, m.
        z: mounting height above the floor, m.
        yaw: direction of a forward sensor relative to the robot's heading, rad.
        min_range: m; closer readings are ``-inf``.
        max_range: m; farther readings (or none) are ``+inf``.
        field_of_view: full cone angle, rad (``sensor_msgs/Range.field_of_view``); a forward
            sensor reports the nearest of ``rays`` rays spread across it.
        rays: rays cast across the field of view (forward sensor).
        noise_std: standard deviation of additive Gaussian noise, m (0: exact).

    """

    x: float | None = None
    y: float = 0.0
    z: float = 0.03
    yaw: float = 0.0
    min_range: float = 0.005
    max_range: float = 0.1
    field_of_view: float = 0.44
    rays: int = 5
    noise_std: float = 0.0


#: Downward sensor at the front edge, 3 cm above the floor (VL6180X-like: 0..10 cm guaranteed
#: by its datasheet).
CLIFF = RangeSpec(z=0.03, min_range=0.005, max_range=0.1, field_of_view=0.44)
#: Forward sensor at the front edge (VL53L0X-like: 25 deg cone, ~1.2 m in its default mode).
FRONT = RangeSpec(z=0.05, min_range=0.03, max_range=1.2, field_of_view=0.44, rays=5)


def _mount(world, pose, spec):
    """Return the sensor's world position ``(x, y)`` and heading for the robot at ``pose``."""
    forward = world.robot.radius if spec.x is None else spec.x
    c, s = math.cos(pose.yaw), math.sin(pose.yaw)
    return (pose.x + c * forward - s * spec.y, pose.y + s * forward + c * spec.y,
            pose.yaw + spec.yaw)


def _limits(distance, spec, rng):
    """Add noise, then apply REP 117: ``+inf`` beyond ``max_range``, ``-inf`` below ``min``."""
    if spec.noise_std > 0.0 and math.isfinite(distance):
        if rng is None:
            raise ValueError('noise_std > 0 needs an rng (numpy.random.Generator)')
        distance += float(rng.normal(0.0, spec.noise_std))
    if distance > spec.max_range:
        return math.inf
    if distance < spec.min_range:
        return -math.inf
    return distance


def cliff_range(world, pose, spec=CLIFF, rng=None):
    """Return the reading of a downward range sensor: the distance to the floor below, m.

    Over the floor the true distance is ``spec.z``; over a pit it is ``spec.z + depth`` (the
    pit's bottom), which is ``+inf`` ("no floor") whenever it exceeds ``max_range``.

    Args:
        world: :class:`~kropbot_sim.world.World`.
        pose: the robot's :class:`~kropbot_sim.kinematics.Pose2D`.
        spec: :class:`RangeSpec` (default :data:`CLIFF`).
        rng: ``numpy.random.Generator``, needed when ``spec.noise_std > 0``.

    Returns:
        float: m, ``+inf`` or ``-inf``.

    """
    x, y, _ = _mount(world, pose, spec)
    pit = world.geometry.pit_at(x, y)
    distance = spec.z + (world.pits[pit].depth if pit is not None else 0.0)
    return _limits(distance, spec, rng)


def front_range(world, pose, spec=FRONT, rng=None):
    """Return the reading of a forward range sensor: the nearest wall or box in its cone, m.

    ``spec.rays`` rays spread evenly across ``spec.field_of_view`` are cast at the sensor's
    height (objects are taller than it; pits are not seen); the nearest hit is the reading.

    Returns:
        float: m, ``+inf`` (nothing within ``max_range``) or ``-inf`` (closer than
        ``min_range``).

    """
    x, y, heading = _mount(world, pose, spec)
    half = spec.field_of_view / 2.0
    angles = heading + (np.linspace(-half, half, spec.rays) if spec.rays > 1 else np.zeros(1))
    distance = float(world.geometry.ray_distance((x, y), angles).min())
    return _limits(distance, spec, rng)
