"""KropBot desktop client (ROS-free): camera window, gamepad and keyboard driving."""
