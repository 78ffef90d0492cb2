"""Smear (smudge) measure: ridge flow that stays coherent where ridges stop separating.

A finger that slides while it is captured smears its ink along the slide. Ridges running
along the slide survive; ridges across it are spread over the valleys beside them and
merge into streaks that run along the slide. Those streaks keep a clear direction (the
gradient covariance stays coherent) but no longer split into ridges and valleys (local
clarity, NFIQ 2's LCS, falls). In an ordinary print the two go together: where ridges are
clear their direction is certain, and where a print is dry, scarred or noisy both fall.
The measure is the share of finger blocks that are coherent but unclear.

That share misses a slide along the main ridge direction, where few ridges cross the
slide. :func:`smear_echo` looks at the slide itself: a motion smear of length ``L`` along
``u`` makes the image's derivative along ``u`` the difference of two copies of the print
``L`` apart, so that derivative correlates negatively with itself at lag ``L`` along ``u``
(the "echo" of the smear). Ridges give a negative correlation too, at half a ridge period
across them; the echo counts only where it is deeper at smear lengths than at half a period.

A print blurred all over (out of focus, or smeared in every direction) is caught by
:func:`ridge_noise_ratio`: its ridges drown in the sensor noise.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

from .orientation import gradient_coherence

__all__ = ["COHERENT", "ECHO_LAGS_PX", "HALF_PERIOD_LAGS_PX", "UNCLEAR", "SmearEcho",
           "coherent_unclear_share", "ridge_noise_ratio", "smear_echo"]

COHERENT = 0.6
"""Block coherence (``|covariance| / energy`` of the gradient) above which the block's
direction counts as certain. Part of the measure's definition, not a verdict threshold."""
UNCLEAR = 0.78
"""Block local clarity below which ridges and valleys count as not separating."""


def coherent_unclear_share(covariance: np.ndarray, clarity: np.ndarray,
                           mask: np.ndarray) -> float:
    """Share of the finger blocks (``mask``) whose gradient coherence is above
    :data:`COHERENT` while their local clarity is below :data:`UNCLEAR`.

    ``covariance`` is the per-block gradient moments ``(gxx - gyy, 2 gxy, gxx + gyy)`` and
    ``clarity`` the per-block local clarity, both on the grid of ``mask``. Returns 0.0
    when there is no finger block.
    """
    n = int(mask.sum())
    if n == 0:
        return 0.0
    hit = (gradient_coherence(covariance) > COHERENT) & (clarity < UNCLEAR) & mask
    return float(hit.sum()) / n


def ridge_noise_ratio(samples: np.ndarray, mask: np.ndarray) -> float:
    """Median over the finger blocks of the ridge signal to the noise along the ridges.

    ``samples`` are the oriented block samples ``(nby, nbx, lines, length)`` (lines run
    along the ridges). The signal is the spread of the signature (samples averaged along
    the ridges), the noise the spread of the samples about it. A print blurred until its
    ridges drown in the sensor noise scores below 1 (a Gaussian blur of 3.5 px on 9 px
    ridges with noise of 18 grey levels: 0.5; FVC2002 DB1_B: 0.83-2.5, median 1.5).
    Returns 0.0 when there is no finger block.
    """
    if not mask.any():
        return 0.0
    sel = samples[mask]                                  # (n, lines, length)
    sig = sel.mean(axis=1)
    noise = (sel - sig[:, None, :]).std(axis=(1, 2))
    return float(np.median(sig.std(axis=-1) / np.maximum(noise, 1e-3)))


ECHO_LAGS_PX = (12, 26)
"""Smear lengths searched (pixels at 500 ppi): a finger that slides 1-2 ridge periods or
more while captured. Part of the measure's definition."""
HALF_PERIOD_LAGS_PX = (4, 8)
"""Lags of half a ridge period (ridge periods 8-16 px at 500 ppi)."""
_DIRECTIONS = 24                      # every 7.5 degrees
_MASK_SIGMA = 3.0                     # half-resolution px: soft finger window
_MIN_ENERGY_SHARE = 0.1               # of the derivative energy along the strongest direction


class SmearEcho(NamedTuple):
    """The echo of a motion smear (see :func:`smear_echo`)."""

    echo: float
    """Echo depth at the smear length minus that at half a ridge period."""
    direction_deg: float
    """Direction of the slide, degrees counter-clockwise on screen from the x axis (0-180)."""
    length_px: float
    """Length of the slide, pixels at 500 ppi."""


def smear_echo(half: np.ndarray, mask: np.ndarray) -> SmearEcho:
    """Echo of a motion smear in the finger area of the half-resolution image ``half``.

    ``mask`` is the block foreground (any grid covering ``half``). The image is windowed
    by the softened finger area; the autocorrelation of its
    derivative along each of 24 directions comes from one power spectrum (transforms of the
    spectrum weighted by ``wx^2``, ``wx wy``, ``wy^2``), normalised by its
    value at lag 0. Per direction, the echo is the depth of the deepest negative
    correlation at :data:`ECHO_LAGS_PX` minus that at :data:`HALF_PERIOD_LAGS_PX`; the
    largest over the directions is returned with its direction and lag. Directions whose
    derivative energy is under a tenth of the strongest direction's are left out (ridges
    running parallel across the whole finger, whose slow drift would look like an echo).
    The window is the finger area eroded by one block, softened; only the finger's mean
    grey is taken off (the derivative ignores slow illumination). Ordinary prints score
    below 0 (FVC2002 DB1_B: -0.35 to -0.06); smeared ones mostly above (synthetic smudged
    impressions: up to 0.25). On a small contact a few parallel ridges seen obliquely can
    echo as well. Returns ``(-1, 0, 0)`` without finger blocks.
    """
    if not mask.any():
        return SmearEcho(-1.0, 0.0, 0.0)
    h = np.asarray(half, np.float32)
    rows, cols = h.shape
    inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    if not inner.any():
        return SmearEcho(-1.0, 0.0, 0.0)
    window = cv2.resize(inner.astype(np.float32), (cols, rows), interpolation=cv2.INTER_LINEAR)
    window = cv2.GaussianBlur(window, (0, 0), _MASK_SIGMA)
    # only the finger's bounding box is transformed
    rows_in = np.nonzero(window.max(axis=1) > 1e-3)[0]
    cols_in = np.nonzero(window.max(axis=0) > 1e-3)[0]
    box = (slice(rows_in[0], rows_in[-1] + 1), slice(cols_in[0], cols_in[-1] + 1))
    h, window = h[box], window[box]
    rows, cols = h.shape
    # the derivative ignores slow illumination; a local mean would leave a halo at the
    # contact edge, so only the finger's mean grey is taken off
    x = (h - float((h * window).sum()) / max(float(window.sum()), 1e-6)) * window
    max_lag = math.ceil(ECHO_LAGS_PX[1] / 2) + 1
    size = (cv2.getOptimalDFTSize(rows + max_lag), cv2.getOptimalDFTSize(cols + max_lag))
    # OpenCV's complex transform is several times faster than its real-to-complex one here
    buf = np.zeros((*size, 2), np.float32)
    buf[:rows, :cols, 0] = x
    spec = cv2.dft(buf, flags=cv2.DFT_COMPLEX_INPUT | cv2.DFT_COMPLEX_OUTPUT)
    power = spec[..., 0] ** 2 + spec[..., 1] ** 2
    wy = np.fft.fftfreq(size[0]).astype(np.float32)[:, None]
    wx = np.fft.fftfreq(size[1]).astype(np.float32)[None, :]
    # the weighted power spectra are real and even, so their forward transforms are the
    # (unscaled) autocorrelations, real as well; two of them ride in one complex transform
    buf[..., 0] = wx * wx * power
    buf[..., 1] = wy * wy * power
    both = cv2.dft(buf, flags=cv2.DFT_COMPLEX_INPUT | cv2.DFT_COMPLEX_OUTPUT)
    axx, ayy = both[..., 0], both[..., 1]
    buf[..., 0] = wx * wy * power
    buf[..., 1] = 0.0
    axy = cv2.dft(buf, flags=cv2.DFT_COMPLEX_INPUT | cv2.DFT_COMPLEX_OUTPUT)[..., 0]
    ang = np.arange(_DIRECTIONS) * (math.pi / _DIRECTIONS)
    ux, uy = np.cos(ang)[:, None], -np.sin(ang)[:, None]      # y down on screen
    lags = np.arange(1, max_lag + 1, dtype=np.float64)[None, :]
    xs = np.rint(lags * ux).astype(np.int64) % size[1]
    ys = np.rint(lags * uy).astype(np.int64) % size[0]
    corr = ux * ux * axx[ys, xs] + 2.0 * ux * uy * axy[ys, xs] + uy * uy * ayy[ys, xs]
    zero = (ux * ux * axx[0, 0] + 2.0 * ux * uy * axy[0, 0] + uy * uy * ayy[0, 0])[:, 0]
    rho = corr / np.maximum(zero, 1e-12)[:, None]
    lag_px = 2.0 * lags[0]                                     # full-resolution pixels
    near = (lag_px >= HALF_PERIOD_LAGS_PX[0]) & (lag_px <= HALF_PERIOD_LAGS_PX[1])
    far = np.nonzero((lag_px >= ECHO_LAGS_PX[0]) & (lag_px <= ECHO_LAGS_PX[1]))[0]
    at = far[np.argmin(rho[:, far], axis=1)]                  # deepest dip per direction
    rows_i = np.arange(_DIRECTIONS)
    echo = -rho[rows_i, at] + rho[:, near].min(axis=1)
    # along ridges that run parallel over the whole finger the image barely changes, and the
    # slow drift of those ridges dips like an echo: such directions tell nothing of a smear
    echo = np.where(zero >= _MIN_ENERGY_SHARE * float(zero.max()), echo, -1.0)
    best = int(np.argmax(echo))
    at_px = float(lag_px[at[best]])
    return SmearEcho(float(echo[best]), math.degrees(float(ang[best])), at_px)
