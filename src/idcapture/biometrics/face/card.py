"""The ID card's chip photo: its known face geometry, and card-like test photos.

The decoded chip photo is 102x126 px, cut from a GA 461 photo (358x441, face width 207
px, eye line 223 px from the top) and reduced: the eyes sit about 63.5 px from the top,
centred, about 26 px apart. :func:`card_prior_landmarks` uses that geometry when no
face is detected in a card photo: the 5-point model is fitted inside the box where the
face must be, and the fit is kept only if its eyes land near where GA 461 puts them.
:func:`card_photo_like` makes a card-like photo out of any portrait (for evaluation).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .detection import FaceBox
from .frames import FaceInputError, Image, check_bgr, to_gray
from .landmarks import Landmarks, find_landmarks
from .profiles import FACE_WIDTH_PER_IED, get_profile

__all__ = [
    "CARD_SIZE",
    "card_eyes",
    "card_photo_like",
    "card_prior_landmarks",
    "is_card_shaped",
    "warp_face",
]

#: Width and height of the decoded chip photo.
CARD_SIZE = (102, 126)


def card_eyes(size: tuple[int, int] = CARD_SIZE) -> tuple[tuple[float, float], float]:
    """Eye midpoint and IED where GA 461 puts them, in an image of ``size`` (w, h)."""
    p = get_profile("ga461-358x441")
    k = size[0] / p.width_px
    return ((size[0] / 2.0, p.eye_line_px * size[1] / p.height_px),
            p.face_width_px / FACE_WIDTH_PER_IED * k)


def is_card_shaped(image: Image) -> bool:
    """True for an image with the chip photo's proportions (102:126, within 4 %) and at
    most 4x its size: the GA 461 geometry can be assumed for it."""
    h, w = image.shape[:2]
    return bool(abs((w / h) / (CARD_SIZE[0] / CARD_SIZE[1]) - 1.0) <= 0.04
                and w <= 4 * CARD_SIZE[0])


def card_prior_landmarks(image: Image) -> Landmarks | None:
    """Landmarks for a card-shaped photo in which detection found no face.

    The 5-point model is fitted in the face box GA 461 implies (IED x 2.3 wide, the eyes
    at 40 % of its height); the result is kept if the fitted eyes are within 0.35 IED of
    the expected midpoint, the IED within 30 % of the expected one, the eye line within
    12 degrees of level, and the box looks like a face at all (grey-level spread of at
    least 10, both eyes darker by 5 or more than the skin between them and below them:
    a blank or flat card photo gives no face). Returns None otherwise (or for an image
    not card-shaped).
    """
    if not is_card_shaped(image):
        return None
    h, w = image.shape[:2]
    (mx, my), ied = card_eyes((w, h))
    side = 2.3 * ied
    box = FaceBox(mx - side / 2.0, my - 0.4 * side, side, side)
    gray = to_gray(check_bgr(image, "card photo"))
    lm = find_landmarks(gray, box)
    fx, fy = lm.eye_midpoint
    if (math.hypot(fx - mx, fy - my) > 0.35 * ied
            or abs(lm.inter_eye_distance / ied - 1.0) > 0.3 or abs(lm.roll_deg) > 12.0):
        return None
    x0, y0 = max(0, int(box.x)), max(0, int(box.y))
    face = gray[y0:int(box.y + box.height), x0:int(box.x + box.width)].astype(np.float64)
    if face.size == 0 or face.std() < 10.0:
        return None
    r = max(1, round(0.2 * ied))

    def zone(x: float, y: float) -> float:
        z = gray[max(0, round(y) - r):round(y) + r + 1, max(0, round(x) - r):round(x) + r + 1]
        return float(z.mean()) if z.size else float("nan")

    _, down = lm.axes()
    cheeks = [zone(*(c + down * 0.6 * ied)) for c in lm.eye_centres]
    skin = float(np.mean([zone(fx, fy), *cheeks]))
    if not all(zone(ex, ey) <= skin - 5.0 for ex, ey in lm.eye_centres):
        return None
    return lm


def warp_face(image: Image, landmarks: Landmarks, size: tuple[int, int],
              eye_midpoint: tuple[float, float], ied: float) -> Image:
    """``image`` turned level, scaled and moved so that its eyes sit at ``eye_midpoint``
    with ``ied`` between them, in a ``size`` (w, h) image (area-averaged when reducing;
    the border repeats)."""
    image = check_bgr(image)
    if ied <= 0 or landmarks.inter_eye_distance <= 0:
        raise FaceInputError("inter-eye distances must be positive")
    k = ied / landmarks.inter_eye_distance
    if k < 0.5:   # reduce most of the way by area averaging, then warp
        f = 2.0 * k
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        landmarks = landmarks.translated(0.0, 0.0, f)
        k = ied / landmarks.inter_eye_distance
    mx, my = landmarks.eye_midpoint
    m = cv2.getRotationMatrix2D((mx, my), landmarks.roll_deg, k)
    m[0, 2] += eye_midpoint[0] - mx
    m[1, 2] += eye_midpoint[1] - my
    interp = cv2.INTER_AREA if k < 1.0 else cv2.INTER_CUBIC
    out: Image = cv2.warpAffine(image, m, size, flags=interp, borderMode=cv2.BORDER_REPLICATE)
    return out


def card_photo_like(image: Image, landmarks: Landmarks, quality: int = 40) -> Image:
    """A chip-photo stand-in made from ``image``: the face placed as GA 461 places it,
    at 102x126, JPEG-compressed at ``quality`` and decoded (the chip's own wavelet codec
    is not available)."""
    if not 1 <= quality <= 100:
        raise FaceInputError(f"JPEG quality must be 1-100, got {quality}")
    mid, ied = card_eyes()
    card = warp_face(image, landmarks, CARD_SIZE, mid, ied)
    ok, buf = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise FaceInputError("JPEG encoding failed")
    out: Image = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR))
    return out
