"""Lazy access to the face models shipped inside PyPI packages, and their licences.

The detector (dlib's HOG detector, built into the ``dlib-bin`` binary), the 5-point
shape predictor and the ResNet face descriptor (both files from
``face-recognition-models``) are loaded on first use and cached for the life of the
process. Nothing is downloaded: if a package is missing, :class:`FaceModelUnavailable`
names it and the extra that installs it (``pip install idcapture[face]``).

:data:`MODEL_FILES` lists every model the package can load, with where it comes from,
what it was trained on and under which terms; :func:`loaded_models` names the ones this
process has loaded. ``face-recognition-models`` also carries dlib's 68-point predictor
(trained on iBUG 300-W, whose terms exclude commercial use): the package never loads it.

dlib objects are safe to share between threads for reading; each call allocates its
own working memory.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

from ...errors import DriverUnavailable

__all__ = [
    "MODEL_FILES",
    "FaceModelUnavailable",
    "ModelFile",
    "dlib_module",
    "face_descriptor_model",
    "frontal_detector",
    "loaded_models",
    "shape_predictor_5",
]

_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelFile:
    """One model the package loads: its file, source package, training data and terms."""

    name: str
    file: str
    package: str
    training_data: str
    licence: str
    commercial_use: bool


#: Every model file the face code loads, by name. The face docs' model list is this
#: table; a test keeps the two and the loading code in step.
MODEL_FILES: dict[str, ModelFile] = {m.name: m for m in (
    ModelFile("face-detector", "(built into the dlib binary)", "dlib-bin",
              "dlib's HOG + linear SVM frontal face detector, trained by Davis King on "
              "faces he labelled in public images",
              "Boost Software License 1.0 (dlib)", True),
    ModelFile("landmarks-5", "shape_predictor_5_face_landmarks.dat",
              "face-recognition-models",
              "dlib 5-point face landmark dataset (7,198 faces from public images, "
              "labelled by Davis King)",
              "public domain (dlib-models: released into the public domain by its "
              "author)", True),
    ModelFile("face-descriptor", "dlib_face_recognition_resnet_model_v1.dat",
              "face-recognition-models",
              "about 3 million faces of 7,485 people (FaceScrub, VGG Face and images "
              "scraped from the internet), per dlib-models",
              "public domain (dlib-models: released into the public domain by its "
              "author)", True),
)}

_LOADED: set[str] = set()


class FaceModelUnavailable(DriverUnavailable):
    """A face model or the package that ships it is not installed."""

    default_code = "face-model-unavailable"

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(model, reason)
        self.model = model


def loaded_models() -> frozenset[str]:
    """Names (keys of :data:`MODEL_FILES`) of the models loaded in this process."""
    return frozenset(_LOADED)


def _import_dlib() -> Any:
    try:
        import dlib
    except ImportError as exc:
        raise FaceModelUnavailable(
            "face-detector",
            f"the 'dlib-bin' package is not installed ({exc}); "
            "install the extra: pip install 'idcapture[face]'") from None
    return dlib


def _model_path(kind: str) -> str:
    try:
        import face_recognition_models as frm
    except ImportError as exc:
        raise FaceModelUnavailable(
            kind,
            f"the 'face-recognition-models' package is not installed ({exc}); "
            "install the extra: pip install 'idcapture[face]'") from None
    locate = {
        "landmarks-5": frm.pose_predictor_five_point_model_location,
        "face-descriptor": frm.face_recognition_model_location,
    }[kind]
    path = str(locate())
    if not path.endswith(MODEL_FILES[kind].file):
        raise FaceModelUnavailable(kind, f"unexpected model file {path.rsplit('/', 1)[-1]}")
    return path


@functools.lru_cache(maxsize=1)
def dlib_module() -> Any:
    """The imported ``dlib`` module, or :class:`FaceModelUnavailable`."""
    return _import_dlib()


@functools.lru_cache(maxsize=1)
def frontal_detector() -> Any:
    """dlib's HOG frontal face detector (no weight file; built into the binary)."""
    with _LOCK:
        det = dlib_module().get_frontal_face_detector()
        _LOADED.add("face-detector")
        return det


def _load(kind: str, factory: str) -> Any:
    path = _model_path(kind)
    with _LOCK:
        try:
            model = getattr(dlib_module(), factory)(path)
        except RuntimeError as exc:
            raise FaceModelUnavailable(kind, f"model file unreadable: {exc}") from None
        _LOADED.add(kind)
        return model


@functools.lru_cache(maxsize=1)
def shape_predictor_5() -> Any:
    """dlib's 5-point shape predictor (eye corners and the base of the nose)."""
    return _load("landmarks-5", "shape_predictor")


@functools.lru_cache(maxsize=1)
def face_descriptor_model() -> Any:
    """dlib's ResNet 128-D face descriptor model."""
    return _load("face-descriptor", "face_recognition_model_v1")
