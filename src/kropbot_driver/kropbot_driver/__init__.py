"""Differential-drive driver for the Adafruit MotorHAT (adafruit-circuitpython-motorkit) with a simulated backend."""
