"""Finger minutiae records: ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004.

Both standards share one layout apart from the record header and the angle unit:

==================  ==========================  ===============================
                    ISO/IEC 19794-2:2005        ANSI INCITS 378-2004
==================  ==========================  ===============================
header              24 bytes                    26 bytes (30 when > 65,535 bytes)
record length       4 bytes                     2 bytes, or 0x0000 + 4 bytes
CBEFF product id    none                        4 bytes (owner 2 + type 2)
angle unit          360/256 = 1.40625 degrees   2 degrees, 0-179
==================  ==========================  ===============================

A record holds one or more finger views; each view holds up to 255 minutiae (6 bytes
each) and an extended data block of typed areas (ridge counts, core and delta,
vendor data) that is kept as opaque bytes so that records round-trip byte for byte.

The dataclasses hold the values exactly as stored (pixels, px/cm, the standard's angle
unit). :func:`from_template` and :meth:`MinutiaeRecord.to_templates` convert to and
from the extractor's :class:`~idcapture.biometrics.finger.template.FingerTemplate`
(float pixels, radians, pixels per inch).

Reading is strict: wrong magic, a length that disagrees with the data, truncated
views, reserved bits or codes, out-of-range values and minutiae outside the image all
raise :class:`~idcapture.formats.FormatError` (a :class:`~idcapture.errors.RecordError`)
naming the field and its byte offset.

Why this module is long: both standards share one layout, parsed and written by the same
code with the differences in one table; two modules would copy the common part.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import RecordError
from ..record import FingerPosition
from ._binary import ByteReader, FormatError, check_uint
from .minutiae_maps import AREA_BLOCK_MAPS, block_maps_area, read_block_maps

if TYPE_CHECKING:
    from ..biometrics.finger.template import FingerTemplate

__all__ = [
    "CoreDeltaData",
    "CorePoint",
    "DeltaPoint",
    "ExtendedDataArea",
    "FingerView",
    "ImpressionType",
    "MinutiaType",
    "MinutiaeRecord",
    "MinutiaeStandard",
    "RecordMinutia",
    "RidgeCountData",
    "RidgeCountMethod",
    "detect_standard",
    "from_template",
    "ppcm_to_ppi",
    "ppi_to_ppcm",
    "read_minutiae_record",
    "write_minutiae_record",
]

MAGIC = b"FMR\x00"
VERSION_2005 = b" 20\x00"
ISO_HEADER_LEN = 24
ANSI_HEADER_LEN = 26
ANSI_LONG_HEADER_LEN = 30
VIEW_HEADER_LEN = 4
MINUTIA_LEN = 6
MAX_COORD = (1 << 14) - 1

AREA_RIDGE_COUNT = 0x0001
AREA_CORE_DELTA = 0x0002


class MinutiaeStandard(str, enum.Enum):
    """Which minutiae record standard (and edition) a record follows."""

    ISO_19794_2_2005 = "iso-19794-2:2005"
    ANSI_378_2004 = "ansi-378:2004"

    @property
    def angle_unit_degrees(self) -> float:
        """Degrees per stored angle unit (1.40625 for ISO, 2 for ANSI)."""
        return 360.0 / 256.0 if self is MinutiaeStandard.ISO_19794_2_2005 else 2.0

    @property
    def angle_units(self) -> int:
        """Number of distinct stored angle values (256 for ISO, 180 for ANSI)."""
        return 256 if self is MinutiaeStandard.ISO_19794_2_2005 else 180

    @property
    def label(self) -> str:
        return "iso19794-2" if self is MinutiaeStandard.ISO_19794_2_2005 else "ansi378"


class MinutiaType(enum.IntEnum):
    """The 2-bit minutia type (code 3 is reserved)."""

    OTHER = 0
    RIDGE_ENDING = 1
    BIFURCATION = 2


class ImpressionType(enum.IntEnum):
    """Impression type of a finger view (ISO/IEC 19794-2:2005 and ANSI 378-2004)."""

    LIVE_SCAN_PLAIN = 0
    LIVE_SCAN_ROLLED = 1
    NON_LIVE_SCAN_PLAIN = 2
    NON_LIVE_SCAN_ROLLED = 3
    LIVE_SCAN_SWIPE = 8


class RidgeCountMethod(enum.IntEnum):
    """Ridge-count extraction method of a ridge-count area."""

    NON_SPECIFIC = 0
    FOUR_NEIGHBOUR = 1
    EIGHT_NEIGHBOUR = 2


def ppi_to_ppcm(ppi: float) -> int:
    """Pixels per inch to the pixels-per-centimetre the headers store (500 -> 197)."""
    return round(ppi / 2.54)


def ppcm_to_ppi(ppcm: int) -> int:
    """Pixels per centimetre back to pixels per inch (197 -> 500)."""
    return round(ppcm * 2.54)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class RecordMinutia:
    """One minutia as stored: pixel position, angle in the standard's unit, quality 0-100."""

    type: MinutiaType
    x: int
    y: int
    angle: int
    quality: int = 0

    def angle_degrees(self, standard: MinutiaeStandard) -> float:
        """The angle in degrees, counter-clockwise from +x as seen on screen."""
        return self.angle * standard.angle_unit_degrees


@dataclass(frozen=True)
class ExtendedDataArea:
    """One area of a view's extended data block, kept as opaque bytes.

    ``type_id`` 0x0001 is ridge-count data, 0x0002 core and delta data, others are
    vendor-defined. :meth:`ridge_counts` and :meth:`core_delta` parse the two
    standard kinds on demand.
    """

    type_id: int
    data: bytes

    def ridge_counts(self) -> RidgeCountData:
        if self.type_id != AREA_RIDGE_COUNT:
            raise RecordError(f"area type 0x{self.type_id:04x} is not ridge-count data",
                              "extended_data.type_id")
        return RidgeCountData.parse(self.data)

    def core_delta(self) -> CoreDeltaData:
        if self.type_id != AREA_CORE_DELTA:
            raise RecordError(f"area type 0x{self.type_id:04x} is not core and delta data",
                              "extended_data.type_id")
        return CoreDeltaData.parse(self.data)


@dataclass(frozen=True)
class RidgeCountData:
    """Ridge counts between pairs of minutiae (indices into the view's minutiae)."""

    method: RidgeCountMethod
    counts: tuple[tuple[int, int, int], ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> RidgeCountData:
        r = ByteReader(data, "ridge_counts")
        off = r.pos
        method = r.check_in(r.u8("method"), {0, 1, 2}, "method", off)
        if r.remaining % 3:
            raise r.error("ridge-count entries are 3 bytes each", "counts")
        counts = []
        while r.remaining:
            counts.append((r.u8("index1"), r.u8("index2"), r.u8("count")))
        return cls(RidgeCountMethod(method), tuple(counts))

    def to_bytes(self) -> bytes:
        out = bytearray([check_uint(int(self.method), 8, "ridge_counts.method")])
        for n, (a, b, c) in enumerate(self.counts):
            for v in (a, b, c):
                check_uint(v, 8, f"ridge_counts.counts[{n}]")
            out += bytes((a, b, c))
        return bytes(out)

    def to_area(self) -> ExtendedDataArea:
        return ExtendedDataArea(AREA_RIDGE_COUNT, self.to_bytes())


@dataclass(frozen=True)
class CorePoint:
    """A core: position in pixels, angle in the standard's unit (``None`` if absent)."""

    x: int
    y: int
    angle: int | None = None


@dataclass(frozen=True)
class DeltaPoint:
    """A delta: position in pixels and its three angles (``None`` if absent)."""

    x: int
    y: int
    angles: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class CoreDeltaData:
    """Core and delta area (0x0002) in the ISO/IEC 19794-2:2005 layout.

    One byte (bits 7-6 info type: 1 = angles present; bits 3-0 count) then 4 or 5
    bytes per core; the same for deltas with 4 or 7 bytes each. ANSI 378-2004 lays
    this area out differently in detail; keep such areas as opaque bytes.
    """

    cores: tuple[CorePoint, ...] = ()
    deltas: tuple[DeltaPoint, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> CoreDeltaData:
        r = ByteReader(data, "core_delta")
        off = r.pos
        b = r.u8("core_info")
        if b & 0x30 or (b >> 6) > 1:
            raise r.error("reserved bits or info type set", "core_info", off)
        with_angle = (b >> 6) == 1
        cores = []
        for i in range(b & 0x0F):
            x, y = _read_point(r, f"core[{i}]")
            cores.append(CorePoint(x, y, r.u8(f"core[{i}].angle") if with_angle else None))
        off = r.pos
        b = r.u8("delta_info")
        if b & 0x30 or (b >> 6) > 1:
            raise r.error("reserved bits or info type set", "delta_info", off)
        with_angle = (b >> 6) == 1
        deltas = []
        for i in range(b & 0x0F):
            x, y = _read_point(r, f"delta[{i}]")
            angles = None
            if with_angle:
                angles = (r.u8(f"delta[{i}].angle1"), r.u8(f"delta[{i}].angle2"),
                          r.u8(f"delta[{i}].angle3"))
            deltas.append(DeltaPoint(x, y, angles))
        r.end()
        return cls(tuple(cores), tuple(deltas))

    def to_bytes(self) -> bytes:
        out = bytearray()
        groups: tuple[tuple[str, Sequence[CorePoint | DeltaPoint]], ...] = (
            ("cores", self.cores), ("deltas", self.deltas))
        for kind, pts in groups:
            if len(pts) > 15:
                raise RecordError("at most 15 points", f"core_delta.{kind}")
            flags = [(p.angle if isinstance(p, CorePoint) else p.angles) is not None
                     for p in pts]
            if any(flags) and not all(flags):
                raise RecordError("angles must be given for all points or none",
                                  f"core_delta.{kind}")
            out.append(((1 << 6) if flags and flags[0] else 0) | len(pts))
            for n, p in enumerate(pts):
                out += check_uint(p.x, 14, f"core_delta.{kind}[{n}].x").to_bytes(2, "big")
                out += check_uint(p.y, 14, f"core_delta.{kind}[{n}].y").to_bytes(2, "big")
                if isinstance(p, CorePoint) and p.angle is not None:
                    out.append(check_uint(p.angle, 8, f"core_delta.{kind}[{n}].angle"))
                elif isinstance(p, DeltaPoint) and p.angles is not None:
                    for a in p.angles:
                        out.append(check_uint(a, 8, f"core_delta.{kind}[{n}].angles"))
        return bytes(out)

    def to_area(self) -> ExtendedDataArea:
        return ExtendedDataArea(AREA_CORE_DELTA, self.to_bytes())


def _read_point(r: ByteReader, name: str) -> tuple[int, int]:
    off = r.pos
    x = r.u16(f"{name}.x")
    y = r.u16(f"{name}.y")
    if x >> 14 or y >> 14:
        raise r.error("reserved top bits are set", name, off)
    return x, y


@dataclass(frozen=True)
class FingerView:
    """One finger view: position, view number, impression, quality, minutiae, extended data."""

    position: FingerPosition
    view_number: int = 0
    impression_type: ImpressionType = ImpressionType.LIVE_SCAN_PLAIN
    quality: int = 0
    minutiae: tuple[RecordMinutia, ...] = ()
    extended_data: tuple[ExtendedDataArea, ...] = ()

    def area(self, type_id: int) -> ExtendedDataArea | None:
        """The first extended data area of ``type_id``, if any."""
        for a in self.extended_data:
            if a.type_id == type_id:
                return a
        return None


@dataclass(frozen=True)
class MinutiaeRecord:
    """A finger minutiae record (ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004).

    ``x_resolution``/``y_resolution`` are pixels per centimetre as stored (197 for
    500 ppi). ``product_owner``/``product_type`` (the CBEFF product identifier) exist
    in ANSI records only and must be 0 for ISO. ``capture_device_type`` is 12 bits,
    ``certification_flags`` 4 bits.
    """

    standard: MinutiaeStandard
    width: int
    height: int
    x_resolution: int = 197
    y_resolution: int = 197
    views: tuple[FingerView, ...] = ()
    capture_device_type: int = 0
    certification_flags: int = 0
    product_owner: int = 0
    product_type: int = 0

    # ------------------------------------------------------------------ bytes

    def to_bytes(self) -> bytes:
        """The record's bytes; :class:`RecordError` names any field that cannot be written."""
        std = MinutiaeStandard(self.standard)
        p = std.label
        equip = ((check_uint(self.certification_flags, 4, f"{p}.certification_flags") << 12)
                 | check_uint(self.capture_device_type, 12, f"{p}.capture_device_type"))
        for name in ("width", "height", "x_resolution", "y_resolution"):
            value = check_uint(getattr(self, name), 16, f"{p}.{name}")
            if value == 0:
                raise RecordError("must be at least 1", f"{p}.{name}")
        body = bytearray()
        check_uint(len(self.views), 8, f"{p}.views")
        for v_i, view in enumerate(self.views):
            body += _view_bytes(view, self, std, f"{p}.view[{v_i}]")
        tail = (equip.to_bytes(2, "big") + self.width.to_bytes(2, "big")
                + self.height.to_bytes(2, "big") + self.x_resolution.to_bytes(2, "big")
                + self.y_resolution.to_bytes(2, "big") + bytes((len(self.views), 0)))
        if std is MinutiaeStandard.ISO_19794_2_2005:
            if self.product_owner or self.product_type:
                raise RecordError("ISO/IEC 19794-2:2005 records have no CBEFF product id",
                                  f"{p}.product_owner")
            total = ISO_HEADER_LEN + len(body)
            length = check_uint(total, 32, f"{p}.length").to_bytes(4, "big")
            return MAGIC + VERSION_2005 + length + tail + bytes(body)
        product = (check_uint(self.product_owner, 16, f"{p}.product_owner").to_bytes(2, "big")
                   + check_uint(self.product_type, 16, f"{p}.product_type").to_bytes(2, "big"))
        total = ANSI_HEADER_LEN + len(body)
        if total <= 0xFFFF:
            length = total.to_bytes(2, "big")
        else:
            total = ANSI_LONG_HEADER_LEN + len(body)
            length = b"\x00\x00" + check_uint(total, 32, f"{p}.length").to_bytes(4, "big")
        return MAGIC + VERSION_2005 + length + product + tail + bytes(body)

    @classmethod
    def from_bytes(cls, data: bytes,
                   standard: MinutiaeStandard | None = None) -> MinutiaeRecord:
        """Parse a record; ``standard`` ``None`` tells ISO from ANSI by the length field."""
        return read_minutiae_record(data, standard)

    # ------------------------------------------------------------------ templates

    def to_templates(self) -> list[FingerTemplate]:
        """One :class:`FingerTemplate` per view (pixels, radians, pixels per inch)."""
        from ..biometrics.finger.template import FingerTemplate, Minutia, MinutiaKind

        kinds = {MinutiaType.OTHER: MinutiaKind.OTHER,
                 MinutiaType.RIDGE_ENDING: MinutiaKind.ENDING,
                 MinutiaType.BIFURCATION: MinutiaKind.BIFURCATION}
        unit = math.radians(self.standard.angle_unit_degrees)
        ppi = ppcm_to_ppi(self.x_resolution)
        out = []
        for view in self.views:
            mins = tuple(Minutia(float(m.x), float(m.y), (m.angle * unit) % (2 * math.pi),
                                 kinds[m.type], int(m.quality)) for m in view.minutiae)
            area = view.area(AREA_BLOCK_MAPS)
            if area is None:
                out.append(FingerTemplate(self.width, self.height, ppi, mins,
                                          int(view.quality), FingerPosition(view.position)))
                continue
            label = MinutiaeStandard(self.standard).label
            maps = read_block_maps(area.data, f"{label}.view[{len(out)}].block_maps")
            out.append(FingerTemplate(self.width, self.height, ppi, mins, int(view.quality),
                                      FingerPosition(view.position), maps.block_size,
                                      maps.orientation, None, maps.ridge_period, maps.mask))
        return out


def _view_bytes(view: FingerView, rec: MinutiaeRecord, std: MinutiaeStandard,
                p: str) -> bytes:
    try:
        pos = FingerPosition(view.position)
    except ValueError:
        raise RecordError(f"not a finger position code 0-10: {view.position!r}",
                          f"{p}.position") from None
    check_uint(view.view_number, 4, f"{p}.view_number")
    try:
        imp = ImpressionType(view.impression_type)
    except ValueError:
        raise RecordError(f"not an impression type code: {view.impression_type!r}",
                          f"{p}.impression_type") from None
    _check_quality(view.quality, f"{p}.quality")
    check_uint(len(view.minutiae), 8, f"{p}.minutiae")
    out = bytearray((int(pos), (view.view_number << 4) | int(imp), view.quality,
                     len(view.minutiae)))
    for m_i, m in enumerate(view.minutiae):
        q = f"{p}.minutia[{m_i}]"
        try:
            mtype = MinutiaType(m.type)
        except ValueError:
            raise RecordError(f"not a minutia type 0-2: {m.type!r}", f"{q}.type") from None
        check_uint(m.x, 14, f"{q}.x")
        check_uint(m.y, 14, f"{q}.y")
        if m.x >= rec.width or m.y >= rec.height:
            raise RecordError(f"({m.x}, {m.y}) is outside the {rec.width}x{rec.height} image",
                              f"{q}.x")
        check_uint(m.angle, 8, f"{q}.angle")
        if m.angle >= std.angle_units:
            raise RecordError(f"value {m.angle} is outside 0..{std.angle_units - 1}",
                              f"{q}.angle")
        _check_quality(m.quality, f"{q}.quality")
        out += ((int(mtype) << 14) | m.x).to_bytes(2, "big") + m.y.to_bytes(2, "big")
        out += bytes((m.angle, m.quality))
    ext = bytearray()
    for a_i, area in enumerate(view.extended_data):
        q = f"{p}.extended_data[{a_i}]"
        if check_uint(area.type_id, 16, f"{q}.type_id") == 0:
            raise RecordError("type id 0x0000 is reserved", f"{q}.type_id")
        if not isinstance(area.data, (bytes, bytearray)):
            raise RecordError("area data must be bytes", f"{q}.data")
        size = check_uint(4 + len(area.data), 16, f"{q}.length")
        ext += area.type_id.to_bytes(2, "big") + size.to_bytes(2, "big") + bytes(area.data)
    out += check_uint(len(ext), 16, f"{p}.extended_data.length").to_bytes(2, "big") + ext
    return bytes(out)


def _check_quality(value: int, path: str) -> None:
    check_uint(value, 8, path)
    if value > 100:
        raise RecordError(f"value {value} is outside 0..100", path)


# --------------------------------------------------------------------------- reading


def detect_standard(data: bytes) -> MinutiaeStandard:
    """Tell an ISO/IEC 19794-2:2005 record from an ANSI 378-2004 one by its length field."""
    r = ByteReader(data, "fmr")
    r.expect(MAGIC, "format_identifier")
    r.expect(VERSION_2005, "version")
    n = len(r.data)
    head = r.take(min(6, r.remaining), "length")
    if len(head) >= 4 and int.from_bytes(head[:4], "big") == n:
        return MinutiaeStandard.ISO_19794_2_2005
    if len(head) >= 2 and int.from_bytes(head[:2], "big") == n:
        return MinutiaeStandard.ANSI_378_2004
    if len(head) == 6 and head[:2] == b"\x00\x00" and int.from_bytes(head[2:], "big") == n:
        return MinutiaeStandard.ANSI_378_2004
    raise FormatError(f"record length field does not match the data size ({n} bytes) "
                      "as ISO/IEC 19794-2:2005 or ANSI 378-2004", "fmr.length", 8)


def write_minutiae_record(record: MinutiaeRecord, standard: MinutiaeStandard) -> bytes:
    """Bytes of ``record``, which must be a record of ``standard``."""
    if record.standard is not standard:
        raise RecordError(f"record is {record.standard.value}, not {standard.value}",
                          "standard")
    return record.to_bytes()


def read_minutiae_record(data: bytes,
                         standard: MinutiaeStandard | None = None) -> MinutiaeRecord:
    """Parse an ISO/IEC 19794-2:2005 or ANSI 378-2004 minutiae record.

    With ``standard`` ``None`` the standard is detected from the record length field.
    Raises :class:`FormatError` naming the field and the byte offset of any problem.
    """
    if standard is None:
        standard = detect_standard(data)
    std = MinutiaeStandard(standard)
    r = ByteReader(data, std.label)
    r.expect(MAGIC, "format_identifier")
    r.expect(VERSION_2005, "version")
    off = r.pos
    owner = ptype = 0
    if std is MinutiaeStandard.ISO_19794_2_2005:
        length = r.u32("length")
        header = ISO_HEADER_LEN
    else:
        length = r.u16("length")
        header = ANSI_HEADER_LEN
        if length == 0:
            length = r.u32("length")
            header = ANSI_LONG_HEADER_LEN
            if length <= 0xFFFF:
                raise r.error("6-byte length form used for a record under 65,536 bytes",
                              "length", off)
    if length != len(r.data):
        raise r.error(f"record length {length} does not match the data size {len(r.data)}",
                      "length", off)
    if length < header:
        raise r.error(f"record length {length} is shorter than the {header}-byte header",
                      "length", off)
    if std is MinutiaeStandard.ANSI_378_2004:
        owner = r.u16("product_owner")
        ptype = r.u16("product_type")
    equip = r.u16("capture_equipment")
    dims = {}
    for name in ("width", "height", "x_resolution", "y_resolution"):
        off = r.pos
        dims[name] = r.check_range(r.u16(name), 1, 0xFFFF, name, off)
    n_views = r.u8("views")
    off = r.pos
    if r.u8("reserved"):
        raise r.error("reserved byte is not 0", "reserved", off)
    views = tuple(_read_view(r, i, std, dims["width"], dims["height"]) for i in range(n_views))
    r.end()
    return MinutiaeRecord(std, dims["width"], dims["height"], dims["x_resolution"],
                          dims["y_resolution"], views, equip & 0x0FFF, equip >> 12, owner, ptype)


def _read_view(r: ByteReader, index: int, std: MinutiaeStandard, width: int,
               height: int) -> FingerView:
    p = f"view[{index}]"
    off = r.pos
    position = FingerPosition(r.check_range(r.u8(f"{p}.position"), 0, 10, f"{p}.position", off))
    off = r.pos
    b = r.u8(f"{p}.view_number")
    imp = ImpressionType(r.check_in(b & 0x0F, frozenset(int(i) for i in ImpressionType),
                                    f"{p}.impression_type", off))
    off = r.pos
    quality = r.check_range(r.u8(f"{p}.quality"), 0, 100, f"{p}.quality", off)
    count = r.u8(f"{p}.minutiae_count")
    minutiae = []
    for m_i in range(count):
        q = f"{p}.minutia[{m_i}]"
        off = r.pos
        xw = r.u16(f"{q}.x")
        yw = r.u16(f"{q}.y")
        angle = r.u8(f"{q}.angle")
        mq = r.u8(f"{q}.quality")
        mtype = xw >> 14
        if mtype == 3:
            raise r.error("minutia type 3 is reserved", f"{q}.type", off)
        if yw >> 14:
            raise r.error("reserved bits above y are set", f"{q}.y", off + 2)
        x, y = xw & MAX_COORD, yw
        if x >= width or y >= height:
            raise r.error(f"({x}, {y}) is outside the {width}x{height} image", f"{q}.x", off)
        r.check_range(angle, 0, std.angle_units - 1, f"{q}.angle", off + 4)
        r.check_range(mq, 0, 100, f"{q}.quality", off + 5)
        minutiae.append(RecordMinutia(MinutiaType(mtype), x, y, angle, mq))
    off = r.pos
    ext_len = r.u16(f"{p}.extended_data.length")
    if ext_len > r.remaining:
        raise r.error(f"extended data length {ext_len} exceeds the {r.remaining} bytes left",
                      f"{p}.extended_data.length", off)
    end = r.pos + ext_len
    areas: list[ExtendedDataArea] = []
    while r.pos < end:
        q = f"{p}.extended_data[{len(areas)}]"
        off = r.pos
        type_id = r.u16(f"{q}.type_id")
        if type_id == 0:
            raise r.error("type id 0x0000 is reserved", f"{q}.type_id", off)
        size = r.u16(f"{q}.length")
        if size < 4 or off + size > end:
            raise r.error(f"area length {size} does not fit the extended data block",
                          f"{q}.length", off + 2)
        areas.append(ExtendedDataArea(type_id, r.take(size - 4, f"{q}.data")))
    return FingerView(position, b >> 4, imp, quality, tuple(minutiae), tuple(areas))


# --------------------------------------------------------------------------- templates

def _angle_units(radians: float, std: MinutiaeStandard) -> int:
    deg = math.degrees(radians) % 360.0
    return round(deg / std.angle_unit_degrees) % std.angle_units


def from_template(templates: FingerTemplate | Sequence[FingerTemplate],
                  standard: MinutiaeStandard = MinutiaeStandard.ISO_19794_2_2005, *,
                  impression_type: ImpressionType = ImpressionType.LIVE_SCAN_PLAIN,
                  capture_device_type: int = 0, certification_flags: int = 0,
                  product_owner: int = 0, product_type: int = 0,
                  extended_data: Iterable[Iterable[ExtendedDataArea]] | None = None,
                  block_maps: bool = True) -> MinutiaeRecord:
    """Build a record with one view per template.

    With ``block_maps`` (the default), a template that carries the extractor's block maps
    gets them in a vendor-defined extended data area (:mod:`.minutiae_maps`), which the
    comparator's texture cylinders are made from when the record is read back.

    All templates must share image size and resolution (a record has one header).
    View numbers count up per finger position in the order given. Positions are
    rounded to whole pixels and clipped into the image; angles are rounded to the
    standard's unit; minutiae beyond 255 per view are dropped, lowest quality first.
    """
    from ..biometrics.finger.template import MinutiaKind

    std = MinutiaeStandard(standard)
    items = [templates] if not isinstance(templates, Sequence) else list(templates)
    if not items:
        raise RecordError("at least one template is needed", "templates")
    first = items[0]
    for n, t in enumerate(items):
        if (t.width, t.height, t.resolution_ppi) != (first.width, first.height,
                                                     first.resolution_ppi):
            raise RecordError("all templates of a record need the same image size and "
                              "resolution", f"templates[{n}]")
    if first.resolution_ppi <= 0:
        raise RecordError("must be positive", "templates[0].resolution_ppi")
    types = {MinutiaKind.OTHER: MinutiaType.OTHER, MinutiaKind.ENDING: MinutiaType.RIDGE_ENDING,
             MinutiaKind.BIFURCATION: MinutiaType.BIFURCATION}
    ext_lists = [tuple(e) for e in extended_data] if extended_data is not None else []
    counters: dict[FingerPosition, int] = {}
    views = []
    for n, t in enumerate(items):
        pos = FingerPosition(t.position)
        number = counters.get(pos, 0)
        counters[pos] = number + 1
        mins = list(t.minutiae)
        if len(mins) > 255:
            order = sorted(range(len(mins)), key=lambda i: -int(mins[i].quality))[:255]
            mins = [mins[i] for i in sorted(order)]
        rec_mins = tuple(
            RecordMinutia(types[MinutiaKind(m.kind)],
                          min(max(round(m.x), 0), t.width - 1),
                          min(max(round(m.y), 0), t.height - 1),
                          _angle_units(m.angle, std),
                          min(max(int(m.quality), 0), 100))
            for m in mins)
        ext = ext_lists[n] if n < len(ext_lists) else ()
        maps = block_maps_area(t) if block_maps else None
        if maps is not None and not any(a.type_id == AREA_BLOCK_MAPS for a in ext):
            ext = (*ext, ExtendedDataArea(AREA_BLOCK_MAPS, maps))
        views.append(FingerView(pos, number, impression_type,
                                min(max(int(t.quality), 0), 100), rec_mins, ext))
    ppcm = ppi_to_ppcm(first.resolution_ppi)
    return MinutiaeRecord(std, first.width, first.height, ppcm, ppcm, tuple(views),
                          capture_device_type, certification_flags, product_owner,
                          product_type)

