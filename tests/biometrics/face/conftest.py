"""Fixtures for the face tests: a few real photos placed in camera-like frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from setup_required import need_file, need_module

# every test in this folder finds faces
need_module("dlib", "the face extra (dlib-bin) is not installed")
need_module("face_recognition_models",
            "the face extra (face-recognition-models) is not installed")

from idcapture.biometrics.face import analyze_face, framing_box, get_profile  # noqa: E402 - after the extra check
from idcapture.biometrics.face.synthetic import place_face  # noqa: E402

FRAME = (640, 480)


@pytest.fixture(scope="session")
def faces_dir(shared_data: Path) -> Path:
    return need_file(shared_data / "faces" / "frl-london-subset",
                     "faces/frl-london-subset is not in the shared data")


def _load(path: Path) -> np.ndarray:
    img = cv2.imread(str(path))
    assert img is not None, path.name
    return cv2.resize(img, (700, 700), interpolation=cv2.INTER_AREA) \
        if img.shape[0] == img.shape[1] else img


class Photo:
    """A real photo with its eye midpoint and IED, able to make framed frames."""

    def __init__(self, image: np.ndarray) -> None:
        a = analyze_face(image, min_face_px=150)
        assert a.landmarks is not None
        self.image = image
        self.mid = a.landmarks.eye_midpoint
        self.ied = a.landmarks.inter_eye_distance

    def frame(self, profile: str = "exam-480x640", size: tuple[int, int] = FRAME,
              dx: float = 0.0, dy: float = 0.0, scale: float = 1.0) -> np.ndarray:
        fb = framing_box(get_profile(profile), size)
        return place_face(self.image, self.mid, self.ied, size,
                          (fb.centre_x + dx, fb.eye_line_y + dy), fb.target_ied * scale)


@pytest.fixture(scope="session")
def neutral(faces_dir: Path) -> Photo:
    return Photo(_load(faces_dir / "neutral_front" / "003_03.jpg"))


@pytest.fixture(scope="session")
def smiling_open(faces_dir: Path) -> Photo:
    return Photo(_load(faces_dir / "smiling_front" / "025_08.jpg"))


@pytest.fixture(scope="session")
def photo_loader(faces_dir: Path):  # type: ignore[no-untyped-def]
    def load(rel: str) -> Photo:
        return Photo(_load(faces_dir / rel))
    return load
