"""Every model the face code loads by default is listed with terms that allow commercial
use, and the docs' model list names each of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import pytest

import idcapture
from idcapture.biometrics.face import (
    AutoCapture,
    _models,
    analyze_face,
    assess_quality,
    face_descriptor,
)
from idcapture.sim.camera.scene import demo_face_path

DOCS = Path(__file__).resolve().parents[3] / "docs" / "integrators" / "face-models.md"


@pytest.fixture
def opened_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Clear the model caches and record every file handed to dlib's loaders."""
    dlib = _models.dlib_module()
    seen: list[str] = []

    def spy(factory: Any) -> Any:
        def load(path: str) -> Any:
            seen.append(Path(path).name)
            return factory(path)
        return load

    for name in ("shape_predictor", "face_recognition_model_v1", "cnn_face_detection_model_v1"):
        monkeypatch.setattr(dlib, name, spy(getattr(dlib, name)))
    for f in (_models.frontal_detector, _models.shape_predictor_5,
              _models.face_descriptor_model):
        f.cache_clear()
    monkeypatch.setattr(_models, "_LOADED", set())
    yield seen
    for f in (_models.frontal_detector, _models.shape_predictor_5,
              _models.face_descriptor_model):
        f.cache_clear()


def test_default_pipeline_loads_only_commercial_use_models(opened_files: list[str]) -> None:
    img = cv2.imread(str(demo_face_path()))
    assert img is not None
    a = analyze_face(img, min_face_px=40)
    assert a.landmarks is not None
    assess_quality(img, a, "exam-480x640")
    face_descriptor(img, a.landmarks)
    # the live loop with liveness on (challenge and passive cues) adds no model
    cap = AutoCapture("exam-480x640", liveness="blink", timeout_s=1000)
    with idcapture.open_camera("sim:camera?fps=0&photo=demo&scene=phone-replay") as cam:
        for i in range(8):
            cap.feed(cam.read_frame().image, timestamp=i / 30)
    assert cap.done and cap.result is not None and cap.result.liveness is not None
    loaded = _models.loaded_models()
    assert loaded == {"face-detector", "landmarks-5", "face-descriptor"}
    for name in loaded:
        assert _models.MODEL_FILES[name].commercial_use, name
    allowed = {m.file for m in _models.MODEL_FILES.values() if m.commercial_use}
    assert opened_files and set(opened_files) <= allowed
    # the iBUG 300-W trained predictor ships in the same package and must stay unloaded
    assert not any("68" in f for f in opened_files)


def test_docs_list_every_model_file() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for m in _models.MODEL_FILES.values():
        assert m.file in text, m.file
        assert m.package in text, m.package
