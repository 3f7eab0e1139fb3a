"""Argument checks shared by the crowd cores (pure, ROS-free): one message per rule."""

import math


def positive(name, value):
    """Return ``value`` as a float if it is finite and > 0.

    Raises:
        ValueError: ``'<name> must be finite and > 0, got <value>'``.

    """
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f'{name} must be finite and > 0, got {value}')
    return float(value)


def non_negative(name, value):
    """Return ``value`` as a float if it is finite and >= 0.

    Raises:
        ValueError: ``'<name> must be finite and >= 0, got <value>'``.

    """
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f'{name} must be finite and >= 0, got {value}')
    return float(value)


def capacity(name, value):
    """Return ``int(value)`` if it is >= 1 (a count of voters, slots...).

    Raises:
        ValueError: ``'<name> must be >= 1, got <value>'``.

    """
    if int(value) < 1:
        raise ValueError(f'{name} must be >= 1, got {value}')
    return int(value)
