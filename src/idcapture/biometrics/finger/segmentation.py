"""Foreground segmentation: which blocks hold finger ridges."""

from __future__ import annotations

import cv2
import numpy as np

from .blocks import BLOCK, block_mean, upsample

__all__ = ["block_std", "pixel_mask", "segment_blocks"]


def block_std(pixels: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Grey-level standard deviation per block."""
    m = block_mean(pixels, block)
    m2 = block_mean(pixels * pixels, block)
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
    ref = float(np.percentile(std, 90))
    raw = (std > max(min_std, relative_std * ref)) & (coherence > min_coherence)
    m: np.ndarray = raw.astype(np.uint8)
    k = np.ones((3, 3), np.uint8)
    if to_frame:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k, borderType=cv2.BORDER_REPLICATE)
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, k, borderType=cv2.BORDER_REPLICATE)
        # closing must not grow the finger along the frame into the background
        background = float(np.median(std[~raw])) if not raw.all() else 0.0
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
