"""Biometrics: pure functions over numpy arrays (face and finger)."""
