"""Ground-truth minutiae: the type, and their extraction from a clean binary ridge pattern.

Conventions are those of :mod:`idcapture.biometrics.finger.template` and ISO/IEC 19794-2:

* ``x``, ``y`` in pixels, origin top-left, ``y`` downwards;
* ``angle`` in radians in ``[0, 2*pi)``, counter-clockwise *as seen on screen* from +x,
  i.e. ``atan2(-dy, dx)`` for an image step ``(dx, dy)``;
* an **ending** points along its ridge, away from the free end (into the ridge body);
  a **bifurcation** points between its two branches, away from the stem.

Extraction is vectorised: Guo-Hall thinning through a 256-entry lookup table over the
8-neighbourhood code, the crossing number on the skeleton, then a direction from the
ridge-orientation field whose sense is chosen by where the skeleton lies around the
minutia (a single ridge for an ending, two branches for a bifurcation).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "MinutiaKind",
    "TruthMinutia",
    "extract_minutiae",
    "minutiae_array",
    "thin",
]

BoolImage = npt.NDArray[np.bool_]
FloatImage = npt.NDArray[np.float32]
_TWO_PI = 2.0 * math.pi


class MinutiaKind(str, enum.Enum):
    """Ground-truth minutia type (the values are stable JSON identifiers)."""

    ENDING = "ending"
    BIFURCATION = "bifurcation"


@dataclass(frozen=True)
class TruthMinutia:
    """One ground-truth minutia (see the module docstring for the conventions)."""

    x: float
    y: float
    angle: float
    kind: MinutiaKind

    def to_json(self) -> dict[str, Any]:
        """JSON object ``{"x", "y", "angle", "kind"}`` (pixels, radians)."""
        return {"x": round(float(self.x), 3), "y": round(float(self.y), 3),
                "angle": round(float(self.angle) % _TWO_PI, 6), "kind": self.kind.value}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TruthMinutia:
        """Inverse of :meth:`to_json`; raises ``KeyError``/``ValueError`` on bad input."""
        return cls(float(obj["x"]), float(obj["y"]), float(obj["angle"]) % _TWO_PI,
                   MinutiaKind(obj["kind"]))


def minutiae_array(minutiae: tuple[TruthMinutia, ...] | list[TruthMinutia]
                   ) -> npt.NDArray[np.float64]:
    """``(N, 4)`` array of ``x, y, angle, kind`` (kind 1 ending, 2 bifurcation)."""
    out = np.zeros((len(minutiae), 4), np.float64)
    for i, m in enumerate(minutiae):
        out[i] = (m.x, m.y, m.angle, 1 if m.kind is MinutiaKind.ENDING else 2)
    return out


# --- thinning -----------------------------------------------------------------------
# neighbour order P2..P9: N, NE, E, SE, S, SW, W, NW as (dy, dx)
_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def _guo_hall_luts() -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    luts = []
    for sub in (0, 1):
        lut = np.zeros(256, np.bool_)
        for code in range(256):
            p2, p3, p4, p5, p6, p7, p8, p9 = ((code >> i) & 1 for i in range(8))
            c = ((not p2) and (p3 or p4)) + ((not p4) and (p5 or p6)) + \
                ((not p6) and (p7 or p8)) + ((not p8) and (p9 or p2))
            n1 = (p9 or p2) + (p3 or p4) + (p5 or p6) + (p7 or p8)
            n2 = (p2 or p3) + (p4 or p5) + (p6 or p7) + (p8 or p9)
            n = min(n1, n2)
            if sub == 0:
                m = (p6 or p7 or (not p9)) and p8
            else:
                m = (p2 or p3 or (not p5)) and p4
            lut[code] = c == 1 and 2 <= n <= 3 and not m
        luts.append(lut)
    return luts[0], luts[1]


_LUTS = _guo_hall_luts()


def _codes(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.int32]:
    """8-neighbour code of every pixel (bit i = neighbour P(i+2)); ``img`` is 0/1."""
    h, w = img.shape
    pad = np.pad(img, 1)
    code = np.zeros((h, w), np.int32)
    for i, (dy, dx) in enumerate(_RING):
        code |= pad[1 + dy:1 + dy + h, 1 + dx:1 + dx + w].astype(np.int32) << i
    return code


def thin(binary: BoolImage, max_iterations: int = 60) -> BoolImage:
    """One-pixel-wide 8-connected skeleton of ``binary`` (Guo-Hall, vectorised)."""
    img = binary.astype(np.uint8)
    for _ in range(max_iterations):
        changed = False
        for lut in _LUTS:
            delete = lut[_codes(img)] & (img == 1)
            if delete.any():
                img[delete] = 0
                changed = True
        if not changed:
            break
    return img.astype(np.bool_)


def _crossing_number(skel: BoolImage) -> npt.NDArray[np.int32]:
    code = _codes(skel.astype(np.uint8))
    bits = [(code >> i) & 1 for i in range(8)]
    cn = np.zeros(skel.shape, np.int32)
    for i in range(8):
        cn += np.abs(bits[i] - bits[(i + 1) % 8])
    return cn // 2


# --- detection ----------------------------------------------------------------------

def _merge_close(ys: npt.NDArray[np.intp], xs: npt.NDArray[np.intp],
                 radius: float) -> list[int]:
    """Indices to keep so that no two kept points are within ``radius`` (first wins)."""
    if ys.size == 0:
        return []
    pts = np.stack([ys, xs], axis=1).astype(np.float64)
    d2 = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
    keep: list[int] = []
    taken = np.zeros(ys.size, np.bool_)
    for i in range(ys.size):
        if taken[i]:
            continue
        keep.append(i)
        taken |= d2[i] <= radius * radius
    return keep


def extract_minutiae(binary: BoolImage, orientation: FloatImage, valid: BoolImage,
                     period: float) -> tuple[TruthMinutia, ...]:
    """Minutiae of a clean binary ridge pattern (``True`` on ridges).

    ``orientation`` is the ridge orientation in ``[0, pi)`` (ISO convention) used for the
    minutia directions; ``valid`` marks where minutiae may be reported (the caller erodes
    the finger area so that none sit at its border); ``period`` is the ridge period in
    pixels, which scales the clean-up distances.

    Clean-up: an ending and a bifurcation closer than half a period are a thinning spur
    and both go; two minutiae of the same kind within a quarter period are one.
    """
    skel = thin(binary)
    cn = _crossing_number(skel)
    end_y, end_x = np.nonzero(skel & (cn == 1))
    bif_y, bif_x = np.nonzero(skel & (cn == 3))
    keep_e = _merge_close(end_y, end_x, max(1.5, 0.25 * period))
    keep_b = _merge_close(bif_y, bif_x, max(1.5, 0.25 * period))
    end_y, end_x = end_y[keep_e], end_x[keep_e]
    bif_y, bif_x = bif_y[keep_b], bif_x[keep_b]
    # spurs: an ending right next to a bifurcation
    if end_y.size and bif_y.size:
        d2 = (end_y[:, None] - bif_y[None, :]) ** 2 + (end_x[:, None] - bif_x[None, :]) ** 2
        close = d2 <= (0.5 * period) ** 2
        bad_e = close.any(axis=1)
        bad_b = close.any(axis=0)
        end_y, end_x = end_y[~bad_e], end_x[~bad_e]
        bif_y, bif_x = bif_y[~bad_b], bif_x[~bad_b]
    ys = np.concatenate([end_y, bif_y])
    xs = np.concatenate([end_x, bif_x])
    kinds = [MinutiaKind.ENDING] * end_y.size + [MinutiaKind.BIFURCATION] * bif_y.size
    inside = valid[ys, xs]
    ys, xs = ys[inside], xs[inside]
    kinds = [k for k, ok in zip(kinds, inside) if ok]
    if ys.size == 0:
        return ()
    angles = _directions(skel, orientation, ys, xs, radius=max(3, round(0.6 * period)))
    order = np.lexsort((xs, ys))
    return tuple(TruthMinutia(float(xs[i]), float(ys[i]), float(angles[i]), kinds[i])
                 for i in order)


def _directions(skel: BoolImage, orientation: FloatImage, ys: npt.NDArray[np.intp],
                xs: npt.NDArray[np.intp], radius: int) -> npt.NDArray[np.float64]:
    """Orientation at each point, turned to face the skeleton mass around it."""
    h, w = skel.shape
    oy, ox = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = (oy ** 2 + ox ** 2) <= radius * radius
    oy, ox = oy[disc], ox[disc]
    py = np.clip(ys[:, None] + oy[None, :], 0, h - 1)
    px = np.clip(xs[:, None] + ox[None, :], 0, w - 1)
    # only the skeleton connected to the minutia matters; within a radius below one
    # ridge period, the neighbouring ridges stay outside the disc
    on = skel[py, px].astype(np.float64)
    vx = (on * ox[None, :]).sum(1)
    vy = (on * oy[None, :]).sum(1)
    theta = orientation[ys, xs].astype(np.float64)
    # orientation as an image-coordinate step: (cos t, -sin t)
    dot = np.cos(theta) * vx - np.sin(theta) * vy
    ang = np.where(dot >= 0, theta, theta + math.pi)
    return np.mod(ang, _TWO_PI)


def clean_binary(binary: BoolImage, period: float) -> BoolImage:
    """Remove specks and fill pin-holes smaller than about half a ridge period squared."""
    min_area = max(4, int(0.6 * period * period))
    out = binary.copy()
    for value in (True, False):
        layer = (out == value).astype(np.uint8)
        _n, labels, stats, _ = cv2.connectedComponentsWithStats(layer, connectivity=8)
        small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < min_area)
        small = small[small != 0]
        if small.size:
            out[np.isin(labels, small)] = not value
    return np.asarray(out, np.bool_)
