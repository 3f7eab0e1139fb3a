"""KropBot crowd vote fusion: the vote node and its ROS-free core."""
