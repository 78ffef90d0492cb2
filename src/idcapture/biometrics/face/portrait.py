"""The finished portrait: crop, scale and encode a frame to a profile's geometry.

:func:`make_portrait` places the eye line and face width where the profile wants them,
refuses to enlarge beyond ``profile.max_upscale``, and encodes a baseline JPEG whose
quality is adjusted (never below :data:`MIN_JPEG_QUALITY`) to land in the profile's
file-size window. :meth:`Portrait.to_face_capture` stores it in a CaptureRecord.
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image as PILImage

from ...errors import RetryNeeded, RetryOutcome
from ...record import BlobRef, CaptureRecord, CropBox, FaceCapture, QualityReport, utcnow
from .frames import Image, check_bgr
from .framing import portrait_crop
from .landmarks import Landmarks
from .profiles import Profile, get_profile

__all__ = ["MIN_JPEG_QUALITY", "Portrait", "encode_jpeg", "make_portrait"]

#: The lowest JPEG quality used to meet a file-size window (exam rule: q >= 60).
MIN_JPEG_QUALITY = 60


def encode_jpeg(image: Image, quality: int, ppi: int) -> bytes:
    """Baseline JPEG (4:2:0, no progressive) with a resolution tag, from a BGR image."""
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    buf = io.BytesIO()
    PILImage.fromarray(rgb).save(buf, format="JPEG", quality=int(quality), dpi=(ppi, ppi),
                                 optimize=True, progressive=False, subsampling=2)
    return buf.getvalue()


def _fit_size(image: Image, p: Profile) -> tuple[bytes, int]:
    q = p.jpeg_quality
    data = encode_jpeg(image, q, p.resolution_ppi)
    window = p.file_size_window_bytes
    if window is None:
        return data, q
    lo, hi = window
    if lo <= len(data) <= hi:
        return data, q
    # binary search the quality for the window; size grows with quality
    qlo, qhi = (MIN_JPEG_QUALITY, q - 1) if len(data) > hi else (q + 1, 95)
    best = (data, q)
    while qlo <= qhi:
        mid = (qlo + qhi) // 2
        d = encode_jpeg(image, mid, p.resolution_ppi)
        best = (d, mid)
        if len(d) > hi:
            qhi = mid - 1
        elif len(d) < lo:
            qlo = mid + 1
        else:
            return d, mid
    return best


@dataclass(frozen=True)
class Portrait:
    """The output image, its JPEG bytes and where it came from.

    ``eyes`` are the eye centres in output pixels (image-left eye first); ``upscale`` is
    the enlargement applied (< 1 means the frame was reduced); ``size_in_window`` tells
    whether the JPEG met the profile's file-size window.
    """

    profile: str
    image: Image
    jpeg: bytes
    jpeg_quality: int
    crop: CropBox
    eyes: tuple[tuple[float, float], tuple[float, float]]
    upscale: float
    size_in_window: bool

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the portrait in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    def to_face_capture(self, record: CaptureRecord, *, source_frame: Image | None = None,
                        quality: QualityReport | None = None, device: str = "",
                        captured_at: _dt.datetime | None = None,
                        iso_record: bytes | None = None) -> FaceCapture:
        """Add the JPEG (and optionally the source frame as PNG and an ISO/IEC 19794-5
        record, made with :func:`idcapture.formats.iso19794_5.portrait_record` from
        :attr:`jpeg`, :attr:`size` and :attr:`eyes`) to ``record``'s blobs, set
        ``record.portrait`` and return it."""
        h, w = self.image.shape[:2]
        ref = record.add_blob(self.jpeg, "image/jpeg", w, h)
        src: BlobRef | None = None
        if source_frame is not None:
            ok, png = cv2.imencode(".png", source_frame)
            if ok:
                src = record.add_blob(png.tobytes(), "image/png", source_frame.shape[1],
                                      source_frame.shape[0])
        iso = (record.add_blob(iso_record, "application/octet-stream")
               if iso_record is not None else None)
        fc = FaceCapture(image=ref, profile=self.profile,
                         captured_at=captured_at or utcnow(), device=device,
                         quality=quality, crop=self.crop, source_image=src, iso_record=iso)
        record.portrait = fc
        return fc


def make_portrait(frame: Image, landmarks: Landmarks,
                  profile: str | Profile = "exam-480x640") -> Portrait:
    """Cut the profile's portrait out of ``frame`` (BGR uint8) using the face's landmarks.

    Raises :class:`~idcapture.errors.RetryNeeded` (move closer / back / sideways) when
    the frame cannot give the portrait without enlarging beyond the profile's limit or
    leaving the profile's geometry windows.
    """
    p = get_profile(profile)
    frame = check_bgr(frame)
    fh, fw = frame.shape[:2]
    crop = portrait_crop(landmarks, p, (fw, fh))
    if isinstance(crop, RetryOutcome):
        raise RetryNeeded(crop)
    x0 = int(np.floor(crop.x))
    y0 = int(np.floor(crop.y))
    x1 = min(fw, int(np.ceil(crop.x + crop.width)))
    y1 = min(fh, int(np.ceil(crop.y + crop.height)))
    roi = frame[y0:y1, x0:x1]
    # map the sub-pixel crop exactly: scale about the integer ROI origin
    k = crop.upscale
    m = np.array([[k, 0.0, -(crop.x - x0) * k], [0.0, k, -(crop.y - y0) * k]])
    if k < 1.0:   # reduce with area averaging first, then place
        small = cv2.resize(roi, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        m[:, :2] = np.eye(2)
        roi = small
    out = cv2.warpAffine(roi, m, (p.width_px, p.height_px), flags=cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_REPLICATE)
    data, q = _fit_size(out, p)
    window = p.file_size_window_bytes
    in_window = window is None or window[0] <= len(data) <= window[1]
    e = (landmarks.eye_centres - np.array([crop.x, crop.y])) * k
    box = CropBox(round(crop.x), round(crop.y), round(crop.width), round(crop.height),
                  p.width_px, p.height_px)
    return Portrait(p.name, out, data, q, box,
                    ((float(e[0, 0]), float(e[0, 1])), (float(e[1, 0]), float(e[1, 1]))),
                    k, in_window)
