import math

from kropbot_camera.sim_view import SimView, draw, make_transform, yaw_from_quaternion
import numpy as np
import pytest

BODY = (0, 140, 255)
WIDTH, HEIGHT, ARENA = 320, 240, 4.0


def _mask(img, colour):
    return np.all(img == np.array(colour, np.uint8), axis=2)


def _centroid(mask):
    v, u = np.nonzero(mask)
    assert len(u) > 0, 'colour not found in the image'
    return u.mean(), v.mean()


def test_transform_puts_origin_in_centre_x_right_y_up():
    t = make_transform(ARENA, WIDTH, HEIGHT)
    assert t.to_pixel(0.0, 0.0) == (WIDTH / 2, HEIGHT / 2)
    u, v = t.to_pixel(1.0, 0.0)
    assert u > WIDTH / 2 and v == HEIGHT / 2
    u, v = t.to_pixel(0.0, 1.0)
    assert u == WIDTH / 2 and v < HEIGHT / 2
    # The whole arena fits in the image.
    for corner in [(-2.0, -2.0), (2.0, 2.0)]:
        u, v = t.to_pixel(*corner)
        assert 0 <= u < WIDTH and 0 <= v < HEIGHT
    assert t.to_world(*t.to_pixel(0.7, -1.3)) == pytest.approx((0.7, -1.3))


def test_transform_rejects_bad_sizes():
    with pytest.raises(ValueError):
        make_transform(0.0, WIDTH, HEIGHT)
    with pytest.raises(ValueError):
        make_transform(ARENA, 0, HEIGHT)


@pytest.mark.parametrize('x, y', [(0.0, 0.0), (1.0, 0.5), (-1.5, -1.0), (1.8, -1.8)])
def test_robot_is_drawn_where_the_pose_says(x, y):
    img = draw((x, y, 0.0), [], ARENA, WIDTH, HEIGHT)
    assert img.shape == (HEIGHT, WIDTH, 3) and img.dtype == np.uint8
    u, v = _centroid(_mask(img, BODY))
    eu, ev = make_transform(ARENA, WIDTH, HEIGHT).to_pixel(x, y)
    assert abs(u - eu) < 2.5 and abs(v - ev) < 2.5


def test_different_poses_give_different_pixels():
    a = _centroid(_mask(draw((0.0, 0.0, 0.0), [], ARENA, WIDTH, HEIGHT), BODY))
    b = _centroid(_mask(draw((1.0, 1.0, 0.0), [], ARENA, WIDTH, HEIGHT), BODY))
    assert b[0] - a[0] > 20 and a[1] - b[1] > 20  # moved right and up


@pytest.mark.parametrize('yaw', [0.0, math.pi / 2, math.pi, -math.pi / 2, 0.8, -2.4])
def test_heading_arrow_turns_with_yaw(yaw):
    view = SimView(ARENA, WIDTH, HEIGHT)
    img = view.draw((0.5, -0.5, yaw))
    cu, cv = _centroid(_mask(img, BODY))
    au, av = _centroid(_mask(img, (255, 255, 255)))
    drawn = math.atan2(-(av - cv), au - cu)  # image v grows downwards
    error = math.atan2(math.sin(drawn - yaw), math.cos(drawn - yaw))
    assert abs(error) < math.radians(15)


def test_trail_is_drawn_and_no_robot_before_odom():
    view = SimView(ARENA, WIDTH, HEIGHT)
    empty = view.draw(None)
    assert not _mask(empty, BODY).any()
    with_trail = view.draw(None, [(-1.0, 0.0), (0.0, 0.0), (0.0, 1.0)])
    assert (with_trail != empty).any(axis=2).sum() > 50


def test_walls_and_grid_are_static_and_drawing_does_not_touch_them():
    view = SimView(ARENA, WIDTH, HEIGHT)
    first = view.draw((0.0, 0.0, 0.0))
    view.draw((1.0, 1.0, 1.0), [(0.0, 0.0), (1.0, 1.0)])
    assert np.array_equal(view.draw((0.0, 0.0, 0.0)), first)
    t = view.transform
    u, v = (int(round(c)) for c in t.to_pixel(2.0, 0.0))  # east wall
    assert img_is_bright(first[v, u])


def img_is_bright(pixel):
    return int(pixel.min()) > 150


@pytest.mark.parametrize('yaw', [0.0, 1.0, -2.0, math.pi])
def test_yaw_from_quaternion(yaw):
    q = (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2))
    got = yaw_from_quaternion(*q)
    assert math.cos(got - yaw) == pytest.approx(1.0)
