"""Frames made from a face photo, and degradations of known amount.

Used by the tests and benchmarks, and by camera simulators that need a plausible live
frame: :func:`place_face` scales and moves a photo so that its eyes land at a chosen
place and distance in a frame of a chosen size; the ``degrade_*`` functions each spoil
one property by a stated amount.
"""

from __future__ import annotations

import cv2
import numpy as np

from .frames import FaceInputError, Image, check_bgr
from .landmarks import Landmarks

__all__ = [
    "degrade_blur",
    "degrade_colour_cast",
    "degrade_exposure",
    "degrade_eyes_closing",
    "degrade_jpeg",
    "degrade_motion_blur",
    "degrade_mouth_opening",
    "degrade_noise",
    "degrade_rotation",
    "degrade_side_light",
    "place_face",
]


def place_face(photo: Image, eye_midpoint: tuple[float, float], ied: float,
               frame_size: tuple[int, int], target_midpoint: tuple[float, float],
               target_ied: float, fill: tuple[int, int, int] | None = None) -> Image:
    """A ``frame_size`` (w, h) frame in which the photo's eyes sit at ``target_midpoint``
    with ``target_ied`` between them. Areas outside the photo repeat its border (or take
    the ``fill`` BGR colour)."""
    photo = check_bgr(photo, "photo")
    if ied <= 0 or target_ied <= 0:
        raise FaceInputError("inter-eye distances must be positive")
    k = target_ied / ied
    tx = target_midpoint[0] - eye_midpoint[0] * k
    ty = target_midpoint[1] - eye_midpoint[1] * k
    m = np.array([[k, 0.0, tx], [0.0, k, ty]], dtype=np.float64)
    interp = cv2.INTER_AREA if k < 1.0 else cv2.INTER_LINEAR
    if k < 0.5:   # pre-shrink: warpAffine does not average like INTER_AREA
        small = cv2.resize(photo, None, fx=k * 2, fy=k * 2, interpolation=cv2.INTER_AREA)
        m[:, :2] = np.eye(2) * 0.5
        photo = small
    border = cv2.BORDER_REPLICATE if fill is None else cv2.BORDER_CONSTANT
    value = (0, 0, 0) if fill is None else fill
    return cv2.warpAffine(photo, m, frame_size, flags=interp, borderMode=border,
                          borderValue=value)


def degrade_blur(frame: Image, sigma: float) -> Image:
    """Gaussian blur of standard deviation ``sigma`` pixels (0 returns a copy)."""
    if sigma <= 0:
        return np.array(frame, copy=True)
    return cv2.GaussianBlur(frame, (0, 0), sigma)


def degrade_motion_blur(frame: Image, length: float, angle_deg: float = 0.0) -> Image:
    """A straight motion smear ``length`` pixels long at ``angle_deg`` (0 = horizontal,
    counter-clockwise); lengths below 1.5 px return a copy."""
    if length < 1.5:
        return np.array(frame, copy=True)
    n = int(np.ceil(length)) | 1
    kernel = np.zeros((n, n), np.float32)
    c = (n - 1) / 2.0
    half = (length - 1) / 2.0
    cv2.line(kernel, (round(c - half), n // 2), (round(c + half), n // 2), 1.0, 1)
    m = cv2.getRotationMatrix2D((c, c), angle_deg, 1.0)
    turned = np.asarray(cv2.warpAffine(kernel, m, (n, n), flags=cv2.INTER_LINEAR),
                        dtype=np.float32)
    total = max(float(turned.sum()), 1e-6)
    return cv2.filter2D(frame, -1, turned / np.float32(total),
                        borderType=cv2.BORDER_REPLICATE)


def degrade_exposure(frame: Image, gain: float) -> Image:
    """Multiply every pixel by ``gain`` (< 1 darkens, > 1 brightens and clips)."""
    lut = np.clip(np.arange(256) * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(frame, lut)


def degrade_side_light(frame: Image, strength: float, centre_x: float | None = None,
                       half_width: float | None = None) -> Image:
    """Darken the image's left side (the subject's right): the gain rises linearly from
    ``1 - strength`` at ``centre_x - half_width`` to 1 at ``centre_x + half_width``
    (defaults: the frame centre and a quarter of the frame width)."""
    _h, w = frame.shape[:2]
    cx = w / 2.0 if centre_x is None else centre_x
    span = w / 4.0 if half_width is None else half_width
    x = np.arange(w, dtype=np.float32)
    t = np.clip((x - (cx - span)) / (2 * span), 0.0, 1.0)
    gain = (1.0 - strength) + strength * t
    out = frame.astype(np.float32) * gain[None, :, None]
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


def degrade_colour_cast(frame: Image, amount: float) -> Image:
    """A cold (bluish) cast: blue times ``1 + amount``, red times ``1 - amount``."""
    gains = np.array([1.0 + amount, 1.0, max(0.0, 1.0 - amount)], dtype=np.float32)
    out = frame.astype(np.float32) * gains[None, None, :]
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


def degrade_rotation(frame: Image, degrees: float, centre: tuple[float, float]) -> Image:
    """Rotate the frame about ``centre`` (in-plane head roll)."""
    m = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    return cv2.warpAffine(frame, m, (frame.shape[1], frame.shape[0]),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def degrade_jpeg(frame: Image, quality: int) -> Image:
    """Encode and decode as JPEG at ``quality``."""
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise FaceInputError("JPEG encoding failed")
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if img is None:
        raise FaceInputError("JPEG decoding failed")
    return img


def degrade_noise(frame: Image, sigma: float, seed: int = 0) -> Image:
    """Add Gaussian noise of ``sigma`` grey levels (fixed seed: repeatable)."""
    rng = np.random.default_rng(seed)
    out = frame.astype(np.float32) + rng.normal(0.0, sigma, frame.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def _skin_below(frame: Image, x: float, y: float, half: float) -> tuple[float, ...]:
    h, w = frame.shape[:2]
    yy = int(min(h - 1, max(0, y)))
    x0, x1 = int(max(0, x - half)), int(min(w, x + half + 1))
    row = frame[yy, x0:x1].reshape(-1, 3).astype(np.float64)
    return tuple(float(v) for v in row.mean(axis=0))


def degrade_eyes_closing(frame: Image, landmarks: Landmarks, amount: float) -> Image:
    """Lower both upper lids by ``amount`` (0 = as photographed, 1 = shut): the upper
    ``amount`` of each eye is painted with the skin under the eye (soft-edged), with a
    lash line at the lid's edge."""
    out: Image = check_bgr(frame).copy()
    a = float(np.clip(amount, 0.0, 1.0))
    if a <= 0.0:
        return out
    p = landmarks.points
    for i, j in ((2, 3), (0, 1)):
        cx, cy = (p[i] + p[j]) / 2.0
        width = float(np.hypot(*(p[i] - p[j])))
        rx, ry = 0.62 * width, 0.32 * width
        skin = _skin_below(out, cx, cy + ry + 0.35 * width, rx)
        lid_y = cy - ry + 2.0 * ry * a
        mask = np.zeros(out.shape[:2], np.float32)
        cv2.ellipse(mask, (round(cx), round(cy)), (round(rx), round(ry)), 0, 0, 360, 1.0, -1)
        mask[int(np.ceil(lid_y)):, :] = 0.0
        painted = np.empty_like(out)
        painted[:] = np.array(skin, np.float64).round().astype(np.uint8)
        cv2.line(painted, (round(cx - 0.8 * rx), round(lid_y)),
                 (round(cx + 0.8 * rx), round(lid_y)), tuple(0.55 * v for v in skin),
                 max(1, round(0.08 * width)))
        # a soft edge, as skin has: no painted outline for an edge detector to find
        soft = cv2.GaussianBlur(mask, (0, 0), max(0.5, 0.08 * width))[:, :, None]
        out = (painted * soft + out * (1.0 - soft)).round().astype(np.uint8)
    return out


def degrade_mouth_opening(frame: Image, landmarks: Landmarks, gap: float) -> Image:
    """Open the mouth by ``gap`` IEDs: a dark cavity with a band of teeth, between the
    lips (0.42 IED below the base of the nose)."""
    out: Image = check_bgr(frame).copy()
    if gap <= 0.0:
        return out
    ied = landmarks.inter_eye_distance
    _, down = landmarks.axes()
    cx, cy = np.array(landmarks.nose) + down * 0.42 * ied
    half_h = max(1, round(gap * ied / 2.0))
    axes = (round(0.3 * ied), half_h)
    cv2.ellipse(out, (round(cx), round(cy)), axes, landmarks.roll_deg, 0, 360,
                (40, 30, 60), -1)
    teeth = (round(0.22 * ied), max(1, round(0.5 * half_h)))
    cv2.ellipse(out, (round(cx), round(cy - 0.5 * half_h)), teeth, landmarks.roll_deg,
                0, 360, (225, 235, 240), -1)
    return out
