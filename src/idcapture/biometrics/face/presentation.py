"""Passive presentation-attack cues: what a live frame shows without asking the person
to do anything (ISO/IEC 30107-1 calls these presentation attack instruments: a printed
photo, a screen).

``screen_pattern``: a phone or monitor filmed by a camera shows a fine periodic pattern
over the face (moire, the beat between the screen's pixel grid and the sensor's). Skin,
hair and eyes have broadband texture. The cue is the strongest single frequency of the
face's high-pass texture against the mean power at the same frequency radius (texture
falls off with frequency): a narrow peak many times its ring's level is a screen.
Frequencies on or next to the axes (a pattern purely along rows or columns) are left
out: the camera's own grids (JPEG blocks of an MJPEG stream, scaling, row noise) put
peaks there, so a screen whose pattern happens to lie along an axis is not seen. It
reads the face's centre square (1.6 inter-eye distances across, eyes to mouth) at the
frame's own resolution, at most 128x128 pixels.

``specular_glare``: a glossy print or a phone's glass held up under a lamp or a window
reflects it as one broad patch of white light over the face, clipped in every channel:
a flat surface mirrors the whole lamp at once, on a face otherwise within range. On a
live face the highlights of skin and of glasses are small spots (a curved surface
mirrors the lamp in a point), and a face lit too brightly clips in several places at
once (forehead, cheeks, nose). The score is the area of the largest clipped patch over
the face's middle, in IED squared, when it stands alone.

``face_geometry``: under a head turn the base of the nose moves along the eye line against
the eyes (it stands in front of them); on a flat picture turned the same way it does
not, since the nose's place along the eye line, as a share of the eye distance, is kept
by any affine map of a plane (see :mod:`.liveness`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .frames import Image
from .landmarks import Landmarks

__all__ = ["GLARE_AREA_LIMIT", "SCREEN_PATTERN_LIMIT", "Glare", "face_geometry",
           "screen_pattern", "specular_glare"]

#: Score above which a frame shows a screen pattern. Bona fide faces: London Set photos
#: placed in 640x480 frames median 8.8, max 16.5 (20.1 after JPEG q80); the simulator's
#: enlarged demo face median 16-19, max 29. The simulated phone replaying a video: median
#: 46, min 40 (``benchmarks/bench_face_liveness.py``). The live loop judges the median
#: over frames.
SCREEN_PATTERN_LIMIT = 35.0
#: Glare score (IED squared) above which a frame shows a reflection on a flat shiny
#: surface. The simulator's glossy print and screen glare: frame scores 0.23-0.47; its
#: glasses: 0; the 204 London Set photos: at most 0.001, and at most 0.19 when
#: over-exposed by a gain of 1.3 or 1.5 (set with those in view, so in-sample;
#: ``benchmarks/bench_face_liveness.py`` prints all of these). The live loop judges the
#: median over frames.
GLARE_AREA_LIMIT = 0.2
#: Clipped area elsewhere on the face, as a share of the largest patch, up to which that
#: patch counts as a reflection standing alone (:attr:`Glare.score`).
GLARE_ISOLATION = 0.1
#: Level from which a pixel counts as clipped by a highlight (in every channel).
GLARE_LEVEL = 250
#: Frequencies (cycles per pixel) below this are lighting and face shape, not texture.
_LOW_CUT = 0.08
_plans: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}


def _plan(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Window, band mask, radius bin of each band frequency and the number of bins."""
    if n not in _plans:
        h = np.hanning(n).astype(np.float32)
        radius = np.hypot(np.fft.rfftfreq(n)[None, :], np.fft.fftfreq(n)[:, None])
        fx = np.broadcast_to(np.fft.rfftfreq(n)[None, :], radius.shape)
        fy = np.broadcast_to(np.fft.fftfreq(n)[:, None], radius.shape)
        # the axes carry the sensor's and the codec's own grids (JPEG blocks, resampling,
        # row noise): not counted
        band = (radius >= _LOW_CUT) & (np.abs(fx) * n > 2.5) & (np.abs(fy) * n > 2.5)
        bins = np.minimum((radius[band] * n).astype(np.intp), n)
        _plans[n] = (np.outer(h, h), band, bins, n + 1)
    return _plans[n]


def screen_pattern(gray: Image, landmarks: Landmarks) -> float:
    """The screen-pattern score of the face in ``gray`` (uint8): the largest power of
    its high-pass spectrum over the mean power at the same frequency radius. ``nan``
    when the face's centre square is outside the frame or smaller than 24 pixels."""
    ied = landmarks.inter_eye_distance
    n = int(min(1.6 * ied, 128)) & ~1
    if n < 24:
        return math.nan
    mx, my = landmarks.eye_midpoint
    nx, ny = landmarks.nose
    cx, cy = (mx + nx) / 2.0, (my + ny) / 2.0 + 0.15 * ied
    x0, y0 = round(cx - n / 2), round(cy - n / 2)
    h, w = gray.shape[:2]
    if x0 < 0 or y0 < 0 or x0 + n > w or y0 + n > h:
        return math.nan
    patch = gray[y0:y0 + n, x0:x0 + n].astype(np.float32)
    patch = patch - cv2.GaussianBlur(patch, (0, 0), 2.0)
    win, band, bins, nbins = _plan(n)
    power = (np.abs(np.fft.rfft2(patch * win)) ** 2)[band]
    # natural texture falls off with frequency: compare each frequency with the mean
    # power at its own radius, so that only a narrow peak stands out
    level = np.bincount(bins, power, nbins) / np.maximum(np.bincount(bins, None, nbins), 1)
    ref = level[bins]
    if float(ref.mean()) <= 1e-9:
        return math.nan
    return float((power / np.maximum(ref, 1e-9)).max())


@dataclass(frozen=True)
class Glare:
    """Clipped highlights over the face's middle, in inter-eye distances squared: the
    ``largest`` connected patch and the ``others`` together."""

    largest: float
    others: float = 0.0

    @property
    def score(self) -> float:
        """The largest patch's area when it stands alone (the rest of the face clipped
        over at most :data:`GLARE_ISOLATION` of its area), else 0: one broad reflection
        on a face otherwise within range, not a face lit too brightly all over."""
        return self.largest if self.others <= GLARE_ISOLATION * self.largest else 0.0


def specular_glare(image: Image, landmarks: Landmarks) -> Glare | None:
    """The :class:`Glare` of the face in ``image`` (BGR, or grey): pixels clipped in
    every channel (level :data:`GLARE_LEVEL` or more) in the face's middle, 2 IED wide,
    from half an IED above the eye line to 1.5 IED below it. None when that region is
    mostly outside the frame."""
    ied = landmarks.inter_eye_distance
    if ied < 8:
        return None
    mx, my = landmarks.eye_midpoint
    h, w = image.shape[:2]
    x0, x1 = max(0, round(mx - ied)), min(w, round(mx + ied))
    y0, y1 = max(0, round(my - 0.5 * ied)), min(h, round(my + 1.5 * ied))
    if (x1 - x0) * (y1 - y0) < 2.0 * ied * ied:
        return None
    region = image[y0:y1, x0:x1]
    top = (255,) * (region.shape[2] if region.ndim == 3 else 1)
    clipped = cv2.inRange(region, (GLARE_LEVEL,) * len(top), top)
    if not cv2.countNonZero(clipped):
        return Glare(0.0)
    _, _, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64) / (ied * ied)
    return Glare(float(areas.max()), float(areas.sum() - areas.max()))


def face_geometry(landmarks: Landmarks) -> tuple[float, float]:
    """``(shift, shape)`` of a face: the nose's place along the eye line from the eye
    midpoint, in inter-eye distances, and the eye distance over the eyes-to-nose drop
    (``nan`` when the nose is not below the eyes). A turn changes both on a real head,
    only ``shape`` on a flat picture."""
    u, down = landmarks.axes()
    ied = max(landmarks.inter_eye_distance, 1e-6)
    rel = np.array(landmarks.nose) - np.array(landmarks.eye_midpoint)
    shift = float(np.dot(rel, u)) / ied
    drop = float(np.dot(rel, down))
    return shift, (ied / drop if drop > 1e-6 else math.nan)
