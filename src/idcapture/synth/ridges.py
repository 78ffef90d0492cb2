"""A plain finger-shaped ridge pattern: the finger the ``sim:fingerprint`` sensor holds by
default, and a quick stand-in image where no realistic print is needed (see
:mod:`idcapture.synth.fingerprints` for those)."""

from __future__ import annotations

import numpy as np

__all__ = ["ridge_pattern"]


def ridge_pattern(width: int = 300, height: int = 400, period: float = 9.0,
                  seed: int = 0) -> np.ndarray:
    """A finger-shaped pattern of concentric ridges (dark) on a light background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = width * (0.5 + rng.uniform(-0.05, 0.05)), height * (0.45 + rng.uniform(-0.05, 0.05))
    r = np.hypot((xx - cx) * 1.0, (yy - cy) * 0.8)
    ridges = 0.5 + 0.5 * np.cos(2 * np.pi * r / period)
    mask = ((xx - width / 2) / (width * 0.42)) ** 2 + ((yy - height / 2) / (height * 0.46)) ** 2
    inside = mask <= 1.0
    img = np.full((height, width), 235.0)
    img[inside] = 60 + 170 * ridges[inside]
    img += rng.normal(0, 4, img.shape)
    out: np.ndarray = np.clip(img, 0, 255).astype(np.uint8)
    return out
