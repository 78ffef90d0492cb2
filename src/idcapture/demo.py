"""The end-to-end demonstration run by ``idcapture demo``: one capture on the simulators.

It opens the three in-process simulators through the registry, reads the sample card,
takes a camera frame and both thumbs, checks the ID number and the card's validity,
and writes a CaptureRecord, which it loads back and validates.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from . import __version__, open_camera, open_fingerprint_sensor, open_id_reader
from .idnumbers import id_number_check
from .privacy import mask_id_number
from .record import (
    CaptureRecord,
    Check,
    CheckOutcome,
    FaceCapture,
    FingerCapture,
    FingerPosition,
    IdentityDocument,
    RecordStatus,
    StationInfo,
    load,
    save,
    utcnow,
)

log = logging.getLogger("idcapture.demo")

__all__ = ["DemoResult", "encode_jpeg", "encode_png", "run_demo"]


@dataclass
class DemoResult:
    record_path: Path
    record: CaptureRecord


def encode_png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def encode_jpeg(bgr: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1])).save(buf, format="JPEG",
                                                                quality=quality)
    return buf.getvalue()


def validity_check(doc: IdentityDocument, today: _dt.date | None = None) -> Check:
    today = today or _dt.date.today()
    if doc.long_term:
        return Check("card-validity", CheckOutcome.PASSED, "long-term card", utcnow())
    if doc.valid_until is None:
        return Check("card-validity", CheckOutcome.NOT_CHECKED, "card has no end date", utcnow())
    if doc.valid_until < today:
        return Check("card-validity", CheckOutcome.FAILED,
                     f"card expired on {doc.valid_until.isoformat()}", utcnow())
    return Check("card-validity", CheckOutcome.PASSED,
                 f"valid until {doc.valid_until.isoformat()}", utcnow())


def run_demo(out_dir: Path, *, reader: str = "sim:id-reader", camera: str = "sim:camera",
             sensor: str = "sim:fingerprint", say: object = print) -> DemoResult:
    """Run one capture and write ``out_dir/record`` (a record folder)."""
    emit = say if callable(say) else (lambda *_a: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    rec = CaptureRecord(station=StationInfo("demo-station", "demo-operator",
                                            f"idcapture {__version__}"))
    with open_id_reader(reader) as r:
        doc = r.wait_for_card(timeout=10)
    emit(f"card read: {doc.kind.value}, ID number {mask_id_number(doc.id_number)}")
    rec.identity = doc
    rec.set_check(id_number_check(doc))
    rec.set_check(validity_check(doc))
    with open_camera(camera) as cam:
        frame = cam.read_frame(timeout=5)
    jpeg = encode_jpeg(frame.image)
    rec.portrait = FaceCapture(
        image=rec.add_blob(jpeg, "image/jpeg", frame.width, frame.height),
        profile="raw-frame", captured_at=utcnow(), device=camera)
    emit(f"frame captured: {frame.width}x{frame.height}")
    with open_fingerprint_sensor(sensor) as fp:
        for pos in (FingerPosition.RIGHT_THUMB, FingerPosition.LEFT_THUMB):
            img = fp.capture(pos, timeout=10)
            png = encode_png(img.image)
            rec.fingers.append(FingerCapture(
                position=pos, image=rec.add_blob(png, "image/png", img.width, img.height),
                resolution_ppi=img.resolution_ppi, captured_at=img.captured_at,
                device=sensor, attempts=img.attempts))
            emit(f"{pos.slug} captured: {img.width}x{img.height} at {img.resolution_ppi} ppi")
    rec.status = (RecordStatus.REJECTED if rec.failed_checks() else RecordStatus.COMPLETE)
    rec.updated_at = utcnow()
    path = save(rec, out_dir / "record")
    loaded = load(path)
    if loaded != rec:
        raise RuntimeError("record read back differs from the record written")
    for c in rec.checks:
        emit(f"check {c.name}: {c.outcome.value} ({c.message})")
    emit(f"record {rec.record_id} written to {path} and validated")
    return DemoResult(path, rec)
