"""The guidance overlay drawn on preview frames, server-side, from the library's guidance.

:func:`draw_overlay` draws the profile's framing box (the head ellipse, the eye band and
the centre line) on a copy of a BGR frame, coloured by the state of the live capture:
amber while guiding, green once every measure passes, blue after the capture. Text is
not drawn (OpenCV has no CJK glyphs); the page shows the instruction beside the image.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..biometrics.face import FramingBox

__all__ = ["COLOURS", "draw_overlay"]

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
