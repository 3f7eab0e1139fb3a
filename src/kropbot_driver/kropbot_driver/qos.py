"""The driver node's QoS profiles, named in one place.

The policies are :func:`kropbot_common.ros_qos.reliable_qos` (ROS side).
"""

from kropbot_common.ros_qos import reliable_qos

#: ``cmd_vel`` subscription: the shared profile (RELIABLE, VOLATILE, KEEP_LAST 10), matching the
#: vote node's publisher and teleop tools; VOLATILE so a late joiner never acts on an old command
#: (the control loop only uses the newest one anyway).
CMD_VEL_QOS = reliable_qos(10)
#: ``odom`` publisher (sim backend): the shared profile, which rviz2 and the camera's sim view
#: subscribe with.
ODOM_QOS = reliable_qos(10)
#: ``diagnostics`` publisher (1 Hz): the shared profile.
DIAGNOSTICS_QOS = reliable_qos(10)
#: ``sim/set_pose`` subscription (sim backend): the shared profile; it matches rviz2's "2D Pose
#: Estimate" tool at its default (reliable) setting.
SIM_SET_POSE_QOS = reliable_qos(10)
