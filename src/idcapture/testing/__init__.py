"""Test support for driver authors: device-contract test classes and pytest fixtures.

See :mod:`idcapture.testing.contract` and docs/vendors/.
"""

from .algorithm_contract import FingerAlgorithmContract
from .contract import (
    CameraContract,
    DeviceContract,
    FingerprintSensorContract,
    IdReaderContract,
)

__all__ = ["CameraContract", "DeviceContract", "FingerAlgorithmContract",
           "FingerprintSensorContract", "IdReaderContract"]
