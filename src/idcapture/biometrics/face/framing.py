"""Framing: where the face should be in a camera frame, and the portrait crop.

:func:`framing_box` gives the box to draw on the preview for a profile (the region of the
frame that becomes the portrait when the face sits at its target size and place).
:func:`portrait_crop` gives the exact rectangle the portrait step will cut from a frame
for a given set of landmarks, or a :class:`~idcapture.errors.RetryOutcome` saying why
the frame cannot give that profile's portrait.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import RetryOutcome, RetryReason
from .frames import FaceInputError
from .landmarks import Landmarks
from .profiles import (
    CHIN_PER_IED,
    CROWN_PER_IED,
    FACE_WIDTH_PER_IED,
    FACE_WIDTH_PER_IED_RANGE,
    Profile,
)

__all__ = ["CropRect", "FramingBox", "framing_box", "portrait_crop"]


@dataclass(frozen=True)
class FramingBox:
    """The framing box in frame pixels, with the targets to draw inside it.

    ``eye_line_y`` and ``centre_x`` are where the eye midpoint should be; ``target_ied``
    the inter-eye distance that gives the profile's face width; ``face_ellipse`` is
    ``(cx, cy, rx, ry)`` of an ellipse from crown to chin (a head outline to draw);
    ``eye_band`` is the allowed eye line (top, bottom) and ``frame_px_per_output_px`` the
    scale from the portrait to the frame at the target size.
    """

    x: float
    y: float
    width: float
    height: float
    centre_x: float
    eye_line_y: float
    eye_band: tuple[float, float]
    target_ied: float
    face_ellipse: tuple[float, float, float, float]
    frame_px_per_output_px: float

    def as_dict(self) -> dict[str, float | list[float]]:
        """Plain numbers for a UI (all in frame pixels)."""
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height,
                "centre_x": self.centre_x, "eye_line_y": self.eye_line_y,
                "eye_band": list(self.eye_band), "target_ied": self.target_ied,
                "face_ellipse": list(self.face_ellipse),
                "frame_px_per_output_px": self.frame_px_per_output_px}


def framing_box(profile: Profile, frame_size: tuple[int, int], fill: float = 0.92) -> FramingBox:
    """The framing box for ``profile`` in a frame of ``frame_size`` = (width, height).

    The box has the profile's aspect ratio, is centred, and takes ``fill`` of the frame's
    limiting dimension (the margin leaves room for the position tolerance).
    """
    fw, fh = frame_size
    if fw <= 0 or fh <= 0 or not 0.2 <= fill <= 1.0:
        raise FaceInputError(f"bad frame size {frame_size} or fill {fill}")
    aspect = profile.aspect
    bh = fill * min(fh, fw / aspect)
    bw = bh * aspect
    x = (fw - bw) / 2.0
    y = (fh - bh) / 2.0
    s = bw / profile.width_px
    ied = profile.target_ied_px * s
    eye_y = y + profile.eye_line_px * s
    lo, hi = profile.eye_line_window_px
    cy = eye_y + (CHIN_PER_IED - CROWN_PER_IED) / 2.0 * ied
    ry = (CHIN_PER_IED + CROWN_PER_IED) / 2.0 * ied
    rx = FACE_WIDTH_PER_IED / 2.0 * ied * 1.15
    return FramingBox(x, y, bw, bh, x + bw / 2.0, eye_y, (y + lo * s, y + hi * s), ied,
                      (x + bw / 2.0, cy, rx, ry), s)


@dataclass(frozen=True)
class CropRect:
    """A crop in frame pixels and the scale from frame to portrait (``scale`` < 1 shrinks)."""

    x: float
    y: float
    width: float
    height: float
    scale: float

    @property
    def upscale(self) -> float:
        return self.scale


def portrait_crop(landmarks: Landmarks, profile: Profile,
                  frame_size: tuple[int, int]) -> CropRect | RetryOutcome:
    """The rectangle to cut so the portrait meets ``profile``, or why it cannot be cut.

    The crop puts the eye midpoint on the profile's eye line, horizontally centred, with
    the face at its target width: the face width per IED (:attr:`Landmarks.face_width`,
    kept within :data:`~.profiles.FACE_WIDTH_PER_IED_RANGE`) sets the output IED. Where the
    target width would need more than ``max_upscale``, the face is made as large as
    that limit allows, if that still reaches the window. When the rectangle leaves the
    frame, the crop is shrunk (a larger face) or shifted as far as the profile's windows
    allow.
    """
    fw, fh = frame_size
    ied = landmarks.inter_eye_distance
    if ied <= 1.0:
        return RetryOutcome(RetryReason.NO_FACE, "no usable eyes")
    mx, my = landmarks.eye_midpoint
    pw, ph = profile.width_px, profile.height_px
    lo_r, hi_r = FACE_WIDTH_PER_IED_RANGE
    ratio = min(max(landmarks.face_width / ied, lo_r), hi_r)
    lo_w, hi_w = profile.face_width_window_px
    s = ied * ratio / profile.face_width_px    # frame px per output px
    fit = min(fw / pw, fh / ph)
    if s > fit:                                # the crop would be larger than the frame
        face_out = ratio * ied / fit
        if face_out > hi_w:
            return RetryOutcome(RetryReason.MOVE_BACK, "face too large for the frame",
                                {"face_width_px": face_out})
        s = fit
    if 1.0 / s > profile.max_upscale + 1e-9:
        # at the enlargement limit the face may still be wide enough for the window
        face_out = ratio * ied * profile.max_upscale
        if face_out < lo_w - 1e-9:
            return RetryOutcome(RetryReason.MOVE_CLOSER,
                                f"portrait would need {1.0 / s:.2f}x enlargement "
                                f"(limit {profile.max_upscale:.2f}x)", {"upscale": 1.0 / s})
        s = 1.0 / profile.max_upscale
    upscale = 1.0 / s
    cw, ch = pw * s, ph * s
    x = mx - pw / 2.0 * s
    y = my - profile.eye_line_px * s
    nx = min(max(x, 0.0), fw - cw)
    ny = min(max(y, 0.0), fh - ch)
    # after shifting, the face must still be centred and the eye line in its window
    dx_out = (nx - x) / s
    eye_out = (my - ny) / s
    if abs(dx_out) > 0.05 * pw:
        reason = RetryReason.MOVE_LEFT if nx > x else RetryReason.MOVE_RIGHT
        return RetryOutcome(reason, "face too close to the frame edge",
                            {"offset_px": dx_out})
    lo, hi = profile.eye_line_window_px
    if not lo <= eye_out <= hi:
        reason = RetryReason.MOVE_DOWN if eye_out < lo else RetryReason.MOVE_UP
        return RetryOutcome(reason, "eye line outside the profile window",
                            {"eye_line_px": eye_out})
    return CropRect(nx, ny, cw, ch, upscale)
