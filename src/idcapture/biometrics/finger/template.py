"""Minutiae templates: the result of :func:`idcapture.biometrics.finger.extract`.

Conventions (shared by the extractor, the comparator and the ISO/ANSI writers):

* Positions are in pixels of the image the template was extracted from, origin at the
  top-left corner, ``x`` to the right and ``y`` downwards.
* ``angle`` is in radians in ``[0, 2*pi)``, ISO/IEC 19794-2 convention: counter-clockwise
  *as seen on screen* from the ``+x`` axis, i.e. ``atan2(-dy, dx)`` for a step
  ``(dx, dy)`` in image coordinates (``y`` down).
* For a ridge **ending** the angle points along the ridge, away from the ending's free end
  (into the ridge body). For a **bifurcation** the angle points between the two branches,
  away from the stem (the bifurcation is the valley ending's dual, with the same rule).
* ``quality`` is 0-100 (0 means "not assessed").
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import RecordError
from ...record import FingerPosition

__all__ = ["KIND_CODES", "FingerTemplate", "Minutia", "MinutiaKind"]

_TWO_PI = 2.0 * math.pi


class MinutiaKind(str, enum.Enum):
    """Minutia type (ISO/IEC 19794-2 two-bit type: 00 other, 01 ending, 10 bifurcation)."""

    ENDING = "ending"
    BIFURCATION = "bifurcation"
    OTHER = "other"

    @property
    def code(self) -> int:
        """Numeric code used by :meth:`FingerTemplate.as_array` (0 other, 1 ending, 2 bif.)."""
        return KIND_CODES[self]


KIND_CODES: dict[MinutiaKind, int] = {
    MinutiaKind.OTHER: 0,
    MinutiaKind.ENDING: 1,
    MinutiaKind.BIFURCATION: 2,
}
_KIND_FROM_CODE = {v: k for k, v in KIND_CODES.items()}


@dataclass(frozen=True)
class Minutia:
    """One minutia. See the module docstring for the coordinate and angle conventions."""

    x: float
    y: float
    angle: float
    kind: MinutiaKind
    quality: int = 0

    @property
    def angle_degrees(self) -> float:
        """The angle in degrees, ``[0, 360)``."""
        return math.degrees(self.angle) % 360.0

    def to_json(self) -> dict[str, Any]:
        return {"x": float(self.x), "y": float(self.y),
                "angle_rad": float(self.angle), "kind": self.kind.value,
                "quality": int(self.quality)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Minutia:
        try:
            return cls(x=float(d["x"]), y=float(d["y"]),
                       angle=float(d["angle_rad"]) % _TWO_PI,
                       kind=MinutiaKind(d["kind"]), quality=int(d.get("quality", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"invalid minutia: {exc}", "minutiae") from None


@dataclass(frozen=True)
class FingerTemplate:
    """A minutiae template of one finger image.

    ``orientation`` (radians, ridge direction per block, ``[0, pi)``, same
    counter-clockwise-on-screen convention), ``coherence`` (0-1 per block),
    ``ridge_period`` (pixels per block) and ``mask`` (foreground per block) are the
    block maps the extractor computed, on blocks of ``block_size`` pixels; they are
    kept for comparators that use them and are not part of the JSON form unless asked.
    """

    width: int
    height: int
    resolution_ppi: int
    minutiae: tuple[Minutia, ...]
    quality: int = 0
    position: FingerPosition = FingerPosition.UNKNOWN
    block_size: int = 0
    orientation: np.ndarray | None = field(default=None, compare=False, repr=False)
    coherence: np.ndarray | None = field(default=None, compare=False, repr=False)
    ridge_period: np.ndarray | None = field(default=None, compare=False, repr=False)
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.minutiae)

    def as_array(self) -> np.ndarray:
        """``(N, 5)`` float64 array: x, y, angle, kind code (0 other, 1 ending, 2 bif.), quality."""
        out = np.zeros((len(self.minutiae), 5), dtype=np.float64)
        for i, m in enumerate(self.minutiae):
            out[i] = (m.x, m.y, m.angle, KIND_CODES[m.kind], m.quality)
        return out

    @classmethod
    def from_array(cls, arr: np.ndarray, width: int, height: int, resolution_ppi: int = 500,
                   quality: int = 0,
                   position: FingerPosition = FingerPosition.UNKNOWN) -> FingerTemplate:
        """Build a template from an ``(N, 5)`` array laid out as :meth:`as_array`."""
        a = np.asarray(arr, dtype=np.float64).reshape(-1, 5)
        mins = tuple(
            Minutia(float(r[0]), float(r[1]), float(r[2]) % _TWO_PI,
                    _KIND_FROM_CODE.get(int(r[3]), MinutiaKind.OTHER), round(float(r[4])))
            for r in a)
        return cls(width, height, resolution_ppi, mins, quality, position)

    def to_json(self, include_maps: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (``include_maps`` adds the block maps as nested lists)."""
        d: dict[str, Any] = {
            "format": "idcapture-minutiae",
            "version": 1,
            "width_px": int(self.width),
            "height_px": int(self.height),
            "resolution_ppi": int(self.resolution_ppi),
            "quality": int(self.quality),
            "position": self.position.slug,
            "angle_convention": "iso19794-2: radians, counter-clockwise on screen from +x",
            "minutiae": [m.to_json() for m in self.minutiae],
        }
        d["block_size_px"] = int(self.block_size)
        if include_maps and self.orientation is not None:
            for name in ("orientation", "coherence", "ridge_period", "mask"):
                arr = getattr(self, name)
                if arr is not None:
                    d[name] = np.round(np.asarray(arr, dtype=np.float64), 4).tolist()
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FingerTemplate:
        """Inverse of :meth:`to_json`; :class:`RecordError` names what is wrong."""
        if not isinstance(d, Mapping):
            raise RecordError("template JSON must be an object", "")
        try:
            width = int(d["width_px"])
            height = int(d["height_px"])
            ppi = int(d.get("resolution_ppi", 500))
            quality = int(d.get("quality", 0))
            position = FingerPosition.parse(d.get("position", 0))
            raw = d["minutiae"]
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"invalid template: {exc}", "") from None
        if not isinstance(raw, list):
            raise RecordError("must be a list", "minutiae")
        maps: dict[str, np.ndarray | None] = {}
        for name in ("orientation", "coherence", "ridge_period", "mask"):
            maps[name] = np.asarray(d[name], dtype=np.float64) if name in d else None
        if maps["mask"] is not None:
            maps["mask"] = maps["mask"].astype(bool)
        return cls(width, height, ppi, tuple(Minutia.from_json(m) for m in raw), quality,
                   position, int(d.get("block_size_px", 0)), **maps)
