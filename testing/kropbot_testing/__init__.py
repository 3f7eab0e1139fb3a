"""Test and benchmark support for KropBot (not installed on the robot).

Helpers that tests and ``bench/`` share: node processes (:mod:`.processes`), an rclpy harness and
in-process nodes under test (:mod:`.ros_harness`), a raw WebSocket client for attacks
(:mod:`.rawws`), message building from dicts (:mod:`.msgs`), a rosbridge-protocol server without
voter identity standing in for stock rosbridge_suite (:mod:`.rosbridge_standin`), the camera test
pattern's counter reader (:mod:`.frames`), the direction bin name of one vote (:mod:`.bins`), an
Xvfb display for window tests (:mod:`.xdisplay`) and a vote/teleop publisher process to kill
(:mod:`.sender`).
The directory ``testing/`` is put on ``sys.path`` by pytest (``pythonpath`` in pyproject.toml)
and by ``bench/stack.py``.
"""
