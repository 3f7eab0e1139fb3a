"""Differential-drive driver for the Adafruit MotorHAT, with a simulated backend."""
