"""Device interfaces: one base class per family, and what every device shares."""

from .base import Device, DeviceInfo, DeviceKind, DeviceState
from .camera import Camera, Frame
from .events import DeviceEvent, DeviceEventKind, EventStream
from .fingerprint import FingerImage, FingerprintSensor
from .id_reader import IdReader
from .polling import Deadline

__all__ = [
    "Camera",
    "Deadline",
    "Device",
    "DeviceEvent",
    "DeviceEventKind",
    "DeviceInfo",
    "DeviceKind",
    "DeviceState",
    "EventStream",
    "FingerImage",
    "FingerprintSensor",
    "Frame",
    "IdReader",
]
