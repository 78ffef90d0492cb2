"""Orientation- and frequency-tuned Gabor filtering over a whole image, and ridge growth.

The filter bank uses complex Gabor kernels with an isotropic Gaussian envelope, which are
separable: ``g(x) g(y) exp(i (kx x + ky y))`` is a row kernel times a column kernel. The
real part is ``cx*cy - sx*sy`` (cosine and sine halves), so one bank entry costs four 1-D
passes instead of one 2-D convolution. Directions ``t`` and ``pi - t`` share the same
``kx`` and differ only in the sign of ``ky``, so they share all four passes too: the two
responses are ``P - Q`` and ``P + Q``. Each pixel then blends the two nearest orientation
bins and the two frequency bins of the master.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["GaborBank", "grow_ridges"]

FloatImage = npt.NDArray[np.float32]

#: number of orientation bins over [0, pi)
N_ORIENTATIONS = 16


def _kernels(freq: float, theta: float, sigma: float, radius: int
             ) -> tuple[FloatImage, FloatImage, FloatImage, FloatImage]:
    """1-D cos/sin kernels along x and y for a ridge direction ``theta`` (ISO, y up)."""
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-t * t / (2.0 * sigma * sigma))
    # wave vector normal to the ridges, in image coordinates (y down)
    kx = 2.0 * math.pi * freq * math.sin(theta)
    ky = 2.0 * math.pi * freq * math.cos(theta)
    cx, sx = g * np.cos(kx * t), g * np.sin(kx * t)
    cy, sy = g * np.cos(ky * t), g * np.sin(ky * t)
    # remove the DC response: zero-mean the cosine kernel along the dominant axis
    if abs(kx) >= abs(ky):
        cx = cx - g * (cx.sum() / g.sum())
    else:
        cy = cy - g * (cy.sum() / g.sum())
    norm = 0.5 * g.sum() ** 2  # gain 1 for a unit sinusoid at the tuned frequency
    scale = 1.0 / math.sqrt(norm)
    return tuple(np.asarray(k * scale, np.float32)  # type: ignore[return-value]
                 for k in (cx, sx, cy, sy))


@dataclass
class _TileUnit:
    kernels: tuple[FloatImage, FloatImage, FloatImage, FloatImage]
    wp: FloatImage  # weight of the cos*cos response P
    wq: FloatImage  # weight of the sin*sin response Q


@dataclass
class _Tile:
    out: tuple[slice, slice]  # where the tile's result goes
    src: tuple[slice, slice]  # padded source window
    crop: tuple[slice, slice]  # the tile inside the padded window
    units: list[_TileUnit]


class GaborBank:
    """Contextual Gabor filter for fixed per-pixel orientation and ridge-period maps.

    Build it once per master (it precomputes the per-pixel blending weights), then call
    :meth:`apply` as many times as needed. With ``tile`` smaller than the image, it is
    processed in square tiles that each run only the bank entries their pixels use; on
    500 x 400 prints the orientation spread per tile makes that no faster than one tile,
    which is what :func:`grow_ridges` uses.
    """

    def __init__(self, orientation: FloatImage, period: FloatImage,
                 sigma_factor: float = 0.45, tile: int = 96) -> None:
        h, w = orientation.shape
        self.shape = (h, w)
        p_lo, p_hi = float(period.min()), float(period.max())
        if p_hi - p_lo < 0.05:
            p_hi = p_lo + 0.05
        self.periods = (p_lo, p_hi)
        half = N_ORIENTATIONS // 2
        # per pixel: two orientation bins and two period bins with bilinear weights
        t = orientation.astype(np.float64) / (math.pi / N_ORIENTATIONS)
        b0 = np.floor(t).astype(np.int64) % N_ORIENTATIONS
        wb1 = (t - np.floor(t)).astype(np.float32)
        b1 = (b0 + 1) % N_ORIENTATIONS
        wp1 = np.clip((period - p_lo) / (p_hi - p_lo), 0.0, 1.0).astype(np.float32)

        def bin_weight(b: int, wp: FloatImage, ys: slice, xs: slice) -> FloatImage:
            wgt = (np.where(b0[ys, xs] == b, 1.0 - wb1[ys, xs], 0.0)
                   + np.where(b1[ys, xs] == b, wb1[ys, xs], 0.0))
            return (wgt * wp).astype(np.float32)

        radius = 0
        banks: list[list[tuple[tuple[int, ...], tuple[FloatImage, FloatImage, FloatImage,
                                                     FloatImage]]]] = []
        for p in self.periods:
            sigma = sigma_factor * p
            r = math.ceil(2.5 * sigma)
            radius = max(radius, r)
            units: list[tuple[tuple[int, ...], tuple[FloatImage, FloatImage, FloatImage,
                                                     FloatImage]]] = []
            for b in range(half + 1):
                bins: tuple[int, ...] = (b,) if b in (0, half) else (b, N_ORIENTATIONS - b)
                units.append((bins, _kernels(1.0 / p, b * math.pi / N_ORIENTATIONS, sigma, r)))
            banks.append(units)
        self._tiles: list[_Tile] = []
        for y0 in range(0, h, tile):
            for x0 in range(0, w, tile):
                y1, x1 = min(h, y0 + tile), min(w, x0 + tile)
                sy0, sx0 = max(0, y0 - radius), max(0, x0 - radius)
                sy1, sx1 = min(h, y1 + radius), min(w, x1 + radius)
                ys, xs = slice(y0, y1), slice(x0, x1)
                present = set(np.unique(b0[ys, xs]).tolist()) | set(
                    np.unique(b1[ys, xs]).tolist())
                tile_units: list[_TileUnit] = []
                for j, units in enumerate(banks):
                    wp = wp1[ys, xs] if j == 1 else 1.0 - wp1[ys, xs]
                    for pair, kernels in units:
                        if not present.intersection(pair):
                            continue
                        w_first = bin_weight(pair[0], wp, ys, xs)
                        w_second = (bin_weight(pair[1], wp, ys, xs) if len(pair) == 2
                                    else np.zeros_like(w_first))
                        if float(w_first.max(initial=0.0)) + float(
                                w_second.max(initial=0.0)) < 1e-3:
                            continue
                        # first bin gets P - Q, its mirror P + Q
                        tile_units.append(_TileUnit(
                            kernels,
                            np.ascontiguousarray(w_first + w_second),
                            np.ascontiguousarray(w_second - w_first)))
                self._tiles.append(_Tile(
                    (ys, xs), (slice(sy0, sy1), slice(sx0, sx1)),
                    (slice(y0 - sy0, y1 - sy0), slice(x0 - sx0, x1 - sx0)), tile_units))

    def apply(self, image: FloatImage) -> FloatImage:
        """Filter ``image`` with the kernel tuned to each pixel's orientation and period."""
        img = np.ascontiguousarray(image, dtype=np.float32)
        out = np.empty_like(img)
        border = cv2.BORDER_REFLECT101
        for tile in self._tiles:
            src = np.ascontiguousarray(img[tile.src])
            acc = np.zeros(out[tile.out].shape, np.float32)
            for unit in tile.units:
                cx, sx, cy, sy = unit.kernels
                p = cv2.sepFilter2D(src, cv2.CV_32F, cx, cy, borderType=border)[tile.crop]
                q = cv2.sepFilter2D(src, cv2.CV_32F, sx, sy, borderType=border)[tile.crop]
                acc += unit.wp * p
                acc += unit.wq * q
            out[tile.out] = acc
        return out


def _downsample(orientation: FloatImage, period: FloatImage, shape: tuple[int, int]
                ) -> tuple[FloatImage, FloatImage]:
    """Orientation (averaged as double angles) and period maps at a coarser scale."""
    h, w = shape
    c = cv2.resize(np.cos(2 * orientation), (w, h), interpolation=cv2.INTER_AREA)
    s = cv2.resize(np.sin(2 * orientation), (w, h), interpolation=cv2.INTER_AREA)
    theta = np.mod(0.5 * np.arctan2(s, c), math.pi).astype(np.float32)
    scale = orientation.shape[0] / h
    per: FloatImage = (cv2.resize(period, (w, h), interpolation=cv2.INTER_AREA) / scale
                       ).astype(np.float32)
    return theta, per


def grow_ridges(orientation: FloatImage, period: FloatImage, mask: npt.NDArray[np.bool_],
                rng: np.random.Generator, seeds: int, coarse_iterations: int = 24,
                fine_iterations: int = 4, gain: float = 2.0,
                settle: float = 0.035) -> FloatImage:
    """Iterative Gabor growth from ``seeds`` random spots to a saturated ridge pattern.

    Returns a float image in ``[-1, 1]`` (positive on ridges). Growth runs over the whole
    image so that the finger edge has no effect on the pattern. The pattern grows at half
    resolution (a quarter of the pixels, half the kernel length) until the mean change per
    pixel over the finger falls below ``settle`` (the finger is covered; from then on the
    pattern only creeps, slowly merging minutiae away), then it is upsampled and refined
    for ``fine_iterations`` at full resolution.
    """
    h, w = orientation.shape
    ch, cw = (h + 1) // 2, (w + 1) // 2
    c_theta, c_period = _downsample(orientation, period, (ch, cw))
    c_mask = cv2.resize(mask.astype(np.uint8), (cw, ch), interpolation=cv2.INTER_NEAREST) > 0
    coarse = GaborBank(c_theta, c_period, tile=max(ch, cw))
    img = np.zeros((ch, cw), np.float32)
    ys, xs = np.nonzero(c_mask)
    pick = rng.choice(ys.size, size=max(1, min(seeds, ys.size)), replace=False)
    img[ys[pick], xs[pick]] = rng.choice(np.array([-1.0, 1.0], np.float32), size=pick.size)
    sigma = 0.25 * min(coarse.periods)
    img = cv2.GaussianBlur(img, (0, 0), sigma) * np.float32(2.0 * math.pi * sigma * sigma)
    started = False
    for _ in range(coarse_iterations):
        new = np.clip(coarse.apply(img) * np.float32(gain), -1.0, 1.0)
        change = float(np.mean(np.abs(new - img)[c_mask]))
        img = new
        started = started or change > 2.0 * settle
        if started and change < settle:
            break
    fine = GaborBank(orientation, period, tile=max(h, w))
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(fine_iterations):
        img = np.clip(fine.apply(img) * np.float32(gain), -1.0, 1.0)
    return np.asarray(img, np.float32)
