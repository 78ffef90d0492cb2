"""Shared helpers for the face benchmarks (not a benchmark itself): where the real photos are,
and framing them.

The photos are the Face Research Lab London Set subset in ../shared/data/faces (CC BY 4.0,
DeBruine & Jones 2017, https://doi.org/10.6084/m9.figshare.5047666.v5); they are read in
place and never copied.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from idcapture.biometrics.face import analyze_face, framing_box, get_profile
from idcapture.biometrics.face.synthetic import place_face

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "data" / "faces" / "frl-london-subset"


def faces_dir() -> Path:
    if not FACES.is_dir():
        sys.exit(f"face photos not found at {FACES.relative_to(ROOT.parent)} "
                 "(../shared/data beside the checkout)")
    return FACES


def load(path: Path, size: int = 700) -> np.ndarray:
    img = cv2.imread(str(path))
    if img is None:
        raise SystemExit(f"cannot read {path.name}")
    if img.shape[0] == img.shape[1]:
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    return img


class Framed:
    """A photo with its eyes located, able to produce frames with the face in the box."""

    def __init__(self, img: np.ndarray) -> None:
        a = analyze_face(img, min_face_px=150)
        if a.landmarks is None:
            raise ValueError("no face")
        self.img = img
        self.mid = a.landmarks.eye_midpoint
        self.ied = a.landmarks.inter_eye_distance

    def frame(self, profile: str, size: tuple[int, int], dx: float = 0.0, dy: float = 0.0,
              scale: float = 1.0) -> np.ndarray:
        fb = framing_box(get_profile(profile), size)
        return place_face(self.img, self.mid, self.ied, size,
                          (fb.centre_x + dx, fb.eye_line_y + dy), fb.target_ied * scale)
