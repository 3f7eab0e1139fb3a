"""Camera node: publishes JPEG sensor_msgs/CompressedImage from an OpenCV source, a test pattern or a top-down view of the simulated robot."""
