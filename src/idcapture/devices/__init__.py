"""Device interfaces: one base class per family, and what every device shares."""

from .base import Device, DeviceInfo, DeviceKind, DeviceState
from .camera import Camera, Frame
from .fingerprint import FingerImage, FingerprintSensor
from .id_reader import IdReader
from .polling import Deadline

__all__ = [
    "Camera",
    "Deadline",
    "Device",
    "DeviceInfo",
    "DeviceKind",
    "DeviceState",
    "FingerImage",
    "FingerprintSensor",
    "Frame",
    "IdReader",
]
