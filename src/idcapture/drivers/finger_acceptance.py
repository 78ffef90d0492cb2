"""The sensor-side acceptance check of a captured finger image.

Fingerprint sensors refuse an image that is blank, too light (a dry finger), too dark
(a wet finger), covers too little of the window (a partial print) or shows a finger
clearly turned on the glass; the AS608 and ZKFinger drivers (and the scripted
``sim:fingerprint``) run the same check on the image they receive, so one scripted print
ends in the same retry outcome on every device. This is a cheap gate (block statistics
and image moments, ~1 ms), not a quality score: NFIQ-style quality lives in
:mod:`idcapture.biometrics.finger`.

Thresholds are plain numbers in :class:`AcceptanceLimits`; a driver reads overrides
from its address options (``min_area``, ``max_tilt``, ``accept=off``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ..address import Address
from ..devices.options import Option
from ..errors import RetryOutcome, RetryReason

__all__ = ["ACCEPTANCE_OPTIONS", "AcceptanceLimits", "ImageMeasures", "assess",
           "limits_from_address", "measure"]

BLOCK = 16


@dataclass(frozen=True)
class AcceptanceLimits:
    """When a finger image is refused. Grey levels are 0 (black) - 255 (white)."""

    #: a block is finger when its grey-level standard deviation reaches this
    block_std: float = 14.0
    #: ... or its mean is this much darker than the sensor background
    block_darker: float = 45.0
    #: below this share of finger blocks the sensor is taken as empty
    min_presence: float = 0.04
    #: below this share the print is partial (AREA_TOO_SMALL)
    min_area: float = 0.30
    #: mean grey of the finger area below which the print is too dark (wet)
    min_mean: float = 100.0
    #: ridge/valley contrast (grey levels, 90th - 10th percentile of the finger area)
    #: below which the ridges are not told apart: too light when the finger area is
    #: brighter than ``light_mean`` (dry), smudged otherwise
    min_contrast: float = 75.0
    light_mean: float = 170.0
    #: a finger area this bright is too light unless its contrast reaches ``pale_contrast``
    pale_mean: float = 200.0
    pale_contrast: float = 100.0
    #: a print whose finger area is smaller than ``partial_area`` and whose centre lies
    #: further than this from the window centre (as a share of the window) is partial
    max_offset: float = 0.13
    partial_area: float = 0.55
    #: largest tilt of the finger's long axis from vertical (degrees) when its outline
    #: is visible; 0 turns the check off
    max_tilt: float = 35.0
    #: the outline counts as visible when the finger covers less than this share
    outline_visible_below: float = 0.85
    #: ... and the finger area is at least this elongated (long / short axis)
    min_elongation: float = 1.12


@dataclass(frozen=True)
class ImageMeasures:
    """What :func:`measure` found."""

    area: float
    mean: float
    contrast: float
    tilt_deg: float
    elongation: float
    offset: float = 0.0

    def as_details(self) -> dict[str, float]:
        return {"area": round(self.area, 4), "mean_grey": round(self.mean, 2),
                "contrast": round(self.contrast, 2), "tilt_deg": round(self.tilt_deg, 2),
                "elongation": round(self.elongation, 3), "offset": round(self.offset, 3)}


def _blocks(image: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float64],
                                                   npt.NDArray[np.float64]]:
    h, w = image.shape
    bh, bw = h // BLOCK, w // BLOCK
    v = image[:bh * BLOCK, :bw * BLOCK].astype(np.float64)
    v = v.reshape(bh, BLOCK, bw, BLOCK).swapaxes(1, 2).reshape(bh, bw, BLOCK * BLOCK)
    return v.mean(axis=2), v.std(axis=2)


def measure(image: npt.NDArray[np.uint8], limits: AcceptanceLimits | None = None
            ) -> ImageMeasures:
    """Finger area share, mean grey and contrast of the finger area, tilt and elongation."""
    lim = limits or AcceptanceLimits()
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("expected a 2-D uint8 finger image")
    if min(image.shape) < BLOCK:
        raise ValueError(f"finger image {image.shape[1]}x{image.shape[0]} is smaller than "
                         f"one {BLOCK}x{BLOCK} block")
    means, stds = _blocks(image)
    background = float(np.percentile(means, 95))
    fg = (stds >= lim.block_std) | (means <= background - lim.block_darker)
    area = float(fg.mean())
    if not fg.any():
        return ImageMeasures(area, float(image.mean()), 0.0, 0.0, 1.0)
    pix = np.repeat(np.repeat(fg, BLOCK, axis=0), BLOCK, axis=1)
    vals = image[:pix.shape[0], :pix.shape[1]][pix]
    lo, hi = np.percentile(vals, [10, 90])
    ys, xs = np.nonzero(fg)
    cx, cy = xs.mean(), ys.mean()
    mxx = float(((xs - cx) ** 2).mean()) + 1 / 12
    myy = float(((ys - cy) ** 2).mean()) + 1 / 12
    mxy = float(((xs - cx) * (ys - cy)).mean())
    # long-axis angle from vertical, in (-90, 90]
    angle = 0.5 * math.degrees(math.atan2(2 * mxy, myy - mxx))
    root = math.sqrt(((mxx - myy) / 2) ** 2 + mxy ** 2)
    l1, l2 = (mxx + myy) / 2 + root, (mxx + myy) / 2 - root
    elongation = math.sqrt(l1 / l2) if l2 > 0 else float("inf")
    bh, bw = fg.shape
    offset = math.hypot((cx - (bw - 1) / 2) / bw, (cy - (bh - 1) / 2) / bh)
    return ImageMeasures(area, float(vals.mean()), float(hi - lo), abs(angle), elongation,
                         offset)


def assess(image: npt.NDArray[np.uint8], limits: AcceptanceLimits | None = None
           ) -> RetryOutcome | None:
    """``None`` when the image is acceptable, else the retry outcome to report."""
    lim = limits or AcceptanceLimits()
    m = measure(image, lim)
    d = m.as_details()
    if m.area < lim.min_presence:
        return RetryOutcome(RetryReason.NO_FINGER, "no finger on the sensor", d)
    if m.mean < lim.min_mean:
        return RetryOutcome(RetryReason.TOO_DARK, "print too dark: dry the finger or press "
                            "more lightly", d)
    pale = m.mean >= lim.pale_mean and m.contrast < lim.pale_contrast
    if pale or m.contrast < lim.min_contrast:
        if pale or m.mean >= lim.light_mean:
            return RetryOutcome(RetryReason.TOO_LIGHT, "print too light: moisten the finger "
                                "or press a little harder", d)
        return RetryOutcome(RetryReason.SMUDGED, "ridges are blurred: clean the finger and "
                            "the sensor", d)
    if m.area < lim.min_area or (m.area < lim.partial_area and m.offset > lim.max_offset):
        return RetryOutcome(RetryReason.AREA_TOO_SMALL, "only part of the finger touched the "
                            "sensor: place it flat in the middle", d)
    if (lim.max_tilt > 0 and m.area < lim.outline_visible_below
            and m.elongation >= lim.min_elongation and m.tilt_deg > lim.max_tilt):
        return RetryOutcome(RetryReason.ROTATED, "finger turned on the sensor: place it "
                            "straight, pointing up", d)
    return None


#: the address options of :func:`limits_from_address`, for the drivers that apply it
ACCEPTANCE_OPTIONS: tuple[Option, ...] = (
    Option("accept", "bool", True, "refuse an impression that is too small or tilted"),
    Option("min_area", "float", AcceptanceLimits().min_area,
           "smallest share of the image the finger must cover"),
    Option("max_tilt", "float", AcceptanceLimits().max_tilt,
           "largest tilt of the finger from upright, degrees"),
)


def limits_from_address(address: Address) -> AcceptanceLimits | None:
    """Limits with the address's overrides; ``None`` when ``accept=off`` disables the check."""
    if not address.bool_option("accept", True):
        return None
    lim = AcceptanceLimits()
    return replace(lim, min_area=address.float_option("min_area", lim.min_area),
                   max_tilt=address.float_option("max_tilt", lim.max_tilt))
