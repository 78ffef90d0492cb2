"""Many distinct synthetic minutiae templates, cheaply, for search tests and benchmarks.

Rendering and extracting 100,000 synthetic fingerprint images is far too slow for a
benchmark, so large galleries are made from minutiae directly: positions drawn at random
inside a finger area, kept at least ``min_spacing`` pixels apart (minutiae in real
prints are about a ridge period or more apart), with directions that follow a ridge-flow
field (the orientation map of a synthetic master print, from
:mod:`idcapture.synth.fingerprints`) plus a random choice of the two opposite senses and a
little angular noise. Two templates drawn from the same flow field are *different*
fingers (their minutiae lie at unrelated places); they only share the smooth flow, as
fingers of one pattern class do.

A flow field can be shared by many templates (the orientation map of one master, as
the search benchmarks do) or drawn for each finger: :func:`finger_flow` makes one
finger's own flow with the master generator's model (class drawn with the natural
frequencies, class-typical cores and deltas, the smooth random turn, the fingertip
silhouette) on a coarse grid without growing ridges, about a millisecond a finger, and
:func:`individual_template` draws a template from it. Templates from different flow
fields differ in flow as different fingers do, not only in where their minutiae lie.

An individual template also carries block maps like an extracted one's (orientation
resampled from its flow onto the extractor's 16 px blocks, one ridge period for the
finger drawn as the master generator draws it, the fingertip mask), so the comparator
makes texture cylinders for it (:mod:`idcapture.biometrics.finger.texture`) and scores
its pairs as it scores extracted templates'.

These are not images and not extractor output: they stand in for enrolled templates in
speed measurements and false-hit counts, and say nothing about extraction accuracy.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..biometrics.finger.blocks import BLOCK
from ..biometrics.finger.template import FingerTemplate
from ..errors import ConfigError
from .fingerprints.master import DEFAULT_SIZE, PERIOD_MM, pick_class
from .fingerprints.orientation import (
    FingerClass,
    finger_mask,
    orientation_field,
    place_singular_points,
)

__all__ = ["FLOW_STEP", "MINUTIAE_PER_THUMB", "FingerFlow", "finger_flow", "flow_block_maps",
           "flow_template", "individual_template"]

#: grid step, in pixels, of a finger's own flow field (:func:`finger_flow`): the flow
#: turns slowly over a ridge period (~9 px at 500 ppi) except within a few pixels of a
#: core or delta, so a 10 px grid read with bilinear interpolation loses little
FLOW_STEP = 10

#: mean and standard deviation of the number of minutiae of an individual template: the
#: extractor's count on good rendered thumb impressions (500 x 400 at 500 ppi)
MINUTIAE_PER_THUMB = (60.0, 8.0)


@dataclass(frozen=True, eq=False)
class FingerFlow:
    """One finger's ridge flow on a coarse grid (:func:`finger_flow`).

    Attributes:
        finger_class: its pattern class.
        orientation: float32 ``(h // step, w // step)`` ridge orientation in ``[0, pi)``
            radians (counter-clockwise as seen on screen); grid cell ``(i, j)`` covers
            pixels ``[i * step, (i + 1) * step)`` by ``[j * step, (j + 1) * step)``.
        mask: bool, the same shape: the fingertip area.
        step: grid step in pixels.
    """

    finger_class: FingerClass
    orientation: npt.NDArray[np.float32] = field(repr=False)
    mask: npt.NDArray[np.bool_] = field(repr=False)
    step: int


def finger_flow(rng: np.random.Generator, size: tuple[int, int] = DEFAULT_SIZE,
                step: int = FLOW_STEP,
                finger_class: FingerClass | None = None) -> FingerFlow:
    """One finger's own flow field: the master model, sampled every ``step`` pixels.

    The same steps as :func:`idcapture.synth.fingerprints.generate_master` up to the
    orientation (class by the natural frequencies unless given, fingertip silhouette,
    class-typical singular points, zero-pole flow with the smooth random turn), on a
    ``size[0] // step`` by ``size[1] // step`` grid, without the ridge growth.
    """
    if step < 1:
        raise ConfigError(f"a flow grid step must be >= 1 px, got {step}", "bad-shape")
    h, w = int(size[0]) // step, int(size[1]) // step
    if h < 8 or w < 8:
        raise ConfigError(f"a flow grid needs >= 8 cells a side, got {h}x{w} "
                          f"(size {size}, step {step})", "bad-shape")
    fc = finger_class if finger_class is not None else pick_class(rng)
    mask = finger_mask((h, w), (0.9 * h, 0.82 * w), rng)
    points = place_singular_points(fc, (h, w), mask, rng)
    orientation = orientation_field((h, w), fc, points, mask, rng)
    return FingerFlow(fc, orientation, mask, int(step))


def individual_template(rng: np.random.Generator, size: tuple[int, int] = DEFAULT_SIZE,
                        step: int = FLOW_STEP, ppi: int = 500) -> FingerTemplate:
    """A template of a finger of its own: a new :func:`finger_flow` and minutiae along it.

    The count is drawn from :data:`MINUTIAE_PER_THUMB` (clipped to 20-100). The template
    carries block maps (:func:`flow_block_maps`) with a ridge period drawn from the master
    generator's range, so the comparator makes texture cylinders for it.
    """
    flow = finger_flow(rng, size, step)
    mean, sd = MINUTIAE_PER_THUMB
    count = int(np.clip(round(rng.normal(mean, sd)), 20, 100))
    t = flow_template(flow.orientation, flow.mask, rng, count=count, ppi=ppi,
                      step=flow.step)
    period = float(rng.uniform(*PERIOD_MM)) * 500.0 / 25.4
    orientation, ridge_period, mask = flow_block_maps(flow, (t.height, t.width), period, ppi)
    return dataclasses.replace(t, block_size=BLOCK, orientation=orientation,
                               ridge_period=ridge_period, mask=mask)


def flow_block_maps(flow: FingerFlow, size: tuple[int, int], period: float, ppi: int = 500
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                               npt.NDArray[np.bool_]]:
    """Block maps of a ``size`` (height, width; pixels at ``ppi``) template drawn from
    ``flow``, on the extractor's blocks (:data:`~idcapture.biometrics.finger.blocks.BLOCK`
    px at 500 ppi, as :class:`~idcapture.biometrics.finger.template.FingerTemplate` keeps
    them): the orientation at each block centre (read bilinearly from the flow grid), a
    ridge period of ``period`` px at 500 ppi everywhere, and the blocks whose centre lies
    in the fingertip mask.
    """
    if period <= 0.0 or ppi <= 0:
        raise ConfigError(f"a ridge period and resolution must be > 0, got {period} px, "
                          f"{ppi} ppi", "bad-shape")
    scale = ppi / 500.0                                    # template px per 500-ppi px
    rows = -(-round(size[0] / scale) // BLOCK)
    cols = -(-round(size[1] / scale) // BLOCK)
    cy = (np.arange(rows, dtype=np.float64) * BLOCK + BLOCK / 2.0 - 0.5) * scale
    cx = (np.arange(cols, dtype=np.float64) * BLOCK + BLOCK / 2.0 - 0.5) * scale
    gx, gy = np.meshgrid(cx, cy)
    u, v = (gx + 0.5) / flow.step - 0.5, (gy + 0.5) / flow.step - 0.5
    orientation = _bilinear_axial(flow.orientation, u, v)
    h, w = flow.mask.shape
    ji = np.clip(np.floor((gx + 0.5) / flow.step).astype(np.intp), 0, w - 1)
    ii = np.clip(np.floor((gy + 0.5) / flow.step).astype(np.intp), 0, h - 1)
    inside = (gx + 0.5 < w * flow.step) & (gy + 0.5 < h * flow.step)
    mask = np.asarray(flow.mask[ii, ji] & inside, np.bool_)
    return orientation, np.full((rows, cols), float(period)), mask


def _bilinear_axial(orientation: npt.NDArray[np.floating], u: npt.NDArray[np.float64],
                    v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Orientation (mod pi) at grid coordinates ``(u, v)`` (column, row), interpolating
    the doubled-angle vector bilinearly."""
    h, w = orientation.shape
    u = np.clip(u, 0.0, w - 1.0)
    v = np.clip(v, 0.0, h - 1.0)
    j0 = np.minimum(u.astype(np.intp), w - 2)       # flow_template checks w, h >= 2
    i0 = np.minimum(v.astype(np.intp), h - 2)
    fu, fv = u - j0, v - i0
    c = np.cos(2.0 * orientation.astype(np.float64))
    s = np.sin(2.0 * orientation.astype(np.float64))
    wts = ((1 - fv) * (1 - fu), (1 - fv) * fu, fv * (1 - fu), fv * fu)
    cells = ((i0, j0), (i0, j0 + 1), (i0 + 1, j0), (i0 + 1, j0 + 1))
    cx = sum(wt * c[i, j] for wt, (i, j) in zip(wts, cells, strict=True))
    sx = sum(wt * s[i, j] for wt, (i, j) in zip(wts, cells, strict=True))
    return np.asarray(np.mod(0.5 * np.arctan2(sx, cx), math.pi), np.float64)


def flow_template(orientation: npt.NDArray[np.floating], mask: npt.NDArray[np.bool_],
                  rng: np.random.Generator, count: int = 45, min_spacing: float = 10.0,
                  angle_noise: float = 0.15, ppi: int = 500,
                  step: int = 1) -> FingerTemplate:
    """One synthetic template of ``count`` minutiae following ``orientation`` inside ``mask``.

    ``orientation`` is a ridge orientation map in ``[0, pi)`` (radians, counter-clockwise
    as seen on screen), ``mask`` the finger area, both ``(h, w)``, one cell every
    ``step`` pixels at ``ppi`` (the template is ``step * w`` by ``step * h`` pixels). With
    ``step`` > 1 positions are spread uniformly over the chosen cells and directions
    interpolated between cells (:class:`FingerFlow`'s grid).
    """
    if orientation.shape != mask.shape or orientation.ndim != 2:
        raise ConfigError("orientation and mask must be 2-D arrays of one shape", "bad-shape")
    if step < 1 or (step > 1 and min(mask.shape) < 2):
        raise ConfigError(f"a grid step of {step} px needs a grid of >= 2 cells a side",
                          "bad-shape")
    ys, xs = np.nonzero(mask)
    if len(xs) == 0 or count < 1:
        raise ConfigError("empty finger mask or no minutiae asked for", "bad-mask")
    # draw 3x more than needed, then thin greedily to the minimum spacing
    pick = rng.integers(0, len(xs), size=3 * count)
    if step == 1:
        px = xs[pick].astype(np.float64) + rng.uniform(-0.5, 0.5, len(pick))
        py = ys[pick].astype(np.float64) + rng.uniform(-0.5, 0.5, len(pick))
    else:
        px = (xs[pick] + rng.uniform(0.0, 1.0, len(pick))) * step - 0.5
        py = (ys[pick] + rng.uniform(0.0, 1.0, len(pick))) * step - 0.5
    d2 = (px[:, None] - px[None, :]) ** 2 + (py[:, None] - py[None, :]) ** 2
    close = d2 < min_spacing ** 2
    np.fill_diagonal(close, False)
    keep = np.zeros(len(px), bool)
    blocked = np.zeros(len(px), bool)
    for i in range(len(px)):            # greedy thinning of <= 3*count points
        if blocked[i]:
            continue
        keep[i] = True
        blocked |= close[i]
        if keep.sum() >= count:
            break
    px, py = px[keep], py[keep]
    if step == 1:
        theta = orientation[py.astype(int), px.astype(int)].astype(np.float64)
    else:
        theta = _bilinear_axial(orientation, (px + 0.5) / step - 0.5, (py + 0.5) / step - 0.5)
    theta = theta + math.pi * rng.integers(0, 2, len(px)) + rng.normal(0.0, angle_noise,
                                                                         len(px))
    kind = rng.integers(1, 3, len(px)).astype(np.float64)
    quality = rng.integers(40, 100, len(px)).astype(np.float64)
    arr = np.stack([px, py, theta % (2.0 * math.pi), kind, quality], axis=1)
    h, w = mask.shape
    return FingerTemplate.from_array(arr, w * step, h * step, ppi)
