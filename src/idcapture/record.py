"""CaptureRecord: the canonical, versioned record of one person's capture.

A record holds the identity document read from a card, the portrait, the finger
captures, the checks run on them and the record's status. Binary content (images,
templates, raw card blocks) is held as :class:`BlobRef` references by SHA-256; the
bytes live in :attr:`CaptureRecord.blobs` and travel either beside the JSON in a
folder or embedded in one file (see :func:`save` and :func:`load`).

The JSON form is canonical: sorted keys, UTF-8, two-space indent, ISO 8601 UTC times,
units in the field names (``resolution_ppi``, ``size_bytes``). ``dumps(loads(text))``
gives back ``text`` byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import enum
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from .errors import RecordError, SchemaVersionError

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
    "dumps",
    "from_dict",
    "json_schema",
    "load",
    "loads",
    "register_migration",
    "save",
    "to_dict",
    "utcnow",
]

SCHEMA_MAJOR = 1
SCHEMA_MINOR = 0
SCHEMA_VERSION = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"

JSONValue = Any
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def utcnow() -> _dt.datetime:
    """The current time in UTC with microseconds dropped (what records store)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


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


# --------------------------------------------------------------------------- encoding


def _fmt_dt(value: _dt.datetime) -> str:
    if value.tzinfo is None:
        raise RecordError("time has no time zone; records store UTC", "")
    value = value.astimezone(_dt.timezone.utc)
    text = value.isoformat()
    return text.replace("+00:00", "Z")


def _fmt_date(value: _dt.date) -> str:
    return value.isoformat()


def _ref(r: BlobRef | None) -> dict[str, JSONValue] | None:
    if r is None:
        return None
    d: dict[str, JSONValue] = {"sha256": r.sha256, "media_type": r.media_type,
                               "size_bytes": r.size_bytes}
    if r.width_px is not None:
        d["width_px"] = r.width_px
    if r.height_px is not None:
        d["height_px"] = r.height_px
    return d


def _opt(d: dict[str, JSONValue], key: str, value: JSONValue) -> None:
    if value is not None:
        d[key] = value


def _quality(q: QualityReport | None) -> dict[str, JSONValue] | None:
    if q is None:
        return None
    return {
        "profile": q.profile,
        "score": q.score,
        "passed": q.passed,
        "reasons": list(q.reasons),
        "measures": [
            {k: v for k, v in {
                "name": m.name, "value": m.value, "score": m.score, "unit": m.unit,
                "passed": m.passed, "threshold": m.threshold}.items() if v is not None}
            for m in q.measures
        ],
    }


def to_dict(record: CaptureRecord) -> dict[str, JSONValue]:
    """The record's JSON object (without blob bytes)."""
    d: dict[str, JSONValue] = {
        "record_id": record.record_id,
        "schema_version": record.schema_version,
        "created_at": _fmt_dt(record.created_at),
        "updated_at": _fmt_dt(record.updated_at),
        "station": {"station_id": record.station.station_id,
                    "operator": record.station.operator,
                    "software": record.station.software},
        "status": record.status.value,
        "fingers": [],
        "checks": [],
        "extensions": record.extensions,
    }
    if record.subject is not None:
        s = record.subject
        d["subject"] = {"roster_id": s.roster_id, "registration_number": s.registration_number,
                        "school_code": s.school_code, "class_name": s.class_name}
    if record.identity is not None:
        i = record.identity
        ident: dict[str, JSONValue] = {
            "kind": i.kind.value, "id_number": i.id_number, "name": i.name,
            "source_driver": i.source_driver, "sex": i.sex.value, "long_term": i.long_term,
            "appended_addresses": list(i.appended_addresses), "extra": dict(i.extra),
            "photo_status": i.photo_status.value,
            "raw_blocks": {k: _ref(v) for k, v in i.raw_blocks.items()},
        }
        for key in ("name_en", "ethnicity_code", "ethnicity", "nationality_code",
                    "nationality", "address", "issuing_authority"):
            _opt(ident, key, getattr(i, key))
        for key in ("birth_date", "valid_from", "valid_until"):
            v = getattr(i, key)
            _opt(ident, key, _fmt_date(v) if v is not None else None)
        _opt(ident, "read_at", _fmt_dt(i.read_at) if i.read_at else None)
        _opt(ident, "photo", _ref(i.photo))
        d["identity"] = ident
    if record.portrait is not None:
        p = record.portrait
        por: dict[str, JSONValue] = {"image": _ref(p.image), "profile": p.profile,
                                     "captured_at": _fmt_dt(p.captured_at), "device": p.device}
        _opt(por, "quality", _quality(p.quality))
        _opt(por, "source_image", _ref(p.source_image))
        _opt(por, "iso_record", _ref(p.iso_record))
        if p.crop is not None:
            c = p.crop
            por["crop"] = {"x_px": c.x_px, "y_px": c.y_px, "width_px": c.width_px,
                           "height_px": c.height_px, "output_width_px": c.output_width_px,
                           "output_height_px": c.output_height_px}
        d["portrait"] = por
    for f in record.fingers:
        fd: dict[str, JSONValue] = {
            "position": f.position.slug, "position_code": int(f.position),
            "image": _ref(f.image), "resolution_ppi": f.resolution_ppi,
            "captured_at": _fmt_dt(f.captured_at), "device": f.device, "attempts": f.attempts,
        }
        _opt(fd, "quality", _quality(f.quality))
        _opt(fd, "template", _ref(f.template))
        _opt(fd, "template_format", f.template_format)
        _opt(fd, "minutiae_count", f.minutiae_count)
        d["fingers"].append(fd)
    for chk in record.checks:
        cd: dict[str, JSONValue] = {"name": chk.name, "outcome": chk.outcome.value,
                                    "message": chk.message, "details": chk.details}
        _opt(cd, "checked_at", _fmt_dt(chk.checked_at) if chk.checked_at else None)
        _opt(cd, "related_record", chk.related_record)
        d["checks"].append(cd)
    return d


def dumps(record: CaptureRecord, embed: bool = False) -> str:
    """Canonical JSON text of ``record``.

    With ``embed=True`` the blob bytes are included (base64) under ``"blobs"`` so that
    the one file carries everything.
    """
    d = to_dict(record)
    if embed:
        d["blobs"] = {ref.sha256: base64.b64encode(record.blob(ref)).decode("ascii")
                      for ref in record.refs()}
    return json.dumps(d, sort_keys=True, ensure_ascii=False, indent=2,
                      allow_nan=False) + "\n"


# --------------------------------------------------------------------------- decoding

_T = TypeVar("_T")
_Migration = Callable[[dict[str, JSONValue]], dict[str, JSONValue]]
_MIGRATIONS: dict[int, _Migration] = {}


def register_migration(from_major: int) -> Callable[[_Migration], _Migration]:
    """Register a function that lifts a record dict from ``from_major`` to the next major.

    Migrations are chained on load until the record reaches :data:`SCHEMA_MAJOR`.
    """
    if from_major >= SCHEMA_MAJOR:
        raise ValueError("migrations lift older majors only")

    def deco(fn: _Migration) -> _Migration:
        _MIGRATIONS[from_major] = fn
        return fn

    return deco


def json_schema() -> dict[str, JSONValue]:
    """The JSON Schema of the current record version (shipped in the package)."""
    text = resources.files("idcapture").joinpath(
        f"schema/capture-record-v{SCHEMA_MAJOR}.json").read_text("utf-8")
    return cast(dict[str, JSONValue], json.loads(text))


_validator: Any = None


def _validate_schema(d: Mapping[str, JSONValue]) -> None:
    global _validator
    if _validator is None:
        import jsonschema

        schema = json_schema()
        cls = jsonschema.validators.validator_for(schema)
        _validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(_validator.iter_errors(d), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        path = ".".join(str(p) for p in err.absolute_path) or "(record)"
        msg = err.message
        if len(msg) > 200:
            msg = msg[:200] + "..."
        if err.validator in ("type", "enum", "pattern", "format", "minimum", "maximum",
                             "const", "maxLength", "minLength"):
            # these messages quote the instance value, which may be personal data
            msg = f"fails '{err.validator}' rule of the schema"
        raise RecordError(msg, path)


def _schema_version(d: Mapping[str, JSONValue]) -> tuple[int, int]:
    v = d.get("schema_version")
    if not isinstance(v, str) or not re.fullmatch(r"\d+\.\d+", v):
        raise RecordError("missing or malformed schema version (expected 'MAJOR.MINOR')",
                          "schema_version")
    major, minor = v.split(".")
    return int(major), int(minor)


class _Reader:
    """Typed access to a JSON object, naming the path on every error."""

    def __init__(self, d: Any, path: str) -> None:
        if not isinstance(d, dict):
            raise RecordError("expected an object", path)
        self.d = d
        self.path = path

    def _p(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, typ: type[_T], default: Any = ...) -> _T:
        if key not in self.d or self.d[key] is None:
            if default is ...:
                raise RecordError("required field is missing", self._p(key))
            return default  # type: ignore[no-any-return]
        v = self.d[key]
        if typ is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
            raise RecordError(f"expected {typ.__name__}", self._p(key))
        return v

    def sub(self, key: str) -> _Reader:
        return _Reader(self.d.get(key), self._p(key))

    def opt_sub(self, key: str) -> _Reader | None:
        if self.d.get(key) is None:
            return None
        return self.sub(key)

    def enum(self, key: str, cls: type[_E], default: Any = ...) -> _E:
        raw = self.get(key, str, default if default is ... else None)
        if raw is None:
            return cast(_E, default)
        try:
            return cls(raw)
        except ValueError:
            raise RecordError("not one of the allowed values", self._p(key)) from None

    def dt(self, key: str, required: bool = True) -> _dt.datetime | None:
        raw = self.get(key, str, ... if required else None)
        if raw is None:
            return None
        try:
            v = _dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise RecordError("not an ISO 8601 time", self._p(key)) from None
        if v.tzinfo is None:
            raise RecordError("time has no time zone", self._p(key))
        return v.astimezone(_dt.timezone.utc)

    def date(self, key: str) -> _dt.date | None:
        raw = self.get(key, str, None)
        if raw is None:
            return None
        try:
            return _dt.date.fromisoformat(raw)
        except ValueError:
            raise RecordError("not an ISO 8601 date (YYYY-MM-DD)", self._p(key)) from None

    def ref(self, key: str, required: bool = True) -> BlobRef | None:
        r = self.opt_sub(key)
        if r is None:
            if required:
                raise RecordError("required field is missing", self._p(key))
            return None
        return _read_ref(r)


_E = TypeVar("_E", bound=enum.Enum)


def _read_ref(r: _Reader) -> BlobRef:
    sha = r.get("sha256", str)
    if not _SHA_RE.match(sha):
        raise RecordError("not a lowercase hex SHA-256", r._p("sha256"))
    return BlobRef(sha, r.get("media_type", str), r.get("size_bytes", int),
                   r.get("width_px", int, None), r.get("height_px", int, None))


def _read_quality(r: _Reader | None) -> QualityReport | None:
    if r is None:
        return None
    measures = []
    items = r.get("measures", list, [])
    for n, item in enumerate(items):
        m = _Reader(item, r._p(f"measures.{n}"))
        measures.append(Measure(m.get("name", str), m.get("value", float),
                                m.get("score", float), m.get("unit", str, ""),
                                m.get("passed", bool, None), m.get("threshold", float, None)))
    reasons = r.get("reasons", list, [])
    for n, reason in enumerate(reasons):
        if not isinstance(reason, str):
            raise RecordError("expected str", r._p(f"reasons.{n}"))
    return QualityReport(r.get("profile", str), r.get("score", float), r.get("passed", bool),
                         measures, list(reasons))


def _str_list(r: _Reader, key: str) -> list[str]:
    items = r.get(key, list, [])
    for n, item in enumerate(items):
        if not isinstance(item, str):
            raise RecordError("expected str", r._p(f"{key}.{n}"))
    return list(items)


def _str_dict(r: _Reader, key: str) -> dict[str, str]:
    items = r.get(key, dict, {})
    for k, v in items.items():
        if not isinstance(v, str):
            raise RecordError("expected str", r._p(f"{key}.{k}"))
    return dict(items)


def from_dict(d: Mapping[str, JSONValue], validate: bool = True) -> CaptureRecord:
    """Build a record from its JSON object, migrating older versions.

    Raises :class:`SchemaVersionError` for a newer major version and
    :class:`RecordError` naming the field path for anything malformed.
    """
    if not isinstance(d, Mapping):
        raise RecordError("a record must be a JSON object", "(record)")
    major, _minor = _schema_version(d)
    if major > SCHEMA_MAJOR:
        raise SchemaVersionError(
            f"record schema version {d['schema_version']} is newer than this library "
            f"supports ({SCHEMA_VERSION}); upgrade idcapture to read it", "schema_version")
    data = dict(d)
    while major < SCHEMA_MAJOR:
        mig = _MIGRATIONS.get(major)
        if mig is None:
            raise SchemaVersionError(
                f"no migration from schema major {major} to {major + 1}", "schema_version")
        data = mig(data)
        major, _minor = _schema_version(data)
    data.pop("blobs", None)
    if validate:
        _validate_schema(data)
    r = _Reader(data, "")
    st = r.sub("station")
    rec = CaptureRecord(
        record_id=r.get("record_id", str),
        schema_version=r.get("schema_version", str),
        created_at=cast(_dt.datetime, r.dt("created_at")),
        updated_at=cast(_dt.datetime, r.dt("updated_at")),
        station=StationInfo(st.get("station_id", str, ""), st.get("operator", str, ""),
                            st.get("software", str, "")),
        status=r.enum("status", RecordStatus),
        extensions=r.get("extensions", dict, {}),
    )
    sub = r.opt_sub("subject")
    if sub is not None:
        rec.subject = Subject(sub.get("roster_id", str, ""),
                              sub.get("registration_number", str, ""),
                              sub.get("school_code", str, ""), sub.get("class_name", str, ""))
    ir = r.opt_sub("identity")
    if ir is not None:
        raw_r = ir.sub("raw_blocks") if "raw_blocks" in ir.d else None
        raw: dict[str, BlobRef] = {}
        if raw_r is not None:
            for k in raw_r.d:
                raw[k] = _read_ref(raw_r.sub(k))
        rec.identity = IdentityDocument(
            kind=ir.enum("kind", DocumentKind),
            id_number=ir.get("id_number", str),
            name=ir.get("name", str),
            source_driver=ir.get("source_driver", str, ""),
            name_en=ir.get("name_en", str, None),
            sex=ir.enum("sex", Sex, Sex.UNKNOWN),
            ethnicity_code=ir.get("ethnicity_code", str, None),
            ethnicity=ir.get("ethnicity", str, None),
            nationality_code=ir.get("nationality_code", str, None),
            nationality=ir.get("nationality", str, None),
            birth_date=ir.date("birth_date"),
            address=ir.get("address", str, None),
            issuing_authority=ir.get("issuing_authority", str, None),
            valid_from=ir.date("valid_from"),
            valid_until=ir.date("valid_until"),
            long_term=ir.get("long_term", bool, False),
            appended_addresses=_str_list(ir, "appended_addresses"),
            extra=_str_dict(ir, "extra"),
            photo=ir.ref("photo", required=False),
            photo_status=ir.enum("photo_status", PhotoStatus, PhotoStatus.ABSENT),
            raw_blocks=raw,
            read_at=ir.dt("read_at", required=False),
        )
    pr = r.opt_sub("portrait")
    if pr is not None:
        crop = None
        cr = pr.opt_sub("crop")
        if cr is not None:
            crop = CropBox(*(cr.get(k, int) for k in (
                "x_px", "y_px", "width_px", "height_px", "output_width_px", "output_height_px")))
        rec.portrait = FaceCapture(
            image=cast(BlobRef, pr.ref("image")), profile=pr.get("profile", str),
            captured_at=cast(_dt.datetime, pr.dt("captured_at")), device=pr.get("device", str, ""),
            quality=_read_quality(pr.opt_sub("quality")), crop=crop,
            source_image=pr.ref("source_image", required=False),
            iso_record=pr.ref("iso_record", required=False))
    for n, item in enumerate(r.get("fingers", list, [])):
        fr = _Reader(item, f"fingers.{n}")
        try:
            pos = FingerPosition(fr.get("position_code", int))
        except ValueError:
            raise RecordError("not a finger position code", fr._p("position_code")) from None
        if fr.get("position", str) != pos.slug:
            raise RecordError("does not agree with position_code", fr._p("position"))
        rec.fingers.append(FingerCapture(
            position=pos, image=cast(BlobRef, fr.ref("image")),
            resolution_ppi=fr.get("resolution_ppi", int),
            captured_at=cast(_dt.datetime, fr.dt("captured_at")),
            device=fr.get("device", str, ""), quality=_read_quality(fr.opt_sub("quality")),
            template=fr.ref("template", required=False),
            template_format=fr.get("template_format", str, None),
            minutiae_count=fr.get("minutiae_count", int, None),
            attempts=fr.get("attempts", int, 1)))
    for n, item in enumerate(r.get("checks", list, [])):
        cr2 = _Reader(item, f"checks.{n}")
        rec.checks.append(Check(
            name=cr2.get("name", str), outcome=cr2.enum("outcome", CheckOutcome),
            message=cr2.get("message", str, ""), checked_at=cr2.dt("checked_at", required=False),
            details=cr2.get("details", dict, {}),
            related_record=cr2.get("related_record", str, None)))
    return rec


def loads(text: str | bytes, validate: bool = True) -> CaptureRecord:
    """Parse canonical JSON text (embedded blobs, if present, are loaded and verified)."""
    try:
        d = json.loads(text)
    except RecursionError:
        raise RecordError("not valid JSON: nested too deeply", "(file)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"not valid JSON: {exc.__class__.__name__} "
                          f"at line {getattr(exc, 'lineno', '?')}", "(file)") from None
    if not isinstance(d, dict):
        raise RecordError("a record must be a JSON object", "(record)")
    blobs = d.get("blobs")
    rec = from_dict(d, validate=validate)
    if blobs is not None:
        if not isinstance(blobs, dict):
            raise RecordError("expected an object", "blobs")
        for sha, b64 in blobs.items():
            if not isinstance(b64, str):
                raise RecordError("expected base64 text", f"blobs.{sha}")
            try:
                data = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                raise RecordError("not valid base64", f"blobs.{sha}") from None
            if hashlib.sha256(data).hexdigest() != sha:
                raise RecordError("content does not match its SHA-256", f"blobs.{sha}")
            rec.blobs[sha] = data
    return rec


# --------------------------------------------------------------------------- files

_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/bmp": ".bmp", "image/wsq": ".wsq",
        "image/jp2": ".jp2"}


def _blob_name(ref: BlobRef) -> str:
    return ref.sha256 + _EXT.get(ref.media_type, ".bin")


def save(record: CaptureRecord, path: str | Path, embed: bool | None = None) -> Path:
    """Write ``record`` to ``path``.

    A path ending in ``.json`` with ``embed`` true (the default for files) gives one
    self-contained file. Any other path is a folder holding ``record.json`` and a
    ``blobs/`` folder of content-addressed files. Files are written to a temporary
    name and renamed, so a crash never leaves a half-written record.
    """
    import os

    path = Path(path)
    if path.suffix == ".json":
        if embed is False:
            raise RecordError("a single-file record must embed its blobs", str(path))
        _atomic_write(path, dumps(record, embed=True).encode("utf-8"))
        return path
    (path / "blobs").mkdir(parents=True, exist_ok=True)
    for ref in record.refs():
        target = path / "blobs" / _blob_name(ref)
        if not target.exists():
            _atomic_write(target, record.blob(ref))
    _atomic_write(path / "record.json", dumps(record).encode("utf-8"))
    del os
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path: str | Path, validate: bool = True) -> CaptureRecord:
    """Read a record written by :func:`save` (single file or folder), verifying every blob."""
    path = Path(path)
    if path.is_dir():
        json_path = path / "record.json"
        try:
            text = json_path.read_bytes()
        except OSError as exc:
            raise RecordError(f"cannot read record.json: {exc.strerror}", str(json_path)) from None
        rec = loads(text, validate=validate)
        for ref in rec.refs():
            blob_path = path / "blobs" / _blob_name(ref)
            try:
                data = blob_path.read_bytes()
            except OSError:
                raise RecordError("referenced blob file is missing",
                                  f"blobs/{_blob_name(ref)}") from None
            if hashlib.sha256(data).hexdigest() != ref.sha256:
                raise RecordError("content does not match its SHA-256",
                                  f"blobs/{_blob_name(ref)}")
            rec.blobs[ref.sha256] = data
        return rec
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read file: {exc.strerror}", str(path.name)) from None
    rec = loads(text, validate=validate)
    missing = [r for r in rec.refs() if r.sha256 not in rec.blobs]
    if missing:
        raise RecordError("referenced blob is not embedded", f"blobs.{missing[0].sha256}")
    return rec
