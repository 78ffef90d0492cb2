"""What every image codec shares: the arrays it accepts and the error for a missing codec.

:mod:`.images` (over Pillow) hands WSQ bytes on to :mod:`.wsq` (over the ``wsq``
package); both take these from here, so :mod:`.wsq` does not import :mod:`.images` back.
"""

from __future__ import annotations

import numpy as np

from ..errors import IdCaptureError, RecordError

__all__ = ["CodecUnavailable", "as_image_array"]


class CodecUnavailable(IdCaptureError):
    """An image codec needed for a format is not installed (names the package or feature)."""

    default_code = "codec-unavailable"


def as_image_array(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Check ``image`` is a uint8 ``(H, W)`` or ``(H, W, 3)`` array; return it contiguous."""
    if not isinstance(image, np.ndarray):
        raise RecordError(f"expected a numpy array, got {type(image).__name__}", name)
    if image.dtype != np.uint8:
        raise RecordError(f"expected dtype uint8, got {image.dtype}", name)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise RecordError(f"expected shape (H, W) or (H, W, 3), got {image.shape}", name)
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise RecordError(f"empty image of shape {image.shape}", name)
    return np.ascontiguousarray(image)
