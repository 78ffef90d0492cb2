"""ISO/IEC 19794-4:2005 finger image records ("FIR\\0", version "010\\0").

Layout (big-endian): a 32-byte general header (record length in 6 bytes, capture
device, acquisition level, image count, scale units, scan and image resolution, pixel
depth, one compression algorithm for the whole record), then per image a 14-byte
header (data length incl. header, position, view count, view number, quality,
impression type, width, height, reserved) and the image bytes.

The image bytes are kept as stored, so a record read and written again is the same
byte for byte. :meth:`FingerImageRecord.pixels` decodes one image;
:func:`finger_image_record` builds a record from 8-bit grey arrays with any of the
uncompressed, WSQ, JPEG, JPEG 2000 or PNG codings.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import RecordError
from ._binary import ByteReader, check_uint
from .images import CodecUnavailable, as_image_array, decode_image, encode_jp2, encode_jpeg
from .images import encode_png as _encode_png

__all__ = [
    "FINGER_IMAGE_POSITIONS",
    "IMPRESSION_TYPES",
    "QUALITY_FAILED",
    "QUALITY_NOT_COMPUTED",
    "Compression",
    "FingerImage",
    "FingerImageRecord",
    "ScaleUnits",
    "finger_image_record",
    "read",
]

MAGIC = b"FIR\x00"
VERSION = b"010\x00"
HEADER_LEN = 32
IMAGE_HEADER_LEN = 14

#: Finger (0-10), multi-finger plain (11-15) and palm (20-36) position codes.
FINGER_IMAGE_POSITIONS = frozenset(range(0, 16)) | frozenset(range(20, 37))
#: Live-scan plain/rolled, non-live plain/rolled, latent kinds (4-7), swipe (8).
IMPRESSION_TYPES = frozenset(range(0, 9))
QUALITY_NOT_COMPUTED = 254
QUALITY_FAILED = 255


class Compression(enum.IntEnum):
    """Image compression algorithm codes."""

    UNCOMPRESSED = 0
    BIT_PACKED = 1
    WSQ = 2
    JPEG = 3
    JPEG2000 = 4
    PNG = 5


class ScaleUnits(enum.IntEnum):
    """Units of the resolution fields."""

    PPI = 1
    PPCM = 2


_SIGNATURES: dict[Compression, tuple[bytes, ...]] = {
    Compression.WSQ: (b"\xff\xa0",),
    Compression.JPEG: (b"\xff\xd8",),
    Compression.JPEG2000: (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"),
    Compression.PNG: (b"\x89PNG\r\n\x1a\n",),
}


@dataclass(frozen=True)
class FingerImage:
    """One finger (or palm) image as stored, with its header fields.

    ``quality`` is 0-100, 254 (not computed) or 255 (computation failed);
    ``view_number`` counts from 1 up to ``view_count``.
    """

    position: int
    data: bytes
    width: int
    height: int
    view_number: int = 1
    view_count: int = 1
    quality: int = QUALITY_NOT_COMPUTED
    impression_type: int = 0


@dataclass(frozen=True)
class FingerImageRecord:
    """An ISO/IEC 19794-4:2005 finger image record."""

    images: tuple[FingerImage, ...]
    compression: Compression = Compression.PNG
    scan_resolution: tuple[int, int] = (500, 500)
    image_resolution: tuple[int, int] = (500, 500)
    scale_units: ScaleUnits = ScaleUnits.PPI
    pixel_depth: int = 8
    capture_device_id: int = 0
    acquisition_level: int = 31

    def to_bytes(self) -> bytes:
        """The record's bytes; :class:`RecordError` names any field that cannot be written."""
        p = "iso19794-4"
        try:
            comp = Compression(self.compression)
        except ValueError:
            raise RecordError(f"unknown compression code {self.compression!r}",
                              f"{p}.compression") from None
        try:
            units = ScaleUnits(self.scale_units)
        except ValueError:
            raise RecordError(f"unknown scale units {self.scale_units!r}",
                              f"{p}.scale_units") from None
        if not 1 <= self.pixel_depth <= 16:
            raise RecordError(f"pixel depth {self.pixel_depth} is outside 1..16",
                              f"{p}.pixel_depth")
        check_uint(len(self.images), 8, f"{p}.images")
        res = []
        for name, pair in (("scan_resolution", self.scan_resolution),
                           ("image_resolution", self.image_resolution)):
            for v in pair:
                if check_uint(v, 16, f"{p}.{name}") == 0:
                    raise RecordError("must be at least 1", f"{p}.{name}")
                res.append(v)
        body = bytearray()
        for i, img in enumerate(self.images):
            body += _image_bytes(img, comp, self.pixel_depth, f"{p}.image[{i}]")
        total = check_uint(HEADER_LEN + len(body), 48, f"{p}.length")
        head = bytearray(MAGIC + VERSION + total.to_bytes(6, "big"))
        head += check_uint(self.capture_device_id, 16, f"{p}.capture_device_id").to_bytes(2, "big")
        head += check_uint(self.acquisition_level, 16, f"{p}.acquisition_level").to_bytes(2, "big")
        head += bytes((len(self.images), int(units)))
        for v in res:
            head += v.to_bytes(2, "big")
        head += bytes((self.pixel_depth, int(comp), 0, 0))
        return bytes(head + body)

    @classmethod
    def from_bytes(cls, data: bytes) -> FingerImageRecord:
        return read(data)

    def pixels(self, index: int = 0) -> np.ndarray:
        """Decode image ``index`` to an 8-bit grey ``(H, W)`` array."""
        try:
            img = self.images[index]
        except IndexError:
            raise RecordError(f"no image {index} in a record of {len(self.images)}",
                              "iso19794-4.images") from None
        path = f"iso19794-4.image[{index}]"
        comp = Compression(self.compression)
        if comp in (Compression.UNCOMPRESSED, Compression.BIT_PACKED) and self.pixel_depth == 8:
            arr: np.ndarray = np.frombuffer(img.data, np.uint8).reshape(img.height, img.width)
        elif comp is Compression.UNCOMPRESSED and 8 < self.pixel_depth <= 16:
            wide = np.frombuffer(img.data, dtype=">u2").reshape(img.height, img.width)
            arr = (wide >> (self.pixel_depth - 8)).astype(np.uint8)
        elif comp in (Compression.UNCOMPRESSED, Compression.BIT_PACKED):
            raise CodecUnavailable(f"decoding {self.pixel_depth}-bit {comp.name.lower()} "
                                   "images is not supported")
        else:
            arr = decode_image(img.data, "L")
        if arr.shape != (img.height, img.width):
            raise RecordError(f"decoded image is {arr.shape[1]}x{arr.shape[0]}, header says "
                              f"{img.width}x{img.height}", path)
        return np.array(arr, dtype=np.uint8)


def _image_bytes(img: FingerImage, comp: Compression, depth: int, p: str) -> bytes:
    if img.position not in FINGER_IMAGE_POSITIONS:
        raise RecordError(f"position code {img.position} is not a finger or palm position",
                          f"{p}.position")
    if check_uint(img.view_count, 8, f"{p}.view_count") < 1:
        raise RecordError("must be at least 1", f"{p}.view_count")
    if not 1 <= check_uint(img.view_number, 8, f"{p}.view_number") <= img.view_count:
        raise RecordError(f"view number {img.view_number} is outside 1..{img.view_count}",
                          f"{p}.view_number")
    _check_quality(img.quality, f"{p}.quality")
    if img.impression_type not in IMPRESSION_TYPES:
        raise RecordError(f"impression type {img.impression_type} is not 0-8",
                          f"{p}.impression_type")
    for name in ("width", "height"):
        if check_uint(getattr(img, name), 16, f"{p}.{name}") == 0:
            raise RecordError("must be at least 1", f"{p}.{name}")
    if not isinstance(img.data, (bytes, bytearray)):
        raise RecordError("image data must be bytes", f"{p}.data")
    problem = _data_problem(bytes(img.data), comp, depth, img.width, img.height)
    if problem:
        raise RecordError(problem, f"{p}.data")
    length = check_uint(IMAGE_HEADER_LEN + len(img.data), 32, f"{p}.length")
    return (length.to_bytes(4, "big")
            + bytes((img.position, img.view_count, img.view_number, img.quality,
                     img.impression_type))
            + img.width.to_bytes(2, "big") + img.height.to_bytes(2, "big") + b"\x00"
            + bytes(img.data))


def _check_quality(value: int, path: str) -> None:
    check_uint(value, 8, path)
    if value > 100 and value not in (QUALITY_NOT_COMPUTED, QUALITY_FAILED):
        raise RecordError(f"quality {value} is not 0-100, 254 or 255", path)


def _data_problem(data: bytes, comp: Compression, depth: int, w: int, h: int) -> str | None:
    if comp is Compression.UNCOMPRESSED:
        need = w * h * (1 if depth <= 8 else 2)
        if len(data) != need:
            return f"{len(data)} bytes of uncompressed data for a {w}x{h} {depth}-bit image " \
                   f"(expected {need})"
        return None
    if comp is Compression.BIT_PACKED:
        if len(data) < (w * h * depth + 7) // 8:
            return f"{len(data)} bytes are too few for a bit-packed {w}x{h} {depth}-bit image"
        return None
    if not data.startswith(_SIGNATURES[comp]):
        return f"data does not start with a {comp.name} signature"
    return None


def read(data: bytes) -> FingerImageRecord:
    """Parse an ISO/IEC 19794-4:2005 record (strict; :class:`FormatError` on any fault)."""
    r = ByteReader(data, "iso19794-4")
    r.expect(MAGIC, "format_identifier")
    r.expect(VERSION, "version")
    off = r.pos
    length = r.uint(6, "length")
    if length != len(r.data):
        raise r.error(f"record length {length} does not match the data size {len(r.data)}",
                      "length", off)
    device = r.u16("capture_device_id")
    level = r.u16("acquisition_level")
    count = r.u8("images")
    off = r.pos
    units = ScaleUnits(r.check_in(r.u8("scale_units"), {1, 2}, "scale_units", off))
    res = []
    for name in ("scan_resolution.h", "scan_resolution.v", "image_resolution.h",
                 "image_resolution.v"):
        off = r.pos
        res.append(r.check_range(r.u16(name), 1, 0xFFFF, name, off))
    off = r.pos
    depth = r.check_range(r.u8("pixel_depth"), 1, 16, "pixel_depth", off)
    off = r.pos
    comp = Compression(r.check_range(r.u8("compression"), 0, 5, "compression", off))
    off = r.pos
    if r.u16("reserved"):
        raise r.error("reserved bytes are not 0", "reserved", off)
    images = []
    for i in range(count):
        p = f"image[{i}]"
        start = r.pos
        size = r.u32(f"{p}.length")
        if size < IMAGE_HEADER_LEN or size - 4 > r.remaining:
            raise r.error(f"image length {size} does not fit the record", f"{p}.length", start)
        off = r.pos
        pos = r.check_in(r.u8(f"{p}.position"), FINGER_IMAGE_POSITIONS, f"{p}.position", off)
        off = r.pos
        vcount = r.check_range(r.u8(f"{p}.view_count"), 1, 255, f"{p}.view_count", off)
        off = r.pos
        vnum = r.check_range(r.u8(f"{p}.view_number"), 1, vcount, f"{p}.view_number", off)
        off = r.pos
        quality = r.u8(f"{p}.quality")
        if quality > 100 and quality not in (QUALITY_NOT_COMPUTED, QUALITY_FAILED):
            raise r.error(f"quality {quality} is not 0-100, 254 or 255", f"{p}.quality", off)
        off = r.pos
        imp = r.check_in(r.u8(f"{p}.impression_type"), IMPRESSION_TYPES,
                         f"{p}.impression_type", off)
        dims = []
        for name in ("width", "height"):
            off = r.pos
            dims.append(r.check_range(r.u16(f"{p}.{name}"), 1, 0xFFFF, f"{p}.{name}", off))
        off = r.pos
        if r.u8(f"{p}.reserved"):
            raise r.error("reserved byte is not 0", f"{p}.reserved", off)
        off = r.pos
        body = r.take(size - IMAGE_HEADER_LEN, f"{p}.data")
        problem = _data_problem(body, comp, depth, dims[0], dims[1])
        if problem:
            raise r.error(problem, f"{p}.data", off)
        images.append(FingerImage(pos, body, dims[0], dims[1], vnum, vcount, quality, imp))
    r.end()
    return FingerImageRecord(tuple(images), comp, (res[0], res[1]), (res[2], res[3]), units,
                             depth, device, level)


def _encode(arr: np.ndarray, comp: Compression, ppi: int) -> bytes:
    if comp is Compression.UNCOMPRESSED:
        return arr.tobytes()
    if comp is Compression.PNG:
        return _encode_png(arr, ppi=ppi)
    if comp is Compression.JPEG:
        return encode_jpeg(arr, quality=90, ppi=ppi)
    if comp is Compression.JPEG2000:
        return encode_jp2(arr, lossless=True)
    if comp is Compression.WSQ:
        from .wsq import encode_wsq

        return encode_wsq(arr, ppi=ppi)
    raise RecordError(f"writing {comp.name.lower()} images is not supported", "compression")


def finger_image_record(images: Sequence[tuple[np.ndarray, int]], *,
                        compression: Compression = Compression.PNG, ppi: int = 500,
                        quality: Sequence[int] | None = None, impression_type: int = 0,
                        capture_device_id: int = 0,
                        acquisition_level: int = 31) -> FingerImageRecord:
    """Build a record from ``(8-bit grey array, position code)`` pairs.

    Views of the same position are numbered 1, 2, ... in the order given and each
    carries the total count. ``quality`` gives one 0-100 score per image (default:
    254, not computed).
    """
    comp = Compression(compression)
    arrays = [as_image_array(a, f"images[{n}]") for n, (a, _) in enumerate(images)]
    for n, a in enumerate(arrays):
        if a.ndim != 2:
            raise RecordError("finger images are 8-bit grey (H, W)", f"images[{n}]")
    positions = [int(pos) for _, pos in images]
    totals = {pos: positions.count(pos) for pos in positions}
    seen: dict[int, int] = {}
    out = []
    for n, (arr, pos) in enumerate(zip(arrays, positions)):
        seen[pos] = seen.get(pos, 0) + 1
        q = quality[n] if quality is not None else QUALITY_NOT_COMPUTED
        out.append(FingerImage(pos, _encode(arr, comp, ppi), arr.shape[1], arr.shape[0],
                               seen[pos], totals[pos], q, impression_type))
    return FingerImageRecord(tuple(out), comp, (ppi, ppi), (ppi, ppi), ScaleUnits.PPI, 8,
                             capture_device_id, acquisition_level)
