"""WSQ fingerprint image compression over the ``wsq`` package (NIST NBIS codec).

Install with the ``wsq`` extra (``pip install idcapture[wsq]``). Without it the
functions raise :class:`~idcapture.formats.codec.CodecUnavailable`.

The ``wsq`` package (0.9) encodes at NBIS's classic 0.75 bit/pixel target and records
500 ppi; it offers no other rate. :func:`encode_wsq` therefore accepts only
``bitrate=0.75`` and writes the requested resolution into the file's ``NIST_COM``
comment (the field WSQ readers, NBIS included, take the resolution from).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ..errors import RecordError
from ._binary import ByteReader
from .codec import CodecUnavailable, as_image_array

__all__ = ["SUPPORTED_BITRATE", "WsqInfo", "decode_wsq", "encode_wsq", "wsq_available",
           "wsq_info"]

#: The only bit rate the ``wsq`` package encodes at.
SUPPORTED_BITRATE = 0.75

_SOI = b"\xff\xa0"
_EOI = b"\xff\xa1"
_SOF = b"\xff\xa2"
_SOB = b"\xff\xa3"
_COM = b"\xff\xa8"
_SEGMENTS = {b"\xff\xa2", b"\xff\xa4", b"\xff\xa5", b"\xff\xa6", b"\xff\xa7", b"\xff\xa8"}


def wsq_available() -> bool:
    """Whether the ``wsq`` package is installed."""
    try:
        import wsq  # noqa: F401
    except ImportError:
        return False
    return True


def _require() -> None:
    if not wsq_available():
        raise CodecUnavailable("WSQ needs the 'wsq' package: pip install idcapture[wsq]")


@dataclass(frozen=True)
class WsqInfo:
    """Header facts of a WSQ file: size from the frame header, ppi from ``NIST_COM``."""

    width: int
    height: int
    ppi: int | None


def encode_wsq(image: np.ndarray, ppi: int = 500, bitrate: float = SUPPORTED_BITRATE) -> bytes:
    """WSQ bytes of an 8-bit grey ``(H, W)`` image.

    ``ppi`` is recorded in the ``NIST_COM`` comment. ``bitrate`` must be 0.75 (the
    only rate the installed codec offers); anything else raises
    :class:`CodecUnavailable` rather than silently encoding at another rate.
    """
    _require()
    arr = as_image_array(image)
    if arr.ndim != 2:
        raise RecordError("WSQ images are 8-bit grey (H, W)", "image")
    if arr.shape[0] < 8 or arr.shape[1] < 8:
        raise RecordError(f"image of shape {arr.shape} is too small for WSQ (8x8 minimum)",
                          "image")
    if abs(bitrate - SUPPORTED_BITRATE) > 1e-9:
        raise CodecUnavailable(f"the installed WSQ codec encodes at {SUPPORTED_BITRATE} "
                               f"bit/pixel only, not {bitrate}")
    if not 1 <= ppi <= 0xFFFF:
        raise RecordError(f"resolution {ppi} ppi is outside 1..65535", "ppi")
    import wsq  # noqa: F401  (registers the Pillow plug-in)
    from PIL import Image

    buf = io.BytesIO()
    try:
        Image.fromarray(arr, "L").save(buf, "WSQ")
    except (OSError, ValueError) as exc:
        raise RecordError(f"WSQ encoder failed: {exc}", "image") from None
    data = buf.getvalue()
    return _set_ppi(data, ppi) if ppi != 500 else data


def decode_wsq(data: bytes, *, isolate: bool = False, timeout: float = 30.0) -> np.ndarray:
    """Decode WSQ bytes to an 8-bit grey ``(H, W)`` array (:class:`RecordError` if malformed).

    The marker structure is checked in Python first, but the NBIS decoder underneath
    is not hardened: deliberately corrupted entropy-coded data can crash the process.
    For files from outside the station pass ``isolate=True``, which decodes in a child
    process (about a tenth of a second more) and turns a crash into a
    :class:`RecordError`.
    """
    _require()
    info = wsq_info(data)  # validates the marker structure before the C decoder sees it
    if isolate:
        return _decode_isolated(bytes(data), info, timeout)
    import wsq  # noqa: F401
    from PIL import Image

    try:
        with Image.open(io.BytesIO(bytes(data)), formats=["WSQ"]) as im:
            im.load()
            arr: np.ndarray = np.array(im, dtype=np.uint8)
    except Exception as exc:  # the C codec raises bare Exception on corrupt data
        raise RecordError(f"cannot decode WSQ data: {exc}", "wsq") from None
    if arr.shape != (info.height, info.width):
        raise RecordError("decoded size disagrees with the frame header", "wsq")
    return arr


def wsq_info(data: bytes) -> WsqInfo:
    """Size and resolution of WSQ bytes, from the marker segments (no pixel decoding)."""
    r = ByteReader(bytes(data), "wsq")
    r.expect(_SOI, "soi")
    width = height = None
    ppi: int | None = None
    while True:
        off = r.pos
        marker = r.take(2, "marker")
        if marker in (_SOB, _EOI):
            break
        if marker not in _SEGMENTS:
            raise r.error(f"unknown marker {marker.hex()}", "marker", off)
        length = r.u16("segment_length")
        if length < 2:
            raise r.error(f"segment length {length} is too short", "segment_length", off + 2)
        body = r.take(length - 2, "segment")
        if marker == _SOF:
            if len(body) < 6:
                raise r.error("frame header is too short", "sof", off)
            height = int.from_bytes(body[2:4], "big")
            width = int.from_bytes(body[4:6], "big")
        elif marker == _COM and body.startswith(b"NIST_COM"):
            for line in body.split(b"\n"):
                key, _, value = line.partition(b" ")
                if key == b"PPI" and value.strip().lstrip(b"-").isdigit():
                    ppi = int(value)
                    ppi = ppi if ppi > 0 else None
    if width is None or height is None:
        raise r.error("no frame header (FFA2) before the first block", "sof", r.pos)
    if width == 0 or height == 0:
        raise r.error("zero image size in the frame header", "sof", r.pos)
    return WsqInfo(width, height, ppi)


def _set_ppi(data: bytes, ppi: int) -> bytes:
    """Rewrite (or add) the ``PPI`` line of the ``NIST_COM`` comment."""
    pos = 2
    while pos + 4 <= len(data):
        marker = data[pos:pos + 2]
        if marker not in _SEGMENTS:
            break
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        body = data[pos + 4:pos + 2 + length]
        if marker == _COM and body.startswith(b"NIST_COM"):
            lines = body.split(b"\n")
            if any(ln.startswith(b"PPI ") for ln in lines):
                lines = [b"PPI %d" % ppi if ln.startswith(b"PPI ") else ln for ln in lines]
            else:
                count = lines[0].partition(b" ")[2].strip()
                if count.isdigit():
                    lines[0] = b"NIST_COM %d" % (int(count) + 1)
                lines.insert(1, b"PPI %d" % ppi)
            text = b"\n".join(lines)
            seg = _COM + (len(text) + 2).to_bytes(2, "big") + text
            return data[:pos] + seg + data[pos + 2 + length:]
        pos += 2 + length
    # no NIST_COM comment: add one right after the start-of-image marker
    text = b"NIST_COM 2\nPPI %d\n" % ppi
    return data[:2] + _COM + (len(text) + 2).to_bytes(2, "big") + text + data[2:]


_CHILD = (
    "import sys\n"
    "from idcapture.formats.wsq import decode_wsq\n"
    "sys.stdout.buffer.write(decode_wsq(sys.stdin.buffer.read()).tobytes())\n"
)


def _decode_isolated(data: bytes, info: WsqInfo, timeout: float) -> np.ndarray:
    import subprocess
    import sys

    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD], input=data, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RecordError(f"WSQ decoder did not finish within {timeout} s", "wsq") from None
    if proc.returncode != 0:
        how = (f"crashed (signal {-proc.returncode})" if proc.returncode < 0
               else "rejected the data")
        raise RecordError(f"WSQ decoder {how}", "wsq")
    if len(proc.stdout) != info.width * info.height:
        raise RecordError("decoded size disagrees with the frame header", "wsq")
    out: np.ndarray = np.frombuffer(proc.stdout, dtype=np.uint8).reshape(info.height,
                                                                         info.width).copy()
    return out
