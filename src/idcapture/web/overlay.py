"""The guidance overlay drawn on preview frames, server-side, from the library's guidance.

:func:`draw_overlay` draws the profile's framing box (the head ellipse, the eye band and
the centre line) on a copy of a BGR frame, coloured by the state of the live capture:
amber while guiding, green once every measure passes, blue after the capture. Text is
not drawn (OpenCV has no CJK glyphs); the page shows the instruction beside the image.

:func:`draw_refused_impression` shows a finger image the quality gate refused with the
region that made it fail (left empty or smeared) shaded, so the operator sees what to
correct.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..biometrics.face import FramingBox
from ..biometrics.finger import FingerAnalysis

__all__ = ["COLOURS", "PROBLEM_COLOUR", "draw_overlay", "draw_refused_impression",
           "problem_blocks"]

#: BGR colours by overlay state
COLOURS: dict[str, tuple[int, int, int]] = {
    "guiding": (0, 170, 255),
    "steadying": (60, 200, 60),
    "burst": (60, 200, 60),
    "done": (230, 140, 30),
    "idle": (200, 200, 200),
}


def draw_overlay(frame: np.ndarray, box: FramingBox | None, state: str = "idle",
                 face: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """A copy of ``frame`` with the framing box (and the detected face box) drawn on it.

    ``face`` is ``(x, y, width, height)`` of the detected face in frame pixels.
    """
    out: np.ndarray = np.array(frame, copy=True)
    colour = COLOURS.get(state, COLOURS["idle"])
    if box is not None:
        x0, y0 = round(box.x), round(box.y)
        x1, y1 = round(box.x + box.width), round(box.y + box.height)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 2, cv2.LINE_AA)
        cx, cy, rx, ry = box.face_ellipse
        cv2.ellipse(out, (round(cx), round(cy)), (round(rx), round(ry)), 0, 0, 360, colour, 2,
                    cv2.LINE_AA)
        top, bottom = box.eye_band
        for yy in (top, bottom):
            cv2.line(out, (x0, round(yy)), (x1, round(yy)), colour, 1, cv2.LINE_AA)
        cv2.line(out, (round(box.centre_x), y0), (round(box.centre_x), y1), colour, 1,
                 cv2.LINE_AA)
    if face is not None:
        fx, fy, fw, fh = (round(v) for v in face)
        cv2.rectangle(out, (fx, fy), (fx + fw, fy + fh), (255, 255, 255), 1, cv2.LINE_AA)
    return out


#: BGR colour of the problem region on a refused impression
PROBLEM_COLOUR = (40, 40, 230)
#: block coherence under which ridges are taken as smeared or missing
SMEAR_COHERENCE = 0.35


#: fewest blocks a marked region has (a lone block is the core, a delta or noise)
MIN_REGION_BLOCKS = 4


def problem_blocks(analysis: FingerAnalysis) -> np.ndarray:
    """The blocks of a refused impression to show the operator, as a boolean block map:
    inside the finger's outline (its convex hull, less the rim), the regions of at least
    :data:`MIN_REGION_BLOCKS` blocks with no usable ridges (left empty, or smeared:
    ridge coherence under :data:`SMEAR_COHERENCE`)."""
    finger = analysis.finger_mask.astype(np.uint8)
    if not finger.any():
        return np.zeros(finger.shape, bool)
    filled = np.zeros(finger.shape, np.uint8)
    contours, _ = cv2.findContours(finger, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(filled, [cv2.convexHull(np.vstack(contours))], -1, 1, cv2.FILLED)
    inside = cv2.erode(filled, np.ones((3, 3), np.uint8)).astype(bool)
    weak = analysis.orientation.coherence < SMEAR_COHERENCE
    marked = (inside & (~analysis.mask.astype(bool) | weak)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(marked, connectivity=4)
    keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= MIN_REGION_BLOCKS]
    out: np.ndarray = np.isin(labels, keep)
    return out


def draw_refused_impression(image: np.ndarray, ppi: int = 500) -> tuple[np.ndarray, float]:
    """A BGR picture of a refused finger image with its problem region shaded and
    outlined (see :func:`problem_blocks`); returns it with the share of the finger's
    area that is marked (0 when nothing could be marked)."""
    from ..biometrics.finger import analyse

    an = analyse(image, ppi)
    work = np.clip(an.work.pixels, 0, 255).astype(np.uint8)
    picture = cv2.cvtColor(work, cv2.COLOR_GRAY2BGR)
    blocks = problem_blocks(an)
    if not blocks.any():
        return picture, 0.0
    b = an.block
    h, w = work.shape
    region = cv2.resize(blocks.astype(np.uint8), (blocks.shape[1] * b, blocks.shape[0] * b),
                        interpolation=cv2.INTER_NEAREST)[:h, :w]
    region = np.pad(region, ((0, h - region.shape[0]), (0, w - region.shape[1])))
    tint = picture.copy()
    tint[region.astype(bool)] = PROBLEM_COLOUR
    picture = cv2.addWeighted(picture, 0.55, tint, 0.45, 0)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(picture, contours, -1, PROBLEM_COLOUR, 2)
    share = float(blocks.sum()) / max(float((blocks | an.finger_mask.astype(bool)).sum()), 1.0)
    return picture, share
