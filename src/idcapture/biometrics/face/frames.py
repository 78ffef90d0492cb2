"""Input checks shared by the face functions: frames are numpy BGR uint8 arrays."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ...errors import IdCaptureError

__all__ = ["FaceInputError", "Image", "check_bgr", "to_gray"]

#: A BGR (HxWx3) or grey (HxW) uint8 image. Typed loosely because OpenCV's stubs
#: return arrays of unspecified dtype.
Image = npt.NDArray[Any]


class FaceInputError(IdCaptureError, ValueError):
    """An image handed to a face function is not a usable BGR uint8 frame."""

    default_code = "face-input"


def check_bgr(frame: object, what: str = "frame", min_size: int = 16) -> Image:
    """Return ``frame`` if it is an HxWx3 uint8 array (HxW grey is converted), else raise."""
    if not isinstance(frame, np.ndarray):
        raise FaceInputError(f"{what} must be a numpy array, not {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise FaceInputError(f"{what} must be uint8, not {frame.dtype}")
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    elif frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise FaceInputError(f"{what} must be HxWx3 BGR, got shape {frame.shape}")
    elif frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    h, w = frame.shape[:2]
    if h < min_size or w < min_size:
        raise FaceInputError(f"{what} is too small ({w}x{h}); at least {min_size}x{min_size}")
    return frame


def to_gray(frame: Image) -> Image:
    """Grey copy of a BGR frame (a grey frame passes through)."""
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
