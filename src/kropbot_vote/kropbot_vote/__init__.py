"""Crowd vote fusion node and the rosbridge-protocol crowd gateway for KropBot."""
