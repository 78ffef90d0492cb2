"""Missing model packages and bad input give typed errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from idcapture.biometrics.face import _models, detect_faces
from idcapture.biometrics.face.frames import FaceInputError, check_bgr
from idcapture.errors import DriverUnavailable, IdCaptureError


@pytest.fixture
def clear_model_cache():  # type: ignore[no-untyped-def]
    fns = (_models.dlib_module, _models.frontal_detector, _models.shape_predictor_5,
           _models.face_descriptor_model)
    for f in fns:
        f.cache_clear()
    yield
    for f in fns:
        f.cache_clear()


def test_missing_model_package_raises_typed_error(monkeypatch, clear_model_cache) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "face_recognition_models", None)
    with pytest.raises(_models.FaceModelUnavailable) as ei:
        _models.shape_predictor_5()
    assert isinstance(ei.value, DriverUnavailable)
    assert "idcapture[face]" in str(ei.value)


def test_missing_dlib_raises_typed_error(monkeypatch, clear_model_cache) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "dlib", None)
    with pytest.raises(_models.FaceModelUnavailable, match="dlib-bin"):
        detect_faces(np.zeros((120, 160, 3), np.uint8))


@pytest.mark.parametrize("bad", [
    [[1, 2], [3, 4]],
    np.zeros((100, 100, 3), np.float32),
    np.zeros((100, 100, 5), np.uint8),
    np.zeros((4, 4, 3), np.uint8),
])
def test_bad_frames_are_rejected(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FaceInputError) as ei:
        check_bgr(bad)
    assert isinstance(ei.value, IdCaptureError)


def test_grey_and_bgra_frames_are_accepted() -> None:
    assert check_bgr(np.zeros((32, 32), np.uint8)).shape == (32, 32, 3)
    assert check_bgr(np.zeros((32, 32, 4), np.uint8)).shape == (32, 32, 3)
