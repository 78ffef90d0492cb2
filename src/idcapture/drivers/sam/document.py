"""From the blocks read off a card to a typed :class:`~idcapture.record.IdentityDocument`.

:func:`document_from_blocks` parses the text block, keeps every raw block (text, WLT
photo, fingerprint, appended address) as a :class:`~idcapture.record.BlobRef` in
``raw_blocks`` with the bytes attached to the document (:func:`document_blobs`;
:func:`attach_to_record` puts document and bytes into a
:class:`~idcapture.record.CaptureRecord`), decodes the photo when a decoder is given,
and never raises on odd field content: problems go to ``extra["text_problems"]`` and
come back as checks from :func:`document_checks`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from ...i18n import N_
from ...idnumbers import id_number_check
from ...record import (
    BlobRef,
    CaptureRecord,
    Check,
    CheckOutcome,
    DocumentKind,
    IdentityDocument,
    PhotoStatus,
    Sex,
    utcnow,
)
from .cardtext import parse_text_block
from .codes import ethnic_name, nationality_name, sex_from_code

__all__ = [
    "LONG_TERM",
    "PhotoDecoder",
    "attach_to_record",
    "card_text_check",
    "document_blobs",
    "document_checks",
    "document_from_blocks",
    "fingerprint_records",
]

LONG_TERM = "长期"
MEDIA_TEXT = "application/x-idcard-text"
MEDIA_WLT = "application/x-idcard-wlt"
MEDIA_FP = "application/x-idcard-fingerprint"
MEDIA_APPENDED = "application/x-idcard-appended-address"

#: decodes 1024 WLT bytes to a BMP (bytes), or returns None when it cannot
PhotoDecoder = Callable[[bytes], "bytes | None"]


def _date(text: str, field: str, problems: list[str]) -> _dt.date | None:
    if not text:
        return None
    if len(text) == 8 and text.isdigit():
        try:
            return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    problems.append(field)
    return None


def fingerprint_records(block: bytes) -> list[dict[str, int]]:
    """The 512-byte feature records of a fingerprint block: finger code, quality, result."""
    out = []
    for i in range(0, len(block) - len(block) % 512, 512):
        rec = block[i:i + 512]
        if rec[0] != 0x43:
            continue
        out.append({"finger": rec[5], "quality": rec[6], "enrolment": rec[4]})
    return out


def document_from_blocks(text: bytes, photo: bytes | None = None,
                         fingerprint: bytes | None = None,
                         appended: bytes | None = None, *, source_driver: str = "",
                         decoder: PhotoDecoder | None = None) -> IdentityDocument:
    """The document of one card read. See the module docstring."""
    kind, f = parse_text_block(text)
    problems: list[str] = []
    blobs: dict[str, bytes] = {}
    raw: dict[str, BlobRef] = {}

    def keep(name: str, data: bytes, media: str) -> None:
        raw[name] = BlobRef.for_bytes(data, media)
        blobs[raw[name].sha256] = bytes(data)

    keep("text", text, MEDIA_TEXT)
    sex_raw = f.get("sex", "")
    sex = sex_from_code(sex_raw) if sex_raw else Sex.UNKNOWN
    if sex is None:
        problems.append("sex")
        sex = Sex.UNKNOWN
    valid_until_raw = f.get("valid_until", "")
    long_term = valid_until_raw.startswith(LONG_TERM)
    doc = IdentityDocument(
        kind=kind, id_number=f.get("id_number", ""), name=f.get("name", ""),
        source_driver=source_driver, sex=sex,
        birth_date=_date(f.get("birth_date", ""), "birth_date", problems),
        valid_from=_date(f.get("valid_from", ""), "valid_from", problems),
        valid_until=None if long_term else _date(valid_until_raw, "valid_until", problems),
        long_term=long_term, read_at=utcnow(), raw_blocks=raw)
    if kind is DocumentKind.RESIDENT_ID:
        code = f.get("ethnicity", "")
        doc.ethnicity_code = code or None
        doc.ethnicity = ethnic_name(code) if code else None
        if code and doc.ethnicity is None:
            problems.append("ethnicity")
    if kind in (DocumentKind.RESIDENT_ID, DocumentKind.HMT_RESIDENCE_PERMIT,
                DocumentKind.FOREIGNER_PERMANENT_2023):
        doc.address = f.get("address") or None
        doc.issuing_authority = f.get("issuing_authority") or None
    if kind in (DocumentKind.FOREIGNER_PERMANENT_2017, DocumentKind.FOREIGNER_PERMANENT_2023):
        doc.name_en = f.get("name_en") or None
        nat = f.get("nationality", "")
        doc.nationality_code = nat or None
        doc.nationality = nationality_name(nat) if nat else None
    extra_fields = {
        DocumentKind.HMT_RESIDENCE_PERMIT: ("pass_number", "issue_count"),
        DocumentKind.FOREIGNER_PERMANENT_2017: ("card_version", "authority_code"),
        DocumentKind.FOREIGNER_PERMANENT_2023: ("renewal_count", "previous_link"),
    }.get(kind, ())
    for name in extra_fields:
        if f.get(name):
            doc.extra[name] = f[name]
    if kind is DocumentKind.FOREIGNER_PERMANENT_2017 and f.get("authority_code"):
        doc.issuing_authority = f["authority_code"]
    for name, value in f.items():
        if name.startswith("reserved") and value.strip():
            doc.extra[name] = value
    if photo:
        keep("photo-wlt", photo, MEDIA_WLT)
        bmp = None
        if decoder is not None:
            try:
                bmp = decoder(photo)
            except Exception:  # a vendor decoder failing must not lose the card read
                bmp = None
                doc.extra["photo_decode_error"] = "decoder failed"
        if bmp:
            doc.photo = BlobRef.for_bytes(bmp, "image/bmp", 102, 126)
            blobs[doc.photo.sha256] = bytes(bmp)
            doc.photo_status = PhotoStatus.DECODED
        else:
            doc.photo_status = PhotoStatus.UNDECODED
    if fingerprint is not None:
        doc.extra["fingerprint_count"] = str(len(fingerprint) // 512)
        if fingerprint:
            keep("fingerprint", fingerprint, MEDIA_FP)
            codes = [str(r["finger"]) for r in fingerprint_records(fingerprint)]
            if codes:
                doc.extra["fingerprint_fingers"] = ",".join(codes)
    if appended:
        from .protocol import parse_appended_addresses

        keep("appended-address", appended, MEDIA_APPENDED)
        doc.appended_addresses = parse_appended_addresses(appended)
    if problems:
        doc.extra["text_problems"] = ",".join(problems)
    doc.blobs.update(blobs)
    return doc


def document_blobs(doc: IdentityDocument) -> dict[str, bytes]:
    """The bytes behind the document's ``raw_blocks`` and ``photo``, by SHA-256."""
    return dict(doc.blobs)


def attach_to_record(record: CaptureRecord, doc: IdentityDocument) -> None:
    """Set ``record.identity`` to ``doc`` and store the bytes of its blocks in the record."""
    record.identity = doc
    for sha, data in document_blobs(doc).items():
        record.blobs[sha] = data


def card_text_check(doc: IdentityDocument) -> Check:
    """``card-text``: every field of the text block could be read (dates, codes)."""
    problems = [p for p in doc.extra.get("text_problems", "").split(",") if p]
    if problems:
        return Check("card-text", CheckOutcome.FAILED,
                     N_("fields that could not be read: {fields}").format(
                         fields=", ".join(problems)), utcnow(),
                     {"fields": problems})
    return Check("card-text", CheckOutcome.PASSED, N_("every field read"), utcnow())


def document_checks(doc: IdentityDocument) -> list[Check]:
    """The checks of a card read: the ID number (:func:`id_number_check`) and the text."""
    return [id_number_check(doc), card_text_check(doc)]
