"""Foreground segmentation: which blocks hold finger ridges."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .blocks import BLOCK, block_mean, median, pad_to_blocks, percentile, upsample

__all__ = ["admit_faint", "block_std", "pixel_mask", "segment_blocks", "window_blocks",
           "window_edges"]


def block_std(pixels: np.ndarray, block: int = BLOCK,
              mean: np.ndarray | None = None) -> np.ndarray:
    """Grey-level standard deviation per block (``mean``: ``block_mean(pixels, block)`` when
    already at hand)."""
    p = pad_to_blocks(pixels, block)
    m = block_mean(p, block) if mean is None else mean
    m2 = block_mean(p * p, block)
    out: np.ndarray = np.sqrt(np.maximum(m2 - m * m, 0.0))
    return out


def segment_blocks(std: np.ndarray, coherence: np.ndarray, *, min_std: float = 6.0,
                   relative_std: float = 0.25, min_coherence: float = 0.15,
                   to_frame: bool = False) -> np.ndarray:
    """Boolean block mask of the finger area.

    A block is foreground when its grey-level spread exceeds both ``min_std`` grey levels
    and ``relative_std`` times the 90th percentile of the image's block spreads, and its
    ridges have at least ``min_coherence``. The mask is then cleaned (closing, opening), holes
    are filled and only the largest connected region is kept.

    The clean-up treats the outside of the image as background, so it also drops the blocks
    along the image frame. With ``to_frame`` it replicates the frame instead: a finger that
    runs out of the image keeps its blocks along the frame, as long as they hold half the
    contrast asked of the others and clearly more than the background's.
    """
    if std.size == 0:
        return np.zeros(std.shape, dtype=bool)
    ref = percentile(std, 90)
    raw = (std > max(min_std, relative_std * ref)) & (coherence > min_coherence)
    m: np.ndarray = raw.astype(np.uint8)
    k = np.ones((3, 3), np.uint8)
    if to_frame:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k, borderType=cv2.BORDER_REPLICATE)
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, k, borderType=cv2.BORDER_REPLICATE)
        # closing must not grow the finger along the frame into the background
        background = median(std[~raw]) if not raw.all() else 0.0
        frame = np.ones(m.shape, bool)
        frame[1:-1, 1:-1] = False
        m[frame & (std <= max(min_std, 0.5 * relative_std * ref, 1.5 * background))] = 0
    else:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k, borderType=cv2.BORDER_CONSTANT,
                             borderValue=0)
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, k, borderType=cv2.BORDER_CONSTANT,
                             borderValue=0)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=4)
    if n <= 1:
        return np.zeros(std.shape, dtype=bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    m = (labels == largest).astype(np.uint8)
    # fill holes: background regions not connected to the frame
    padded = cv2.copyMakeBorder(1 - m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    flood = padded.copy()
    ff_mask = np.zeros((flood.shape[0] + 2, flood.shape[1] + 2), np.uint8)
    cv2.floodFill(flood, ff_mask, (0, 0), 2)
    holes = (flood[1:-1, 1:-1] == 1)
    return np.asarray((m == 1) | holes)


def pixel_mask(mask_blocks: np.ndarray, shape: tuple[int, int], block: int = BLOCK) -> np.ndarray:
    """A smooth-edged pixel mask from a block mask."""
    up = upsample(mask_blocks.astype(np.float32), shape, block)
    return np.asarray(up > 0.5)


_EDGE_SIGMA = 2.5
"""Gaussian sigma (half-resolution pixels, 5 px at 500 ppi) that smooths ridges away
before straight edges are sought: a ridge period of 8-12 px keeps under 2 % of its
contrast, a step edge all of it."""
_EDGE_CANNY = (20, 50)
_EDGE_TILT = math.radians(25.0)
_EDGE_SPAN = 0.5
_EDGE_REACH = 0.3


def window_edges(half: np.ndarray) -> list[tuple[float, float]]:
    """Straight edges of the sensor's window in a half-resolution finger image, as
    ``(rho, theta)`` lines in half-resolution pixels (``x cos theta + y sin theta = rho``).

    Some sensors image their window's frame (a trapezoid on some optical sensors, the ends
    of the swipe on sweep sensors): one long straight step, unlike ridges, which are
    periodic and curve. A window edge is a line within :data:`_EDGE_TILT` of the image's
    sides (or of its top and bottom) along which the Canny edges of the smoothed image
    cover at least :data:`_EDGE_SPAN` of the image's height (width), whose middle lies
    within :data:`_EDGE_REACH` of the image's extent from a side and not on the image's
    own frame. At most one edge per side, the strongest.
    """
    h, w = half.shape
    if min(h, w) < 16:
        return []
    b = cv2.GaussianBlur(np.clip(half, 0, 255).astype(np.uint8), (0, 0), _EDGE_SIGMA)
    e = cv2.Canny(b, *_EDGE_CANNY)
    found: dict[str, tuple[float, float]] = {}
    spans = ((0.0, _EDGE_TILT, h), (math.pi - _EDGE_TILT, math.pi, h),
             (0.5 * math.pi - _EDGE_TILT, 0.5 * math.pi + _EDGE_TILT, w))
    for lo, hi, length in spans:
        lines = cv2.HoughLines(e, 1, math.pi / 180, int(_EDGE_SPAN * length),
                               min_theta=lo, max_theta=hi)
        if lines is None:
            continue
        for rho, theta in lines[:, 0]:
            c, s = math.cos(theta), math.sin(theta)
            if abs(c) > abs(s):
                mid, extent, sides = (rho - 0.5 * h * s) / c, w, ("left", "right")
            else:
                mid, extent, sides = (rho - 0.5 * w * c) / s, h, ("top", "bottom")
            near = min(mid, extent - mid)
            if not 6 <= near <= _EDGE_REACH * extent:
                continue
            side = sides[0] if mid < 0.5 * extent else sides[1]
            found.setdefault(side, (float(rho), float(theta)))
    return list(found.values())


def window_blocks(edges: list[tuple[float, float]], half_shape: tuple[int, int],
                  grid: tuple[int, int], block: int = BLOCK, margin: float = 0.5) -> np.ndarray:
    """Which blocks of a ``grid`` (rows, columns of ``block`` working pixels) have their
    centres inside the window bounded by ``edges`` (:func:`window_edges`, found on a
    half-resolution image of ``half_shape``), at least ``margin`` blocks from every edge."""
    hs, ws = half_shape
    nby, nbx = grid
    cy = ((np.arange(nby, dtype=np.float64) + 0.5) * block / 2.0)[:, None]
    cx = ((np.arange(nbx, dtype=np.float64) + 0.5) * block / 2.0)[None, :]
    inside = np.ones((nby, nbx), bool)
    for rho, theta in edges:
        c, s = math.cos(theta), math.sin(theta)
        centre = 0.5 * ws * c + 0.5 * hs * s - rho
        d = (cx * c + cy * s - rho) * (1.0 if centre >= 0 else -1.0)
        inside &= d >= margin * block / 2.0
    return inside


def admit_faint(mask: np.ndarray, std: np.ndarray, coherence: np.ndarray,
                confidence: np.ndarray, inside: np.ndarray, *, min_coherence: float = 0.6,
                min_confidence: float = 0.5, spread: float = 1.5) -> np.ndarray:
    """``mask`` grown by the faint blocks next to it that still hold ridges.

    A dark region of a print sets the contrast reference of :func:`segment_blocks`, so a
    faint part of the same finger falls under its spread threshold. Such a block is let in
    when its ridges are coherent (``min_coherence``) and periodic (ridge-period
    ``confidence``), its spread is above ``spread`` times the 10th-percentile block's (the
    blank background), it lies ``inside`` the sensor's window (:func:`window_blocks`: a
    straight frame edge is coherent too, but not periodic enough) and it joins the mask.
    """
    if not mask.any():
        return mask
    floor = spread * percentile(std, 10)
    cand = (~mask) & inside & (coherence > min_coherence) & (confidence > min_confidence)
    cand &= std > floor
    if not cand.any():
        return mask
    grown = (mask | cand).astype(np.uint8)
    n, labels = cv2.connectedComponents(grown, connectivity=4)
    keep = np.zeros(n, bool)                 # the regions that hold a block of ``mask``
    keep[labels[mask]] = True
    keep[0] = False
    out: np.ndarray = keep[labels]
    return out
