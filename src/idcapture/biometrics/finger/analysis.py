"""One pass over a finger image: the block maps every later step shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .blocks import BLOCK, block_mean, block_shape, pad_to_blocks
from .enhancement import enhance_small, half_size, normalise_contrast, upscale_half
from .frequency import RidgeSignatures, ridge_period, signatures
from .image import BASE_PPI, WorkingImage, to_working
from .orientation import OrientationField, orientation_field
from .segmentation import (
    admit_faint,
    block_std,
    pixel_mask,
    segment_blocks,
    window_blocks,
    window_edges,
)

__all__ = ["FingerAnalysis", "analyse", "rescaled"]


@dataclass
class FingerAnalysis:
    """Block maps of one image at 500 ppi (block side :data:`~.blocks.BLOCK` px).

    ``mask`` is the foreground, away from the image frame (the measures of quality read
    it); ``finger_mask`` the foreground including blocks along the frame where the finger
    runs out of the image (enhancement and minutiae use it); ``orientation`` the ridge
    orientation and coherence;
    ``period`` the ridge period in pixels and ``period_confidence`` its reliability;
    ``grey_mean``/``grey_std`` the grey-level statistics per block; ``signatures`` the
    oriented samples used for frequency and clarity measures.
    """

    work: WorkingImage
    mask: np.ndarray
    orientation: OrientationField
    period: np.ndarray
    period_confidence: np.ndarray
    grey_mean: np.ndarray
    grey_std: np.ndarray
    signatures: RidgeSignatures
    half: np.ndarray
    """The working image at half resolution (area-averaged), where orientation and
    enhancement run."""
    _finger_mask: np.ndarray | None = field(default=None, repr=False)
    """:attr:`finger_mask` when given; ``None`` to work it out on first use."""
    block: int = BLOCK
    window: np.ndarray = field(default_factory=lambda: np.ones((0, 0), bool))
    """Blocks inside the sensor's window (:func:`~.segmentation.window_blocks`; all of them
    when the image shows no window edge); empty when not measured."""
    _enhanced: np.ndarray | None = field(default=None, repr=False)
    _enhanced_half: np.ndarray | None = field(default=None, repr=False)
    _pixel_mask: np.ndarray | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        """Working image shape (rows, columns) at 500 ppi."""
        h, w = self.work.pixels.shape
        return (h, w)

    @property
    def finger_mask(self) -> np.ndarray:
        """``mask`` with the blocks along the image frame where the finger runs out of the
        image and the faint ridged blocks beside it (:func:`~.segmentation.admit_faint`;
        the quality's measures keep reading ``mask``), worked out on first use: an
        analysis followed by one at the minutiae scale never needs its own."""
        if self._finger_mask is None:
            coherence = self.orientation.coherence
            grown = segment_blocks(self.grey_std, coherence, to_frame=True) | self.mask
            inside = self.window if self.window.size else np.ones(self.mask.shape, bool)
            self._finger_mask = admit_faint(grown, self.grey_std, coherence,
                                            self.period_confidence, inside)
        return self._finger_mask

    @property
    def pixel_mask(self) -> np.ndarray:
        """Foreground mask at pixel resolution (working image)."""
        if self._pixel_mask is None:
            self._pixel_mask = pixel_mask(self.mask, self.shape, self.block)
        return self._pixel_mask

    @property
    def enhanced_half(self) -> np.ndarray:
        """Contextually enhanced image at half resolution (ridges negative, 0 outside the
        finger area), computed on first use; minutiae are detected on it."""
        if self._enhanced_half is None:
            self._enhanced_half = enhance_small(normalise_contrast(self.half, 4.0),
                                                self.orientation.theta, self.period,
                                                self.finger_mask)
        return self._enhanced_half

    @property
    def enhanced(self) -> np.ndarray:
        """Contextually enhanced image (ridges negative) at the working resolution,
        :attr:`enhanced_half` brought back to full size on first use."""
        if self._enhanced is None:
            self._enhanced = upscale_half(self.enhanced_half, self.shape)
        return self._enhanced


def analyse(image: np.ndarray, ppi: int = BASE_PPI) -> FingerAnalysis:
    """Segment ``image`` and estimate its orientation, coherence and ridge period per block.

    ``image`` is a 2-D grey array (uint8 0-255, or float 0-1/0-255) at ``ppi``; other
    resolutions are rescaled to 500 ppi. Raises :class:`~idcapture.errors.ConfigError` for
    input that is not a usable grey image.
    """
    work = to_working(image, ppi)
    half, orient, grey_mean, std, mask = _segmented(work.pixels)
    sigs = signatures(work.pixels, orient.theta)
    period, conf = ridge_period(sigs.profile, mask)
    inside = window_blocks(window_edges(half), half.shape, std.shape)
    # the finger mask (faint but clearly ridged blocks beside the finger join the area
    # enhanced and searched for minutiae) is worked out when first read
    return FingerAnalysis(work, mask, orient, period, conf, grey_mean, std, sigs, half,
                          window=inside)


def _segmented(px: np.ndarray) -> tuple[np.ndarray, OrientationField, np.ndarray, np.ndarray,
                                        np.ndarray]:
    """Half-resolution image, orientation field, block means and spreads and mask of
    working pixels ``px``."""
    hs, ws = half_size(px.shape)
    half = cv2.resize(px, (ws, hs), interpolation=cv2.INTER_AREA)
    # ridges (8-12 px periods at 500 ppi) are well resolved at half resolution
    orient = orientation_field(half, BLOCK // 2, presmooth=0.0)
    padded = pad_to_blocks(px)
    grey_mean = block_mean(padded)
    std = block_std(padded, mean=grey_mean)
    mask = segment_blocks(std, orient.coherence)
    return half, orient, grey_mean, std, mask


def _block_grid(shape: tuple[int, int], f: float, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the block centres of a working image ``f`` times larger fall in the block grid
    of the native one (fractional block indices, columns then rows, float32)."""
    nby, nbx = block_shape(shape, block)
    c = block / 2.0 - 0.5
    gy = ((np.arange(nby, dtype=np.float32) * block + c) / f - c) / block
    gx = ((np.arange(nbx, dtype=np.float32) * block + c) / f - c) / block
    mx = np.broadcast_to(gx[None, :], (nby, nbx))
    my = np.broadcast_to(gy[:, None], (nby, nbx))
    return np.ascontiguousarray(mx), np.ascontiguousarray(my)


def rescaled(an: FingerAnalysis, image: np.ndarray, ppi: int) -> FingerAnalysis:
    """The analysis of ``image`` read at ``ppi`` instead of ``an``'s resolution: pixels,
    orientation and segmentation measured again (they are cheap and sharpen with the finer
    grid), the ridge period and its confidence taken from ``an`` (resampled to the new block
    grid, the period scaled), the grey-level mean too (minutiae do not read it), the
    signatures the nearest native block's. ``an`` must be ``analyse(image, ...)``; this
    spares the signatures and their spectra."""
    work = to_working(image, ppi)
    px = work.pixels
    half, orient, _, std, mask = _segmented(px)
    f = work.scale / an.work.scale
    mx, my = _block_grid(px.shape, f, an.block)

    def resample(m: np.ndarray) -> np.ndarray:
        out: np.ndarray = cv2.remap(np.ascontiguousarray(m, dtype=np.float32), mx, my,
                                    cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out

    near_y = np.clip(np.rint(my[:, 0]).astype(np.int64), 0, an.mask.shape[0] - 1)
    near_x = np.clip(np.rint(mx[0]).astype(np.int64), 0, an.mask.shape[1] - 1)
    sigs = RidgeSignatures.picked(an.signatures, near_y, near_x)
    conf = resample(an.period_confidence)
    inside = resample(an.window) > 0.5 if an.window.size else np.ones(std.shape, bool)
    return FingerAnalysis(work, mask, orient, (resample(an.period) * f).astype(np.float32),
                          conf, resample(an.grey_mean), std, sigs, half, None, an.block,
                          inside)
