"""A camera that produces a moving colour test pattern: ``example-pattern:640x480``."""

from __future__ import annotations

import numpy as np

from idcapture.devices import Camera, DeviceInfo
from idcapture.devices.options import Option
from idcapture.errors import AddressError


class PatternCamera(Camera):
    """A moving test pattern. Address: ``example-pattern:WIDTHxHEIGHT?blue=N``."""

    # the options the address accepts: anything else is refused with the list of these
    address_options = (Option("blue", "int", 128, "blue level of the pattern, 0-255"),)

    def _open(self) -> None:
        target = self.address.target or "320x240"
        try:
            w, h = (int(v) for v in target.lower().split("x"))
        except ValueError:
            raise AddressError(f"example-pattern wants WIDTHxHEIGHT, got {target!r}") from None
        self._size = (w, h)
        self._blue = self.address.int_option("blue", 128)
        if not 0 <= self._blue <= 255:
            raise AddressError(f"example-pattern blue must be 0-255, got {self._blue}")
        self._n = 0

    def _read_frame(self, timeout: float) -> np.ndarray:
        w, h = self._size
        x = (np.arange(w, dtype=np.uint16) + self._n) % 256
        img = np.empty((h, w, 3), np.uint8)
        img[:, :, 0] = x.astype(np.uint8)
        img[:, :, 1] = (np.arange(h, dtype=np.uint16) % 256).astype(np.uint8)[:, None]
        img[:, :, 2] = self._blue
        self._n += 1
        return img

    @property
    def resolution(self) -> tuple[int, int]:
        return self._size

    def _info(self) -> DeviceInfo:
        return DeviceInfo("example-pattern", self.kind, str(self.address), "test pattern")

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        return [DeviceInfo("example-pattern", cls.kind, "example-pattern:320x240",
                           "test pattern")]
