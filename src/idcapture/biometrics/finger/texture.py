"""Ridge texture around each minutia: texture cylinders, fused with the minutiae cylinders.

A Minutia Cylinder-Code cylinder (:mod:`.mcc`) describes a minutia by its *neighbouring
minutiae*; where the minutiae themselves differ between two impressions (a dry print with
many false minutiae, a faint one with few, a wet one whose blotches hide them), the
cylinders of mated minutiae differ too. A **texture cylinder** describes the same minutia
by the *ridge flow* around it, which survives missing and false minutiae: at the centres
of a disc of cells around the minutia, turned to its direction, the local ridge
orientation relative to the minutia's direction (from the template's orientation map),
and the ridge period near the minutia (from its ridge-period map). This follows the idea
of Minutia Texture Cylinder Codes (Baig et al., 2018: MCC cells filled from the local
orientation and frequency instead of the neighbours' directions); here the texture
similarity is fused with the minutiae cylinder's in the local-similarity stage, so the
pair selection, relaxation and alignment of the comparator are unchanged.

Per cylinder, with ``C`` disc cells: ``orientation`` ``(2C,)`` the cosines then sines of
twice the relative orientation at each cell (in 256 steps per turn; 0 for cells outside
the finger),
``valid`` ``(C,)`` 0/1, and ``period`` the mean log ridge period over the valid cells.
The similarity of two texture cylinders is read from two matrix products (the mean of
``cos 2(da - db)`` over the cells valid in both), so it batches like the minutiae
cylinders' (:mod:`.compare_core`).

Templates without block maps (an ISO/IEC 19794-2 record from another vendor) have no
texture; their comparisons use the minutiae cylinders alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .mcc import CylinderSet
from .template import FingerTemplate

__all__ = ["ANGLE_STEPS", "DEFAULT_TEXTURE", "CylinderTexture", "TextureParams",
           "agreement", "cylinder_texture", "from_cells", "fuse", "fuse_into", "has_maps",
           "orientation_rows", "texture_similarity"]

F32 = np.float32


@dataclass(frozen=True)
class TextureParams:
    """Texture cylinders and their fusion (pixels at 500 ppi).

    ``weight`` is the share of the texture similarity in the fused local similarity
    (0: minutiae cylinders alone). The orientation agreement (mean ``cos 2d`` over the
    common cells, -1 to 1) counts from ``base`` up (``base`` -> 0, 1 -> 1), and is
    scaled by ``1 - period_weight + period_weight * exp(-(dlog / period_tolerance)^2)``
    with ``dlog`` the difference of the two cylinders' mean log ridge periods. Pairs with
    fewer than ``min_common`` of the disc cells valid in both keep the minutiae
    similarity alone.
    """

    radius: float = 70.0
    ns: int = 8
    weight: float = 0.3
    base: float = 0.5
    period_weight: float = 1.0
    period_tolerance: float = 0.25
    min_common: float = 0.5

    def offsets(self) -> npt.NDArray[np.float64]:
        """``(C, 2)`` cell centres inside the disc, in the minutia's frame."""
        ds = 2.0 * self.radius / self.ns
        g = (np.arange(self.ns) - (self.ns - 1) / 2.0) * ds
        gu, gv = np.meshgrid(g, g, indexing="ij")
        off = np.stack([gu.ravel(), gv.ravel()], 1)
        return np.asarray(off[np.linalg.norm(off, axis=1) <= self.radius])

    @property
    def cells(self) -> int:
        return len(self.offsets())


DEFAULT_TEXTURE = TextureParams()


#: steps per turn of the doubled relative orientation stored per cell (one byte)
ANGLE_STEPS = 256
_STEP = 2.0 * np.pi / ANGLE_STEPS
_COS = np.cos(np.arange(ANGLE_STEPS) * _STEP).astype(F32)
_SIN = np.sin(np.arange(ANGLE_STEPS) * _STEP).astype(F32)


@dataclass(frozen=True)
class CylinderTexture:
    """Texture cylinders of a template's cylinders (same order): ``cells`` (n, C) the
    doubled relative orientation per cell in :data:`ANGLE_STEPS` steps per turn (uint8),
    and the float32 arrays the kernel uses, ``orientation`` (n, 2C), ``valid`` (n, C),
    ``period`` (n,). :func:`from_cells` rebuilds it exactly from ``cells``, ``valid`` and
    ``period`` (a stored form)."""

    cells: npt.NDArray[np.uint8]
    orientation: npt.NDArray[np.float32]
    valid: npt.NDArray[np.float32]
    period: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.valid.shape[0])


def orientation_rows(cells: np.ndarray, valid: np.ndarray) -> npt.NDArray[np.float32]:
    """The kernel's orientation rows (.., 2C) from orientation steps and validity (.., C)."""
    q = np.asarray(cells, np.uint8)
    v = np.asarray(valid, F32)
    return np.ascontiguousarray(np.concatenate([_COS[q] * v, _SIN[q] * v], -1), F32)


def from_cells(cells: np.ndarray, valid: np.ndarray, period: np.ndarray) -> CylinderTexture:
    """Texture cylinders from their per-cell orientation steps (n, C), validity (n, C, 0/1)
    and mean log ridge periods (n,)."""
    return CylinderTexture(np.asarray(cells, np.uint8), orientation_rows(cells, valid),
                           np.ascontiguousarray(valid, F32), np.asarray(period, F32))


def _bilinear(m: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    """``m`` sampled at fractional block coordinates (clamped to the map)."""
    h, w = m.shape
    bx = np.clip(bx, 0.0, w - 1.000001)
    by = np.clip(by, 0.0, h - 1.000001)
    x0 = np.floor(bx).astype(np.intp)
    y0 = np.floor(by).astype(np.intp)
    fx, fy = bx - x0, by - y0
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    return np.asarray(m[y0, x0] * (1 - fx) * (1 - fy) + m[y0, x1] * fx * (1 - fy)
                      + m[y1, x0] * (1 - fx) * fy + m[y1, x1] * fx * fy)


def has_maps(template: FingerTemplate) -> bool:
    """True when ``template`` carries the block maps texture cylinders are made from."""
    maps = [m for m in (template.orientation, template.ridge_period, template.mask)
            if m is not None]
    if template.block_size <= 0 or len(maps) < 3:
        return False
    shapes = {np.shape(m) for m in maps}
    return len(shapes) == 1 and len(next(iter(shapes))) == 2 and min(next(iter(shapes))) > 0


def cylinder_texture(template: FingerTemplate, cs: CylinderSet,
                     params: TextureParams = DEFAULT_TEXTURE) -> CylinderTexture | None:
    """Texture cylinders for the cylinders ``cs`` of ``template`` (positions at 500 ppi,
    y up, as :func:`.mcc.cylinders` gives them); ``None`` when the template has no block
    maps. The maps are on blocks of ``block_size`` pixels at 500 ppi."""
    if not has_maps(template):
        return None
    assert template.orientation is not None and template.ridge_period is not None
    assert template.mask is not None
    off = params.offsets()
    n, c = len(cs), len(off)
    if n == 0:
        return from_cells(np.zeros((0, c), np.uint8), np.zeros((0, c), F32), np.zeros(0, F32))
    xy = cs.xy.astype(np.float64)
    a = cs.angle.astype(np.float64)
    ca, sa = np.cos(a)[:, None], np.sin(a)[:, None]
    px = xy[:, 0:1] + ca * off[None, :, 0] - sa * off[None, :, 1]
    py = -(xy[:, 1:2] + sa * off[None, :, 0] + ca * off[None, :, 1])   # image rows, y down
    bs = float(template.block_size)
    half = bs / 2.0 - 0.5
    bx, by = (px - half) / bs, (py - half) / bs
    theta = np.asarray(template.orientation, np.float64)
    mask = np.asarray(template.mask, bool)
    h, w = mask.shape
    c2 = _bilinear(np.cos(2.0 * theta), bx, by)
    s2 = _bilinear(np.sin(2.0 * theta), bx, by)
    inside = ((bx >= -0.5) & (by >= -0.5) & (bx <= w - 0.5) & (by <= h - 0.5)
              & (_bilinear(mask.astype(np.float64), bx, by) >= 0.5))
    rel = np.arctan2(s2, c2) - 2.0 * a[:, None]
    steps = (np.rint(rel / _STEP).astype(np.int64) % ANGLE_STEPS).astype(np.uint8)
    v = inside.astype(np.float64)
    log_period = np.log(np.maximum(_bilinear(np.asarray(template.ridge_period, np.float64),
                                             bx, by), 3.0))
    period = (log_period * v).sum(1) / np.maximum(v.sum(1), 1.0)
    return from_cells(np.where(inside, steps, 0).astype(np.uint8), v, period)


def texture_similarity(a_orient: np.ndarray, a_valid: np.ndarray, a_period: np.ndarray,
                       b_orient: np.ndarray, b_valid: np.ndarray, b_period: np.ndarray,
                       params: TextureParams = DEFAULT_TEXTURE
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Texture similarity 0-1 of probe cylinders (rows: ``a_orient`` (.., r, 2C),
    ``a_valid`` (.., r, C), ``a_period`` (.., r)) against reference columns
    (``b_orient`` (.., 2C, n), ``b_valid`` (.., C, n), ``b_period`` (.., n)), and where it
    counts (enough cells valid in both): two ``(.., r, n)`` arrays."""
    num = a_orient @ b_orient
    counts = agreement(num, a_valid @ b_valid, a_valid.shape[-1], a_period, b_period, params)
    num *= counts
    return num.astype(F32, copy=False), counts


def _power_of_two(x: float) -> bool:
    return x > 0.0 and math.frexp(x)[0] == 0.5


def agreement(num: np.ndarray, common: np.ndarray, cells: int, a_period: np.ndarray,
              b_period: np.ndarray, params: TextureParams = DEFAULT_TEXTURE) -> np.ndarray:
    """The texture similarity from ``num`` (.., r, n) the products of the orientation
    rows (overwritten with the similarity; not yet zeroed where it does not count) and
    ``common`` (.., r, n) the cells valid in both (float32, or exact integers; may be
    overwritten); returns where the similarity counts. Steps that cannot change a value
    (scaling by 1, adding 0) are skipped, and scaling by a power of two is applied to the
    periods before their differences (exact either way)."""
    if common.dtype.kind == "u":
        # exact counts: compared as integers, then made float32 (faster to divide by)
        counts: np.ndarray = common >= math.ceil(params.min_common * cells - 1e-9)
        common = common.astype(F32)
    else:
        counts = common >= params.min_common * cells
    np.maximum(common, 1.0, out=common)
    np.divide(num, common, out=num)
    num -= params.base
    num *= 1.0 / (1.0 - params.base)
    np.clip(num, 0.0, 1.0, out=num)
    if params.period_weight > 0.0:
        scale = 1.0 / params.period_tolerance
        if _power_of_two(scale):
            a = np.asarray(a_period, F32) * F32(scale)
            d = np.subtract(a[..., :, None], np.asarray(b_period, F32)[..., None, :] * F32(scale))
        else:
            d = a_period[..., :, None] - b_period[..., None, :]
            d *= scale
        d *= d
        np.negative(d, out=d)
        np.exp(d, out=d)
        if params.period_weight != 1.0:
            d *= params.period_weight
            d += 1.0 - params.period_weight
        num *= d
    return counts


def fuse(mcc: np.ndarray, tex: np.ndarray, counts: np.ndarray, same_side: np.ndarray,
         weight: float) -> np.ndarray:
    """``mcc + weight (tex - mcc)`` where texture counts and the two minutiae point within
    90 degrees of each other (``same_side``); ``mcc`` elsewhere."""
    return _blend(mcc, np.where(same_side, tex, 0.0).astype(F32, copy=False), counts, weight)


def fuse_into(mcc: np.ndarray, tex: np.ndarray, counts: np.ndarray, same_side: np.ndarray,
              weight: float) -> np.ndarray:
    """:func:`fuse` computed in ``tex`` (float32, 0 or more, overwritten and returned),
    which need not be zeroed where texture does not count: the same values."""
    np.multiply(tex, same_side, out=tex)
    return _blend(mcc, tex, counts, weight)


def _blend(mcc: np.ndarray, tex: np.ndarray, counts: np.ndarray, weight: float) -> np.ndarray:
    tex -= mcc
    tex *= F32(weight)
    tex *= counts
    tex += mcc
    return tex
