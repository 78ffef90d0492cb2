"""Presentation-attack scenes for the camera simulator: a face photo that is not a live
person.

``printed-photo``: the face printed on paper (white margin, paper grain, flat
lighting) held up in front of the camera and turned to and fro about its vertical axis,
as someone does when asked to turn their head. It is flat, so every point of the face
moves as one plane: what the turn challenge of
:mod:`idcapture.biometrics.face.liveness` looks for.

``phone-replay``: a phone screen (dark bezel, brighter backlit picture, a moire pattern
from the screen's pixel grid) held up a little unsteadily, replaying a video of the
person turning the head and blinking (the ``turn-head`` and ``blink`` scenes): the
challenge alone is met, and only the passive screen cue refuses it.

:func:`render_attack` draws frame ``frame_no`` of a scene; the motion repeats every
:data:`ATTACK_PERIOD` frames (1.4 s at 30 fps).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ...errors import ConfigError
from .scene import FaceSource, render_scene, wall

__all__ = ["ATTACK_PERIOD", "ATTACK_SCENES", "render_attack"]

ATTACK_SCENES = ("printed-photo", "phone-replay")
#: Frames after which an attack scene repeats.
ATTACK_PERIOD = 42


def _turned(card: np.ndarray, background: np.ndarray, centre: tuple[float, float],
            angle_deg: float) -> np.ndarray:
    """``card`` (a flat picture) centred at ``centre`` and turned by ``angle_deg`` about
    its vertical axis, in perspective (focal length = frame width), over ``background``."""
    h, w = card.shape[:2]
    fw = background.shape[1]
    t = math.radians(angle_deg)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = []
    for x, y in src:
        x0, y0 = x - w / 2.0, y - h / 2.0
        z = x0 * math.sin(t)
        k = fw / (fw + z)
        dst.append((centre[0] + x0 * math.cos(t) * k, centre[1] + y0 * k))
    m = cv2.getPerspectiveTransform(src, np.array(dst, np.float32))
    size = (background.shape[1], background.shape[0])
    warped = cv2.warpPerspective(card, m, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, size) > 127
    out: np.ndarray = background.copy()
    out[mask] = warped[mask]
    return out


def render_attack(scene: str, face: FaceSource, size: tuple[int, int] = (640, 480), *,
                  frame_no: int = 0, target_ied: float | None = None,
                  eye_point: tuple[float, float] | None = None, seed: int = 0) -> np.ndarray:
    """One BGR frame of attack ``scene`` (see the module docstring). ``target_ied`` and
    ``eye_point`` place the face as for :func:`~.camera.render_scene`."""
    if scene not in ATTACK_SCENES:
        raise ConfigError(f"unknown attack scene {scene!r}; choose one of "
                          f"{', '.join(ATTACK_SCENES)}")
    w, h = size
    ied = target_ied if target_ied is not None else 0.16 * w
    mid = eye_point if eye_point is not None else (w / 2, h * 0.42)
    video = "good" if scene == "printed-photo" else (
        "turn-head" if frame_no % (2 * ATTACK_PERIOD) < ATTACK_PERIOD else "blink")
    picture = render_scene(video, face, size, target_ied=ied, eye_point=mid, seed=seed,
                           frame_no=frame_no % ATTACK_PERIOD)
    # the part of the picture on the print or screen: 3.6 IED wide, 4.6 IED high
    x0 = int(max(0, mid[0] - 1.8 * ied))
    x1 = int(min(w, mid[0] + 1.8 * ied))
    y0 = int(max(0, mid[1] - 2.0 * ied))
    y1 = int(min(h, mid[1] + 2.6 * ied))
    crop = picture[y0:y1, x0:x1].astype(np.float64)
    rng = np.random.default_rng(seed + 101)
    if scene == "printed-photo":
        crop = 0.85 * crop + 25.0 + rng.normal(0, 3.0, crop.shape[:2])[:, :, None]
        margin = max(4, int(0.15 * ied))
        card = np.full((crop.shape[0] + 2 * margin, crop.shape[1] + 2 * margin, 3), 242.0,
                       np.float32)
        card[margin:-margin, margin:-margin] = crop
    else:
        yy, xx = np.mgrid[0:crop.shape[0], 0:crop.shape[1]].astype(np.float32)
        moire = 1.0 + 0.07 * np.sin(2 * math.pi * (xx * 0.19 + yy * 0.07))
        crop = np.clip((crop / 255.0) ** 0.8 * 255.0 * 1.08, 0, 255) * moire[:, :, None]
        bezel = max(6, int(0.25 * ied))
        card = np.full((crop.shape[0] + 2 * bezel, crop.shape[1] + 2 * bezel, 3), 18.0,
                       np.float32)
        card[bezel:-bezel, bezel:-bezel] = crop
    card8 = np.clip(card, 0, 255).astype(np.uint8)
    swing = 32.0 if scene == "printed-photo" else 4.0
    angle = swing * math.sin(2 * math.pi * frame_no / ATTACK_PERIOD)
    drift = (3.0 * math.sin(frame_no * 0.21), 2.0 * math.cos(frame_no * 0.17))
    centre = ((x0 + x1) / 2.0 + drift[0], (y0 + y1) / 2.0 + drift[1])
    return _turned(card8, wall(size, seed=seed), centre, angle)
