"""Master fingerprints: the clean ridge pattern of one synthetic finger and its minutiae.

A master is built in the SFinGe order: fingertip silhouette, class-typical singular
points, orientation model with a smooth perturbation, ridge-period map, iterative Gabor
growth from random seeds, then a clean binary pattern whose minutiae are the ground truth.
Impressions (:mod:`.impression`) are rendered from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from ...errors import ConfigError
from .gabor import grow_ridges
from .minutiae import TruthMinutia, clean_binary, extract_minutiae
from .orientation import (
    CLASS_FREQUENCIES,
    FingerClass,
    SingularPoints,
    finger_mask,
    orientation_field,
    period_map,
    place_singular_points,
)

__all__ = ["DEFAULT_SIZE", "MasterPrint", "generate_master", "pick_class",
           "signed_ridge_distance"]

#: default master size ``(height, width)`` in pixels: a thumb at 500 ppi
DEFAULT_SIZE = (500, 400)

#: ridge period range in millimetres (8.5-10.5 px at 500 ppi)
PERIOD_MM = (0.43, 0.53)

#: seeds of the growth per 10,000 px of finger area
SEED_DENSITY = 10.0

#: minutiae closer than this many ridge periods to the finger edge are not ground truth
BORDER_PERIODS = 1.5


@dataclass(frozen=True, eq=False)
class MasterPrint:
    """One synthetic finger.

    Attributes:
        seed: the seed it was generated from (the same seed gives the same master).
        finger_class: its pattern class.
        ppi: resolution in pixels per inch.
        ridges: float32 ``(h, w)`` in ``[0, 1]``, 1 on ridge centres, 0 in valleys and
            outside the finger.
        ridge_distance: float32 ``(h, w)`` signed distance in pixels to the ridge edge,
            positive inside ridges; impressions threshold it to make ridges thicker or
            thinner.
        mask: bool ``(h, w)``, the fingertip area.
        orientation: float32 ``(h, w)`` ridge orientation in ``[0, pi)`` radians,
            counter-clockwise as seen on screen.
        period: float32 ``(h, w)`` local ridge period in pixels.
        singular_points: cores and deltas in pixels.
        minutiae: ground-truth minutiae, sorted by ``y`` then ``x``.
        edge_distance: float32 ``(h, w)`` distance in pixels to the finger edge (0 outside).
        mean_period: mean ridge period over the finger, in pixels.
    """

    seed: int
    finger_class: FingerClass
    ppi: int
    ridges: npt.NDArray[np.float32] = field(repr=False)
    ridge_distance: npt.NDArray[np.float32] = field(repr=False)
    mask: npt.NDArray[np.bool_] = field(repr=False)
    orientation: npt.NDArray[np.float32] = field(repr=False)
    period: npt.NDArray[np.float32] = field(repr=False)
    singular_points: SingularPoints
    minutiae: tuple[TruthMinutia, ...]
    edge_distance: npt.NDArray[np.float32] = field(repr=False)
    mean_period: float

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` in pixels."""
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    def image(self) -> npt.NDArray[np.uint8]:
        """The clean master as uint8 greyscale: black ridges on white."""
        return np.round(255.0 * (1.0 - self.ridges)).astype(np.uint8)


def signed_ridge_distance(binary: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    """Signed Euclidean distance to the ridge/valley boundary, positive on ridges."""
    ridge = binary.astype(np.uint8)
    d_in = cv2.distanceTransform(ridge, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    d_out = cv2.distanceTransform(1 - ridge, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.where(binary, d_in - 0.5, 0.5 - d_out).astype(np.float32)


def pick_class(rng: np.random.Generator) -> FingerClass:
    """A pattern class drawn with the natural frequencies (:data:`CLASS_FREQUENCIES`)."""
    classes = list(CLASS_FREQUENCIES)
    probs = np.array([CLASS_FREQUENCIES[c] for c in classes], np.float64)
    return classes[int(rng.choice(len(classes), p=probs / probs.sum()))]


def generate_master(seed: int, finger_class: FingerClass | str | None = None,
                    size: tuple[int, int] = DEFAULT_SIZE, ppi: int = 500,
                    finger_size: tuple[int, int] | None = None,
                    period: float | None = None,
                    seed_density: float = SEED_DENSITY) -> MasterPrint:
    """Generate one master print.

    Args:
        seed: any non-negative integer; the same arguments give a byte-identical master.
        finger_class: a :class:`FingerClass` (or its value); ``None`` draws one with the
            natural class frequencies.
        size: ``(height, width)`` of the image in pixels.
        ppi: resolution; ridge periods and finger size scale with it.
        finger_size: ``(height, width)`` of the fingertip in pixels; default about 90 % of
            the height and 82 % of the width of the image (a thumb on a 400 x 500 sensor).
        period: mean ridge period in pixels; default drawn from 0.43-0.53 mm.
        seed_density: growth seeds per 10,000 px of finger; more seeds, more minutiae.

    Raises:
        ConfigError: a size, resolution, period or class is out of range.
    """
    if seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}")
    h, w = (int(size[0]), int(size[1]))
    if not (64 <= h <= 4000 and 64 <= w <= 4000):
        raise ConfigError(f"master size must be 64-4000 px per side, got {h}x{w}")
    if not 200 <= ppi <= 2000:
        raise ConfigError(f"ppi must be 200-2000, got {ppi}")
    if finger_class is not None and not isinstance(finger_class, FingerClass):
        try:
            finger_class = FingerClass(str(finger_class))
        except ValueError:
            names = ", ".join(c.value for c in FingerClass)
            raise ConfigError(f"unknown finger class {finger_class!r} (one of {names})"
                              ) from None
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5F1]))
    fc = finger_class if finger_class is not None else pick_class(rng)
    if finger_size is None:
        fsize = (0.9 * h, 0.82 * w)
    else:
        fsize = (float(finger_size[0]), float(finger_size[1]))
        if not (16 <= fsize[0] <= 1.2 * h and 16 <= fsize[1] <= 1.2 * w):
            raise ConfigError(f"finger size {fsize[0]:.0f}x{fsize[1]:.0f} does not fit a "
                              f"{h}x{w} image")
    px_per_mm = ppi / 25.4
    mean_period = (float(period) if period is not None
                   else float(rng.uniform(*PERIOD_MM)) * px_per_mm)
    if not 3.0 <= mean_period <= 0.25 * min(h, w):
        raise ConfigError(f"ridge period {mean_period:.1f} px is out of range")

    mask = finger_mask((h, w), fsize, rng)
    points = place_singular_points(fc, (h, w), mask, rng)
    orientation = orientation_field((h, w), fc, points, mask, rng)
    periods = period_map((h, w), mean_period, rng)
    seeds = max(1, round(seed_density * mask.sum() / 10_000.0))
    grown = grow_ridges(orientation, periods, mask, rng, seeds=seeds)

    binary = (cv2.GaussianBlur(grown, (0, 0), 1.0) > 0) & mask
    binary = clean_binary(binary, mean_period)
    distance = signed_ridge_distance(binary)
    inside = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2,
                                   cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    valid = inside >= BORDER_PERIODS * mean_period
    minutiae = extract_minutiae(binary, orientation, valid, mean_period)
    ridges = np.clip(0.5 + distance / 1.5, 0.0, 1.0).astype(np.float32)
    ridges[~mask] = 0.0
    return MasterPrint(seed=int(seed), finger_class=fc, ppi=int(ppi), ridges=ridges,
                       ridge_distance=distance, mask=mask, orientation=orientation,
                       period=periods, singular_points=points, minutiae=minutiae,
                       edge_distance=np.asarray(inside, np.float32),
                       mean_period=float(periods[mask].mean()))

