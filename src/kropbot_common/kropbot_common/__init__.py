"""Helpers shared by every KropBot package; ROS-free unless a module says otherwise."""
