"""Synthetic finger-like images with known ridge geometry, built inside the tests."""

from __future__ import annotations

import math

import cv2
import numpy as np

BACKGROUND = 235.0


def grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    return ys, xs


def plane_wave(shape: tuple[int, int], period: float, ridge_angle_deg: float) -> np.ndarray:
    """Phase of straight ridges running at ``ridge_angle_deg`` (counter-clockwise on screen)."""
    ys, xs = grid(shape)
    a = math.radians(ridge_angle_deg)
    # the normal to the ridges, in image coordinates (y down)
    nx, ny = -math.sin(a), -math.cos(a)
    return 2 * math.pi * (xs * nx + ys * ny) / period


def wavy_phase(shape: tuple[int, int], period: float = 9.0,
               singularities: tuple[tuple[float, float, int], ...] = ()) -> np.ndarray:
    """Gently curved, roughly horizontal ridges; each ``(x, y, sign)`` adds one minutia."""
    ys, xs = grid(shape)
    phase = 2 * math.pi * (ys + 12.0 * np.sin(xs / 70.0)) / period
    for x0, y0, sign in singularities:
        phase += sign * np.arctan2(ys - y0, xs - x0)
    return phase


def ellipse_mask(shape: tuple[int, int], centre: tuple[float, float] | None = None,
                 axes: tuple[float, float] | None = None, angle_deg: float = 0.0) -> np.ndarray:
    """Elliptic finger area (``axes`` = half-width, half-height; ``angle_deg`` tilt)."""
    h, w = shape
    c = centre if centre is not None else (w / 2, h / 2)
    ax = axes if axes is not None else (0.36 * w, 0.44 * h)
    m = np.zeros(shape, np.uint8)
    cv2.ellipse(m, (round(c[0]), round(c[1])), (round(ax[0]), round(ax[1])), angle_deg, 0, 360,
                1, -1)
    return m.astype(bool)


def render(phase: np.ndarray, mask: np.ndarray, *, ridge: float = 40.0, valley: float = 220.0,
           duty: float = 0.5, noise: float = 6.0, seed: int = 0) -> np.ndarray:
    """uint8 image: dark ridges where ``cos(phase)`` is high; ``duty`` is the ridge share."""
    c = np.cos(phase)
    t = math.cos(math.pi * duty)                 # share of a period with cos > t is ``duty``
    soft = np.clip((c - t) / 0.35 + 0.5, 0.0, 1.0)
    img = valley + (ridge - valley) * soft
    img = np.where(mask, img, BACKGROUND)
    img = cv2.GaussianBlur(img, (0, 0), 0.8)
    rng = np.random.default_rng(seed)
    img = img + rng.normal(0.0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def minutia_sites(shape: tuple[int, int], count: int = 18, seed: int = 3,
                 spacing: float = 40.0) -> tuple[tuple[float, float, int], ...]:
    """``count`` well-separated singularities inside the default ellipse."""
    h, w = shape
    rng = np.random.default_rng(seed)
    out: list[tuple[float, float, int]] = []
    while len(out) < count:
        x, y = rng.uniform(0.25 * w, 0.75 * w), rng.uniform(0.2 * h, 0.8 * h)
        if ((x - w / 2) / (0.3 * w)) ** 2 + ((y - h / 2) / (0.38 * h)) ** 2 > 1:
            continue
        if all(math.hypot(x - a, y - b) > spacing for a, b, _ in out):
            out.append((x, y, 1 if len(out) % 2 else -1))
    return tuple(out)


def good_print(shape: tuple[int, int] = (400, 360), count: int = 18, seed: int = 0,
               **kw: float) -> np.ndarray:
    """A clean synthetic impression with ``count`` minutiae."""
    phase = wavy_phase(shape, 9.0, minutia_sites(shape, count))
    return render(phase, ellipse_mask(shape), seed=seed, **kw)
