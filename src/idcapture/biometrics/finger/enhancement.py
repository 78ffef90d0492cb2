"""Contextual enhancement: oriented Gabor filtering tuned to the local ridges.

The contrast-normalised image is taken to half resolution (ridges at 500 ppi have periods
of 8-12 px, so the band the filter keeps lies far below the half-resolution Nyquist
limit), filtered by a bank of :data:`N_ORIENTATIONS` even-symmetric Gabor kernels tuned
to the image's ridge period (Hong, Wan & Jain 1998), and each pixel takes the response of
the kernels either side of its local ridge orientation, blended linearly. The result is
brought back to full resolution. Every filter pass is one ``cv2.filter2D`` call.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import cv2
import numpy as np

from .blocks import BLOCK, median, upsample

__all__ = ["N_ORIENTATIONS", "enhance", "enhance_half", "enhance_small",
           "gabor_bank", "half_size", "normalise_contrast", "upscale_half"]

N_ORIENTATIONS = 16
"""Orientations in the Gabor bank (11.25 degree steps; pixels blend the nearest two)."""
_KSIZE = 11
"""Kernel side at half resolution (covers 22 px, about two ridge periods, at 500 ppi)."""
_SIGMA = 0.45
"""Gaussian envelope of the kernels, in ridge periods."""


_LOCAL = threading.local()


def _workspace(shape: tuple[int, int, int]) -> np.ndarray:
    """This thread's float32 scratch array of ``shape`` for the filter bank's responses
    (kept between calls: a fresh 5 MB array per image costs more in page faults than the
    filtering it holds)."""
    buf: np.ndarray | None = getattr(_LOCAL, "resp", None)
    if buf is None or buf.shape != shape:
        # zeros: parts no finger pixel reads stay unfiltered, but finite
        buf = np.zeros(shape, np.float32)
        _LOCAL.resp = buf
    return buf


def normalise_contrast(pixels: np.ndarray, sigma: float = 8.0) -> np.ndarray:
    """Zero local mean, unit local standard deviation (Gaussian neighbourhoods)."""
    mean = cv2.GaussianBlur(pixels, (0, 0), sigma)
    d = pixels - mean
    var = cv2.GaussianBlur(d * d, (0, 0), sigma)
    out: np.ndarray = d / np.sqrt(var + 4.0)
    return out


@lru_cache(maxsize=32)
def gabor_bank(period: float, n: int = N_ORIENTATIONS, ksize: int = _KSIZE) -> np.ndarray:
    """``(n, ksize, ksize)`` zero-mean even Gabor kernels for a ridge ``period`` (pixels).

    Kernel ``i`` is tuned to ridges running at ``i * pi / n`` (image coordinates, y down):
    its cosine varies across the ridges and is positive at the centre, so dark ridges give
    negative responses. The envelope is an isotropic Gaussian of ``_SIGMA`` periods. This
    is the dense form of what :func:`enhance_half` applies separably.
    """
    r = ksize // 2
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float64)
    out = np.empty((n, ksize, ksize), np.float32)
    env = np.exp(-0.5 * (xx * xx + yy * yy) / (_SIGMA * period) ** 2)
    for i in range(n):
        t = i * math.pi / n
        across = -xx * math.sin(t) + yy * math.cos(t)
        k = env * np.cos(2.0 * math.pi * across / period)
        k -= env * (k.sum() / env.sum())                  # no response to flat grey
        out[i] = k
    out.setflags(write=False)
    return out


@lru_cache(maxsize=32)
def _separable_bank(period: float, n: int = N_ORIENTATIONS, ksize: int = _KSIZE
                    ) -> tuple[np.ndarray, list[tuple[int, int, np.ndarray, np.ndarray,
                                                      np.ndarray, np.ndarray, float, float]]]:
    """1-D factors of :func:`gabor_bank`: ``exp(i k.r) G(r)`` splits into x and y factors.

    Returns the Gaussian taps and, per orientation pair ``(i, n - i)`` (mirror images,
    whose kernels are ``CC - SS`` and ``CC + SS``), the cosine and sine taps along x and y
    and each kernel's DC gain relative to the Gaussian's.
    """
    r = ksize // 2
    u = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (u / (_SIGMA * period)) ** 2)
    gsum2 = g.sum() ** 2
    pairs = []
    for i in range(n // 2 + 1):
        t = i * math.pi / n
        kx = -2.0 * math.pi * math.sin(t) / period
        ky = 2.0 * math.pi * math.cos(t) / period
        cx, sx = g * np.cos(kx * u), g * np.sin(kx * u)
        cy, sy = g * np.cos(ky * u), g * np.sin(ky * u)
        dc = float(cx.sum() * cy.sum()) / gsum2           # sine taps sum to zero
        pairs.append((i, (n - i) % n, cx.astype(np.float32), cy.astype(np.float32),
                      sx.astype(np.float32), sy.astype(np.float32), dc, dc))
    return g.astype(np.float32), pairs


def _image_period(period: np.ndarray, mask: np.ndarray) -> float:
    """One ridge period for the bank: the median over the finger area, rounded."""
    vals = period[mask] if mask.any() else period.ravel()
    p = median(vals) if vals.size else 9.0
    return round(p * 4.0) / 4.0


def half_size(shape: tuple[int, int]) -> tuple[int, int]:
    """``(rows, columns)`` of the half-resolution image used for filtering."""
    return ((shape[0] + 1) // 2, (shape[1] + 1) // 2)


def enhance(normalised: np.ndarray, theta: np.ndarray, period: np.ndarray,
            coherence: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Enhanced image (float32, ridges negative, valleys positive; 0 outside ``mask``).

    ``normalised`` is the contrast-normalised image (:func:`normalise_contrast`);
    ``theta``, ``period``, ``coherence`` and ``mask`` are block maps (see
    :func:`~idcapture.biometrics.finger.orientation.orientation_field`,
    :func:`~idcapture.biometrics.finger.frequency.ridge_period`). ``coherence`` is accepted
    for callers that weight by it; the bank's width is fixed.
    """
    del coherence
    hs, ws = half_size(normalised.shape)
    small = cv2.resize(normalised, (ws, hs), interpolation=cv2.INTER_AREA)
    return enhance_half(small, theta, period, mask, normalised.shape)


def enhance_half(small: np.ndarray, theta: np.ndarray, period: np.ndarray,
                 mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Filter a half-resolution normalised image and return the full-``shape`` result."""
    return upscale_half(enhance_small(small, theta, period, mask), shape)


def upscale_half(small: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bring a half-resolution map back to the full-resolution ``shape`` (bilinear)."""
    h, w = shape
    hs, ws = small.shape
    full = cv2.resize(small, (ws * 2, hs * 2), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(full[:h, :w])


def enhance_small(small: np.ndarray, theta: np.ndarray, period: np.ndarray,
                  mask: np.ndarray) -> np.ndarray:
    """Filter a half-resolution normalised image; the result stays at half resolution
    (float32, ridges negative, 0 outside ``mask``)."""
    hs, ws = small.shape
    n = N_ORIENTATIONS
    _gauss, pairs = _separable_bank(_image_period(period, mask) / 2.0, n)
    half_block = BLOCK // 2
    inside = (upsample(mask.astype(np.float32), (hs, ws), half_block) > 0.5).astype(np.uint8)
    out = np.zeros((hs, ws), np.float32)
    bx, by, bw, bh = cv2.boundingRect(inside)
    if bw == 0 or bh == 0:
        return out
    # filter only the finger's bounding box, with a kernel's reach of real pixels around it
    # (nothing outside the mask is kept, so the result is the same as over the whole image)
    r = _KSIZE // 2 + 1
    y0, y1 = max(by - r, 0), min(by + bh + r, hs)
    x0, x1 = max(bx - r, 0), min(bx + bw + r, ws)
    crop = np.ascontiguousarray(small[y0:y1, x0:x1])
    ch, cw = crop.shape
    # per-pixel orientation at half resolution, interpolated in the doubled-angle domain
    c2 = upsample(np.cos(2.0 * theta), (hs, ws), half_block)[y0:y1, x0:x1]
    s2 = upsample(np.sin(2.0 * theta), (hs, ws), half_block)[y0:y1, x0:x1]
    pos = cv2.phase(np.ascontiguousarray(c2), np.ascontiguousarray(s2)) \
        * np.float32(n / (2.0 * math.pi))
    b0 = pos.astype(np.int32)
    frac = pos - b0
    if n & (n - 1) == 0:                                  # the same remainders, cheaper
        b0 &= n - 1
        b1 = b0 + 1
        b1 &= n - 1
    else:
        b0 %= n
        b1 = (b0 + 1) % n
    resp = _workspace((n, ch, cw))
    cc = np.empty((ch, cw), np.float32)
    ss = np.empty((ch, cw), np.float32)
    border = cv2.BORDER_REFLECT
    # each orientation is filtered only over the rows and columns of the finger pixels that
    # blend it (those whose lower orientation b0 is it or the one before it), with a
    # kernel's reach of real pixels around them: bit k of a row's (column's) code says
    # that some finger pixel of it has b0 = k
    code = np.left_shift(np.int32(1), b0)
    code *= inside[y0:y1, x0:x1]
    row_code = np.bitwise_or.reduce(code, axis=1)
    col_code = np.bitwise_or.reduce(code, axis=0)
    reach = _KSIZE // 2
    # The kernels' DC gain (exp(-(2 pi sigma)^2 / 2), under 2 % of the envelope's) meets an
    # image whose local mean normalise_contrast has already removed, so it is not undone.
    for i, j, cx, cy, sx, sy, _dc_i, _dc_j in pairs:
        wanted = (1 << i) | (1 << (i - 1) % n) | (1 << j) | (1 << (j - 1) % n)
        rows = np.flatnonzero(row_code & wanted)
        if rows.size == 0:
            continue                                      # no finger pixel blends them
        cols = np.flatnonzero(col_code & wanted)
        ya, yb = max(int(rows[0]) - reach, 0), min(int(rows[-1]) + 1 + reach, ch)
        xa, xb = max(int(cols[0]) - reach, 0), min(int(cols[-1]) + 1 + reach, cw)
        src = crop[ya:yb, xa:xb]
        if i == j:
            # 0 and 90 degrees: one factor of the sine term vanishes, the kernel is CC alone
            cv2.sepFilter2D(src, cv2.CV_32F, cx, cy, dst=resp[i, ya:yb, xa:xb],
                            borderType=border)
            continue
        c, s = cc[ya:yb, xa:xb], ss[ya:yb, xa:xb]
        cv2.sepFilter2D(src, cv2.CV_32F, cx, cy, dst=c, borderType=border)
        cv2.sepFilter2D(src, cv2.CV_32F, sx, sy, dst=s, borderType=border)
        cv2.subtract(c, s, dst=resp[i, ya:yb, xa:xb])
        cv2.add(c, s, dst=resp[j, ya:yb, xa:xb])
    flat = resp.reshape(-1)
    base = np.arange(ch * cw, dtype=np.int32).reshape(ch, cw)
    b0 *= ch * cw
    b0 += base
    b1 *= ch * cw
    b1 += base
    r0 = np.take(flat, b0)                                # (quicker than flat[b0])
    step = np.take(flat, b1)
    step -= r0
    # r0 + frac * (r1 - r0) with few temporaries (``frac`` is float64, so is the blend)
    part: np.ndarray = frac * step
    part += r0
    part *= inside[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = part
    return out
