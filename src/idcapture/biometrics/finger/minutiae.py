"""Minutiae detection on the thinned enhanced image, direction, quality and clean-up."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .analysis import FingerAnalysis
from .blocks import median, sample_at, upsample
from .enhancement import half_size
from .skeleton import CN_TABLE, NEIGHBOUR_OFFSETS, thin_with_codes

__all__ = ["RawMinutiae", "detect_minutiae"]

_DY = np.array([d[0] for d in NEIGHBOUR_OFFSETS], np.int64)
_DX = np.array([d[1] for d in NEIGHBOUR_OFFSETS], np.int64)
_IS4 = (np.abs(_DY) + np.abs(_DX) == 1).astype(np.int64)

KIND_ENDING = 1
KIND_BIFURCATION = 2

_CONTINUED, _HIT_END, _HIT_BIF = 0, 1, 2
_DIR_INDEX = np.full(9, -1, np.int64)
for _k, (_ddy, _ddx) in enumerate(NEIGHBOUR_OFFSETS):
    _DIR_INDEX[(_ddy + 1) * 3 + (_ddx + 1)] = _k
_OPPOSITE = np.array([(_k + 4) % 8 for _k in range(8)], np.int64)
# score of stepping to neighbour k when the tracer came from neighbour j: squared distance
# from where it came from (x4), plus 1 for a 4-neighbour step
_STEP_SCORE = np.array([[4 * ((_DY[k] - _DY[j]) ** 2 + (_DX[k] - _DX[j]) ** 2) + _IS4[k]
                         for k in range(8)] for j in range(8)], np.int64)
_RESPONSE_SIGMA = 3.0
"""Gaussian sigma (half-resolution pixels; 6 px, about 0.6 ridge period, at the working
scale) over which the enhancement's response is averaged for a minutia's quality."""
_MIN_RESPONSE_SHARE = 0.3
"""Minutiae whose local enhancement response is below this share of the finger's median
are dropped (creases and dry breaks; chosen on the nine FVC sets among 0.2 / 0.3 / 0.45
by mean EER and FMR1000)."""
_AT_PERIOD, _AT_COHERENCE, _AT_SIN2, _AT_COS2, _AT_GREY_STD, _AT_CONFIDENCE = range(6)
"""Rows of the block maps :func:`detect_minutiae` samples at its candidates."""
_CANDIDATE = np.isin(CN_TABLE, (1, 3)).astype(np.uint8)
"""Neighbour codes of minutia candidates (crossing number 1 or 3)."""
_FORK = CN_TABLE >= 3
"""Neighbour codes of bifurcation pixels (crossing number 3 or more)."""


@dataclass(frozen=True)
class RawMinutiae:
    """Minutiae in working-image pixels (500 ppi) as parallel arrays.

    ``angle`` is ISO-convention radians (counter-clockwise on screen); ``kind`` is 1 for
    endings and 2 for bifurcations; ``quality`` is 0-100.
    """

    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray
    kind: np.ndarray
    quality: np.ndarray
    skeleton: np.ndarray

    def __len__(self) -> int:
        return int(self.x.size)


def _step_table() -> tuple[np.ndarray, np.ndarray]:
    """Where a tracer steps next, by look-up.

    ``NEXT[code, pd, qd]`` is the neighbour index taken from a pixel whose skeleton
    neighbours are ``code`` (bit k = neighbour k), having come from neighbour ``pd`` and
    with the position two steps back at neighbour ``qd`` (8 when not adjacent); -1 when no
    neighbour is left. The choice is the highest :data:`_STEP_SCORE` (first on a tie).
    ``QD[pd, k]`` is the ``qd`` after stepping to neighbour ``k`` from a pixel entered from
    ``pd``.
    """
    k = np.arange(8)
    bits = ((np.arange(256)[:, None] >> k) & 1).astype(bool)            # (code, k)
    allowed = (bits[:, None, None, :] & (k[None, :, None, None] != k)
               & (np.arange(9)[None, None, :, None] != k))                # (code, pd, qd, k)
    score = np.where(allowed, _STEP_SCORE[None, :, None, :], -1)
    best = np.argmax(score, axis=-1)
    nxt = np.where(np.max(score, axis=-1) >= 0, best, -1).astype(np.int8)
    qd_after = np.full((8, 8), 8, np.int64)
    for pd in range(8):
        for j in range(8):
            dy, dx = int(_DY[pd] - _DY[j]), int(_DX[pd] - _DX[j])
            if max(abs(dy), abs(dx)) <= 1 and (dy or dx):
                qd_after[pd, j] = _DIR_INDEX[(dy + 1) * 3 + (dx + 1)]
    return nxt.reshape(-1), qd_after


_NEXT, _QD_AFTER = _step_table()
_STATES = np.int64(72)
"""Tracer states: the neighbour it came from (8) x where it was two steps back (9);
``_NEXT`` is indexed by ``code * 72 + state``, ``state = pd * 9 + qd``."""
_BITS = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(bool)
_BIT_KEYS = (np.int64(1) << np.arange(8, dtype=np.int64)) * _STATES
"""What clearing neighbour bit k of the code takes off a ``_NEXT`` index."""
_STATE_AFTER = np.array([_OPPOSITE[k] * 9 + _QD_AFTER[pd, k]
                         for pd in range(8) for _qd in range(9) for k in range(8)], np.int64)
"""State after stepping to neighbour k, indexed by ``state * 8 + k``."""


def _trace(code: np.ndarray, oy: np.ndarray, ox: np.ndarray, sy: np.ndarray,
           sx: np.ndarray, limit: np.ndarray, at_step: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Follow the skeleton from ``(sy, sx)``, having left the minutia at ``(oy, ox)``.

    ``code`` holds the skeleton's neighbour codes (:func:`thin_with_codes`; a pixel's
    crossing number follows from its code). Each tracer goes at most ``limit`` steps.
    Returns where each tracer is after ``at_step`` steps (``(N, 2)``, rows and columns; a
    tracer stays where it stopped), the step at which each tracer stopped and why
    (continued / reached an ending / reached a bifurcation). At each step a tracer takes
    the skeleton neighbour farthest from where it came from (4-neighbours first on a tie),
    never stepping back onto its last two positions or next to the minutia. The skeleton
    must be empty on the image's outer frame (as :func:`thin` leaves it).
    """
    n = oy.size
    steps = int(limit.max()) if n else 0
    w = code.shape[1]
    codef = code.reshape(-1)
    off = _DY * w + _DX
    cy, cx = sy.astype(np.int64), sx.astype(np.int64)
    c = cy * w + cx
    # where each tracer came from (the minutia, also two back) as one state, pd * 9 + qd
    state = _DIR_INDEX[(oy - cy + 1) * 3 + (ox - cx + 1)] * 10
    dy, dx = cy - oy, cx - ox                             # offset from the minutia
    stop_step = np.full(n, steps, np.int64)
    stop_kind = np.full(n, _CONTINUED, np.int64)
    pos = c.copy()
    tip = pos if at_step <= 0 else None
    live = np.arange(n)
    lim = limit
    ends = set(lim.tolist())                              # steps where some tracer is done
    for s in range(1, steps + 1):
        far = np.maximum(np.abs(dy), np.abs(dx)) > 2
        here = codef[c]
        bif = far & _FORK[here]
        key = here * _STATES + state
        near = np.flatnonzero(~far)
        if near.size:
            # neighbours next to the minutia are out of bounds
            close = np.maximum(np.abs(dy[near, None] + _DY), np.abs(dx[near, None] + _DX)) <= 1
            key[near] -= (close & _BITS[here[near]]) @ _BIT_KEYS
        k = _NEXT[key]
        end = ~bif & (k < 0)
        stop = bif | end
        if stop.any():
            stop_kind[live[bif]] = _HIT_BIF
            stop_kind[live[end]] = _HIT_END
            stop_step[live[stop]] = s - 1
            go = ~stop
            c, dy, dx, k, state = c[go], dy[go], dx[go], k[go], state[go]
            live, lim = live[go], lim[go]
        state = _STATE_AFTER[state * 8 + k]
        c += off[k]
        dy += _DY[k]
        dx += _DX[k]
        if s <= at_step:                                  # (positions are read there only)
            pos[live] = c
            if s == at_step:
                tip = pos.copy()
        if s in ends:
            more = lim > s
            c, dy, dx, state = c[more], dy[more], dx[more], state[more]
            live, lim = live[more], lim[more]
        if live.size == 0:
            break
    if tip is None:
        tip = pos
    out = np.stack(np.divmod(tip, w), axis=-1)
    return out, stop_step, stop_kind


def _branch_starts(skel: np.ndarray, y: np.ndarray, x: np.ndarray,
                   count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pixel, up to ``count`` neighbours that start separate skeleton branches."""
    h, w = skel.shape
    ny = np.clip(y[:, None] + _DY, 0, h - 1)
    nx = np.clip(x[:, None] + _DX, 0, w - 1)
    ring = skel[ny, nx]
    # a branch starts at each ring pixel whose predecessor in the ring is empty; prefer
    # the 4-neighbour of the run when the run holds one
    start = ring & ~np.roll(ring, 1, axis=1)
    run_next = ring & np.roll(start, 1, axis=1) & (_IS4 == 1)[None, :]
    choose = start.copy()
    # move a diagonal run start onto the following 4-neighbour when it is in the same run
    diag_start = start & (_IS4 == 0)[None, :]
    shift = np.roll(run_next, -1, axis=1) & diag_start
    choose &= ~shift
    choose |= np.roll(shift, 1, axis=1)
    order = np.argsort(~choose, axis=1, kind="stable")[:, :count]
    valid = np.take_along_axis(choose, order, 1)
    by = np.take_along_axis(ny, order, 1)
    bx = np.take_along_axis(nx, order, 1)
    return by, bx, valid


def _angle_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Absolute difference of two angle arrays, in ``[0, pi]``."""
    d = np.mod(a - b + math.pi, 2 * math.pi) - math.pi
    out: np.ndarray = np.abs(d)
    return out


def _response_share(enhanced_half: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Local enhancement response (``|enhanced|`` averaged over about half a ridge period
    at half resolution) at working pixels ``(ys, xs)``, as a share of its median over the
    finger area, capped at 1."""
    amp = cv2.GaussianBlur(np.abs(enhanced_half), (0, 0), _RESPONSE_SIGMA)
    inside = enhanced_half != 0
    ref = median(amp[inside]) if inside.any() else 1.0
    hs, ws = amp.shape
    at = amp[np.minimum(ys // 2, hs - 1), np.minimum(xs // 2, ws - 1)]
    out: np.ndarray = np.clip(at / max(ref, 1e-6), 0.0, 1.0)
    return out


def detect_minutiae(an: FingerAnalysis, *, border_px: float = 16.0,
                    frame_px: float = 12.0, min_coherence: float = 0.15) -> RawMinutiae:
    """Endings and bifurcations of ``an`` with direction, quality and false ones removed.

    Removal rules (lengths scale with the local ridge period ``p``): minutiae closer than
    ``border_px`` (or ``p``) to the finger's edge, or than ``frame_px`` to the image frame
    (which cuts ridges without ending them, so a narrower margin); minutiae in noise
    (coherence below ``min_coherence``); spurs (an ending whose ridge reaches a bifurcation
    within ``p``; both go); islands and short ridges (two endings joined by less than
    ``1.8 p`` of ridge); bridges (two bifurcations joined by less than ``p``); broken ridges
    (two endings facing each other across a gap below ``1.3 p``); and clusters (more than
    two other minutiae within ``p``, or more than four within ``2 p``); and faint ridges
    (the enhancement's local response under :data:`_MIN_RESPONSE_SHARE` of its median).

    Quality (0-100) grows with the local coherence, the distance from the finger's edge,
    the grey-level contrast, the ridge-period confidence and the enhancement's local
    response relative to its median over the finger (:func:`_response_share`): the
    comparator keeps the best minutiae by it, so minutiae on creases, dry breaks and
    smears rank last.
    """
    enh = an.enhanced                                     # 0 outside the finger area
    skel8, code = thin_with_codes(enh < 0)
    skel = skel8.view(bool)
    h, w = skel.shape
    cand = cv2.findNonZero(cv2.multiply(cv2.LUT(code, _CANDIDATE), skel8))
    if cand is None:
        ys = xs = np.zeros(0, np.int64)
    else:
        pts = cand.reshape(-1, 2).astype(np.int64)
        order = np.lexsort((pts[:, 0], pts[:, 1]))      # row-major, as np.nonzero
        ys, xs = pts[order, 1], pts[order, 0]
    # distance to the finger border (or the image frame), at half resolution
    hs, ws = half_size((h, w))
    up = upsample(an.finger_mask.astype(np.float32), (hs, ws), an.block // 2)
    inner = (up > 0.5).astype(np.uint8)
    # the finger's own edge (ridges end there, filters ring) is measured apart from the
    # image frame, which only cuts ridges that go on beyond it (outside the image counts
    # as foreground for the distance transform)
    dist_half = cv2.distanceTransform(inner, cv2.DIST_L2, 3)
    # a finger filling the whole image has no edge: distances stay finite all the same
    np.minimum(dist_half, float(hs + ws), out=dist_half)

    def border_distance(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = 2.0 * dist_half[np.minimum(y // 2, hs - 1), np.minimum(x // 2, ws - 1)]
        return out

    def frame_distance(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.minimum(np.minimum(y, h - 1 - y), np.minimum(x, w - 1 - x))
        return out

    kinds = np.where(CN_TABLE[code[ys, xs]] == 1, KIND_ENDING, KIND_BIFURCATION)
    # every block map read below, at every candidate, in one pass (the rows follow the
    # candidates as they are dropped)
    o = an.orientation
    at = sample_at(np.stack([an.period, o.coherence, o.sin2, o.cos2, an.grey_std,
                             an.period_confidence]), ys, xs)
    keep = border_distance(ys, xs) > np.maximum(border_px, 0.8 * at[_AT_PERIOD])
    keep &= frame_distance(ys, xs) > frame_px
    keep &= at[_AT_COHERENCE] >= min_coherence
    ys, xs, kinds, at = ys[keep], xs[keep], kinds[keep], at[:, keep]
    # merge bifurcation pixels of one junction (adjacent CN>=3 pixels)
    if ys.size:
        bif = kinds == KIND_BIFURCATION
        by, bx = ys[bif], xs[bif]
        if by.size > 1:
            dup = ((np.abs(by[:, None] - by[None, :]) <= 2)
                   & (np.abs(bx[:, None] - bx[None, :]) <= 2))
            dup = np.triu(dup, 1).any(axis=0)
            drop = np.zeros(ys.size, bool)
            drop[np.nonzero(bif)[0][dup]] = True
            ys, xs, kinds, at = ys[~drop], xs[~drop], kinds[~drop], at[:, ~drop]
    n = ys.size
    if n == 0:
        e = np.zeros(0)
        return RawMinutiae(e, e, e, e.astype(np.int64), e, skel)

    per = at[_AT_PERIOD]
    dir_step = 9
    is_end = kinds == KIND_ENDING
    is_bif = ~is_end
    # three branch tracers per minutia; endings need exactly one branch, bifurcations three
    by, bx, valid = _branch_starts(skel, ys, xs, 3)
    nvalid = valid.sum(axis=1)
    remove = (is_end & (nvalid != 1)) | (is_bif & (nvalid != 3))
    # trace only what the checks below read: up to 1.8 p from an ending, p from a fork
    need = np.ceil(np.where(is_end, 1.8, 1.0) * per).astype(np.int64)
    limit = np.maximum(need, dir_step)[:, None] + np.zeros((1, 3), np.int64)
    run = (valid & ~remove[:, None]).ravel()
    # where each tracer is dir_step steps on (at the minutia when it has none)
    tip = np.stack([np.repeat(ys, 3), np.repeat(xs, 3)], axis=-1)
    stop_step = np.full(n * 3, -1, np.int64)
    stop_kind = np.full(n * 3, -1, np.int64)
    if run.any():
        tip[run], stop_step[run], stop_kind[run] = _trace(
            code, np.repeat(ys, 3)[run], np.repeat(xs, 3)[run], by.ravel()[run],
            bx.ravel()[run], limit.ravel()[run], dir_step)
    stop_step = stop_step.reshape(n, 3)
    stop_kind = stop_kind.reshape(n, 3)
    tip = tip.reshape(n, 3, 2)
    vy = (tip[..., 0] - ys[:, None]).astype(np.float64)
    vx = (tip[..., 1] - xs[:, None]).astype(np.float64)
    ang = np.arctan2(vy, vx)                              # image coordinates
    vlen = np.hypot(vy, vx)

    # spurs, islands, bridges
    s0, k0 = stop_step[:, 0], stop_kind[:, 0]
    remove |= is_end & (k0 == _HIT_BIF) & (s0 < per)
    remove |= is_end & (k0 == _HIT_END) & (s0 < 1.8 * per)
    short_bif = (stop_kind == _HIT_BIF) & (stop_step < per[:, None]) & (stop_step >= 0)
    short_end = (stop_kind == _HIT_END) & (stop_step < per[:, None]) & (stop_step >= 0)
    remove |= is_bif & (short_bif | short_end).any(axis=1)

    # direction from the traced ridge
    dir_img = np.where(is_end, ang[:, 0], 0.0)
    if is_bif.any():
        a = ang[is_bif]
        d01 = _angle_diff(a[:, 0], a[:, 1])
        d02 = _angle_diff(a[:, 0], a[:, 2])
        d12 = _angle_diff(a[:, 1], a[:, 2])
        stem = np.argmin(np.stack([d12, d02, d01], axis=1), axis=1)   # branch not in the pair
        u = np.stack([np.cos(a), np.sin(a)], axis=-1)                 # (m, 3, 2)
        sel = np.arange(a.shape[0])
        s_vec = u[sel, stem]
        fork = u.sum(axis=1) - s_vec
        vec = fork - s_vec
        dir_img[is_bif] = np.arctan2(vec[:, 1], vec[:, 0])
    remove |= vlen[np.arange(n), 0] < 3
    # combine with the orientation field (resolving its 180 degree ambiguity by the trace)
    field = 0.5 * np.arctan2(at[_AT_SIN2], at[_AT_COS2])
    field = np.where(_angle_diff(field, dir_img) > 0.5 * math.pi, field + math.pi, field)
    c = at[_AT_COHERENCE]
    wf = np.where(_angle_diff(field, dir_img) < math.radians(35), 1.5 * c, 0.0)
    fx = np.cos(dir_img) + wf * np.cos(field)
    fy = np.sin(dir_img) + wf * np.sin(field)
    dir_img = np.arctan2(fy, fx)

    # broken ridges: two endings pointing away from each other across a short gap
    e_idx = np.nonzero(is_end & ~remove)[0]
    if e_idx.size > 1:
        ey, ex, ea = ys[e_idx].astype(float), xs[e_idx].astype(float), dir_img[e_idx]
        dyy = ey[None, :] - ey[:, None]
        dxx = ex[None, :] - ex[:, None]
        dd = np.hypot(dyy, dxx)
        link = np.arctan2(dyy, dxx)                         # from i to j
        near = (dd < 1.3 * per[e_idx][:, None]) & (dd > 0)
        facing = (_angle_diff(link, ea[:, None] + math.pi) < math.radians(50)) & \
                 (_angle_diff(link, ea[None, :]) < math.radians(50))
        broken = near & facing
        broken |= broken.T
        remove[e_idx[broken.any(axis=1)]] = True

    # clusters and overlaps
    # (only survivors matter on either side: the others are gone already)
    live = np.flatnonzero(~remove)
    ky, kx = ys[live].astype(float), xs[live].astype(float)
    dd = np.hypot(ky[:, None] - ky[None, :], kx[:, None] - kx[None, :])
    np.fill_diagonal(dd, np.inf)
    lp = per[live][:, None]
    crowded = ((dd < lp).sum(axis=1) > 2) | (dd < 0.45 * lp).any(axis=1)
    # noisy patches: more than four other minutiae within two ridge periods
    crowded |= (dd < 2.0 * lp).sum(axis=1) > 4
    remove[live[crowded]] = True

    keep = ~remove
    ys, xs, kinds, dir_img = ys[keep], xs[keep], kinds[keep], dir_img[keep]
    per, c, at = per[keep], c[keep], at[:, keep]
    edge = np.minimum(border_distance(ys, xs), 2.0 * frame_distance(ys, xs))
    border = np.clip(edge / (3.0 * per), 0.0, 1.0)
    contrast = np.clip(at[_AT_GREY_STD] / 30.0, 0.0, 1.0)
    quality = 100.0 * np.sqrt(np.clip(c, 0, 1)) * (0.4 + 0.6 * border) * (0.5 + 0.5 * contrast)
    # ridge reliability: the enhancement's local response against its median over the
    # finger (creases, dry breaks, smears and the finger's fringe answer the tuned filters
    # weakly) and the local ridge-period confidence; where the response is faint the
    # minutia goes
    if ys.size:
        share = _response_share(an.enhanced_half, ys, xs)
        quality *= share
        quality *= 0.5 + 0.5 * np.clip(at[_AT_CONFIDENCE], 0.0, 1.0)
        ok = share >= _MIN_RESPONSE_SHARE
        ys, xs, kinds, dir_img, quality = ys[ok], xs[ok], kinds[ok], dir_img[ok], quality[ok]
    angle = np.mod(-dir_img, 2 * math.pi)                # ISO: counter-clockwise on screen
    return RawMinutiae(xs.astype(np.float64), ys.astype(np.float64), angle, kinds,
                       np.clip(np.round(quality), 1, 100), skel)
