import math

from hypothesis import given
from hypothesis import strategies as st
from kropbot_sim.kinematics import (
    Pose2D,
    integrate,
    normalize_angle,
    yaw_from_quaternion,
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


@given(st.floats(-10, 10))
def test_quaternion_round_trip(yaw):
    assert math.cos(yaw_from_quaternion(*yaw_to_quaternion(yaw)) - yaw) == pytest.approx(1.0)


def test_helpers():
    assert normalize_angle(3 * math.pi) == pytest.approx(math.pi)
    assert normalize_angle(-math.pi) == math.pi
    assert yaw_to_quaternion(math.pi) == pytest.approx((0.0, 0.0, 1.0, 0.0), abs=1e-12)
