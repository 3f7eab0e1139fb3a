"""The camera node's QoS profiles, named in one place.

The policies are :func:`kropbot_common.ros_qos.reliable_qos` (ROS side).
"""

from kropbot_common.ros_qos import reliable_qos

#: ``camera/image_raw/compressed`` publisher. RELIABLE: a reliable writer matches both reliable
#: and best-effort readers (rviz2, web_video_server, the gateway, ``qos_profile_sensor_data``);
#: VOLATILE: a live stream has nothing for late joiners; KEEP_LAST 1: a slow reader only ever
#: gets the newest frame and publishing never blocks (see the README's "QoS choice").
IMAGE_QOS = reliable_qos(1)
#: ``odom`` subscription (``source: sim``): the shared profile of ``odom`` (RELIABLE, VOLATILE,
#: KEEP_LAST 10), so it matches the driver's publisher; only the newest pose is drawn.
ODOM_QOS = reliable_qos(10)
