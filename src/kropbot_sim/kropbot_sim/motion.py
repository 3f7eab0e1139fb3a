"""One time step of the simulated robot in its world: kinematics, collisions, the pit (pure).

Rules (shared by the driver's sim backend and the roll-outs, so both count incidents alike):

- The robot is a disc of ``world.robot.radius`` moving along the exact arc of its twist
  (:func:`kropbot_sim.kinematics.integrate`), in sub-steps of at most half its radius.
- **Collision**: a step whose end pose would make the disc overlap a wall or a box is cut short
  at the last free point of the arc (bisection to 0.1 mm), so the robot stops in contact; the
  rest of the step's rotation is still applied (a disc turning in place cannot penetrate), so
  the robot can turn away. A collision is *counted* once per contact episode: when a step is
  blocked and the previous one was not.
- **Fall**: when the robot's centre (its centre of mass) ends a step inside a pit it has
  fallen: it stays there and ignores every command until it is reset. Each fall is counted.
"""

from dataclasses import dataclass, replace
import math

from kropbot_sim.kinematics import Pose2D, integrate, normalize_angle

#: Bisection steps when cutting a blocked step short (a 2.5 cm step resolves to ~0.1 mm).
_BISECT = 8


@dataclass(frozen=True)
class SimState:
    """State of the simulated robot.

    Attributes:
        pose: :class:`~kropbot_sim.kinematics.Pose2D` in the world frame.
        linear: forward speed achieved in the last step, m/s.
        angular: yaw rate of the last step, rad/s.
        fallen: True after the robot fell into a pit (until reset).
        in_contact: True while the last step was blocked by a wall or box.
        collisions: contact episodes so far.
        falls: falls so far.
        distance: path length driven so far, m.

    """

    pose: Pose2D = Pose2D()
    linear: float = 0.0
    angular: float = 0.0
    fallen: bool = False
    in_contact: bool = False
    collisions: int = 0
    falls: int = 0
    distance: float = 0.0


def reset(state, pose):
    """Return ``state`` moved to ``pose``, standing, not fallen; the counters are kept."""
    return replace(state, pose=pose, linear=0.0, angular=0.0, fallen=False, in_contact=False)


def _free(world, pose):
    return bool(world.geometry.disc_free(pose.x, pose.y, world.robot.radius))


def advance(world, state, linear, angular, dt):
    """Advance the robot by ``dt`` s under the twist ``(linear, angular)``.

    Args:
        world: :class:`~kropbot_sim.world.World`.
        state: current :class:`SimState`.
        linear: commanded forward speed, m/s (non-finite values count as 0).
        angular: commanded yaw rate, rad/s (non-finite values count as 0).
        dt: s; a non-positive or non-finite ``dt`` changes nothing.

    Returns:
        The new :class:`SimState` (see the module docstring for collisions and falls).

    """
    if not (dt > 0 and math.isfinite(dt)):
        return state
    if state.fallen:
        return replace(state, linear=0.0, angular=0.0)
    linear = linear if math.isfinite(linear) else 0.0
    angular = angular if math.isfinite(angular) else 0.0
    longest = world.robot.radius / 2.0
    if abs(linear) * dt > longest:  # sub-steps: a long step must not tunnel through a thin wall
        count = math.ceil(abs(linear) * dt / longest)
        for _ in range(count):
            state = advance(world, state, linear, angular, dt / count)
        return state
    start = state.pose
    end = integrate(start, linear, angular, dt)
    blocked = False
    if linear != 0.0 and not _free(world, end):
        blocked = True
        if not _free(world, start):
            fraction = 0.0  # already overlapping (e.g. a box placed on it): do not move deeper
        else:
            low, high = 0.0, 1.0
            for _ in range(_BISECT):
                mid = (low + high) / 2.0
                if _free(world, integrate(start, linear, angular, dt * mid)):
                    low = mid
                else:
                    high = mid
            fraction = low
        moved = integrate(start, linear, angular, dt * fraction)
        end = Pose2D(moved.x, moved.y, normalize_angle(start.yaw + angular * dt))
    step_length = math.hypot(end.x - start.x, end.y - start.y)
    heading = start.yaw + angular * dt / 2.0
    along = (end.x - start.x) * math.cos(heading) + (end.y - start.y) * math.sin(heading)
    fell = world.geometry.pit_at(end.x, end.y) is not None
    return SimState(
        pose=end,
        linear=0.0 if fell else along / dt,
        angular=0.0 if fell else angular,
        fallen=fell,
        in_contact=blocked,
        collisions=state.collisions + (1 if blocked and not state.in_contact else 0),
        falls=state.falls + (1 if fell else 0),
        distance=state.distance + step_length,
    )
