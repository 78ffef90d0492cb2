"""PNG, JPEG, BMP and JPEG 2000 encoding and decoding for numpy arrays (over Pillow).

Arrays are ``uint8``: ``(H, W)`` grey or ``(H, W, 3)`` RGB. Decoding returns the same
shapes. Resolution, where given, is written into the file's own field (PNG ``pHYs``,
JPEG JFIF density, BMP header) so that other tools see it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import RecordError
from .codec import CodecUnavailable, as_image_array

__all__ = [
    "MEDIA_TYPES",
    "CodecUnavailable",
    "ImageInfo",
    "as_image_array",
    "decode_image",
    "encode_bmp",
    "encode_jp2",
    "encode_jpeg",
    "encode_png",
    "image_info",
    "jp2_available",
]

#: Pillow format name -> media type stored in BlobRef.media_type.
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "BMP": "image/bmp",
               "JPEG2000": "image/jp2", "WSQ": "image/wsq"}

Mode = Literal["L", "RGB"]


@dataclass(frozen=True)
class ImageInfo:
    """What an encoded image is, read from its header without decoding the pixels."""

    format: str
    media_type: str
    width: int
    height: int
    mode: str


def _pil(image: np.ndarray) -> object:
    from PIL import Image

    arr = as_image_array(image)
    return Image.fromarray(arr, "L" if arr.ndim == 2 else "RGB")


def _save(image: np.ndarray, fmt: str, **params: object) -> bytes:
    im = _pil(image)
    buf = io.BytesIO()
    try:
        im.save(buf, fmt, **params)  # type: ignore[attr-defined]
    except (OSError, ValueError, KeyError) as exc:
        raise CodecUnavailable(f"Pillow cannot write {fmt}: {exc}") from None
    return buf.getvalue()


def encode_png(image: np.ndarray, ppi: int | None = None, compress_level: int = 6) -> bytes:
    """Lossless PNG bytes of ``image`` (``ppi`` goes into the ``pHYs`` chunk)."""
    params: dict[str, object] = {"compress_level": compress_level}
    if ppi:
        params["dpi"] = (ppi, ppi)
    return _save(image, "PNG", **params)


def encode_jpeg(image: np.ndarray, quality: int = 90, ppi: int | None = None) -> bytes:
    """Baseline JPEG bytes of ``image`` at ``quality`` (1-95)."""
    if not 1 <= quality <= 100:
        raise RecordError(f"JPEG quality {quality} is outside 1..100", "quality")
    params: dict[str, object] = {"quality": quality}
    if ppi:
        params["dpi"] = (ppi, ppi)
    return _save(image, "JPEG", **params)


def encode_bmp(image: np.ndarray, ppi: int | None = None) -> bytes:
    """Uncompressed BMP bytes of ``image``."""
    params: dict[str, object] = {}
    if ppi:
        params["dpi"] = (ppi, ppi)
    return _save(image, "BMP", **params)


def jp2_available() -> bool:
    """Whether this Pillow was built with OpenJPEG (JPEG 2000)."""
    from PIL import features

    return bool(features.check("jpg_2000"))


def encode_jp2(image: np.ndarray, lossless: bool = True, rate: float | None = None) -> bytes:
    """JPEG 2000 (JP2 container) bytes; lossless by default, else compression ``rate``:1.

    Raises :class:`CodecUnavailable` when Pillow lacks OpenJPEG.
    """
    if not jp2_available():
        raise CodecUnavailable("JPEG 2000 needs Pillow built with OpenJPEG")
    params: dict[str, object] = {"irreversible": not lossless, "no_jp2": False}
    if not lossless:
        params["quality_mode"] = "rates"
        params["quality_layers"] = [rate if rate is not None else 10.0]
    return _save(image, "JPEG2000", **params)


def image_info(data: bytes) -> ImageInfo:
    """Format, media type, size and mode of encoded image bytes (header only)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(bytes(data))) as im:
            fmt = str(im.format)
            return ImageInfo(fmt, MEDIA_TYPES.get(fmt, "application/octet-stream"),
                             im.width, im.height, im.mode)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise RecordError(f"not a readable image: {exc.__class__.__name__}", "image") from None


def decode_image(data: bytes, mode: Mode | None = None) -> np.ndarray:
    """Decode PNG/JPEG/BMP/JPEG 2000 (and WSQ when the ``wsq`` extra is installed).

    ``mode`` ``"L"`` gives ``(H, W)`` grey, ``"RGB"`` gives ``(H, W, 3)``; ``None``
    keeps grey images grey and turns everything else into RGB. The result is uint8.
    """
    from PIL import Image, UnidentifiedImageError

    if bytes(data[:2]) == b"\xff\xa0":
        from .wsq import decode_wsq

        grey = decode_wsq(bytes(data))
        if mode == "RGB":
            return np.repeat(grey[:, :, None], 3, axis=2)
        return grey
    try:
        with Image.open(io.BytesIO(bytes(data))) as im:
            im.load()
            target = mode or ("L" if im.mode in ("L", "1", "P") and _grey_palette(im)
                              else "RGB")
            if im.mode == "I;16" and target == "L":
                arr16 = np.asarray(im, dtype=np.uint16)
                return (arr16 >> 8).astype(np.uint8)
            out: np.ndarray = np.array(im.convert(target), dtype=np.uint8)
            return out
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError) as exc:
        raise RecordError(f"cannot decode image: {exc.__class__.__name__}", "image") from None


def _grey_palette(im: object) -> bool:
    if getattr(im, "mode", "") != "P":
        return True
    palette = im.getpalette()  # type: ignore[attr-defined]
    if not palette:
        return False
    rgb = np.asarray(palette, dtype=np.int32).reshape(-1, 3)
    return bool((rgb[:, 0] == rgb[:, 1]).all() and (rgb[:, 1] == rgb[:, 2]).all())
