"""Finger captures stored in a CaptureRecord (PNG/WSQ image + ISO 19794-2 template)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from idcapture.biometrics.finger.template import FingerTemplate, Minutia, MinutiaKind
from idcapture.errors import RecordError
from idcapture.formats import iso19794_2, record_files, record_json
from idcapture.formats.finger_capture import (
    add_finger_capture,
    finger_image,
    finger_template,
)
from idcapture.formats.images import decode_image
from idcapture.formats.minutiae import MinutiaeStandard
from idcapture.formats.wsq import wsq_available
from idcapture.record import CaptureRecord, FingerPosition, Measure, QualityReport
from setup_required import need_file

WHEN = dt.datetime(2024, 6, 1, 8, 30, tzinfo=dt.timezone.utc)


def _image(h: int = 120, w: int = 100) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return (128 + 90 * np.sin(0.7 * x + 0.2 * y)).astype(np.uint8)


def _template(w: int = 100, h: int = 120) -> FingerTemplate:
    mins = (Minutia(10.0, 20.0, math.radians(45.0), MinutiaKind.ENDING, 80),
            Minutia(55.2, 70.7, math.radians(200.0), MinutiaKind.BIFURCATION, 60))
    return FingerTemplate(w, h, 500, mins, 72, FingerPosition.UNKNOWN)


def test_capture_round_trips_through_record_json() -> None:
    record = CaptureRecord()
    quality = QualityReport("nfiq2", 72.0, True, [Measure("nfiq2", 72.0, 72.0)])
    img = _image()
    cap = add_finger_capture(record, img, ppi=500, position=FingerPosition.RIGHT_THUMB,
                             template=_template(), quality=quality, device="sim:finger",
                             captured_at=WHEN, attempts=2)
    assert record.fingers == [cap]
    assert cap.image.media_type == "image/png"
    assert (cap.image.width_px, cap.image.height_px) == (100, 120)
    assert cap.template_format == "iso-19794-2:2005" and cap.minutiae_count == 2
    text = record_json.dumps(record, embed=True)
    back = record_json.loads(text)
    assert record_json.dumps(back, embed=True) == text
    bcap = back.finger(FingerPosition.RIGHT_THUMB)
    assert bcap is not None and bcap.quality == quality and bcap.attempts == 2
    np.testing.assert_array_equal(finger_image(back, bcap), img)
    tpl = finger_template(back, bcap)
    assert tpl is not None
    assert tpl.position is FingerPosition.RIGHT_THUMB and tpl.resolution_ppi == 500
    assert tpl.quality == 72
    got = [(m.x, m.y, m.kind, m.quality) for m in tpl.minutiae]
    assert got == [(10.0, 20.0, MinutiaKind.ENDING, 80), (55.0, 71.0, MinutiaKind.BIFURCATION, 60)]
    assert tpl.minutiae[1].angle == pytest.approx(math.radians(200.0), abs=math.radians(0.71))
    # the blob is a valid ISO record at the right position
    iso = iso19794_2.read(back.blob(bcap.template))  # type: ignore[arg-type]
    assert iso.views[0].position is FingerPosition.RIGHT_THUMB


@pytest.mark.shared_data
def test_fingerjet_template_is_stored_byte_for_byte(shared_data: Path) -> None:
    folder = need_file(shared_data / "fingerprints" / "FingerJetFXOSE_samples",
                       "FingerJet FX OSE samples are not in the shared data folder")
    ist = (folder / "templates-iso" / "b001_08p.ist").read_bytes()
    img = decode_image((folder / "images-pgm" / "b001_08p.pgm").read_bytes(), "L")
    (tpl,) = iso19794_2.read(ist).to_templates()
    record = CaptureRecord()
    cap = add_finger_capture(record, img, ppi=500, position=FingerPosition.UNKNOWN,
                             template=tpl, captured_at=WHEN)
    assert cap.template is not None and record.blob(cap.template) == ist
    back = record_json.loads(record_json.dumps(record, embed=True))
    np.testing.assert_array_equal(finger_image(back, back.fingers[0]), img)
    assert finger_template(back, back.fingers[0]) == tpl


@pytest.mark.skipif(not wsq_available(), reason="the 'wsq' extra is not installed")
def test_wsq_image_and_ansi_template(tmp_path: Path) -> None:
    record = CaptureRecord()
    img = _image()
    cap = add_finger_capture(record, img, ppi=500, position=FingerPosition.LEFT_THUMB,
                             template=_template(), image_format="wsq",
                             standard=MinutiaeStandard.ANSI_378_2004, captured_at=WHEN)
    assert cap.image.media_type == "image/wsq" and cap.template_format == "ansi-378:2004"
    record_files.save(record, tmp_path / "rec")
    back = record_files.load(tmp_path / "rec")
    out = finger_image(back, back.fingers[0])
    assert out.shape == img.shape
    assert np.abs(out.astype(int) - img).mean() < 20
    tpl = finger_template(back, back.fingers[0])
    assert tpl is not None and len(tpl.minutiae) == 2


def test_capture_without_template_and_errors() -> None:
    record = CaptureRecord()
    cap = add_finger_capture(record, _image(), ppi=500, position=FingerPosition.LEFT_INDEX,
                             append=False)
    assert record.fingers == [] and cap.template is None and cap.minutiae_count is None
    assert finger_template(record, cap) is None
    with pytest.raises(RecordError):
        add_finger_capture(record, _image(), ppi=500, position=FingerPosition.LEFT_INDEX,
                           template=_template(w=101))
    with pytest.raises(RecordError):
        add_finger_capture(record, np.zeros((10, 10, 3), np.uint8), ppi=500,
                           position=FingerPosition.LEFT_INDEX)
    with pytest.raises(RecordError):
        add_finger_capture(record, _image(), ppi=0, position=FingerPosition.LEFT_INDEX)
    odd = add_finger_capture(record, _image(), ppi=500, position=FingerPosition.LEFT_INDEX,
                             template=_template())
    odd.template_format = "vendor-x"
    with pytest.raises(RecordError) as exc:
        finger_template(record, odd)
    assert exc.value.path == "fingers.template_format"
