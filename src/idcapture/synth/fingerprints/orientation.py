"""Finger classes, fingertip shape, orientation and ridge-period maps of a master print.

Orientation follows the zero-pole model of Sherlock & Monro (Sherlock-Watt): with
``z`` the position as a complex number in a y-up frame, the ridge direction is

    theta(z) = theta_inf + 1/2 * (sum_cores arg(z - c_k) - sum_deltas arg(z - d_k))

so a core turns the field by half a turn around it and a delta by minus half a turn.
Plain arches have no singular point and use a bump-shaped flow instead. A smooth random
perturbation is added to every class so that no two masters share the same flow.

All angles are radians, counter-clockwise *as seen on screen* from the +x axis (ISO/IEC
19794-2), i.e. measured in a y-up frame although image rows go down.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "CLASS_FREQUENCIES",
    "FingerClass",
    "SingularPoints",
    "finger_mask",
    "orientation_field",
    "period_map",
    "place_singular_points",
    "smooth_noise",
]

FloatImage = npt.NDArray[np.float32]

#: standard deviation in radians of the smooth random turn added to the class model, at
#: two scales (features about 35 % and 15 % of the image's shorter side): with less,
#: different masters of one class share so much flow that their minutiae fall at the
#: same places and score as high as a real finger's second impression
FLOW_PERTURBATION = (0.14, 0.06)

#: spread of the singular points: the reference (core) position is uniform within this
#: share of the finger width either side of the centre, and this range of the finger
#: height from the top
CORE_X_SPREAD = 0.10
CORE_Y_RANGE = (0.35, 0.49)


class FingerClass(str, enum.Enum):
    """Henry-Galton pattern class of a master print (as seen on the sensor image).

    A *left* loop has its delta on the right of the image and its ridges enter and leave
    on the left; a *right* loop is the mirror image.
    """

    ARCH = "arch"
    TENTED_ARCH = "tented_arch"
    LEFT_LOOP = "left_loop"
    RIGHT_LOOP = "right_loop"
    WHORL = "whorl"


#: natural class frequencies used when no class is requested (Wilson, Candela & Watson's
#: figures for the NIST population, the same ones SFinGe uses)
CLASS_FREQUENCIES: dict[FingerClass, float] = {
    FingerClass.ARCH: 0.037,
    FingerClass.TENTED_ARCH: 0.029,
    FingerClass.LEFT_LOOP: 0.338,
    FingerClass.RIGHT_LOOP: 0.317,
    FingerClass.WHORL: 0.279,
}


@dataclass(frozen=True)
class SingularPoints:
    """Cores and deltas of a master, ``(x, y)`` in image pixels (y down)."""

    cores: tuple[tuple[float, float], ...]
    deltas: tuple[tuple[float, float], ...]


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int],
                 scale: float) -> FloatImage:
    """Smooth random field of unit standard deviation with features about ``scale`` px wide.

    A coarse grid of normal samples is upsampled with bicubic interpolation straight to
    ``shape`` (so the cell size is ``scale`` rounded to fit); below 6 px, blurred white
    noise is used instead. Both are deterministic for a given generator state.
    """
    h, w = shape
    if scale < 6.0:
        white = rng.standard_normal((h, w), dtype=np.float32)
        fine = cv2.GaussianBlur(white, (0, 0), scale)
        fstd = float(fine.std())
        res_fine: FloatImage = (fine / (fstd if fstd > 1e-6 else 1.0)).astype(np.float32)
        return res_fine
    gh = max(2, math.ceil(h / scale) + 1)
    gw = max(2, math.ceil(w / scale) + 1)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    out = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    std = float(out.std())
    res: FloatImage = ((out - float(out.mean())) / (std if std > 1e-6 else 1.0)).astype(
        np.float32)
    return res


def finger_mask(shape: tuple[int, int], finger_size: tuple[float, float],
                rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """Fingertip silhouette: a rounded top, straighter sides, cut at the bottom crease.

    ``finger_size`` is ``(height, width)`` in pixels; the silhouette is centred in the
    image horizontally and slightly below centre vertically, as a thumb lies on a sensor.
    """
    h, w = shape
    fh, fw = finger_size
    a = fw / 2.0 * (1.0 + 0.03 * rng.standard_normal())
    b_top = fh * 0.55 * (1.0 + 0.03 * rng.standard_normal())
    b_bot = fh * 0.60
    cx = w / 2.0 + 0.02 * w * rng.standard_normal()
    cy = h / 2.0 + (fh * 0.55 - fh / 2.0)  # top of the finger at (h - fh) / 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = np.abs(xx - cx) / a
    vy = yy - cy
    v = np.where(vy < 0, -vy / b_top, vy / b_bot)
    # exponent 2 at the tip (ellipse), 3 below the centre (squarer sides)
    p = np.where(vy < 0, 2.0, 3.0).astype(np.float32)
    inside = u ** p + v ** p <= 1.0
    bottom = (h + fh) / 2.0
    return np.asarray(inside & (yy <= bottom))


def place_singular_points(finger_class: FingerClass, shape: tuple[int, int],
                          mask: npt.NDArray[np.bool_],
                          rng: np.random.Generator) -> SingularPoints:
    """Random but class-typical core and delta positions for a plain thumb impression."""
    _h, _w = shape
    ys, xs = np.nonzero(mask)
    x0, x1 = float(xs.min()), float(xs.max())
    y0, y1 = float(ys.min()), float(ys.max())
    fw, fh = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2.0 + rng.uniform(-CORE_X_SPREAD, CORE_X_SPREAD) * fw
    cy = y0 + rng.uniform(*CORE_Y_RANGE) * fh

    def u(lo: float, hi: float) -> float:
        return float(rng.uniform(lo, hi))

    if finger_class is FingerClass.ARCH:
        return SingularPoints((), ())
    if finger_class is FingerClass.TENTED_ARCH:
        return SingularPoints(((cx, cy),), ((cx + u(-0.04, 0.04) * fw, cy + u(0.16, 0.26) * fh),))
    if finger_class in (FingerClass.LEFT_LOOP, FingerClass.RIGHT_LOOP):
        side = 1.0 if finger_class is FingerClass.LEFT_LOOP else -1.0
        core = (cx - side * u(0.0, 0.08) * fw, cy)
        delta = (cx + side * u(0.22, 0.34) * fw, cy + u(0.22, 0.32) * fh)
        return SingularPoints((core,), (delta,))
    # whorl: two cores close together, one delta on each side below them
    sep = u(0.04, 0.09) * fh
    tilt = u(-0.05, 0.05) * fw
    cores = ((cx - tilt, cy - sep / 2.0), (cx + tilt, cy + sep / 2.0))
    dy = cy + u(0.24, 0.32) * fh
    deltas = ((cx - u(0.26, 0.36) * fw, dy + u(-0.04, 0.04) * fh),
              (cx + u(0.26, 0.36) * fw, dy + u(-0.04, 0.04) * fh))
    return SingularPoints(cores, deltas)


def _arg(xx: FloatImage, yy: FloatImage, px: float, py: float) -> FloatImage:
    # argument of (z - p) in a y-up frame
    return np.asarray(np.arctan2(-(yy - py), xx - px), np.float32)


def orientation_field(shape: tuple[int, int], finger_class: FingerClass,
                      points: SingularPoints, mask: npt.NDArray[np.bool_],
                      rng: np.random.Generator,
                      perturbation: tuple[float, float] | None = None) -> FloatImage:
    """Ridge orientation in ``[0, pi)`` for every pixel (ISO convention, see module doc).

    ``perturbation`` is the standard deviation, in radians, of the smooth random fields
    added to the model (coarse and finer scale; default :data:`FLOW_PERTURBATION`) so
    that masters of the same class differ in their flow.
    """
    coarse, finer = FLOW_PERTURBATION if perturbation is None else perturbation
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if finger_class is FingerClass.ARCH:
        ys, xs = np.nonzero(mask)
        fw = float(xs.max() - xs.min())
        fh = float(ys.max() - ys.min())
        cx = float(xs.mean()) + rng.uniform(-0.05, 0.05) * fw
        cy = float(ys.min()) + rng.uniform(0.45, 0.6) * fh
        amp = rng.uniform(0.12, 0.22) * fh
        sx = rng.uniform(0.18, 0.26) * fw
        sy = rng.uniform(0.28, 0.4) * fh
        # ridges are level sets of f = y_up - amp * bump(x) * bump(y): they rise in the middle
        gx = np.exp(-((xx - cx) ** 2) / (2 * sx * sx))
        gy = np.exp(-((yy - cy) ** 2) / (2 * sy * sy))
        dfdx = amp * gy * gx * ((xx - cx) / (sx * sx))
        dfdy_up = 1.0 - amp * gx * gy * ((yy - cy) / (sy * sy))  # d/dy_up = -d/dy_img
        # tangent to the level set in the y-up frame: (dfdy_up, -dfdx)
        theta = np.arctan2(-dfdx, dfdy_up).astype(np.float32)
    else:
        theta = np.zeros((h, w), np.float32)
        for px, py in points.cores:
            theta += 0.5 * _arg(xx, yy, px, py)
        for px, py in points.deltas:
            theta -= 0.5 * _arg(xx, yy, px, py)
    if coarse > 0:
        theta = theta + np.float32(coarse) * smooth_noise(rng, (h, w), 0.35 * min(h, w))
    if finer > 0:
        theta = theta + np.float32(finer) * smooth_noise(rng, (h, w), 0.15 * min(h, w))
    return np.asarray(np.mod(theta, np.float32(math.pi)), np.float32)


def period_map(shape: tuple[int, int], mean_period: float, rng: np.random.Generator,
               variation: float = 0.06) -> FloatImage:
    """Ridge period in pixels per pixel: ``mean_period`` with a smooth relative variation."""
    noise = smooth_noise(rng, shape, 0.4 * min(shape))
    res: FloatImage = (mean_period * (1.0 + variation * np.clip(noise, -2.0, 2.0))).astype(
        np.float32)
    return res
