"""Simulators: the device side of each protocol, and synthetic biometric data to feed them."""
