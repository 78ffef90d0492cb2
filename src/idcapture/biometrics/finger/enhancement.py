"""Contextual enhancement: per-block band-pass filtering tuned to the local ridges.

Each block's 32x32 neighbourhood (Hann-windowed, 50 % overlap) is filtered in the
frequency domain by a filter that passes the local ridge frequency (radial Gaussian) in the
local ridge-normal direction (angular Gaussian whose width grows as coherence falls), then
the blocks are overlap-added. This is the short-time Fourier form of Hong-Wan-Jain's
oriented Gabor filtering, vectorised over all foreground blocks at once.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .blocks import BLOCK

__all__ = ["enhance", "normalise_contrast"]

_WIN = 2 * BLOCK
_FY = np.fft.fftfreq(_WIN).astype(np.float32)[:, None]
_FX = np.fft.rfftfreq(_WIN).astype(np.float32)[None, :]
_RHO = np.hypot(_FY, _FX)
_PHI = np.arctan2(_FY, _FX)
_HANN1 = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_WIN) / _WIN)).astype(np.float32)
_HANN = _HANN1[:, None] * _HANN1[None, :]


def normalise_contrast(pixels: np.ndarray, sigma: float = 8.0) -> np.ndarray:
    """Zero local mean, unit local standard deviation (Gaussian neighbourhoods)."""
    mean = cv2.GaussianBlur(pixels, (0, 0), sigma)
    d = pixels - mean
    var = cv2.GaussianBlur(d * d, (0, 0), sigma)
    out: np.ndarray = d / np.sqrt(var + 4.0)
    return out


def enhance(normalised: np.ndarray, theta: np.ndarray, period: np.ndarray,
            coherence: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Enhanced image (float32, ridges negative, valleys positive; 0 outside ``mask``).

    ``theta``, ``period``, ``coherence`` and ``mask`` are block maps (see
    :func:`~idcapture.biometrics.finger.orientation.orientation_field`,
    :func:`~idcapture.biometrics.finger.frequency.ridge_period`).
    """
    h, w = normalised.shape
    nby, nbx = theta.shape
    half = BLOCK // 2
    padded = cv2.copyMakeBorder(normalised, half, nby * BLOCK - h + half,
                                half, nbx * BLOCK - w + half, cv2.BORDER_REFLECT)
    views = np.lib.stride_tricks.sliding_window_view(padded, (_WIN, _WIN))[::BLOCK, ::BLOCK]
    by, bx = np.nonzero(mask)
    out4 = np.zeros((nby + 1, BLOCK, nbx + 1, BLOCK), np.float32)
    if by.size:
        wins = views[by, bx] * _HANN
        spec = np.fft.rfft2(wins)
        normal = theta[by, bx] + 0.5 * math.pi            # ridge-normal direction
        f0 = (1.0 / period[by, bx]).astype(np.float32)
        coh = coherence[by, bx]
        dphi = np.mod(_PHI[None] - normal[:, None, None] + 0.5 * math.pi, math.pi) - 0.5 * math.pi
        sig_phi = (0.3 + 0.5 * (1.0 - np.clip(coh, 0.0, 1.0)) ** 2)[:, None, None]
        sig_rho = (0.35 * f0)[:, None, None]
        filt = np.exp(-0.5 * (dphi / sig_phi) ** 2
                      - 0.5 * ((_RHO[None] - f0[:, None, None]) / sig_rho) ** 2)
        res = np.fft.irfft2(spec * filt, s=(_WIN, _WIN)).astype(np.float32)
        for qy in (0, 1):
            for qx in (0, 1):
                out4[by + qy, :, bx + qx, :] += res[:, qy * BLOCK:(qy + 1) * BLOCK,
                                                    qx * BLOCK:(qx + 1) * BLOCK]
    full = out4.reshape((nby + 1) * BLOCK, (nbx + 1) * BLOCK)
    return np.ascontiguousarray(full[half:half + h, half:half + w])
