"""The batched comparison kernel: one probe against many prepared templates at once.

Steps, each a few array operations over the whole batch (no loop over templates):

1. **Local similarities** of every probe cylinder against every cylinder of every
   reference template, from matrix products (:mod:`.mcc`). Validity bits depend on the
   spatial cell only, so three of the four products run on ``ns*ns`` columns instead
   of ``ns*ns*nd``.
2. **Pair selection**: the ``n_r`` most similar (probe, reference) minutia pairs per
   template.
3. **Relaxation** (MCC's LSS-R): each pair's similarity is raised or damped by how well
   its distances and angles to the other selected pairs agree in both prints.
4. **Global consolidation**: the largest set of mutually compatible pairs gives a
   rigid alignment (rotation and translation); with it, all minutiae of both prints are
   paired within a distance and angle tolerance, and the count of paired minutiae is
   normalised by the number of minutiae inside the common area of the two prints.

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

from .mcc import DEFAULT_PARAMS, CylinderSet, MccParams

__all__ = ["ConsolidationParams", "GalleryArrays", "raw_scores"]

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
    overlap_radius: float = 35.0
    min_overlap: int = 5
    #: paired minutiae needed for full weight: with fewer, the score is scaled by
    #: ``(paired / min_paired) ** 2`` (chance alignments pair only a handful)
    min_paired: float = 8.0


DEFAULT_CONSOLIDATION = ConsolidationParams()


@dataclass(frozen=True)
class GalleryArrays:
    """Many prepared templates padded to ``k`` cylinders, as arrays for the kernel.

    ``bits`` (m, k, cells), ``bit_sums`` (m, k, ns*ns) bits summed over directions,
    ``valid`` (m, k, ns*ns), ``xy`` (m, k, 2), ``angle`` (m, k), ``count`` (m,),
    ``all_xy``/``all_angle``/``all_count``: every minutia (not only those with a valid
    cylinder), padded to ``k_all``, for the global pairing.
    """

    bits: npt.NDArray[np.float32]
    bit_sums: npt.NDArray[np.float32]
    valid: npt.NDArray[np.float32]
    xy: npt.NDArray[np.float32]
    angle: npt.NDArray[np.float32]
    count: npt.NDArray[np.int32]
    all_xy: npt.NDArray[np.float32]
    all_angle: npt.NDArray[np.float32]
    all_count: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.bits.shape[0])

    def take(self, idx: npt.ArrayLike) -> GalleryArrays:
        """The rows ``idx`` (fancy indexing on every array)."""
        i = np.asarray(idx, dtype=np.intp)
        return GalleryArrays(self.bits[i], self.bit_sums[i], self.valid[i], self.xy[i],
                             self.angle[i], self.count[i], self.all_xy[i], self.all_angle[i],
                             self.all_count[i])


def _wrap(a: np.ndarray) -> np.ndarray:
    return np.asarray((a + math.pi) % _TWO_PI - math.pi)


def _sigmoid(v: np.ndarray, mu: float, tau: float) -> np.ndarray:
    z = np.clip(-tau * (v - mu), -60.0, 60.0)
    return np.asarray(1.0 / (1.0 + np.exp(z)))


def stack_gallery(sets: list[tuple[CylinderSet, np.ndarray, np.ndarray]],
                  params: MccParams = DEFAULT_PARAMS, k: int | None = None,
                  k_all: int | None = None) -> GalleryArrays:
    """Pad ``(cylinders, all_xy, all_angle)`` triples into one :class:`GalleryArrays`."""
    m = len(sets)
    c2 = params.ns * params.ns
    k = k if k is not None else max([len(s[0]) for s in sets] + [1])
    k_all = k_all if k_all is not None else max([len(s[1]) for s in sets] + [1])
    bits = np.zeros((m, k, params.cells), F32)
    sums = np.zeros((m, k, c2), F32)
    valid = np.zeros((m, k, c2), F32)
    xy = np.zeros((m, k, 2), F32)
    ang = np.zeros((m, k), F32)
    cnt = np.zeros(m, np.int32)
    axy = np.zeros((m, k_all, 2), F32)
    aang = np.zeros((m, k_all), F32)
    acnt = np.zeros(m, np.int32)
    for i, (cs, mxy, mang) in enumerate(sets):
        n = min(len(cs), k)
        b = cs.bits[:n].reshape(n, c2, params.nd)
        bits[i, :n] = cs.bits[:n]
        sums[i, :n] = b.sum(-1)
        valid[i, :n] = cs.valid[:n].reshape(n, c2, params.nd)[:, :, 0]
        xy[i, :n] = cs.xy[:n]
        ang[i, :n] = cs.angle[:n]
        cnt[i] = n
        na = min(len(mxy), k_all)
        axy[i, :na] = mxy[:na]
        aang[i, :na] = mang[:na]
        acnt[i] = na
    return GalleryArrays(bits, sums, valid, xy, ang, cnt, axy, aang, acnt)


def local_similarities(probe: GalleryArrays, gallery: GalleryArrays,
                       params: MccParams = DEFAULT_PARAMS) -> np.ndarray:
    """``(m, np, k)`` similarities of the one probe (row 0 of ``probe``) vs the gallery."""
    na = int(probe.count[0])
    m, k = gallery.bits.shape[:2]
    a = probe.bits[0, :na]
    asum = probe.bit_sums[0, :na]
    va = probe.valid[0, :na]
    gb = gallery.bits.reshape(m * k, -1)
    gs = gallery.bit_sums.reshape(m * k, -1)
    gv = gallery.valid.reshape(m * k, -1)
    t_ab = a @ gb.T
    t_avb = asum @ gv.T
    t_vab = va @ gs.T
    t_vv = va @ gv.T
    # same-direction test |da - db| <= pi/2 as cos(da - db) >= 0, from one small product
    pa = probe.angle[0, :na]
    ga = gallery.angle.reshape(m * k)
    cosd = np.stack([np.cos(pa), np.sin(pa)], 1) @ np.stack([np.cos(ga), np.sin(ga)], 0)
    diff = t_avb + t_vab
    diff -= 2.0 * t_ab
    np.maximum(diff, 0.0, out=diff)
    np.sqrt(diff, out=diff)
    den = np.sqrt(t_avb)
    den += np.sqrt(t_vab)
    np.maximum(den, 1e-6, out=den)
    diff /= den
    sim = np.subtract(1.0, diff, out=diff)
    bad = t_vv < params.min_matchable_fraction * params.disc_cells
    bad |= cosd < 0.0
    bad |= den <= 1e-6
    sim[bad] = 0.0
    return np.ascontiguousarray(sim.reshape(na, m, k).transpose(1, 0, 2))


def _angle_gap(cos_d: np.ndarray) -> np.ndarray:
    """Angle (radians, ~exact below 60 degrees) from its cosine: the chord 2 sin(d/2)."""
    return np.sqrt(np.maximum(2.0 - 2.0 * cos_d, 0.0))


def raw_scores(probe: GalleryArrays, gallery: GalleryArrays,
               params: MccParams = DEFAULT_PARAMS,
               cparams: ConsolidationParams = DEFAULT_CONSOLIDATION) -> np.ndarray:
    """Raw similarity 0-1 of the probe (row 0 of ``probe``) against every gallery row."""
    m = len(gallery)
    na = int(probe.count[0])
    out = np.zeros(m, np.float64)
    if na < 2 or m == 0:
        return out
    k = gallery.bits.shape[1]
    sim = local_similarities(probe, gallery, params)              # (m, na, k)
    flat = sim.reshape(m, na * k)
    nr = min(cparams.n_relaxation_pairs, na * k)
    part = np.argpartition(-flat, nr - 1, axis=1)[:, :nr]
    lam0 = np.take_along_axis(flat, part, axis=1)                 # (m, nr)
    ia, ib = np.divmod(part, k)
    rows = np.arange(m)[:, None]
    pa = probe.xy[0][ia]                                          # (m, nr, 2)
    ta = probe.angle[0][ia]
    pb = gallery.xy[rows, ib]
    tb = gallery.angle[rows, ib]

    da = pa[:, :, None, :] - pa[:, None, :, :]                    # (m, nr, nr, 2)
    db = pb[:, :, None, :] - pb[:, None, :, :]
    la = np.sqrt((da * da).sum(-1))
    lb = np.sqrt((db * db).sum(-1))
    d1 = np.abs(la - lb)
    # relative direction of the two minutiae, compared between the prints
    ra = ta[:, :, None] - ta[:, None, :]
    rb = tb[:, :, None] - tb[:, None, :]
    d2 = _angle_gap(np.cos(ra - rb))
    # direction of the connecting segment in each minutia's own frame
    ca, sa = np.cos(ta)[:, :, None], np.sin(ta)[:, :, None]
    cb, sb = np.cos(tb)[:, :, None], np.sin(tb)[:, :, None]
    ua = (da[..., 0] * ca + da[..., 1] * sa, da[..., 1] * ca - da[..., 0] * sa)
    ub = (db[..., 0] * cb + db[..., 1] * sb, db[..., 1] * cb - db[..., 0] * sb)
    cos3 = (ua[0] * ub[0] + ua[1] * ub[1]) / np.maximum(la * lb, 1e-6)
    d3 = _angle_gap(cos3)
    c = cparams
    rho = _sigmoid(d1, c.mu_distance, c.tau_distance) * \
        _sigmoid(d2, c.mu_angle, c.tau_angle) * _sigmoid(d3, c.mu_angle, c.tau_angle)
    same = (ia[:, :, None] == ia[:, None, :]) | (ib[:, :, None] == ib[:, None, :])
    rho[same] = 0.0                     # includes the diagonal
    lam = lam0.astype(np.float32)
    w = c.relaxation_weight
    for _ in range(c.relaxation_iterations):
        lam = w * lam + (1.0 - w) * np.einsum("mij,mj->mi", rho, lam) / (nr - 1)
    nb = gallery.count.astype(np.float64)
    nmin = np.minimum(float(na), nb)
    n_p = np.rint(4.0 + 8.0 * _sigmoid(nmin, 20.0, 0.4)).astype(np.intp)
    eff = lam / np.maximum(lam0, 1e-9)
    order = np.argsort(-eff, axis=1)
    lam_sorted = np.take_along_axis(lam, order, axis=1)
    keep = np.arange(nr)[None, :] < n_p[:, None]
    local = (lam_sorted * keep).sum(1) / np.maximum(n_p, 1)

    # consistent set around the best relaxed pair
    comp = (d1 < c.set_distance) & (d2 < c.set_angle) & (d3 < c.set_angle) & ~same
    eye = np.eye(nr, dtype=bool)
    comp[:, eye] = True
    compf = comp.astype(np.float32)
    anchor = np.argmax(lam, axis=1)
    x = comp[rows[:, 0], anchor] & (lam0 > 0)
    for _ in range(3):
        support = np.einsum("mij,mj->mi", compf, x.astype(np.float32))
        x = x & (support >= 0.75 * x.sum(1, keepdims=True))
    x[rows[:, 0], anchor] = True
    xf = x.astype(np.float32)
    nx = xf.sum(1)
    # rigid alignment of the gallery print onto the probe from the consistent set
    rot = np.arctan2((xf * np.sin(ta - tb)).sum(1), (xf * np.cos(ta - tb)).sum(1))
    cr, sr = np.cos(rot)[:, None], np.sin(rot)[:, None]
    cpa = (xf[:, :, None] * pa).sum(1) / nx[:, None]
    cpb = (xf[:, :, None] * pb).sum(1) / nx[:, None]
    gxy = gallery.all_xy - cpb[:, None, :]
    gx = cr * gxy[..., 0] - sr * gxy[..., 1] + cpa[:, 0:1]
    gy = sr * gxy[..., 0] + cr * gxy[..., 1] + cpa[:, 1:2]
    gcos = np.cos(gallery.all_angle + rot[:, None])
    gsin = np.sin(gallery.all_angle + rot[:, None])
    kall = gallery.all_xy.shape[1]
    gmask = np.arange(kall)[None, :] < gallery.all_count[:, None]
    gx[~gmask] = 1e6
    naa = int(probe.all_count[0])
    pxy = probe.all_xy[0, :naa]
    pang = probe.all_angle[0, :naa]
    dx = pxy[None, :, None, 0] - gx[:, None, :]
    dy = pxy[None, :, None, 1] - gy[:, None, :]
    dist2 = dx * dx
    dist2 += dy * dy                                              # (m, naa, kall)
    cos_pair = np.cos(pang)[None, :, None] * gcos[:, None, :] + \
        np.sin(pang)[None, :, None] * gsin[:, None, :]
    paired = (dist2 < c.pair_distance ** 2) & (cos_pair > math.cos(c.pair_angle))
    matched = np.minimum(paired.any(2).sum(1), paired.any(1).sum(1)).astype(np.float64)
    near = dist2 < c.overlap_radius ** 2
    ov_a = np.maximum(near.any(2).sum(1), c.min_overlap).astype(np.float64)
    ov_b = np.maximum(near.any(1).sum(1), c.min_overlap).astype(np.float64)
    frac = matched * matched / (ov_a * ov_b)
    support = np.minimum(matched / c.min_paired, 1.0) ** 2
    out = local * np.minimum(frac, 1.0) * support
    return np.asarray(out, dtype=np.float64)
