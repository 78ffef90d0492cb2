"""Ridge period per block from oriented signatures (the "x-signature" method)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .blocks import BLOCK, smooth_masked

__all__ = ["MAX_PERIOD", "MIN_PERIOD", "RidgeSignatures", "ridge_period", "signatures"]

MIN_PERIOD = 4.0
"""Shortest plausible ridge period, pixels at 500 ppi."""
MAX_PERIOD = 20.0
"""Longest plausible ridge period, pixels at 500 ppi."""

SIG_LEN = 32
"""Samples across the ridges per signature."""
SIG_LINES = 8
"""Parallel lines (along the ridges) averaged into one signature."""
SIG_LINE_STEP = 2.0
"""Spacing of those lines, pixels (the lines span the block's 16 px along the ridges)."""
_NFFT = 64


class RidgeSignatures:
    """Oriented samples of every block (``samples``: ``(nby, nbx, SIG_LINES, SIG_LEN)``),
    taken across the ridges on lines parallel to them, centred on the block centre."""

    __slots__ = ("_from", "_samples")

    def __init__(self, samples: np.ndarray) -> None:
        self._samples: np.ndarray | None = samples
        self._from: tuple[RidgeSignatures, np.ndarray, np.ndarray] | None = None

    @classmethod
    def picked(cls, source: RidgeSignatures, rows: np.ndarray,
               cols: np.ndarray) -> RidgeSignatures:
        """The signatures of ``source``'s blocks at ``rows`` x ``cols`` (block indices),
        gathered when first read (an analysis at another scale keeps them for the quality
        measures, which extraction does not take there)."""
        out = cls.__new__(cls)
        out._samples = None
        out._from = (source, rows, cols)
        return out

    @property
    def samples(self) -> np.ndarray:
        """The samples, ``(nby, nbx, SIG_LINES, SIG_LEN)``."""
        if self._samples is None:
            assert self._from is not None
            source, rows, cols = self._from
            self._samples = source.samples[np.ix_(rows, cols)]
            self._from = None
        return self._samples

    @property
    def profile(self) -> np.ndarray:
        """The signature: samples averaged along the ridges, ``(nby, nbx, SIG_LEN)``."""
        # ``samples.mean(axis=2)`` to the last bit (numpy adds the lines in order along an
        # outer axis), summed line by line: a fraction of the strided reduction's time
        s = self.samples
        out: np.ndarray = s[:, :, 0] + s[:, :, 1]
        for i in range(2, s.shape[2]):
            out += s[:, :, i]
        out /= s.dtype.type(s.shape[2])
        return out


def signatures(pixels: np.ndarray, theta: np.ndarray, block: int = BLOCK) -> RidgeSignatures:
    """Sample every block across its ridge direction ``theta`` (image coordinates)."""
    nby, nbx = theta.shape
    cy = (np.arange(nby, dtype=np.float32) * block + block / 2.0 - 0.5)[:, None]
    cx = (np.arange(nbx, dtype=np.float32) * block + block / 2.0 - 0.5)[None, :]
    tx, ty = np.cos(theta), np.sin(theta)            # along the ridges
    nx, ny = -ty, tx                                  # across the ridges
    u = np.arange(SIG_LEN, dtype=np.float32) - (SIG_LEN - 1) / 2.0
    v = (np.arange(SIG_LINES, dtype=np.float32) - (SIG_LINES - 1) / 2.0) * SIG_LINE_STEP
    # shape (nby, nbx, lines, len)
    mx = (cx[..., None, None] + nx[..., None, None] * u + tx[..., None, None] * v[:, None])
    my = (cy[..., None, None] + ny[..., None, None] * u + ty[..., None, None] * v[:, None])
    mx = mx.astype(np.float32, copy=False).reshape(-1, SIG_LEN)
    my = my.astype(np.float32, copy=False).reshape(-1, SIG_LEN)
    sampled = cv2.remap(pixels, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return RidgeSignatures(sampled.reshape(nby, nbx, SIG_LINES, SIG_LEN))


def ridge_period(profile: np.ndarray, mask: np.ndarray,
                 smoothing_blocks: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Ridge period (pixels) and its confidence (0-1) per block.

    The period is the dominant wavelength of each block's signature (zero-padded DFT, peak
    refined by parabolic interpolation) between :data:`MIN_PERIOD` and :data:`MAX_PERIOD`;
    ``confidence`` is the share of the signature's AC power in the peak. Blocks of low
    confidence or outside ``mask`` take the weighted average of their neighbours.
    """
    sig = profile - profile.mean(axis=-1, keepdims=True)
    win = np.hanning(SIG_LEN + 2)[1:-1].astype(np.float32)
    spec = np.abs(np.fft.rfft(sig * win, n=_NFFT, axis=-1)) ** 2
    k_lo = math.ceil(_NFFT / MAX_PERIOD)
    k_hi = math.floor(_NFFT / MIN_PERIOD)
    band = spec[..., k_lo: k_hi + 1]
    k = np.argmax(band, axis=-1)
    kk = np.clip(k, 1, band.shape[-1] - 2)
    y0 = np.take_along_axis(band, (kk - 1)[..., None], -1)[..., 0]
    y1 = np.take_along_axis(band, kk[..., None], -1)[..., 0]
    y2 = np.take_along_axis(band, (kk + 1)[..., None], -1)[..., 0]
    den = y0 - 2 * y1 + y2
    delta = np.where(np.abs(den) > 1e-9, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    peak = kk + np.clip(delta, -0.5, 0.5) + k_lo
    period = np.clip(_NFFT / np.maximum(peak, 1e-3), MIN_PERIOD, MAX_PERIOD)
    total = spec[..., 1:].sum(axis=-1) + 1e-9
    lo = np.clip(kk - 3, 0, None)
    idx = lo[..., None] + np.arange(7)
    idx = np.clip(idx, 0, band.shape[-1] - 1)
    near = np.take_along_axis(band, idx, -1).sum(axis=-1)
    conf = np.clip(near / total, 0.0, 1.0).astype(np.float32)
    weight = conf * mask
    if float(weight.sum()) <= 0:
        return np.full(profile.shape[:2], 9.0, np.float32), conf
    freq = smooth_masked(1.0 / period, weight ** 2, smoothing_blocks)
    return np.clip(1.0 / np.maximum(freq, 1e-3), MIN_PERIOD, MAX_PERIOD).astype(np.float32), conf
