"""The default simulators prove something: a portrait from ``sim:camera``, distinct and
matchable fingers from ``sim:fingerprint``, with no options."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

import idcapture
from idcapture.biometrics.finger import extract, quality
from idcapture.biometrics.finger.compare import MATCH_THRESHOLD, compare
from idcapture.errors import RetryOutcome, RetryReason
from idcapture.record import FingerPosition
from idcapture.sim.finger.driver import SimFingerprintSensor


def test_default_camera_yields_a_portrait() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture

    cap = AutoCapture("exam-480x640", timeout_s=1000)
    with idcapture.open_camera("sim:camera?fps=0") as camera:
        for i in range(60):
            cap.feed(camera.read_frame().image, i / 10)
            if cap.done:
                break
    assert cap.result is not None and cap.result.accepted, cap.result


def test_sim_camera_command_takes_the_demo_photo(tmp_path: Path) -> None:
    out_file = tmp_path / "scenes.avi"
    out = subprocess.run([sys.executable, "-m", "idcapture", "sim", "camera", "--photo", "demo",
                          "-o", str(out_file), "--frames", "3"],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out_file.stat().st_size > 0


def test_default_sensor_gives_distinct_matchable_fingers() -> None:
    with idcapture.open_fingerprint_sensor("sim:fingerprint") as sensor:
        right = [sensor.capture(FingerPosition.RIGHT_THUMB).image for _ in range(2)]
        left = sensor.capture(FingerPosition.LEFT_THUMB).image
    digests = {hashlib.sha256(im.tobytes()).hexdigest() for im in (*right, left)}
    assert len(digests) == 3  # a fresh impression per capture, another finger per position
    for im in (*right, left):
        assert quality(im, 500).passed
    t_r1, t_r2, t_l = (extract(im, 500) for im in (*right, left))
    assert min(len(t.minutiae) for t in (t_r1, t_r2, t_l)) >= 20
    assert compare(t_r1, t_r2) >= MATCH_THRESHOLD  # the same finger, touched twice
    assert compare(t_r1, t_l) < MATCH_THRESHOLD  # both thumbs are different fingers


def test_default_sensor_keeps_the_scripted_controls() -> None:
    sensor = idcapture.open_fingerprint_sensor("sim:fingerprint?seed=2")
    assert isinstance(sensor, SimFingerprintSensor)
    with sensor:
        sensor.queue_outcome(RetryOutcome(RetryReason.SMUDGED, "smudged"))
        first = sensor.try_capture(FingerPosition.RIGHT_INDEX)
        assert isinstance(first, RetryOutcome) and first.reason is RetryReason.SMUDGED
        sensor.lift()
        assert isinstance(sensor.try_capture(), RetryOutcome)
        sensor.present()
        assert not isinstance(sensor.try_capture(FingerPosition.RIGHT_INDEX), RetryOutcome)
    assert sensor.synthetic_seed(FingerPosition.RIGHT_INDEX) != \
        SimFingerprintSensor("sim:fingerprint").synthetic_seed(FingerPosition.RIGHT_INDEX)


def test_default_camera_without_face_models_shows_the_drawn_head(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from idcapture.biometrics.face import FaceModelUnavailable
    from idcapture.sim.camera import scene

    def no_models(photo: object) -> object:
        raise FaceModelUnavailable("face-detector", "the 'dlib-bin' package is not installed")

    monkeypatch.setattr(scene, "load_face_source", no_models)
    with idcapture.open_camera("sim:camera?fps=0") as camera:
        assert camera.read_frame().image.shape == (480, 640, 3)
    with pytest.raises(FaceModelUnavailable):  # a photo asked for explicitly still fails
        idcapture.open_camera("sim:camera?photo=demo")
