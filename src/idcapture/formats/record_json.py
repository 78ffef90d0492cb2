"""The canonical JSON form of a :class:`~idcapture.record.CaptureRecord`.

Sorted keys, UTF-8, two-space indent, ISO 8601 UTC times, units in the field names
(``resolution_ppi``, ``size_bytes``): ``dumps(loads(text))`` gives back ``text`` byte for
byte. Loading migrates older schema versions and validates against the schema
(:mod:`.record_schema`), with errors that name the field.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import enum
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from ..errors import RecordError
from ..record import (
    BlobRef,
    CaptureRecord,
    Check,
    CheckOutcome,
    CropBox,
    DocumentKind,
    FaceCapture,
    FingerCapture,
    FingerPosition,
    IdentityDocument,
    Measure,
    PhotoStatus,
    QualityReport,
    RecordStatus,
    Sex,
    StationInfo,
    Subject,
)
from .record_schema import migrate, validate_schema

__all__ = ["dumps", "from_dict", "loads", "to_dict", "validate"]

JSONValue = Any
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


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
    data = migrate(d)
    data.pop("blobs", None)
    if validate:
        validate_schema(data)
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


def validate(record: CaptureRecord) -> None:
    """Check a record in memory as saving and loading it would, without a file.

    Its JSON form must pass the schema and the reader's field checks, and every blob it
    references must be held (by the record or its identity document) with the size and
    SHA-256 the reference gives. :class:`RecordError` names the first bad field.
    """
    from_dict(to_dict(record), validate=True)
    for ref in record.refs():
        where = f"blobs.{ref.sha256}"
        data = record.blobs.get(ref.sha256)
        if data is None and record.identity is not None:
            data = record.identity.blobs.get(ref.sha256)
        if data is None:
            raise RecordError(f"referenced blob ({ref.media_type}) is not held by the "
                              "record", where)
        if len(data) != ref.size_bytes or hashlib.sha256(data).hexdigest() != ref.sha256:
            raise RecordError("content does not match its SHA-256 and size", where)


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
