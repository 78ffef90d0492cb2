"""PNG, JPEG, BMP and JPEG 2000 encoding and decoding for numpy arrays (over Pillow).

Arrays are ``uint8``: ``(H, W)`` grey or ``(H, W, 3)`` RGB. Decoding returns the same
shapes. Resolution, where given, is written into the file's own field (PNG ``pHYs``,
JPEG JFIF density, BMP header) so that other tools see it.

:func:`load_image` is the one way the library reads an image from a file or from bytes
(:func:`decode_image` is the same for bytes). It reads the header first (Pillow's
``Image.open`` decodes no pixels) and refuses, with :class:`ImageError`, an image of
more than :data:`MAX_IMAGE_PIXELS` pixels (40 megapixels: a 20000 x 20000 JPEG, or a
PNG "decompression bomb" whose small file claims a huge canvas) or a file over
:data:`MAX_IMAGE_BYTES`, before any pixel is decoded; a header or body it cannot
read is an :class:`ImageError` too, never a traceback. 16-bit greyscale images
(fingerprint scanners write them) are scaled to 8 bits over their full range
(``value / 257``); 32-bit integer and floating-point images are refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import RecordError
from .codec import CodecUnavailable, as_image_array

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MEDIA_TYPES",
    "CodecUnavailable",
    "ImageError",
    "ImageInfo",
    "as_image_array",
    "decode_image",
    "encode_bmp",
    "encode_jp2",
    "encode_jpeg",
    "encode_png",
    "image_info",
    "jp2_available",
    "load_image",
]

#: Pillow format name -> media type stored in BlobRef.media_type.
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "BMP": "image/bmp",
               "JPEG2000": "image/jp2", "WSQ": "image/wsq"}

Mode = Literal["L", "RGB"]
#: largest image (width x height) the library decodes
MAX_IMAGE_PIXELS = 40_000_000
#: largest image file the library reads
MAX_IMAGE_BYTES = 256 << 20


class ImageError(RecordError):
    """An image is refused: unreadable header or body, too many pixels, unusual depth.

    ``code``: ``image-unreadable``, ``image-too-large``, ``image-depth`` or ``no-file``.
    """

    default_code = "image-unreadable"


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


def load_image(source: bytes | bytearray | memoryview | str | Path, mode: Mode | None = None,
               max_pixels: int = MAX_IMAGE_PIXELS, bgr: bool = False) -> np.ndarray:
    """Read an image file (path) or encoded bytes as a uint8 array, guarded.

    PNG, JPEG, BMP, PGM, TIFF, JPEG 2000 (and WSQ when the ``wsq`` extra is installed).
    ``mode`` ``"L"`` gives ``(H, W)`` grey, ``"RGB"`` gives ``(H, W, 3)``; ``None``
    keeps grey images grey and turns everything else into RGB; ``bgr=True`` gives
    colour in OpenCV's channel order. Raises :class:`ImageError` (see the module
    docstring) for anything it will not or cannot decode.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_IMAGE_BYTES:
                raise ImageError(f"image file {path.name!r} is larger than "
                                 f"{MAX_IMAGE_BYTES >> 20} MiB", "image", "image-too-large")
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImageError(f"image file {path.name!r} not found", "image", "no-file") from None
        except OSError as exc:
            raise ImageError(f"cannot read image file {path.name!r}: {exc.strerror}",
                             "image") from None
    else:
        data = bytes(source)
    out = _decode(data, mode, max_pixels)
    if bgr and out.ndim == 3:
        return np.ascontiguousarray(out[:, :, ::-1])
    return out


def decode_image(data: bytes, mode: Mode | None = None) -> np.ndarray:
    """Decode PNG/JPEG/BMP/JPEG 2000 (and WSQ when the ``wsq`` extra is installed).

    ``mode`` ``"L"`` gives ``(H, W)`` grey, ``"RGB"`` gives ``(H, W, 3)``; ``None``
    keeps grey images grey and turns everything else into RGB. The result is uint8.
    Guarded like :func:`load_image`.
    """
    return load_image(data, mode)


def _decode(data: bytes, mode: Mode | None, max_pixels: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if data[:2] == b"\xff\xa0":
        from .wsq import decode_wsq

        grey = decode_wsq(data)
        if mode == "RGB":
            return np.repeat(grey[:, :, None], 3, axis=2)
        return grey
    try:
        with Image.open(io.BytesIO(data)) as im:  # the header only
            if im.width * im.height > max_pixels:
                raise ImageError(f"image of {im.width} x {im.height} pixels is larger than "
                                 f"the limit of {max_pixels:,} pixels", "image",
                                 "image-too-large")
            im.load()
            if im.getexif().get(0x0112, 1) != 1:  # EXIF orientation, as cameras set it
                from PIL import ImageOps

                im = ImageOps.exif_transpose(im)
            if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
                grey = _grey16(np.asarray(im))
                return np.repeat(grey[:, :, None], 3, axis=2) if mode == "RGB" else grey
            if im.mode == "F" or im.mode.startswith("I;32"):
                raise ImageError(f"image mode {im.mode} (32-bit samples) is not supported",
                                 "image", "image-depth")
            target = mode or ("L" if im.mode in ("L", "1", "P") and _grey_palette(im)
                              else "RGB")
            out: np.ndarray = np.array(im.convert(target), dtype=np.uint8)
            return out
    except ImageError:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard, at twice its limit
        raise ImageError(f"image is larger than the limit of {max_pixels:,} pixels", "image",
                         "image-too-large") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            MemoryError) as exc:
        raise ImageError(f"cannot decode image: {exc.__class__.__name__}", "image") from None


def _grey16(arr: np.ndarray) -> np.ndarray:
    """16-bit grey samples (in any integer array) scaled to 8 bits over the full range."""
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > 0xFFFF):
        raise ImageError("image samples exceed 16 bits", "image", "image-depth")
    wide = arr.astype(np.uint32)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)


def _grey_palette(im: object) -> bool:
    if getattr(im, "mode", "") != "P":
        return True
    palette = im.getpalette()  # type: ignore[attr-defined]
    if not palette:
        return False
    rgb = np.asarray(palette, dtype=np.int32).reshape(-1, 3)
    return bool((rgb[:, 0] == rgb[:, 1]).all() and (rgb[:, 1] == rgb[:, 2]).all())
