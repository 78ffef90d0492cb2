"""CaptureRecord: the canonical, versioned record of one person's capture.

A record holds the identity document read from a card, the portrait, the finger
captures, the checks run on them and the record's status. Binary content (images,
templates, raw card blocks) is held as :class:`BlobRef` references by SHA-256; the
bytes live in :attr:`CaptureRecord.blobs` and travel either beside the JSON in a
folder or embedded in one file.

This module holds the data only and does no I/O: the canonical JSON codec is
:mod:`idcapture.formats.record_json`, the JSON Schema and migrations between schema
versions are :mod:`idcapture.formats.record_schema`, and writing and reading records
as files is :mod:`idcapture.formats.record_files`.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import RecordError

__all__ = [
    "SCHEMA_MAJOR",
    "SCHEMA_VERSION",
    "BlobRef",
    "CaptureRecord",
    "Check",
    "CheckOutcome",
    "CropBox",
    "DocumentKind",
    "FaceCapture",
    "FingerCapture",
    "FingerPosition",
    "IdentityDocument",
    "Measure",
    "PhotoStatus",
    "QualityReport",
    "RecordStatus",
    "Sex",
    "StationInfo",
    "Subject",
    "utcnow",
    "utcnow_text",
]

SCHEMA_MAJOR = 1
SCHEMA_MINOR = 0
SCHEMA_VERSION = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"

JSONValue = Any


def utcnow() -> _dt.datetime:
    """The current time in UTC with microseconds dropped (what records store)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def utcnow_text() -> str:
    """:func:`utcnow` as ISO 8601 text ending in ``Z`` (as records, stores and manifests
    write times)."""
    return utcnow().isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class BlobRef:
    """A reference to binary content by its SHA-256.

    ``width_px``/``height_px`` are set for images.
    """

    sha256: str
    media_type: str
    size_bytes: int
    width_px: int | None = None
    height_px: int | None = None

    @staticmethod
    def for_bytes(data: bytes, media_type: str, width_px: int | None = None,
                  height_px: int | None = None) -> BlobRef:
        return BlobRef(hashlib.sha256(data).hexdigest(), media_type, len(data),
                       width_px, height_px)


class DocumentKind(str, enum.Enum):
    """What kind of identity document was read."""

    RESIDENT_ID = "resident-id"
    HMT_RESIDENCE_PERMIT = "hmt-residence-permit"
    FOREIGNER_PERMANENT_2017 = "foreigner-permanent-2017"
    FOREIGNER_PERMANENT_2023 = "foreigner-permanent-2023"
    PASSPORT = "passport"
    OTHER = "other"


class Sex(str, enum.Enum):
    """Sex as coded by GB/T 2261.1 (and ICAO 9303 for passports)."""

    UNKNOWN = "unknown"
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"


class PhotoStatus(str, enum.Enum):
    """Whether the card photo could be turned into an image."""

    DECODED = "decoded"
    UNDECODED = "undecoded"
    ABSENT = "absent"


@dataclass
class IdentityDocument:
    """Every field read from an identity document, typed.

    ``raw_blocks`` keeps what was read from the chip unchanged (``text``,
    ``photo-wlt``, ``fingerprint``, ``appended-address``, ``dg1``...), so that nothing
    read is lost. ``extra`` holds document-specific fields (pass number, issue count,
    card version, MRZ...) as strings.
    """

    kind: DocumentKind
    id_number: str
    name: str
    source_driver: str = ""
    name_en: str | None = None
    sex: Sex = Sex.UNKNOWN
    ethnicity_code: str | None = None
    ethnicity: str | None = None
    nationality_code: str | None = None
    nationality: str | None = None
    birth_date: _dt.date | None = None
    address: str | None = None
    issuing_authority: str | None = None
    valid_from: _dt.date | None = None
    valid_until: _dt.date | None = None
    long_term: bool = False
    appended_addresses: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    photo: BlobRef | None = None
    photo_status: PhotoStatus = PhotoStatus.ABSENT
    raw_blocks: dict[str, BlobRef] = field(default_factory=dict)
    read_at: _dt.datetime | None = None
    #: the bytes behind ``photo`` and ``raw_blocks`` as read by the driver, by SHA-256;
    #: a record that holds the document finds them here (they are not part of the JSON)
    blobs: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def add_blob(self, data: bytes, media_type: str, width_px: int | None = None,
                 height_px: int | None = None) -> BlobRef:
        """Keep ``data`` with the document and return its reference."""
        ref = BlobRef.for_bytes(bytes(data), media_type, width_px, height_px)
        self.blobs[ref.sha256] = bytes(data)
        return ref

    def __repr__(self) -> str:  # never print personal data by accident
        from .privacy import mask_id_number

        return (f"IdentityDocument(kind={self.kind.value}, "
                f"id_number={mask_id_number(self.id_number)!r})")


@dataclass
class Measure:
    """One quality measure: its raw value (with unit), its 0-100 score, and the verdict."""

    name: str
    value: float
    score: float
    unit: str = ""
    passed: bool | None = None
    threshold: float | None = None


@dataclass
class QualityReport:
    """A quality assessment under a named profile."""

    profile: str
    score: float
    passed: bool
    measures: list[Measure] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class CropBox:
    """Where an output image was cut from its source, in source pixels."""

    x_px: int
    y_px: int
    width_px: int
    height_px: int
    output_width_px: int
    output_height_px: int


@dataclass
class FaceCapture:
    """The portrait: the standard output image and how it was obtained."""

    image: BlobRef
    profile: str
    captured_at: _dt.datetime
    device: str = ""
    quality: QualityReport | None = None
    crop: CropBox | None = None
    source_image: BlobRef | None = None
    iso_record: BlobRef | None = None


class FingerPosition(int, enum.Enum):
    """Finger position codes of ISO/IEC 19794-2/-4 and ANSI/NIST."""

    UNKNOWN = 0
    RIGHT_THUMB = 1
    RIGHT_INDEX = 2
    RIGHT_MIDDLE = 3
    RIGHT_RING = 4
    RIGHT_LITTLE = 5
    LEFT_THUMB = 6
    LEFT_INDEX = 7
    LEFT_MIDDLE = 8
    LEFT_RING = 9
    LEFT_LITTLE = 10

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, value: str | int) -> FingerPosition:
        """Accept a code (``1``), a slug (``right-thumb``) or an enum name."""
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return cls(int(value))
        key = str(value).strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"unknown finger position {value!r}") from None


@dataclass
class FingerCapture:
    """One finger: the image, its resolution, quality and minutiae template."""

    position: FingerPosition
    image: BlobRef
    resolution_ppi: int
    captured_at: _dt.datetime
    device: str = ""
    quality: QualityReport | None = None
    template: BlobRef | None = None
    template_format: str | None = None
    minutiae_count: int | None = None
    attempts: int = 1


class CheckOutcome(str, enum.Enum):
    """The verdict of one check."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    NOT_CHECKED = "not-checked"
    OVERRIDDEN = "overridden"


@dataclass
class Check:
    """A check run on the record (``id-number``, ``face-vs-card``, ``finger-duplicate``...).

    ``message`` is for the operator and never holds unmasked personal data;
    ``related_record`` names another record when the check is about both.
    """

    name: str
    outcome: CheckOutcome
    message: str = ""
    checked_at: _dt.datetime | None = None
    details: dict[str, JSONValue] = field(default_factory=dict)
    related_record: str | None = None


@dataclass
class StationInfo:
    """Where and by whom the record was made."""

    station_id: str = ""
    operator: str = ""
    software: str = ""


@dataclass
class Subject:
    """The roster entry the record belongs to (set by the station workflow)."""

    roster_id: str = ""
    registration_number: str = ""
    school_code: str = ""
    class_name: str = ""


class RecordStatus(str, enum.Enum):
    """Where the record is in its life."""

    DRAFT = "draft"
    COMPLETE = "complete"
    REJECTED = "rejected"
    EXPORTED = "exported"


@dataclass
class CaptureRecord:
    """The canonical record of one person's capture. See the module docstring."""

    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    schema_version: str = SCHEMA_VERSION
    created_at: _dt.datetime = field(default_factory=utcnow)
    updated_at: _dt.datetime = field(default_factory=utcnow)
    station: StationInfo = field(default_factory=StationInfo)
    subject: Subject | None = None
    identity: IdentityDocument | None = None
    portrait: FaceCapture | None = None
    fingers: list[FingerCapture] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    status: RecordStatus = RecordStatus.DRAFT
    extensions: dict[str, JSONValue] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def add_blob(self, data: bytes, media_type: str, width_px: int | None = None,
                 height_px: int | None = None) -> BlobRef:
        """Store ``data`` in the record and return its reference."""
        ref = BlobRef.for_bytes(bytes(data), media_type, width_px, height_px)
        self.blobs[ref.sha256] = bytes(data)
        return ref

    def blob(self, ref: BlobRef) -> bytes:
        """The bytes behind ``ref`` (held by the record, or by its identity document as
        the driver read it); :class:`RecordError` if they are missing."""
        data = self.blobs.get(ref.sha256)
        if data is None and self.identity is not None:
            data = self.identity.blobs.get(ref.sha256)
        if data is None:
            raise RecordError(f"blob {ref.sha256[:12]}... is not in the record", "blobs")
        return data

    def refs(self) -> list[BlobRef]:
        """Every blob reference the record's JSON holds."""
        out: list[BlobRef] = []
        ident = self.identity
        if ident is not None:
            if ident.photo:
                out.append(ident.photo)
            out.extend(ident.raw_blocks.values())
        if self.portrait is not None:
            p = self.portrait
            out.extend(r for r in (p.image, p.source_image, p.iso_record) if r is not None)
        for f in self.fingers:
            out.append(f.image)
            if f.template is not None:
                out.append(f.template)
        return out

    def finger(self, position: FingerPosition) -> FingerCapture | None:
        """The latest capture of ``position``, if any."""
        for f in reversed(self.fingers):
            if f.position == position:
                return f
        return None

    def set_check(self, check: Check) -> None:
        """Add ``check``, replacing an earlier check of the same name."""
        self.checks = [c for c in self.checks if c.name != check.name] + [check]

    def check(self, name: str) -> Check | None:
        for c in self.checks:
            if c.name == name:
                return c
        return None

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if c.outcome is CheckOutcome.FAILED]

    def __repr__(self) -> str:
        return (f"CaptureRecord(record_id={self.record_id!r}, status={self.status.value}, "
                f"fingers={len(self.fingers)}, checks={len(self.checks)})")
