"""Input checks and resolution handling shared by every finger function."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ...errors import ConfigError

__all__ = ["BASE_PPI", "MIN_SIDE_PX", "WorkingImage", "to_working"]

BASE_PPI = 500
"""Every algorithm runs at this resolution; other resolutions are rescaled to it."""

MIN_SIDE_PX = 48
"""Smallest image side accepted, in pixels at 500 ppi (about 2.4 mm)."""


@dataclass(frozen=True)
class WorkingImage:
    """An image as float32 grey levels 0-255 at :data:`BASE_PPI`, and how it was made."""

    pixels: np.ndarray
    scale: float
    """Working pixels per source pixel (``BASE_PPI / ppi``)."""
    source_shape: tuple[int, int]
    source_ppi: int


def to_working(image: np.ndarray, ppi: int = BASE_PPI) -> WorkingImage:
    """Check ``image`` (2-D grey, or 3-D with 1/3/4 channels) and rescale it to 500 ppi.

    Raises :class:`~idcapture.errors.ConfigError` (code ``bad-image`` or ``bad-ppi``)
    naming what is wrong.
    """
    if not isinstance(ppi, (int, np.integer)) or isinstance(ppi, bool) or not 100 <= ppi <= 5000:
        raise ConfigError(f"resolution must be an integer between 100 and 5000 ppi, got {ppi!r}",
                          "bad-ppi")
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer)
                                   or np.issubdtype(arr.dtype, np.floating)
                                   or arr.dtype == bool):
        raise ConfigError(f"finger image must hold numbers, got dtype {arr.dtype}", "bad-image")
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        if arr.shape[2] == 1:
            arr = arr[:, :, 0]
        else:
            arr = cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3]).astype(np.float32),
                               cv2.COLOR_RGB2GRAY)
    if arr.ndim != 2:
        raise ConfigError(f"finger image must be 2-D grey (height, width), got shape "
                          f"{tuple(np.shape(image))}", "bad-image")
    if arr.dtype == bool:
        arr = arr.astype(np.float32) * 255.0
    px = arr.astype(np.float32, copy=False)
    if not np.issubdtype(arr.dtype, np.integer) and not np.isfinite(px).all():
        raise ConfigError("finger image holds NaN or infinite values", "bad-image")
    if px.size and (np.issubdtype(arr.dtype, np.floating)) and float(px.max()) <= 1.0:
        px = px * 255.0
    scale = BASE_PPI / float(ppi)
    h, w = px.shape
    if min(h, w) * scale < MIN_SIDE_PX:
        raise ConfigError(f"finger image is too small: {w}x{h} px at {ppi} ppi (needs at least "
                          f"{MIN_SIDE_PX} px per side at {BASE_PPI} ppi)", "bad-image")
    if ppi != BASE_PPI:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        px = np.asarray(cv2.resize(px, size, interpolation=interp), dtype=np.float32)
    return WorkingImage(np.ascontiguousarray(px, dtype=np.float32), scale, (h, w), int(ppi))
