"""The extractor's block maps in a vendor-defined extended data area of a minutiae record.

The comparator's texture cylinders (:mod:`idcapture.biometrics.finger.texture`) are made
from the ridge orientation and ridge period around each minutia, which a plain ISO/IEC
19794-2 or ANSI INCITS 378 record does not hold. Our records carry them in one
vendor-defined area of the view's extended data block (type :data:`AREA_BLOCK_MAPS`), so
a template read back from its record compares as the extracted one did; readers that do
not know the area skip it (the standards let them), and records without it (other
vendors' templates) compare by their minutiae alone.

Layout of the area (big-endian)::

    u8   layout (1)
    u8   block side in pixels at 500 ppi (the maps' grid)
    u16  rows
    u16  columns
    ...  zlib stream of rows*columns orientation bytes (ridge direction in degrees
         0-179, counter-clockwise on screen; 255 = block outside the finger), then
         rows*columns ridge-period bytes (pixels at 500 ppi, in 1/8 px, 1-255)

About 0.3-1 kB for a 300 x 300 to 480 x 480 image.
"""

from __future__ import annotations

import math
import zlib
from typing import TYPE_CHECKING

import numpy as np

from ._binary import ByteReader, FormatError

if TYPE_CHECKING:
    from ..biometrics.finger.template import FingerTemplate

__all__ = ["AREA_BLOCK_MAPS", "BlockMaps", "block_maps_area", "read_block_maps"]

#: vendor-defined extended data area type of the block maps
AREA_BLOCK_MAPS = 0x4943
_LAYOUT = 1
_OUTSIDE = 255
_PERIOD_UNIT = 8.0
_MAX_SIDE = 1024


class BlockMaps:
    """Orientation (radians, ``[0, pi)``), ridge period (pixels at 500 ppi) and finger mask
    on blocks of ``block_size`` pixels at 500 ppi, as read from a record."""

    __slots__ = ("block_size", "mask", "orientation", "ridge_period")

    def __init__(self, block_size: int, orientation: np.ndarray, ridge_period: np.ndarray,
                 mask: np.ndarray) -> None:
        self.block_size = block_size
        self.orientation = orientation
        self.ridge_period = ridge_period
        self.mask = mask


def block_maps_area(template: FingerTemplate) -> bytes | None:
    """The area's data for ``template``'s block maps (``None`` when it has none)."""
    maps = (template.orientation, template.ridge_period, template.mask)
    if template.block_size <= 0 or any(m is None for m in maps):
        return None
    theta = np.asarray(template.orientation, np.float64)
    period = np.asarray(template.ridge_period, np.float64)
    mask = np.asarray(template.mask, bool)
    if theta.ndim != 2 or period.shape != theta.shape or mask.shape != theta.shape \
            or max(theta.shape) > _MAX_SIDE or template.block_size > 255:
        return None
    deg = np.rint(np.degrees(theta % math.pi)).astype(np.int64) % 180
    orient = np.where(mask, deg, _OUTSIDE).astype(np.uint8)
    per = np.clip(np.rint(np.nan_to_num(period, nan=0.0) * _PERIOD_UNIT), 1, 255).astype(np.uint8)
    rows, cols = int(theta.shape[0]), int(theta.shape[1])
    head = bytes((_LAYOUT, template.block_size)) + rows.to_bytes(2, "big") \
        + cols.to_bytes(2, "big")
    body: bytes = zlib.compress(orient.tobytes() + per.tobytes(), 9)
    return head + body


def read_block_maps(data: bytes, path: str = "block_maps") -> BlockMaps:
    """Parse the area's data; :class:`~idcapture.formats.FormatError` names what is wrong."""
    r = ByteReader(data, path)
    off = r.pos
    layout = r.u8("layout")
    if layout != _LAYOUT:
        raise r.error(f"unknown layout {layout}", "layout", off)
    off = r.pos
    block = r.u8("block_size")
    if not 4 <= block <= 64:
        raise r.error(f"block side {block} px is not 4-64", "block_size", off)
    off = r.pos
    rows, cols = r.u16("rows"), r.u16("columns")
    if not (1 <= rows <= _MAX_SIDE and 1 <= cols <= _MAX_SIDE):
        raise r.error(f"{rows} x {cols} blocks is not 1-{_MAX_SIDE} a side", "rows", off)
    off = r.pos
    n = rows * cols
    try:
        raw = zlib.decompressobj().decompress(r.take(r.remaining, "maps"), 2 * n + 1)
    except zlib.error as exc:
        raise FormatError(f"maps are not a zlib stream: {exc}", r.path("maps"), off) from None
    if len(raw) != 2 * n:
        raise FormatError(f"maps hold {len(raw)} bytes, {2 * n} expected", r.path("maps"), off)
    arr = np.frombuffer(raw, np.uint8)
    orient = arr[:n].reshape(rows, cols)
    period = arr[n:].reshape(rows, cols)
    mask = orient != _OUTSIDE
    if (orient[mask] >= 180).any():
        raise FormatError("orientation over 179 degrees", r.path("maps"), off)
    if (period == 0).any():
        raise FormatError("ridge period 0", r.path("maps"), off)
    return BlockMaps(block, np.radians(np.where(mask, orient, 0).astype(np.float64)),
                     period.astype(np.float64) / _PERIOD_UNIT, mask)
