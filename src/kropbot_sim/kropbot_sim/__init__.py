"""The KropBot sim arena (ROS-free core; only ``expert_node`` imports rclpy).

Modules: :mod:`.world` (the world file), :mod:`.geometry` (vectorised queries),
:mod:`.kinematics`, :mod:`.motion` (a time step with collisions and falls), :mod:`.ranges`
(cliff and forward range sensors, REP 117), :mod:`.fpv` (first-person ray caster),
:mod:`.expert` (the scripted teacher), :mod:`.rollout` (fast sim-only episodes).
"""
