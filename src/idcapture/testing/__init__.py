"""Test support for driver authors: device-contract test classes and pytest fixtures.

See :mod:`idcapture.testing.contract` and docs/vendors/.
"""

from .contract import (
    CameraContract,
    DeviceContract,
    FingerprintSensorContract,
    IdReaderContract,
)

__all__ = ["CameraContract", "DeviceContract", "FingerprintSensorContract", "IdReaderContract"]
