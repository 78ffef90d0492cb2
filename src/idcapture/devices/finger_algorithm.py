"""The fingerprint-algorithm family: a vendor's algorithm library opened like a device.

ID-card fingerprint scanners ship an algorithm library with a standard ABI (ID_Fpr,
``FP_*``) next to the capture library. It is opened by address (``idfpr:?lib=...``),
registered as its own kind (``finger_algorithm``), listed by ``idcapture drivers`` and
discovered like a device, so a site changes vendors by changing one string.

Drivers implement ``_quality``, ``_extract``, ``_match`` and ``_match_image``; the public
methods here check the arguments, take the device lock and track removal. Templates are
the 512-byte records of the ID card (:mod:`idcapture.drivers.idfpr.record`); similarities
are 0.0 (no match) to 1.0 (identical).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from .base import Device, DeviceKind

__all__ = ["TEMPLATE_SIZE", "FingerAlgorithm", "fit_window"]

TEMPLATE_SIZE = 512


def fit_window(image: np.ndarray, shape: tuple[int, int] = (360, 256)) -> np.ndarray:
    """Centre-crop or pad (with the image's background, its brightest 5 %) to ``shape``."""
    img = np.asarray(image, np.uint8)
    out = np.full(shape, int(np.percentile(img, 95)), np.uint8)
    h, w = img.shape
    sy, sx = max(0, (h - shape[0]) // 2), max(0, (w - shape[1]) // 2)
    dy, dx = max(0, (shape[0] - h) // 2), max(0, (shape[1] - w) // 2)
    ch, cw = min(h, shape[0]), min(w, shape[1])
    out[dy:dy + ch, dx:dx + cw] = img[sy:sy + ch, sx:sx + cw]
    return out


class FingerAlgorithm(Device):
    """Base of every fingerprint-algorithm library. Thread-safe: calls are serialised."""

    kind: ClassVar[DeviceKind] = DeviceKind.FINGER_ALGORITHM
    #: the image the algorithm takes (rows, columns): 360 x 256 for ID-card scanners
    image_shape: ClassVar[tuple[int, int]] = (360, 256)
    #: the similarity at and above which the driver's maker calls two prints one finger
    default_threshold: ClassVar[float] = 0.4

    # ---------------------------------------------------------------- primitives

    def _quality(self, image: np.ndarray) -> int:
        raise NotImplementedError

    def _extract(self, image: np.ndarray, finger_code: int) -> bytes:
        raise NotImplementedError

    def _match(self, a: bytes, b: bytes) -> float:
        raise NotImplementedError

    def _match_image(self, image: np.ndarray, template: bytes) -> float:
        raise NotImplementedError

    # ---------------------------------------------------------------- checks

    def _image(self, image: np.ndarray) -> np.ndarray:
        arr = np.asarray(image)
        if arr.dtype != np.uint8 or arr.shape != self.image_shape:
            raise ConfigError(f"the {self.address.driver} algorithm takes a "
                              f"{self.image_shape[1]} x {self.image_shape[0]} 8-bit grey "
                              f"image, got {arr.dtype} of shape {arr.shape}")
        return np.ascontiguousarray(arr)

    @staticmethod
    def _template(template: bytes, what: str = "template") -> bytes:
        data = bytes(template)
        if len(data) != TEMPLATE_SIZE:
            raise ConfigError(f"a {what} is {TEMPLATE_SIZE} bytes, got {len(data)}")
        return data

    # ---------------------------------------------------------------- public API

    def quality(self, image: np.ndarray) -> int:
        """The image's quality, 0 (unknown or no finger), 1 (worst) - 100 (best)."""
        img = self._image(image)
        return self._call("quality scoring", lambda: self._quality(img))

    def extract(self, image: np.ndarray, finger_code: int = 0) -> bytes:
        """A 512-byte template of ``image`` for the finger ``finger_code`` (11-20, 97-99,
        0 unknown). Raises :class:`~idcapture.errors.RetryNeeded` when the image holds
        no usable finger."""
        img = self._image(image)
        if not 0 <= finger_code <= 255:
            raise ConfigError(f"finger code must be 0-255, got {finger_code}")
        return self._call("template extraction", lambda: self._extract(img, finger_code))

    def match(self, a: bytes, b: bytes) -> float:
        """Similarity 0-1 of two templates."""
        ta, tb = self._template(a), self._template(b)
        return self._call("template matching", lambda: self._match(ta, tb))

    def match_image(self, image: np.ndarray, template: bytes) -> float:
        """Similarity 0-1 of a live image and a template."""
        img, t = self._image(image), self._template(template)
        return self._call("image matching", lambda: self._match_image(img, t))

    async def aextract(self, image: np.ndarray, finger_code: int = 0) -> bytes:
        """Coroutine twin of :meth:`extract`."""
        return await self._async(self.extract, image, finger_code)

    async def amatch(self, a: bytes, b: bytes) -> float:
        """Coroutine twin of :meth:`match`."""
        return await self._async(self.match, a, b)
