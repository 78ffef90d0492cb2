"""Lazy access to the face models shipped inside PyPI packages.

The detector (dlib's HOG detector, built into the ``dlib-bin`` binary), the 68-point
shape predictor and the ResNet face descriptor (both from ``face-recognition-models``)
are loaded on first use and cached for the life of the process. Nothing is downloaded:
if a package is missing, :class:`FaceModelUnavailable` names it and the extra that
installs it (``pip install idcapture[face]``).

dlib objects are safe to share between threads for reading; each call allocates its
own working memory.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from ...errors import DriverUnavailable

__all__ = [
    "FaceModelUnavailable",
    "dlib_module",
    "face_descriptor_model",
    "frontal_detector",
    "shape_predictor_68",
]

_LOCK = threading.Lock()


class FaceModelUnavailable(DriverUnavailable):
    """A face model or the package that ships it is not installed."""

    default_code = "face-model-unavailable"

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(model, reason)
        self.model = model


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
        "landmarks-68": frm.pose_predictor_model_location,
        "face-descriptor": frm.face_recognition_model_location,
    }[kind]
    return str(locate())


@functools.lru_cache(maxsize=1)
def dlib_module() -> Any:
    """The imported ``dlib`` module, or :class:`FaceModelUnavailable`."""
    return _import_dlib()


@functools.lru_cache(maxsize=1)
def frontal_detector() -> Any:
    """dlib's HOG frontal face detector (no weight file; built into the binary)."""
    with _LOCK:
        return dlib_module().get_frontal_face_detector()


@functools.lru_cache(maxsize=1)
def shape_predictor_68() -> Any:
    """dlib's 68-point shape predictor (iBUG 300-W layout)."""
    path = _model_path("landmarks-68")
    with _LOCK:
        try:
            return dlib_module().shape_predictor(path)
        except RuntimeError as exc:
            raise FaceModelUnavailable("landmarks-68", f"model file unreadable: {exc}") from None


@functools.lru_cache(maxsize=1)
def face_descriptor_model() -> Any:
    """dlib's ResNet 128-D face descriptor model."""
    path = _model_path("face-descriptor")
    with _LOCK:
        try:
            return dlib_module().face_recognition_model_v1(path)
        except RuntimeError as exc:
            raise FaceModelUnavailable("face-descriptor",
                                       f"model file unreadable: {exc}") from None
