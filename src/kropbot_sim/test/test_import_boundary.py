"""The sim core imports nothing from ROS (only the expert node and its QoS import rclpy)."""
import subprocess
import sys

CORE = ('kropbot_sim.world', 'kropbot_sim.geometry', 'kropbot_sim.kinematics',
        'kropbot_sim.motion', 'kropbot_sim.ranges', 'kropbot_sim.fpv', 'kropbot_sim.expert',
        'kropbot_sim.rollout', 'kropbot_sim.params')


def test_core_imports_no_ros():
    code = (
        'import importlib.abc, sys\n'
        'class Block(importlib.abc.MetaPathFinder):\n'
        '    def find_spec(self, name, path, target=None):\n'
        '        if name.split(".")[0] in {"rclpy", "rcl_interfaces", "nav_msgs",\n'
        '                                  "geometry_msgs", "ament_index_python", "cv2"}:\n'
        '            raise ImportError(f"blocked: {name}")\n'
        'sys.meta_path.insert(0, Block())\n'
        f'for m in {CORE!r}:\n'
        '    __import__(m)\n')
    subprocess.run([sys.executable, '-c', code], check=True)
