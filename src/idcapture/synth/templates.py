"""Many distinct synthetic minutiae templates, cheaply, for search tests and benchmarks.

Rendering and extracting 100,000 synthetic fingerprint images is far too slow for a
benchmark, so large galleries are made from minutiae directly: positions drawn at random
inside a finger area, kept at least ``min_spacing`` pixels apart (minutiae in real
prints are about a ridge period or more apart), with directions that follow a ridge-flow
field (the orientation map of a synthetic master print, from
:mod:`idcapture.synth.fingerprints`) plus a random choice of the two opposite senses and a
little angular noise. Two templates drawn from the same flow field are *different*
fingers (their minutiae lie at unrelated places); they only share the smooth flow, as
fingers of one pattern class do.

These are not images and not extractor output: they stand in for enrolled templates in
speed measurements and false-hit counts, and say nothing about extraction accuracy.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ..biometrics.finger.template import FingerTemplate
from ..errors import ConfigError

__all__ = ["flow_template"]


def flow_template(orientation: npt.NDArray[np.floating], mask: npt.NDArray[np.bool_],
                  rng: np.random.Generator, count: int = 45, min_spacing: float = 10.0,
                  angle_noise: float = 0.15, ppi: int = 500) -> FingerTemplate:
    """One synthetic template of ``count`` minutiae following ``orientation`` inside ``mask``.

    ``orientation`` is a ridge orientation map in ``[0, pi)`` (radians, counter-clockwise
    as seen on screen), ``mask`` the finger area, both ``(h, w)`` at ``ppi``.
    """
    if orientation.shape != mask.shape or orientation.ndim != 2:
        raise ConfigError("orientation and mask must be 2-D arrays of one shape", "bad-shape")
    ys, xs = np.nonzero(mask)
    if len(xs) == 0 or count < 1:
        raise ConfigError("empty finger mask or no minutiae asked for", "bad-mask")
    # draw 3x more than needed, then thin greedily to the minimum spacing
    pick = rng.integers(0, len(xs), size=3 * count)
    px = xs[pick].astype(np.float64) + rng.uniform(-0.5, 0.5, len(pick))
    py = ys[pick].astype(np.float64) + rng.uniform(-0.5, 0.5, len(pick))
    d2 = (px[:, None] - px[None, :]) ** 2 + (py[:, None] - py[None, :]) ** 2
    close = d2 < min_spacing ** 2
    np.fill_diagonal(close, False)
    keep = np.zeros(len(px), bool)
    blocked = np.zeros(len(px), bool)
    for i in range(len(px)):            # greedy thinning of <= 3*count points
        if blocked[i]:
            continue
        keep[i] = True
        blocked |= close[i]
        if keep.sum() >= count:
            break
    px, py = px[keep], py[keep]
    theta = orientation[py.astype(int), px.astype(int)].astype(np.float64)
    theta = theta + math.pi * rng.integers(0, 2, len(px)) + rng.normal(0.0, angle_noise,
                                                                         len(px))
    kind = rng.integers(1, 3, len(px)).astype(np.float64)
    quality = rng.integers(40, 100, len(px)).astype(np.float64)
    arr = np.stack([px, py, theta % (2.0 * math.pi), kind, quality], axis=1)
    h, w = mask.shape
    return FingerTemplate.from_array(arr, w, h, ppi)
