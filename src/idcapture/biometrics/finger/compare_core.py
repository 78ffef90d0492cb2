"""The batched comparison kernel: one probe against many prepared templates at once.

Steps, each a few array operations over the whole batch (no loop over templates; the
only Python loops run over the 8 direction sectors and the 5 relaxation iterations):

1. **Local similarities** of every probe cylinder against every cylinder of the gallery
   within 90 degrees of its direction (the gallery's cylinders are grouped by direction
   sector, see :class:`GalleryArrays`), from exact bit counts per sector: ``|a & b|``
   from the cell bits packed 64 to a word (AND, then bit counts), the others from two
   small matrix products (validity bits depend on the spatial cell only, so they run on
   the disc's spatial cells instead of cells x directions).
2. **Pair selection**: each reference cylinder offers its most similar probe cylinder,
   and the ``n_r`` (16) best offers of each template go on (empty ones for templates
   with fewer cylinders).
3. **Relaxation** (MCC's LSS-R): each pair's similarity is raised or damped by how well
   its distances and angles to the other selected pairs agree in both prints.
4. **Global consolidation**: the largest set of mutually compatible pairs gives a
   rigid alignment (rotation and translation); with it, all minutiae of both prints are
   paired within a distance and angle tolerance (one distance product; directions
   compared as bytes), and the count of paired minutiae is normalised by the number of
   minutiae inside the common area of the two prints. Optionally, before the pairing, a
   **local correction** moves each aligned reference minutia by the residuals of the
   consistent pairs near it (``warp_sigma``), so that a print bent by the finger's
   pressure keeps its far minutiae paired without a wider tolerance. Options, off by
   default (measured on
   nine real sets, their gains did not pay for their cost or their risk; see
   docs/integrators/fingerprint-matching.md): ``pair_distance_slope`` lets the distance
   tolerance grow away from the centre of the aligned pairs; ``hypotheses`` tries
   alignments around several of the best relaxed pairs and keeps the best.

The raw similarity is the product of the relaxed local score, the paired fraction and a
support factor that scales down scores resting on fewer than ``min_paired`` (8) paired
minutiae: two unrelated prints aligned by chance pair 4-6 minutiae in a small common
area, which the paired fraction alone rates as near-perfect;
:mod:`.compare` turns it into the calibrated 0-100 score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .blas import single_blas_thread
from .mcc import DEFAULT_PARAMS, CylinderSet, MccParams
from .texture import (
    DEFAULT_TEXTURE,
    CylinderTexture,
    TextureParams,
    agreement,
    fuse,
    fuse_into,
    texture_similarity,
)

__all__ = ["ConsolidationParams", "GalleryArrays", "TemplateSlots", "concat_galleries",
           "disc_cells", "gallery_from_cells", "raw_scores", "raw_scores_paired",
           "stack_gallery"]

_TWO_PI = 2.0 * math.pi
F32 = np.float32


@dataclass(frozen=True)
class ConsolidationParams:
    """Tolerances of steps 2-4 (pixels at 500 ppi, radians)."""

    n_relaxation_pairs: int = 16
    relaxation_iterations: int = 5
    relaxation_weight: float = 0.5
    #: sigmoid midpoints/slopes of the pair-compatibility terms (distance, direction, radial)
    mu_distance: float = 5.0
    tau_distance: float = -8.0 / 5.0
    mu_angle: float = math.pi / 12.0
    tau_angle: float = -30.0
    #: hard compatibility for the consistent set
    set_distance: float = 12.0
    set_angle: float = math.radians(20.0)
    #: pairing tolerance after alignment, and the radius that defines the common area
    pair_distance: float = 10.0
    pair_angle: float = math.radians(20.0)
    #: growth of the pairing distance per pixel away from the centre of the alignment (0:
    #: fixed; 0.05 gains on real prints but lets prints of one pattern class, which share
    #: their ridge flow, pair by chance far from the alignment: off by default)
    pair_distance_slope: float = 0.0
    #: local correction after the rigid alignment: Gaussian radius (px; 0: off) of the
    #: consistent pairs' residuals' influence, and the prior weight on no movement
    warp_sigma: float = 0.0
    warp_prior: float = 0.5
    #: alignments tried, each around one of the best relaxed pairs (the best one counts)
    hypotheses: int = 1
    overlap_radius: float = 35.0
    min_overlap: int = 5
    #: paired minutiae needed for full weight: with fewer, the score is scaled by
    #: ``(paired / min_paired) ** 2`` (chance alignments pair only a handful)
    min_paired: float = 8.0
    #: texture cylinders fused into the local similarities (:mod:`.texture`; used when
    #: both templates carry them)
    texture: TextureParams = DEFAULT_TEXTURE


DEFAULT_CONSOLIDATION = ConsolidationParams()

#: distance from the alignment centre beyond which the pairing tolerance stops growing
_SLOPE_REACH = 300.0


#: direction sectors of the cylinder layout (45 degrees each)
SECTORS = 8


@dataclass(frozen=True)
class TemplateSlots:
    """Minutiae of many templates, padded to ``k`` cylinder slots per template: ``xy``
    (m, k, 2), ``direction`` (m, k, 2) cosine and sine of ``angle`` (m, k), ``count``
    (m,); ``all_xy``/``all_angle``/``all_count``: every minutia (not only those with a
    valid cylinder), padded to ``k_all``, for the global pairing. Float arrays are
    ``float32``."""

    xy: npt.NDArray[np.float32]
    direction: npt.NDArray[np.float32]
    angle: npt.NDArray[np.float32]
    count: npt.NDArray[np.int32]
    #: every minutia, for the global pairing
    all_xy: npt.NDArray[np.float32]
    all_angle: npt.NDArray[np.float32]
    all_count: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.count.shape[0])

    @property
    def k(self) -> int:
        """Cylinder slots per template."""
        return int(self.xy.shape[1])


@dataclass(frozen=True)
class GalleryArrays(TemplateSlots):
    """Many prepared templates, as arrays for the kernel.

    **Cylinders** (only real ones, no padding) are stored feature-major and grouped by
    the direction of their minutia in :data:`SECTORS` sectors of 45 degrees: column
    ``c`` of ``packed`` (words, n) cell bits (``cells`` = dc*nd of them, packed 64 to a
    word; :attr:`bits` unpacks them), ``bit_sums`` (dc, n) bits summed over
    directions and ``valid_dir`` (dc + 2, n) validity bits followed by the cosine and
    sine of the minutia direction is the cylinder ``col_index[c]`` (``template * k +
    cylinder``); sector ``s`` holds columns ``sector_start[s]:sector_start[s + 1]``, and
    ``col_pos`` (m * k,) gives each cylinder's column (-1 for padding). Only the ``dc``
    spatial cells whose centre lies inside the cylinder's disc are kept (the others are
    never valid, so dropping them changes no count). A probe cylinder is only compared
    with the five sectors within 90 degrees of its own: the other pairs are rejected by
    MCC's direction rule anyway.

    **Per template**: the :class:`TemplateSlots` fields. All float arrays are
    ``float32``.
    """

    packed: npt.NDArray[np.uint64]
    bit_sums: npt.NDArray[np.float32]
    valid_dir: npt.NDArray[np.float32]
    #: where the columns are: sector bounds, each column's cylinder, each cylinder's column
    sector_start: npt.NDArray[np.intp]
    col_index: npt.NDArray[np.intp]
    col_pos: npt.NDArray[np.intp]
    #: cell bits per cylinder (dc*nd)
    cells: int
    #: texture cylinders (:mod:`.texture`) column by column like ``bits``: orientation
    #: (2C, n), validity (C, n), mean log ridge period (n,); ``None`` when no template of
    #: the batch has them (columns of templates without them have no valid cell)
    tex_orient: npt.NDArray[np.float32] | None = None
    tex_valid: npt.NDArray[np.float32] | None = None
    tex_period: npt.NDArray[np.float32] | None = None

    @property
    def columns(self) -> int:
        """Cylinders stored (columns of the arrays)."""
        return int(self.packed.shape[1])

    @property
    def bits(self) -> npt.NDArray[np.float32]:
        """The cell bits as 0/1 ``float32``, feature-major ``(cells, n)`` (unpacked on each
        use: the kernel reads the packed words)."""
        out: npt.NDArray[np.float32] = _unpack_bits(self.packed.T, self.cells).T
        return out

    def slots(self, k: int, k_all: int) -> tuple[np.ndarray, ...]:
        """A one-template batch as :func:`raw_scores_paired` stacks it, cut or padded with
        zeros to ``k`` cylinder and ``k_all`` minutia slots: ``bits``, ``bit_sums`` and
        ``valid_dir`` with one row per cylinder slot (``(k, rows)``), ``xy``, ``angle``,
        ``all_xy``, ``all_angle``. Made on first use for each ``(k, k_all)`` and kept."""
        cache: dict[tuple[int, int], tuple[np.ndarray, ...]] = \
            self.__dict__.setdefault("_slots", {})
        got = cache.get((k, k_all))
        if got is None:
            if len(self) != 1:
                raise ValueError("slots are made for one template")
            out = []
            for a in (self.bits, self.bit_sums, self.valid_dir):
                rows = np.zeros((max(self.k, k), a.shape[0]), F32)
                rows[self.col_index] = a.T
                out.append(rows[:k])
            for a, n in ((self.xy, k), (self.angle, k), (self.all_xy, k_all),
                         (self.all_angle, k_all)):
                v = np.zeros((n, *a.shape[2:]), F32)
                m = min(n, a.shape[1])
                v[:m] = a[0, :m]
                out.append(v)
            if self.tex_orient is not None and self.tex_valid is not None \
                    and self.tex_period is not None:
                for a in (self.tex_orient, self.tex_valid, self.tex_period[None, :]):
                    rows = np.zeros((max(self.k, k), a.shape[0]), F32)
                    rows[self.col_index] = a.T
                    out.append(rows[:k])
            got = cache[(k, k_all)] = tuple(out)
        return got

    def probe_matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bit sums (n, dc), validity (n, dc) and packed cell bits (n, words) of template
        0's ``n = count[0]`` cylinders, in cylinder order."""
        n = int(self.count[0])
        cols = self.col_pos[:n]
        return (self.bit_sums[:, cols].T, self.valid_dir[:-2, cols].T,
                np.ascontiguousarray(self.packed[:, cols].T))

    def tex_valid_bits(self) -> npt.NDArray[np.uint64] | None:
        """The texture validity of each column packed in one word (made on first use and
        kept); ``None`` without texture or with more than 64 cells."""
        cache: dict[str, npt.NDArray[np.uint64] | None] = \
            self.__dict__.setdefault("_tex_bits", {})
        if "bits" not in cache:
            v = self.tex_valid
            cache["bits"] = None if v is None or v.shape[0] > 64 else \
                np.ascontiguousarray(_pack_bits(v.T)[:, 0])
        return cache["bits"]

    def probe_texture(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Texture orientation (n, 2C), validity (n, C) and period (n,) of template 0's
        cylinders, in cylinder order (``None`` without texture)."""
        if self.tex_orient is None or self.tex_valid is None or self.tex_period is None:
            return None
        cols = self.col_pos[:int(self.count[0])]
        return (np.ascontiguousarray(self.tex_orient[:, cols].T),
                np.ascontiguousarray(self.tex_valid[:, cols].T), self.tex_period[cols])


def _sigmoid(v: np.ndarray, mu: float, tau: float) -> np.ndarray:
    z = np.clip(-tau * (v - mu), -60.0, 60.0)
    return np.asarray(1.0 / (1.0 + np.exp(z)))


def _sigmoid_denominator(v: np.ndarray, mu: float, tau: float) -> np.ndarray:
    """``1 + e^z`` of :func:`_sigmoid`, with ``z`` clipped to +-20 (float32 stays normal),
    computed in place: ``v`` (float32) is overwritten and returned."""
    v -= mu
    v *= -tau
    np.clip(v, -20.0, 20.0, out=v)
    np.exp(v, out=v)
    v += 1.0
    return v


def _angle_bytes(angle: np.ndarray) -> npt.NDArray[np.uint8]:
    """Angles (radians) as bytes, 256 steps per turn (wrapping)."""
    return np.asarray((np.rint(angle * (256.0 / _TWO_PI)).astype(np.int64) & 255)
                      .astype(np.uint8))


def disc_cells(params: MccParams = DEFAULT_PARAMS) -> npt.NDArray[np.intp]:
    """Indices (in ``ns*ns``) of the spatial cells whose centre lies inside the disc."""
    return params.cells_within(params.radius)


def _unit(angle: np.ndarray) -> npt.NDArray[np.float32]:
    a = np.asarray(angle, dtype=np.float64)
    return np.stack([np.cos(a), np.sin(a)], -1).astype(F32)


def _sectors(angle: np.ndarray) -> npt.NDArray[np.intp]:
    return np.asarray(np.floor(np.asarray(angle, np.float64) % _TWO_PI * (SECTORS / _TWO_PI))
                      .astype(np.intp) % SECTORS)


def _pack_bits(rows: np.ndarray) -> npt.NDArray[np.uint64]:
    """0/1 rows ``(n, f)`` packed 64 to a word: ``(n, ceil(f / 64))`` (padding bits 0)."""
    words = -(-rows.shape[1] // 64)
    packed = np.zeros((rows.shape[0], words * 8), np.uint8)
    packed[:, :-(-rows.shape[1] // 8)] = np.packbits(rows > 0, axis=1)
    return packed.view(np.uint64)


def _unpack_bits(packed: np.ndarray, f: int) -> npt.NDArray[np.float32]:
    """Rows of :func:`_pack_bits` back to 0/1 ``float32`` ``(n, f)``."""
    rows = np.ascontiguousarray(packed).view(np.uint8)
    return np.unpackbits(rows, axis=1, count=f).astype(F32)


def gallery_from_cells(bits: np.ndarray, valid: np.ndarray, xy: np.ndarray,
                       angle: np.ndarray, count: np.ndarray, all_xy: np.ndarray,
                       all_angle: np.ndarray, all_count: np.ndarray,
                       params: MccParams = DEFAULT_PARAMS,
                       texture: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                       ) -> GalleryArrays:
    """Kernel layout from full cylinders: ``bits`` (m, k, ns*ns*nd) and spatial ``valid``
    (m, k, ns*ns) as 0/1 (any dtype), the rest as in :class:`GalleryArrays`; ``texture``
    optionally the texture cylinders' orientation (m, k, 2C), validity (m, k, C) and
    period (m, k)."""
    m, k = bits.shape[:2]
    c2, nd = params.ns * params.ns, params.nd
    dc = disc_cells(params)
    cnt = np.asarray(count, dtype=np.int32)
    real = np.flatnonzero((np.arange(k)[None, :] < cnt[:, None]).ravel())
    sec = _sectors(np.asarray(angle).reshape(-1)[real])
    order = np.argsort(sec, kind="stable")
    col_index = real[order]
    sector_start = np.searchsorted(sec[order], np.arange(SECTORS + 1)).astype(np.intp)
    col_pos = np.full(m * k, -1, np.intp)
    col_pos[col_index] = np.arange(len(col_index))
    b = np.asarray(bits).reshape(m * k, c2, nd)[col_index][:, dc, :]
    direction = _unit(angle)
    vd = np.concatenate([np.asarray(valid).reshape(m * k, c2)[col_index][:, dc],
                         direction.reshape(m * k, 2)[col_index]], 1)
    tex: list[np.ndarray | None] = [None, None, None]
    if texture is not None:
        tex = [np.ascontiguousarray(np.asarray(t, F32).reshape(m * k, -1)[col_index].T)
               for t in texture]
        tex[2] = np.ascontiguousarray(tex[2][0])          # type: ignore[index]
    return GalleryArrays(
        packed=np.ascontiguousarray(_pack_bits(b.reshape(len(col_index), len(dc) * nd)).T),
        cells=len(dc) * nd, bit_sums=np.ascontiguousarray(b.sum(-1, dtype=F32).T),
        valid_dir=np.ascontiguousarray(vd.T, dtype=F32), sector_start=sector_start,
        col_index=col_index, col_pos=col_pos, xy=np.asarray(xy, dtype=F32),
        direction=direction, angle=np.asarray(angle, dtype=F32), count=cnt,
        all_xy=np.asarray(all_xy, dtype=F32), all_angle=np.asarray(all_angle, dtype=F32),
        all_count=np.asarray(all_count, dtype=np.int32), tex_orient=tex[0], tex_valid=tex[1],
        tex_period=tex[2])


def stack_gallery(sets: list[tuple[CylinderSet, np.ndarray, np.ndarray]],
                  params: MccParams = DEFAULT_PARAMS, k: int | None = None,
                  k_all: int | None = None,
                  textures: list[CylinderTexture | None] | None = None) -> GalleryArrays:
    """Pad ``(cylinders, all_xy, all_angle)`` triples into one :class:`GalleryArrays`
    (with ``textures``, each set's texture cylinders or ``None``)."""
    m = len(sets)
    c2 = params.ns * params.ns
    k = k if k is not None else max([len(s[0]) for s in sets] + [1])
    k_all = k_all if k_all is not None else max([len(s[1]) for s in sets] + [1])
    bits = np.zeros((m, k, params.cells), F32)
    valid = np.zeros((m, k, c2), F32)
    xy = np.zeros((m, k, 2), F32)
    ang = np.zeros((m, k), F32)
    cnt = np.zeros(m, np.int32)
    axy = np.zeros((m, k_all, 2), F32)
    aang = np.zeros((m, k_all), F32)
    acnt = np.zeros(m, np.int32)
    for i, (cs, mxy, mang) in enumerate(sets):
        n = min(len(cs), k)
        bits[i, :n] = cs.bits[:n]
        valid[i, :n] = cs.valid[:n].reshape(n, c2, params.nd)[:, :, 0]
        xy[i, :n] = cs.xy[:n]
        ang[i, :n] = cs.angle[:n]
        cnt[i] = n
        na = min(len(mxy), k_all)
        axy[i, :na] = mxy[:na]
        aang[i, :na] = mang[:na]
        acnt[i] = na
    tex = None
    if textures is not None and any(t is not None for t in textures):
        cells = next(t for t in textures if t is not None).valid.shape[1]
        tex = (np.zeros((m, k, 2 * cells), F32), np.zeros((m, k, cells), F32),
               np.zeros((m, k), F32))
        for i, t in enumerate(textures):
            if t is not None:
                n = min(len(t), k)
                tex[0][i, :n] = t.orientation[:n]
                tex[1][i, :n] = t.valid[:n]
                tex[2][i, :n] = t.period[:n]
    return gallery_from_cells(bits, valid, xy, ang, cnt, axy, aang, acnt, params, tex)


def concat_galleries(parts: list[GalleryArrays], k: int, k_all: int) -> GalleryArrays:
    """Join one-template :class:`GalleryArrays` (each template's own, made once when it
    was prepared) into one batch with ``k`` cylinder and ``k_all`` minutia slots per
    template: the same arrays as :func:`stack_gallery` over their cylinders, without
    rebuilding them from the full cylinders (templates with more cylinders or minutiae
    than the slots are cut, as there)."""
    m = len(parts)
    cols: list[np.ndarray] = []
    secs: list[np.ndarray] = []
    xy = np.zeros((m, k, 2), F32)
    ang = np.zeros((m, k), F32)
    cnt = np.zeros(m, np.int32)
    axy = np.zeros((m, k_all, 2), F32)
    aang = np.zeros((m, k_all), F32)
    acnt = np.zeros(m, np.int32)
    keeps: list[np.ndarray | None] = []
    for i, p in enumerate(parts):
        n = min(int(p.count[0]), k)
        na = min(int(p.all_count[0]), k_all)
        cnt[i], acnt[i] = n, na
        xy[i, :n] = p.xy[0, :n]
        ang[i, :n] = p.angle[0, :n]
        axy[i, :na] = p.all_xy[0, :na]
        aang[i, :na] = p.all_angle[0, :na]
        # the part's columns are in sector order already; keep those of its first n
        sec = np.repeat(np.arange(SECTORS), np.diff(p.sector_start))
        if n < len(p.col_index):
            keep = np.flatnonzero(p.col_index < n)
            keeps.append(keep)
            cols.append(p.col_index[keep] + i * k)
            secs.append(sec[keep])
        else:
            keeps.append(None)
            cols.append(p.col_index + i * k)
            secs.append(sec)
    if not parts:
        return stack_gallery([], k=k, k_all=k_all)
    sec_all = np.concatenate(secs)
    order = np.argsort(sec_all, kind="stable")
    col_index = np.concatenate(cols)[order]
    sector_start = np.searchsorted(sec_all[order], np.arange(SECTORS + 1)).astype(np.intp)
    col_pos = np.full(m * k, -1, np.intp)
    col_pos[col_index] = np.arange(len(col_index))

    def joined(name: str) -> np.ndarray:
        arrs = [getattr(p, name) if keep is None else getattr(p, name)[:, keep]
                for p, keep in zip(parts, keeps, strict=True)]
        return np.ascontiguousarray(np.concatenate(arrs, axis=1)[:, order])

    tex: list[np.ndarray | None] = [None, None, None]
    with_tex = [p for p in parts if p.tex_valid is not None]
    if with_tex:
        # templates without texture get columns with no valid cell
        shapes = [a.shape[0] for a in (with_tex[0].tex_orient, with_tex[0].tex_valid)
                  if a is not None]
        for t, (name, rows) in enumerate((("tex_orient", shapes[0]), ("tex_valid", shapes[1]),
                                          ("tex_period", 0))):
            arrs = []
            for p, kept in zip(parts, keeps, strict=True):
                got: np.ndarray | None = getattr(p, name)
                ncol = len(p.col_index) if kept is None else len(kept)
                if got is None:
                    arrs.append(np.zeros((rows, ncol) if rows else (ncol,), F32))
                else:
                    arrs.append(got if kept is None else got[..., kept])
            tex[t] = np.ascontiguousarray(np.concatenate(arrs, axis=-1)[..., order], dtype=F32)
    return GalleryArrays(packed=joined("packed"), cells=parts[0].cells,
                         bit_sums=joined("bit_sums"), valid_dir=joined("valid_dir"),
                         sector_start=sector_start,
                         col_index=col_index, col_pos=col_pos, xy=xy, direction=_unit(ang),
                         angle=ang, count=cnt, all_xy=axy, all_angle=aang, all_count=acnt,
                         tex_orient=tex[0], tex_valid=tex[1], tex_period=tex[2])


def _block_similarity(a: np.ndarray, asum: np.ndarray, va: np.ndarray, pdir: np.ndarray,
                      gb: np.ndarray, gs: np.ndarray, gvd: np.ndarray,
                      params: MccParams) -> np.ndarray:
    """Similarities ``(len(a), n)`` of probe cylinders against ``n`` reference columns
    (or, with a leading batch axis on every argument, one such block per batch row).

    Three matrix products give exact integer counts: ``-2|a & b|``; ``|a & vb|`` together
    with the acceptance value ``q``; and ``|b & va|``. The bit similarity is then a dozen
    in-place array passes (:func:`_similarity_from_counts`).
    """
    dcells = gvd.shape[-2] - 2
    d = np.ascontiguousarray(-2.0 * a, dtype=F32) @ gb           # -2 |a & b|
    xq = _acceptance_rows(asum, va, pdir, dcells, params) @ gvd
    y = np.ascontiguousarray(va, dtype=F32) @ gs                  # |b & va|
    d += xq[..., :a.shape[-2], :]
    d += y
    return _similarity_from_counts(d, xq, y, dcells, params)


def _acceptance_rows(asum: np.ndarray, va: np.ndarray, pdir: np.ndarray, dcells: int,
                     params: MccParams) -> np.ndarray:
    """Probe rows of the second product: the bit sums (giving ``|a & vb|``), then twice
    the validity with the scaled direction (giving the acceptance value less its
    offset)."""
    na = asum.shape[-2]
    big = _acceptance_terms(dcells, params)[1]
    pq = np.zeros((*asum.shape[:-2], 2 * na, dcells + 2), F32)
    pq[..., :na, :dcells] = asum
    pq[..., na:, :dcells] = 2.0 * va
    pq[..., na:, dcells:] = big * pdir
    return pq


def _acceptance_terms(dcells: int, params: MccParams) -> tuple[float, float]:
    """``t`` (common cells needed, less a half) and ``B`` of the acceptance value."""
    thr = math.ceil(params.min_matchable_fraction * dcells - 1e-9) - 0.5
    return thr, 2.0 * (dcells - thr)


def _similarity_from_counts(d: np.ndarray, xq: np.ndarray, y: np.ndarray, dcells: int,
                            params: MccParams) -> np.ndarray:
    """The bit similarity from exact counts: ``d`` = ``|(a ^ b) & va & vb|`` =
    ``|a & vb| + |b & va| - 2 |a & b|`` (overwritten), ``xq`` the second product
    (``|a & vb|`` rows, then the acceptance rows) and ``y`` = ``|b & va|``.

    MCC's two rejections are folded into one clamp, ``sim = max(0, min(sim, q))`` with
    ``q = 2 (common - t) - B (1 - cos(da - db))``, where ``t`` is
    ``min_matchable_fraction`` of the disc cells and ``B = 2 (disc - t)``: two fully
    valid cylinders are rejected when their minutia directions differ by more than 90
    degrees (as in MCC), and cylinders with fewer common cells tolerate less direction
    difference (with ``t`` common cells, none); pairs near the limit are damped.
    """
    na = d.shape[-2]
    thr, big = _acceptance_terms(dcells, params)
    x, q = xq[..., :na, :], xq[..., na:, :]                       # |a & vb|, acceptance
    np.sqrt(d, out=d)
    np.sqrt(x, out=x)
    np.sqrt(y, out=y)
    x += y                                    # sqrt|a| + sqrt|b| on the common cells
    np.subtract(x, d, out=d)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(d, x, out=d)                # 1 - sqrt(ham) / den; 0/0 -> nan
    q -= 2.0 * thr + big
    np.minimum(d, q, out=d)
    np.fmax(d, 0.0, out=d)                    # also nan (no bit on either side) -> 0
    return np.asarray(d, dtype=F32)


def _and_counts(ap: np.ndarray, gp: np.ndarray, x: np.ndarray, y: np.ndarray
                ) -> np.ndarray:
    """``x + y - 2 |a & b|`` (float32; exact integers) of packed probe rows ``ap`` (na,
    words) against packed reference columns ``gp`` (words, n), with ``x`` and ``y`` (na,
    n) the other two counts: the Hamming count of :func:`_similarity_from_counts`, with
    ``|a & b|`` from bit counts instead of a float product of the cell bits (about half
    its time). Word by word, so that the temporaries stay small."""
    shape = (ap.shape[0], gp.shape[1])
    both = np.empty(shape, np.uint64)
    count = np.empty(shape, np.uint8)
    total = np.zeros(shape, np.uint16)
    for first in range(0, ap.shape[1], 3):
        # at most three words per uint8 sum (3 x 64 < 256), the sums added in uint16
        np.bitwise_and(ap[:, first, None], gp[first], out=both)
        part = np.bitwise_count(both)
        for w in range(first + 1, min(first + 3, ap.shape[1])):
            np.bitwise_and(ap[:, w, None], gp[w], out=both)
            np.bitwise_count(both, out=count)
            part += count
        total += part
    total += total
    d: np.ndarray = np.add(x, y)
    np.subtract(d, total, out=d)
    return d


#: galleries with at most this many cylinders are compared in one block, not by sector
_ONE_BLOCK_COLUMNS = 1024


def _sector_blocks(probe: GalleryArrays, gallery: GalleryArrays, params: MccParams,
                   texture: TextureParams = DEFAULT_TEXTURE
                   ) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """``(probe rows, first column, similarities)`` for each direction sector of the
    gallery: the probe cylinders within 90 degrees of the sector against its columns
    (with texture cylinders fused in where both sides have them)."""
    blocks = _mcc_sector_blocks(probe, gallery, params)
    ptex = probe.probe_texture() if texture.weight > 0.0 else None
    if ptex is None or gallery.tex_orient is None or gallery.tex_valid is None \
            or gallery.tex_period is None:
        return blocks
    po, pv, pp = ptex
    pdir = probe.direction[0, :po.shape[0]]
    cells = pv.shape[1]
    gbits = gallery.tex_valid_bits()
    pbits = _pack_bits(pv)[:, 0] if gbits is not None else None
    out = []
    for rows, lo, block in blocks:
        hi = lo + block.shape[1]
        ts = po[rows] @ gallery.tex_orient[:, lo:hi]
        if gbits is not None and pbits is not None:
            # cells valid in both, as exact bit counts of the packed validity
            common = np.bitwise_count(np.bitwise_and(pbits[rows, None], gbits[None, lo:hi]))
        else:
            common = pv[rows] @ gallery.tex_valid[:, lo:hi]
        counts = agreement(ts, common, cells, pp[rows], gallery.tex_period[lo:hi], texture)
        same_side = (pdir[rows] @ gallery.valid_dir[-2:, lo:hi]) > 0.0
        out.append((rows, lo, fuse_into(block, ts, counts, same_side, texture.weight)))
    return out


def _mcc_sector_blocks(probe: GalleryArrays, gallery: GalleryArrays, params: MccParams
                       ) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """:func:`_sector_blocks` of the minutiae cylinders alone."""
    asum, va, ap = probe.probe_matrices()
    na = asum.shape[0]
    pdir = probe.direction[0, :na]
    dcells = gallery.valid_dir.shape[0] - 2
    if gallery.columns <= _ONE_BLOCK_COLUMNS:
        # small galleries: one block (the clamp rejects the far sectors' pairs anyway)
        spans = [(np.arange(na), 0, gallery.columns)]
    else:
        psec = _sectors(probe.angle[0, :na])
        spans = []
        for s in range(SECTORS):
            lo, hi = int(gallery.sector_start[s]), int(gallery.sector_start[s + 1])
            near = (psec - s) % SECTORS
            rows = np.flatnonzero((near <= 2) | (near >= SECTORS - 2))
            if hi > lo and len(rows):
                spans.append((rows, lo, hi))
    # the probe's side of the products, made once
    pq_all = _acceptance_rows(asum, va, pdir, dcells, params)
    va32 = np.ascontiguousarray(va, dtype=F32)
    out = []
    for rows, lo, hi in spans:
        every = len(rows) == na
        pa = ap if every else ap[rows]
        pq = pq_all if every else pq_all[np.concatenate([rows, rows + na])]
        pv = va32 if every else va32[rows]
        xq = pq @ gallery.valid_dir[:, lo:hi]
        y = pv @ gallery.bit_sums[:, lo:hi]                           # |b & va|
        block = _similarity_from_counts(
            _and_counts(pa, gallery.packed[:, lo:hi], xq[:len(rows)], y), xq, y, dcells,
            params)
        out.append((rows, lo, block))
    return out


def local_similarities(probe: GalleryArrays, gallery: GalleryArrays,
                       params: MccParams = DEFAULT_PARAMS,
                       texture: TextureParams = DEFAULT_TEXTURE) -> np.ndarray:
    """Dense ``(np, m, k)`` similarities of the probe's cylinders (template 0 of
    ``probe``) against every cylinder slot of the gallery (0 for padding and for pairs
    more than 90 degrees apart). The kernel itself never builds this array."""
    na = int(probe.count[0])
    dense = np.zeros((na, len(gallery) * gallery.k), F32)
    for rows, lo, block in _sector_blocks(probe, gallery, params, texture):
        cols = gallery.col_index[lo:lo + block.shape[1]]
        dense[np.ix_(rows, cols)] = block
    return dense.reshape(na, len(gallery), gallery.k)


def _angle_gap_inplace(cos_d: np.ndarray) -> np.ndarray:
    """Angle (radians, ~exact below 60 degrees) from its cosine, as the chord
    ``2 sin(d/2) = sqrt(2 - 2 cos d)``, computed in place (``cos_d`` is overwritten)."""
    cos_d *= -2.0
    cos_d += 2.0
    np.maximum(cos_d, 0.0, out=cos_d)
    np.sqrt(cos_d, out=cos_d)
    return cos_d


def _pair_rows(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``v[:, :, None]`` and ``v[:, None, :]`` views of an ``(m, nr)`` array."""
    return v[:, :, None], v[:, None, :]


@single_blas_thread
def raw_scores(probe: GalleryArrays, gallery: GalleryArrays,
               params: MccParams = DEFAULT_PARAMS,
               cparams: ConsolidationParams = DEFAULT_CONSOLIDATION) -> np.ndarray:
    """Raw similarity 0-1 of the probe (row 0 of ``probe``) against every gallery row."""
    m = len(gallery)
    if int(probe.count[0]) < 2 or m == 0:
        return np.zeros(m, np.float64)
    return _raw_scores(probe, gallery, params, cparams, paired=False)


@single_blas_thread
def raw_scores_paired(probes: list[GalleryArrays], references: list[GalleryArrays],
                      params: MccParams = DEFAULT_PARAMS,
                      cparams: ConsolidationParams = DEFAULT_CONSOLIDATION,
                      k: int = 36, k_all: int = 48) -> np.ndarray:
    """Raw similarity 0-1 of ``probes[i]`` against ``references[i]``, for every ``i``:
    many probes, each with its own reference, in one batched call. Each item is one
    template's own arrays (``PreparedTemplate.arrays``); templates are cut to ``k``
    cylinders and ``k_all`` minutiae. Each value is the one :func:`raw_scores` gives for
    that probe against a gallery of ``k``/``k_all`` slots holding that reference (the
    same arithmetic, pair by pair)."""
    m = len(references)
    if len(probes) != m:
        raise ValueError(f"{len(probes)} probes for {m} references")
    if m == 0:
        return np.zeros(0, np.float64)
    probe = _pair_side(probes, k, k_all, params, columns_last=False)
    ref = _pair_side(references, k, k_all, params, columns_last=True)
    out = _raw_scores(probe, ref, params, cparams, paired=True)
    out[probe.count < 2] = 0.0
    return out


@dataclass(frozen=True)
class _PairSide(TemplateSlots):
    """One side of paired comparisons: the :class:`TemplateSlots` fields and the
    cylinders dense per template, cylinder-major ``(m, k, rows)`` (probe side) or
    column-major ``(m, rows, k)`` (reference side), for batched matrix products:
    ``bits``, ``bit_sums``, ``valid_dir`` (validity bits, then direction cosine and
    sine)."""

    bits: np.ndarray
    bit_sums: np.ndarray
    valid_dir: np.ndarray
    #: texture cylinders laid out like ``bits`` (orientation, validity, period (m, 1, k)
    #: or (m, k, 1)), ``None`` when no template of the side has them
    tex: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _pair_side(parts: list[GalleryArrays], k: int, k_all: int, params: MccParams,
               columns_last: bool) -> _PairSide:
    """Stack one-template arrays into one side of paired comparisons (see
    :class:`_PairSide`)."""
    rows_needed = len(disc_cells(params)) * params.nd
    if any(p.cells != rows_needed for p in parts):
        raise ValueError("templates prepared with other cylinder parameters")
    slots = [p.slots(k, k_all) for p in parts]

    def stacked(i: int) -> np.ndarray:
        return np.stack([v[i] for v in slots])

    def dense(i: int) -> np.ndarray:
        return stacked(i).transpose(0, 2, 1) if columns_last else stacked(i)

    ang = stacked(4)
    tex = None
    with_tex = [v for v in slots if len(v) > 7]
    if with_tex:
        # templates without texture: no valid cell
        blank = tuple(np.zeros_like(a) for a in with_tex[0][7:])
        full = [v[7:] if len(v) > 7 else blank for v in slots]
        t = [np.stack([f[i] for f in full]) for i in range(3)]
        if columns_last:
            t = [a.transpose(0, 2, 1) for a in t]
        tex = (t[0], t[1], t[2])
    return _PairSide(
        bits=dense(0), bit_sums=dense(1), valid_dir=dense(2), xy=stacked(3),
        direction=_unit(ang), angle=ang,
        count=np.minimum([int(p.count[0]) for p in parts], k).astype(np.int32),
        all_xy=stacked(5), all_angle=stacked(6),
        all_count=np.minimum([int(p.all_count[0]) for p in parts], k_all).astype(np.int32),
        tex=tex)


def _paired_similarities(probe: _PairSide, ref: _PairSide, params: MccParams,
                         texture: TextureParams = DEFAULT_TEXTURE) -> np.ndarray:
    """``(m, kp, k)`` similarities of every cylinder of probe ``i`` against every cylinder
    slot of reference ``i`` (0 for padding on either side; texture fused in where both
    have it)."""
    sims = _block_similarity(probe.bits, probe.bit_sums, probe.valid_dir[..., :-2],
                             probe.direction, ref.bits, ref.bit_sums, ref.valid_dir, params)
    if probe.tex is None or ref.tex is None or texture.weight <= 0.0:
        return sims
    (po, pv, pp), (ro, rv, rp) = probe.tex, ref.tex
    ts, counts = texture_similarity(po, pv, pp[..., 0], ro, rv, rp[..., 0, :], texture)
    same_side = (probe.direction @ ref.valid_dir[..., -2:, :]) > 0.0
    return fuse(sims, ts, counts, same_side, texture.weight)


def _raw_scores(probe: GalleryArrays | _PairSide, gallery: GalleryArrays | _PairSide,
                params: MccParams, cparams: ConsolidationParams, paired: bool) -> np.ndarray:
    """:func:`raw_scores` (``paired`` false: probe row 0 against every gallery row) and
    :func:`raw_scores_paired` (probe row ``i`` against gallery row ``i``)."""
    m = len(gallery)
    k = gallery.k
    # candidate pairs: every reference cylinder with its most similar probe cylinder; the
    # nr most similar candidates are kept. Unlike the nr most similar pairs overall, this
    # cannot fill the selection with one reference minutia paired many times (generic
    # cylinders at the edge of a print resemble many others).
    rows = np.arange(m)[:, None]
    if isinstance(probe, _PairSide) and isinstance(gallery, _PairSide):
        sims = _paired_similarities(probe, gallery, params, cparams.texture)  # (m, kp, k)
        best = sims.max(1)
        blocks: list[tuple[np.ndarray, int, np.ndarray]] = []
        na_rows: float | np.ndarray = probe.count.astype(np.float64)
    else:
        assert isinstance(probe, GalleryArrays) and isinstance(gallery, GalleryArrays)
        blocks = _sector_blocks(probe, gallery, params, cparams.texture)
        ncols = gallery.columns
        best_col = np.zeros(ncols, F32)
        # each column's most similar probe cylinder (the first of equals), with a last
        # entry 0 for padding slots (column -1)
        arg_col = np.zeros(ncols + 1, np.intp)
        for brow, lo, block in blocks:
            hi = lo + block.shape[1]
            top = block.max(0)
            best_col[lo:hi] = top
            arg_col[lo:hi] = brow[(block == top).argmax(0)]
        best_flat = np.zeros(m * k, F32)
        best_flat[gallery.col_index] = best_col
        best = best_flat.reshape(m, k)                            # (m, k), 0 for padding
        na_rows = float(probe.count[0])
    # always nr pairs (templates with fewer cylinders get empty ones), so that a template
    # scores the same alone and in a padded batch
    nr = cparams.n_relaxation_pairs
    if k < nr:
        best = np.concatenate([best, np.full((m, nr - k), -1.0, F32)], 1)
    kk = best.shape[1]
    ib = np.argpartition(best, kk - nr, axis=1)[:, kk - nr:]      # (m, nr)
    lam0 = np.maximum(np.take_along_axis(best, ib, axis=1), 0.0)
    ib = np.minimum(ib, k - 1)
    used = lam0 > 0.0                                             # empty pairs take no part
    # the probe cylinder behind each selected offer, from its sector block
    if not blocks:
        ia = np.take_along_axis(sims, ib[:, None, :], axis=2).argmax(1)
        prow: int | np.ndarray = rows
    else:
        assert isinstance(gallery, GalleryArrays)
        ia = arg_col[gallery.col_pos[rows * k + ib]]
        prow = 0
    pa = probe.xy[prow, ia]                                       # (m, nr, 2)
    ua = probe.direction[prow, ia]
    pb = gallery.xy[rows, ib]
    ub = gallery.direction[rows, ib]
    # rotation taking each reference minutia onto its probe minutia: cos, sin(ta - tb)
    rc = ua[..., 0] * ub[..., 0] + ua[..., 1] * ub[..., 1]
    rs = ua[..., 1] * ub[..., 0] - ua[..., 0] * ub[..., 1]

    pax, pay = np.ascontiguousarray(pa[..., 0]), np.ascontiguousarray(pa[..., 1])
    pbx, pby = np.ascontiguousarray(pb[..., 0]), np.ascontiguousarray(pb[..., 1])
    dax = np.subtract(pax[:, :, None], pax[:, None, :])           # (m, nr, nr)
    day = np.subtract(pay[:, :, None], pay[:, None, :])
    dbx = np.subtract(pbx[:, :, None], pbx[:, None, :])
    dby = np.subtract(pby[:, :, None], pby[:, None, :])
    tmp = np.multiply(day, day)
    la = np.multiply(dax, dax)
    la += tmp
    np.sqrt(la, out=la)
    np.multiply(dby, dby, out=tmp)
    lb = np.multiply(dbx, dbx)
    lb += tmp
    np.sqrt(lb, out=lb)
    d1 = np.subtract(la, lb)
    np.abs(d1, out=d1)
    # the two pairs agree on the rotation: cos((ta_i - tb_i) - (ta_j - tb_j))
    rc_i, rc_j = _pair_rows(rc)
    rs_i, rs_j = _pair_rows(rs)
    d2 = np.multiply(rc_i, rc_j)
    np.multiply(rs_i, rs_j, out=tmp)
    d2 += tmp
    _angle_gap_inplace(d2)
    # direction of the connecting segment in each minutia's own frame, compared:
    # R(-ta) da . R(-tb) db = cos(ta - tb) (da . db) + sin(ta - tb) (da x db)
    dot = np.multiply(dax, dbx)
    np.multiply(day, dby, out=tmp)
    dot += tmp
    crs = np.multiply(day, dbx)
    np.multiply(dax, dby, out=tmp)
    crs -= tmp
    dot *= rc_i
    crs *= rs_i
    dot += crs                                # cos3 * |da| |db|
    np.multiply(la, lb, out=tmp)
    np.maximum(tmp, 1e-6, out=tmp)
    dot /= tmp
    d3 = _angle_gap_inplace(dot)
    c = cparams
    ia16, ib16 = ia.astype(np.int16), ib.astype(np.int16)
    same = (ia16[:, :, None] == ia16[:, None, :]) | (ib16[:, :, None] == ib16[:, None, :])
    same |= ~(used[:, :, None] & used[:, None, :])
    # pairs compatible enough for the consistent set (before d1-d3 become sigmoid terms)
    comp = np.less(d1, c.set_distance)
    flags = np.less(d2, c.set_angle)
    comp &= flags
    np.less(d3, c.set_angle, out=flags)
    comp &= flags
    np.greater(comp, same, out=comp)    # and not the same minutia twice
    # product of the three sigmoids as 1 / prod(1 + e^z), z clipped to +-20 so that no
    # value falls into float32's denormal range (which is very slow to compute with)
    rho = _sigmoid_denominator(d1, c.mu_distance, c.tau_distance)
    rho *= _sigmoid_denominator(d2, c.mu_angle, c.tau_angle)
    rho *= _sigmoid_denominator(d3, c.mu_angle, c.tau_angle)
    np.reciprocal(rho, out=rho)
    np.copyto(rho, 0.0, where=same)     # includes the diagonal and the empty pairs
    lam = lam0.astype(np.float32)
    w = c.relaxation_weight
    for _ in range(c.relaxation_iterations):
        lam = w * lam + (1.0 - w) * np.einsum("mij,mj->mi", rho, lam) / (nr - 1)
    nb = gallery.count.astype(np.float64)
    nmin = np.minimum(na_rows, nb)
    n_p = np.rint(4.0 + 8.0 * _sigmoid(nmin, 20.0, 0.4)).astype(np.intp)
    eff = np.where(used, lam / np.maximum(lam0, 1e-9), 0.0)
    order = np.argsort(-eff, axis=1)
    lam_sorted = np.take_along_axis(lam, order, axis=1)
    keep = np.arange(nr)[None, :] < n_p[:, None]
    local = (lam_sorted * keep).sum(1) / np.maximum(n_p, 1)

    # consistent set around the best relaxed pair
    eye = np.eye(nr, dtype=bool)
    comp[:, eye] = True
    compf = comp.astype(np.float32)
    all_xy, all_angle, all_count = gallery.all_xy, gallery.all_angle, gallery.all_count
    # probe minutiae padded to a multiple of 8 with far-away points (never near anything)
    # and their directions as bytes (256 steps per turn): the wrapped byte difference of a
    # pair is within +-tol steps when the directions agree within pair_angle (to 1.4
    # degrees)
    tol = round(c.pair_angle * 256.0 / _TWO_PI)
    pxy, p8 = _probe_minutiae(probe, tol, paired)
    if c.hypotheses > 1:
        # several alignments, each around one of the best relaxed pairs; the best is kept
        h = min(c.hypotheses, nr)
        anchor = np.argsort(-lam, axis=1)[:, :h].ravel()
        rep = np.repeat(np.arange(m), h)
        comp, compf, lam0, rc, rs, pa, pb = (v[rep] for v in (comp, compf, lam0, rc, rs, pa, pb))
        all_xy, all_angle, all_count = all_xy[rep], all_angle[rep], all_count[rep]
        if paired:
            pxy, p8 = pxy[rep], p8[rep]
        m = m * h
        rows = np.arange(m)[:, None]
    else:
        h = 1
        anchor = np.argmax(lam, axis=1)
    xs = comp[rows[:, 0], anchor] & (lam0 > 0)
    for _ in range(3):
        support = np.einsum("mij,mj->mi", compf, xs.astype(np.float32))
        xs = xs & (support >= 0.75 * xs.sum(1, keepdims=True))
    xs[rows[:, 0], anchor] = True
    xf = xs.astype(np.float32)
    nx = xf.sum(1)
    # rigid alignment of the gallery print onto the probe from the consistent set
    sc = (xf * rc).sum(1)
    ss = (xf * rs).sum(1)
    norm = np.maximum(np.sqrt(sc * sc + ss * ss), 1e-9)
    cr, sr = (sc / norm)[:, None], (ss / norm)[:, None]
    cpa = (xf[:, :, None] * pa).sum(1) / nx[:, None]
    cpb = (xf[:, :, None] * pb).sum(1) / nx[:, None]
    gxy = all_xy - cpb[:, None, :]
    gx = cr * gxy[..., 0] - sr * gxy[..., 1] + cpa[:, 0:1]
    gy = sr * gxy[..., 0] + cr * gxy[..., 1] + cpa[:, 1:2]
    kall = all_xy.shape[1]
    gmask = np.arange(kall)[None, :] < all_count[:, None]
    if c.warp_sigma > 0.0:
        # local correction: each aligned reference minutia moves by the residuals of the
        # consistent pairs near it (Gaussian weights), shrunk towards the rigid alignment
        # where no pair is near
        bxy = pb - cpb[:, None, :]
        tbx = cr * bxy[..., 0] - sr * bxy[..., 1] + cpa[:, 0:1]
        tby = sr * bxy[..., 0] + cr * bxy[..., 1] + cpa[:, 1:2]
        _warp(gx, gy, tbx, tby, (pa[..., 0] - tbx) * xf, (pa[..., 1] - tby) * xf, xf, c)
    gx[~gmask] = 1e6
    na8 = pxy.shape[-2]
    rot = np.arctan2(sr[:, 0], cr[:, 0])
    g8 = _angle_bytes(all_angle + rot[:, None].astype(F32))  # (m, kall)
    if paired:
        dang = np.subtract(g8[:, :, None], p8[:, None, :]).reshape(m * kall, na8)  # + tol
        angle_ok = np.less_equal(dang, 2 * tol, out=dang.view(np.bool_))
    else:
        # one probe: its minutiae against each of the 256 byte directions, looked up
        table = np.less_equal(np.arange(256, dtype=np.uint8)[:, None] - p8, 2 * tol)
        angle_ok = np.take(table, g8.ravel(), axis=0)
    # one byte per pair: near (common area) + paired (distance and direction), so 0, 1 or
    # 2 (paired implies near): after OR-ing bytes, bit 1 = some pair, any bit = some near
    per_probe, per_ref = _pairing(gx, gy, pxy, angle_ok, cpa, c)
    ov_a = np.maximum((per_probe != 0).sum(1), c.min_overlap).astype(np.float64)
    ov_b = np.maximum((per_ref != 0).sum(1), c.min_overlap).astype(np.float64)
    matched = np.minimum((per_probe >> 1).sum(1), (per_ref >> 1).sum(1)).astype(np.float64)
    frac = matched * matched / (ov_a * ov_b)
    support_f = np.minimum(matched / c.min_paired, 1.0) ** 2
    res = np.minimum(frac, 1.0) * support_f
    return np.asarray(local * res.reshape(-1, h).max(1), dtype=np.float64)


def _probe_minutiae(probe: GalleryArrays | _PairSide, tol: int, paired: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The probe's minutiae for the pairing, padded to a multiple of 8 with far-away points
    (``(na8, 2)``, or ``(m, na8, 2)`` for one probe per row), and their directions as
    bytes less ``tol`` steps (``(na8,)`` or ``(m, na8)``; 0 for padding)."""
    rows = len(probe) if paired else 1
    count = probe.all_count[:rows].astype(np.intp)
    naa = int(count.max()) if rows else 0
    na8 = max(8, -(-naa // 8) * 8)
    pxy = np.full((rows, na8, 2), 1e6, F32)
    p8 = np.zeros((rows, na8), np.uint8)
    real = np.arange(naa)[None, :] < count[:, None]
    pxy[:, :naa][real] = probe.all_xy[:rows, :naa][real]
    p8[:, :naa][real] = _angle_bytes(probe.all_angle[:rows, :naa][real]
                                     - tol * (_TWO_PI / 256.0))
    return (pxy, p8) if paired else (pxy[0], p8[0])


def _warp(gx: np.ndarray, gy: np.ndarray, cx: np.ndarray, cy: np.ndarray, rx: np.ndarray,
          ry: np.ndarray, w: np.ndarray, c: ConsolidationParams) -> None:
    """Move the points ``(gx, gy)`` (m, k) in place by the residuals ``(rx, ry)`` of the
    control points ``(cx, cy)`` (m, n) with weights ``w`` (m, n), Gaussian in distance
    (``warp_sigma``), with a prior weight ``warp_prior`` on no movement."""
    ddx = gx[:, :, None] - cx[:, None, :]
    ddy = gy[:, :, None] - cy[:, None, :]
    ddx *= ddx
    ddy *= ddy
    ddx += ddy
    ddx *= F32(-0.5 / (c.warp_sigma * c.warp_sigma))
    np.exp(ddx, out=ddx)
    ddx *= w[:, None, :]
    sw = ddx.sum(-1) + F32(c.warp_prior)
    gx += np.einsum("mkn,mn->mk", ddx, rx) / sw
    gy += np.einsum("mkn,mn->mk", ddx, ry) / sw


def _pairing(gx: np.ndarray, gy: np.ndarray, pxy: np.ndarray, angle_ok: np.ndarray,
             cpa: np.ndarray, c: ConsolidationParams
             ) -> tuple[np.ndarray, np.ndarray]:
    """Pair aligned reference minutiae ``(gx, gy)`` (m, kall) with the probe's ``pxy``
    (na8, 2; or (m, na8, 2), one probe per row): per-probe (m, na8) and per-reference
    (m, kall) codes, bit 1 = paired with some minutia (distance and direction), any bit =
    some minutia near (common area)."""
    m, kall = gx.shape
    na8 = pxy.shape[-2]
    # squared distances of every (aligned reference, probe) minutia pair from one matrix
    # product: |p - g|^2 = |p|^2 + |g|^2 - 2 p.g
    fp = np.concatenate([pxy, np.ones((*pxy.shape[:-1], 1), F32),
                         (pxy * pxy).sum(-1, keepdims=True)], -1)
    fg = np.empty((m, kall, 4), F32 if gx.dtype == F32 else np.float64)
    np.multiply(gx, -2.0, out=fg[..., 0])
    np.multiply(gy, -2.0, out=fg[..., 1])
    np.add(gx * gx, gy * gy, out=fg[..., 2])
    fg[..., 3] = 1.0
    if pxy.ndim == 2:
        dist2 = fg.reshape(-1, 4).astype(F32, copy=False) @ fp.T  # (m * kall, na8)
    else:                                                         # one probe per row
        dist2 = (fg.astype(F32, copy=False) @ fp.transpose(0, 2, 1)).reshape(m * kall, na8)
    if c.pair_distance_slope > 0.0:
        # distortion grows away from where the prints were aligned: the tolerance too
        # (padding points sit 1e6 away: the radius is capped so that they stay unpaired)
        pxy_rows = pxy if pxy.ndim == 3 else pxy[None, :, :]
        rp = np.sqrt(((pxy_rows - cpa[:, None, :].astype(F32)) ** 2).sum(-1))
        np.minimum(rp, _SLOPE_REACH, out=rp)                                     # (m, na8)
        tol_d = c.pair_distance + c.pair_distance_slope * rp
        tol_d *= tol_d
        paired = angle_ok
        paired &= (dist2.reshape(m, kall, na8) < tol_d[:, None, :]).reshape(m * kall, na8)
    else:
        paired = angle_ok
        paired &= dist2 < c.pair_distance ** 2
    code = (dist2 < c.overlap_radius ** 2).view(np.uint8)
    code += paired.view(np.uint8)
    # "any" over either side as a bitwise OR of 8-byte words
    words = code.view(np.uint64).reshape(m, kall, na8 // 8)
    per_probe = np.bitwise_or.reduce(words, axis=1).view(np.uint8).reshape(m, na8)
    w = words[:, :, 0].copy()
    for j in range(1, na8 // 8):
        w |= words[:, :, j]
    for shift in (32, 16, 8):
        w |= w >> np.uint64(shift)
    per_ref = (w & np.uint64(0xFF)).astype(np.uint8)              # (m, kall)
    return per_probe, per_ref
