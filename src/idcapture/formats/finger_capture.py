"""Finger captures inside a :class:`~idcapture.record.CaptureRecord`.

:func:`add_finger_capture` stores a finger image (PNG by default, WSQ on request) and
its minutiae template (an ISO/IEC 19794-2:2005 record) as blobs of the record and
returns the :class:`~idcapture.record.FingerCapture` that points at them;
:func:`finger_image` and :func:`finger_template` read them back.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..errors import RecordError
from ..record import CaptureRecord, FingerCapture, FingerPosition, QualityReport, utcnow
from .images import as_image_array, decode_image, encode_png
from .minutiae import MinutiaeStandard, from_template, read_minutiae_record

if TYPE_CHECKING:
    from ..biometrics.finger.template import FingerTemplate

__all__ = [
    "TEMPLATE_FORMATS",
    "TEMPLATE_MEDIA_TYPE",
    "add_finger_capture",
    "finger_image",
    "finger_template",
]

#: ``FingerCapture.template_format`` values this module reads.
TEMPLATE_FORMATS = {s.value: s for s in MinutiaeStandard}
#: Media type of template blobs (the standards register none; the format is in
#: ``template_format``).
TEMPLATE_MEDIA_TYPE = "application/octet-stream"


def add_finger_capture(record: CaptureRecord, image: np.ndarray, *, ppi: int,
                       position: FingerPosition,
                       template: FingerTemplate | None = None,
                       quality: QualityReport | None = None, device: str = "",
                       captured_at: _dt.datetime | None = None, attempts: int = 1,
                       image_format: Literal["png", "wsq"] = "png",
                       standard: MinutiaeStandard = MinutiaeStandard.ISO_19794_2_2005,
                       append: bool = True) -> FingerCapture:
    """Store an 8-bit grey finger image and its template in ``record``.

    The template (if given) must describe the same image size; it is written as one
    view at ``position`` and ``ppi`` (the image's, which govern) with its own
    quality. With ``append`` the capture is also added to ``record.fingers``.
    Returns the new :class:`FingerCapture`.
    """
    arr = as_image_array(image)
    if arr.ndim != 2:
        raise RecordError("finger images are 8-bit grey (H, W)", "image")
    if not isinstance(ppi, int) or ppi < 1:
        raise RecordError(f"resolution {ppi!r} must be a positive integer", "resolution_ppi")
    position = FingerPosition(position)
    h, w = arr.shape
    if image_format == "png":
        image_ref = record.add_blob(encode_png(arr, ppi=ppi), "image/png", w, h)
    elif image_format == "wsq":
        from .wsq import encode_wsq

        image_ref = record.add_blob(encode_wsq(arr, ppi=ppi), "image/wsq", w, h)
    else:
        raise RecordError(f"unknown image format {image_format!r} (png or wsq)",
                          "image_format")
    template_ref = None
    template_format = None
    count = None
    if template is not None:
        if (template.width, template.height) != (w, h):
            raise RecordError(f"template is for a {template.width}x{template.height} image, "
                              f"the image is {w}x{h}", "template")
        tpl = dataclasses.replace(template, position=position, resolution_ppi=ppi)
        minutiae = from_template(tpl, standard)
        template_ref = record.add_blob(minutiae.to_bytes(), TEMPLATE_MEDIA_TYPE)
        template_format = MinutiaeStandard(standard).value
        count = len(minutiae.views[0].minutiae)
    capture = FingerCapture(position=position, image=image_ref, resolution_ppi=ppi,
                            captured_at=captured_at or utcnow(), device=device,
                            quality=quality, template=template_ref,
                            template_format=template_format, minutiae_count=count,
                            attempts=attempts)
    if append:
        record.fingers.append(capture)
    return capture


def finger_image(record: CaptureRecord, capture: FingerCapture) -> np.ndarray:
    """The capture's image as an 8-bit grey ``(H, W)`` array."""
    arr = decode_image(record.blob(capture.image), "L")
    ref = capture.image
    if ref.width_px is not None and ref.height_px is not None and \
            arr.shape != (ref.height_px, ref.width_px):
        raise RecordError("image size does not match its reference", "fingers.image")
    return arr


def finger_template(record: CaptureRecord, capture: FingerCapture) -> FingerTemplate | None:
    """The capture's minutiae template, or ``None`` if it has none.

    Reads ISO/IEC 19794-2:2005 and ANSI 378-2004 templates; takes the view at the
    capture's position (the first view if none matches) and the capture's exact ppi.
    """
    if capture.template is None:
        return None
    fmt = capture.template_format or ""
    std = TEMPLATE_FORMATS.get(fmt)
    if std is None:
        raise RecordError(f"template format {fmt!r} is not one of {sorted(TEMPLATE_FORMATS)}",
                          "fingers.template_format")
    rec = read_minutiae_record(record.blob(capture.template), std)
    templates = rec.to_templates()
    if not templates:
        raise RecordError("template record holds no finger view", "fingers.template")
    chosen = next((t for t in templates if t.position == capture.position), templates[0])
    return dataclasses.replace(chosen, resolution_ppi=capture.resolution_ppi)
