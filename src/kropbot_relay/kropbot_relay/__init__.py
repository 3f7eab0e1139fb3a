"""KropBot relay link: the robot side of the Zenoh relay tier."""
