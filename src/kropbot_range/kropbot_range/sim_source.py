"""Simulated readings from the sim world and the robot's pose (pure; :mod:`kropbot_sim.ranges`).

The range sensor node's ``sim`` backend takes the robot's pose from the sim driver's ``odom``
(the true pose in the world frame) and computes what each sensor would read with
:func:`kropbot_sim.ranges.cliff_range` (distance to the floor below, ``+inf`` over the
stairwell) and :func:`kropbot_sim.ranges.front_range` (nearest wall or box in the cone), using
the node's own mounting and limits. Being a separate process from the driver, it can be killed
on its own: the guard then sees the readings go stale, as on the robot.
"""

from dataclasses import dataclass

from kropbot_sim.ranges import RangeSpec, cliff_range, front_range
import numpy as np


@dataclass(frozen=True)
class Mount:
    """One sensor's mounting and limits (SI units; the node's ``<role>.*`` parameters).

    Attributes:
        x: m ahead of the robot's centre (``base_link``).
        height: m above the floor.
        min_range: m.
        max_range: m.
        field_of_view: rad.
        noise_std: m, Gaussian noise of the simulated reading.

    """

    x: float
    height: float
    min_range: float
    max_range: float
    field_of_view: float
    noise_std: float = 0.0

    def spec(self):
        """Return the :class:`kropbot_sim.ranges.RangeSpec` of this mounting."""
        return RangeSpec(x=self.x, z=self.height, min_range=self.min_range,
                         max_range=self.max_range, field_of_view=self.field_of_view,
                         noise_std=self.noise_std)


class SimRanges:
    """Computes the simulated readings of the fitted sensors.

    Args:
        world: the :class:`kropbot_sim.world.World`.
        mounts: ``{'cliff': Mount, 'front': Mount}`` of the fitted sensors (either may be
            missing).
        seed: seed of the noise generator.

    """

    def __init__(self, world, mounts, seed=0):
        self.world = world
        self._specs = {role: mount.spec() for role, mount in mounts.items()}
        self._rng = np.random.default_rng(seed)

    def read(self, pose):
        """Return ``{role: range}`` (m, REP 117) for the robot at ``pose`` (a ``Pose2D``)."""
        out = {}
        for role, spec in self._specs.items():
            function = cliff_range if role == 'cliff' else front_range
            out[role] = function(self.world, pose, spec, self._rng)
        return out
