import math

from hypothesis import given
from hypothesis import strategies as st
from kropbot_driver.backends import SimBackend
from kropbot_driver.kinematics import (
    Pose2D,
    body_twist,
    clamp_to_arena,
    integrate,
    normalize_angle,
    step,
    yaw_to_quaternion,
)
import pytest


def test_straight_line():
    p = integrate(Pose2D(), 0.5, 0.0, 2.0)
    assert (p.x, p.y, p.yaw) == pytest.approx((1.0, 0.0, 0.0))
    p = integrate(Pose2D(0.0, 0.0, math.pi / 2), 0.5, 0.0, 2.0)
    assert (p.x, p.y) == pytest.approx((0.0, 1.0))


def test_in_place_spin():
    p = integrate(Pose2D(0.3, -0.2, 0.0), 0.0, math.pi / 2, 1.0)
    assert (p.x, p.y, p.yaw) == pytest.approx((0.3, -0.2, math.pi / 2))


def test_quarter_arc_left():
    # radius 1 m, CCW quarter circle from the origin facing +x ends at (1, 1) facing +y
    p = integrate(Pose2D(), 1.0, 1.0, math.pi / 2)
    assert (p.x, p.y, p.yaw) == pytest.approx((1.0, 1.0, math.pi / 2))


@given(st.floats(-2, 2), st.floats(-3, 3), st.integers(1, 50))
def test_arc_integration_is_exact_regardless_of_step_count(v, w, n):
    one = integrate(Pose2D(), v, w, 1.0)
    many = Pose2D()
    for _ in range(n):
        many = integrate(many, v, w, 1.0 / n)
    assert many.x == pytest.approx(one.x, abs=1e-9)
    assert many.y == pytest.approx(one.y, abs=1e-9)
    assert math.cos(many.yaw - one.yaw) == pytest.approx(1.0)


def test_wall_clamp():
    p, clamped = clamp_to_arena(Pose2D(2.5, -3.0, 1.0), 1.9)
    assert clamped and (p.x, p.y, p.yaw) == (1.9, -1.9, 1.0)
    pose, v, clamped = step(Pose2D(1.85, 0.0, 0.0), 0.5, 0.0, 1.0, 1.9)
    assert clamped and pose.x == 1.9 and v == pytest.approx(0.05)
    pose, v, clamped = step(Pose2D(0.0, 0.0, 0.0), 0.5, 0.0, 1.0, 1.9)
    assert not clamped and v == 0.5


def test_sim_robot_never_leaves_the_arena():
    sim = SimBackend(wheel_separation=0.12, max_wheel_speed=0.5, arena_size=4.0)
    sim.set_throttles(1.0, 0.9)   # a 1.14 m radius circle centred on (0, -1.14): crosses y=-2
    blocked = 0
    for _ in range(2000):
        sim.step(0.05)
        assert abs(sim.pose.x) <= 2.0 and abs(sim.pose.y) <= 2.0
        blocked += sim.blocked
    assert blocked > 0 and sim.half_extent == pytest.approx(2.0 - 0.06)


def test_sim_drives_forward_and_stops():
    sim = SimBackend(wheel_separation=0.12, max_wheel_speed=0.5)
    sim.set_throttles(0.5, 0.5)
    sim.step(1.0)
    assert sim.pose.x == pytest.approx(0.25) and sim.linear == pytest.approx(0.25)
    sim.stop()
    sim.step(1.0)
    assert sim.pose.x == pytest.approx(0.25) and sim.linear == 0.0


def test_helpers():
    assert body_twist(-0.06, 0.06, 0.12) == pytest.approx((0.0, 1.0))
    assert normalize_angle(3 * math.pi) == pytest.approx(math.pi)
    assert normalize_angle(-math.pi) == math.pi
    assert yaw_to_quaternion(math.pi) == pytest.approx((0.0, 0.0, 1.0, 0.0), abs=1e-12)
