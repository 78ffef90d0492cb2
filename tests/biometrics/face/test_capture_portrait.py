"""Auto-capture over a stream, portraits, and the face-vs-card check."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from idcapture.biometrics.face import (
    AutoCapture,
    analyze_face,
    auto_capture,
    compare_faces,
    face_vs_card_check,
    get_profile,
    make_portrait,
)
from idcapture.biometrics.face.compare import NoFaceFound
from idcapture.errors import RecordError, RetryNeeded, RetryReason
from idcapture.formats import iso19794_5 as iso
from idcapture.record import CaptureRecord, CheckOutcome


def test_stream_converges_then_captures(neutral) -> None:  # type: ignore[no-untyped-def]
    frames = [neutral.frame(dx=max(0, 8 - i) * 12.0) for i in range(25)]
    steps = []
    res = auto_capture(frames, "exam-480x640", fps=15, steady_frames=3, burst=3,
                       on_step=steps.append)
    assert res.accepted and not res.timed_out and res.failing == []
    assert res.frame is not None and res.quality is not None and res.quality.passed
    assert steps[0].instruction.reason is RetryReason.MOVE_RIGHT
    assert res.frames_seen < len(frames)


def test_timeout_returns_best_frame_and_failing_measures(neutral) -> None:  # type: ignore[no-untyped-def]
    frames = [neutral.frame(scale=0.7)] * 6
    res = auto_capture(frames, "exam-480x640", fps=2, timeout_s=2.0)
    assert res.timed_out and not res.accepted
    assert "HeadSize" in res.failing
    assert res.frame is not None


def test_no_face_stream_times_out() -> None:
    cap = AutoCapture("exam-480x640", timeout_s=1.0)
    blank = np.full((480, 640, 3), 128, np.uint8)
    for t in (0.0, 0.5, 1.0):
        cap.feed(blank, t)
    assert cap.done and cap.result is not None
    assert cap.result.timed_out and "SingleFacePresent" in cap.result.failing


@pytest.mark.parametrize("profile", ["exam-480x640", "ga461-358x441"])
def test_portrait_geometry_and_encoding(neutral, profile) -> None:  # type: ignore[no-untyped-def]
    p = get_profile(profile)
    frame = neutral.frame(profile, size=(1280, 720))
    a = analyze_face(frame)
    assert a.landmarks is not None
    por = make_portrait(frame, a.landmarks, profile)
    assert por.image.shape == (p.height_px, p.width_px, 3)
    (lx, ly), (rx, ry) = por.eyes
    assert abs((ly + ry) / 2 - p.eye_line_px) < 2
    assert abs((lx + rx) / 2 - p.width_px / 2) < 2
    # the output IED follows the face's own jaw width: the face lands on the target width
    jaw_ratio = a.landmarks.face_width / a.landmarks.inter_eye_distance
    assert abs((rx - lx) * min(max(jaw_ratio, 2.07), 2.40) - p.face_width_px) < 3
    img = Image.open(io.BytesIO(por.jpeg))
    assert img.format == "JPEG" and img.size == (p.width_px, p.height_px)
    assert por.jpeg_quality >= 60
    if por.size_in_window:
        lo, hi = p.file_size_window_bytes  # type: ignore[misc]
        assert lo <= len(por.jpeg) <= hi
    iso_bytes = iso.portrait_record(por.jpeg, por.size, por.eyes, quality=80)
    parsed = iso.read(iso_bytes)
    img0 = parsed.images[0]
    assert img0.data == por.jpeg and (img0.width, img0.height) == (p.width_px, p.height_px)
    assert img0.eyes is not None
    (sl_x, _), (sr_x, _) = img0.eyes     # subject's left eye is on the image's right
    assert sl_x > sr_x and abs(sl_x - rx) <= 1
    assert img0.quality == 80
    with pytest.raises(RecordError, match="does not match"):
        iso.portrait_record(por.jpeg, (p.width_px + 1, p.height_px), por.eyes)
    rec = CaptureRecord()
    fc = por.to_face_capture(rec, iso_record=iso_bytes)
    assert rec.portrait is fc and rec.blob(fc.image) == por.jpeg
    assert fc.iso_record is not None and rec.blob(fc.iso_record) == iso_bytes


def test_portrait_refuses_excess_upscaling(neutral) -> None:  # type: ignore[no-untyped-def]
    frame = neutral.frame("icao", size=(640, 480), scale=0.8)
    a = analyze_face(frame)
    assert a.landmarks is not None
    with pytest.raises(RetryNeeded) as ei:
        make_portrait(frame, a.landmarks, "icao")
    assert ei.value.outcome.reason is RetryReason.MOVE_CLOSER


def _card(photo) -> np.ndarray:  # type: ignore[no-untyped-def]
    import cv2
    a = analyze_face(photo.image, min_face_px=150)
    ga = make_portrait(photo.image, a.landmarks, "ga461-358x441").image
    small = cv2.resize(ga, (102, 126), interpolation=cv2.INTER_AREA)
    _ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 30])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def test_face_vs_card(photo_loader) -> None:  # type: ignore[no-untyped-def]
    live = photo_loader("neutral_front/005_03.jpg")
    same = photo_loader("smiling_front/005_08.jpg")
    other = photo_loader("smiling_front/024_08.jpg")
    frame = live.frame(size=(1280, 720))
    a = analyze_face(frame)
    portrait = make_portrait(frame, a.landmarks, "exam-480x640").image
    genuine = compare_faces(portrait, _card(same))
    impostor = compare_faces(portrait, _card(other))
    assert genuine.distance < impostor.distance
    assert genuine.same_person and impostor.outcome is CheckOutcome.FAILED
    assert genuine.score > 50 > impostor.score
    chk = face_vs_card_check(genuine)
    assert chk.name == "face-vs-card" and chk.outcome is CheckOutcome.PASSED
    assert chk.details["threshold"] == genuine.threshold
    with pytest.raises(NoFaceFound):
        compare_faces(portrait, np.full((126, 102, 3), 255, np.uint8))
    assert face_vs_card_check(None, error="no card photo").outcome is CheckOutcome.NOT_CHECKED
