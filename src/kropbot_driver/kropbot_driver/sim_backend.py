"""The simulated motor backend: a differential-drive robot in a sim world (pure, ROS-free).

Same interface as :class:`kropbot_driver.backends.MotorKitBackend` (``set_throttles``, ``stop``,
``release``, ``close``, ``throttles``), plus :meth:`SimBackend.step`, which the node's control
loop calls every period, and :meth:`SimBackend.reset`. The world (walls, boxes, the stairwell)
and the step rules (collisions stop the robot in contact, a robot whose centre enters a pit has
fallen and ignores commands until reset) are :mod:`kropbot_sim`'s, shared with the camera's
sim views, the expert and the roll-outs.
"""

import math

from kropbot_sim.motion import SimState, advance, reset
from kropbot_sim.world import empty_world

from kropbot_driver.kinematics import body_twist
from kropbot_driver.mixing import clamp_unit, throttles_to_wheel_speeds
from kropbot_driver.params import STOP_MODES


def _throttle(value):
    """Return ``value`` clamped to [-1, 1]; NaN becomes 0.0 (a stop)."""
    try:
        return clamp_unit(value)
    except ValueError:
        return 0.0


class SimBackend:
    """A simulated differential-drive robot in a :class:`kropbot_sim.world.World`.

    The throttles are turned into wheel speeds (``throttle * max_wheel_speed``, m/s), then into
    a twist, and :meth:`step` advances the robot with :func:`kropbot_sim.motion.advance`.

    Args:
        wheel_separation: m.
        max_wheel_speed: m/s at throttle 1.0.
        world: the world (default: an empty square arena of ``arena_size``).
        arena_size: side of the default empty arena, m.
        start: index of the start pose in ``world.starts``.
        stop_mode: ``'brake'`` or ``'coast'`` (both stop the simulated robot at once).

    Raises:
        ValueError: on a non-positive size or speed, an unknown stop mode, or a start index
            the world does not have.

    """

    name = 'sim'
    hardware_id = 'sim'

    def __init__(self, *, wheel_separation=0.12, max_wheel_speed=0.5, world=None,
                 arena_size=4.0, start=0, stop_mode='brake'):
        if not (wheel_separation > 0 and max_wheel_speed > 0):
            raise ValueError('wheel_separation and max_wheel_speed must be > 0')
        if stop_mode not in STOP_MODES:
            raise ValueError(f'stop_mode must be one of {", ".join(STOP_MODES)}; '
                             f'got {stop_mode!r}')
        self.world = world if world is not None else empty_world(arena_size)
        if not 0 <= start < len(self.world.starts):
            raise ValueError(f'sim_start {start}: the world {self.world.name!r} has '
                             f'{len(self.world.starts)} start pose(s) (0..'
                             f'{len(self.world.starts) - 1})')
        self.wheel_separation = float(wheel_separation)
        self.max_wheel_speed = float(max_wheel_speed)
        self.stop_mode = stop_mode
        self.start = self.world.starts[start]
        self.state = SimState(pose=self.start)
        self.throttles = (None, None)

    # --- the motor interface ---------------------------------------------------------------------

    def set_throttles(self, left, right):
        """Set wheel throttles (clamped to [-1, 1]; NaN is treated as 0.0)."""
        left, right = _throttle(left), _throttle(right)
        stop = 0.0 if self.stop_mode == 'brake' else None
        self.throttles = (stop if left == 0.0 else left, stop if right == 0.0 else right)

    def stop(self):
        """Stop both wheels."""
        self.set_throttles(0.0, 0.0)

    def release(self):
        """Turn both (simulated) motors off."""
        self.throttles = (None, None)

    def close(self):
        """Release the motors."""
        self.release()

    def wheel_speeds(self):
        """Return ``(left, right)`` wheel speeds in m/s for the current throttles."""
        return throttles_to_wheel_speeds(*self.throttles, self.max_wheel_speed)

    # --- the simulation --------------------------------------------------------------------------

    @property
    def pose(self):
        """The robot's :class:`~kropbot_sim.kinematics.Pose2D` in the world (= odom) frame."""
        return self.state.pose

    @property
    def linear(self):
        """Forward speed achieved in the last step, m/s (0 when blocked or fallen)."""
        return self.state.linear

    @property
    def angular(self):
        """Yaw rate of the last step, rad/s."""
        return self.state.angular

    @property
    def blocked(self):
        """True while a wall or box stops the robot (in contact)."""
        return self.state.in_contact

    def step(self, dt):
        """Advance the simulation by ``dt`` s under the current throttles; return the pose."""
        if dt > 0 and math.isfinite(dt):
            linear, angular = body_twist(*self.wheel_speeds(), self.wheel_separation)
            self.state = advance(self.world, self.state, linear, angular, dt)
        return self.state.pose

    def reset(self, pose=None):
        """Put the robot on ``pose`` (default: its start pose), standing and not fallen.

        The collision and fall counters are kept (they count since start).

        Raises:
            ValueError: ``pose`` is not finite, overlaps a wall or box, or lies in a pit (the
                robot is left where it was).

        """
        pose = self.start if pose is None else pose
        if not all(math.isfinite(v) for v in (pose.x, pose.y, pose.yaw)):
            raise ValueError(f'pose must be finite, got {pose}')
        problem = self.world.placement_problem(pose.x, pose.y)
        if problem is not None:
            raise ValueError(problem)
        self.state = reset(self.state, pose)
        return pose
