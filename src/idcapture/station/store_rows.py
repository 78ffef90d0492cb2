"""The values the station store's operations return (and take): plain typed rows.

Nothing here reads the database; :mod:`idcapture.station.store` makes them.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypedDict

from ..formats.record_json import from_dict
from ..record import CaptureRecord

__all__ = [
    "AuditEntry",
    "FingerEntry",
    "NewRegistration",
    "OpenSession",
    "PurgeReport",
    "RegistrationCandidate",
    "RosterStatus",
    "StoredRecord",
    "Student",
    "UncapturedStudent",
]


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log (identifiers already masked)."""

    seq: int
    at: str
    operator: str
    action: str
    subject: str
    detail: str


class BlobReader(Protocol):
    """What :meth:`StoredRecord.record` needs of a store: its blob bytes by SHA-256."""

    def read_blob(self, sha256: str) -> bytes: ...


@dataclass(frozen=True)
class StoredRecord:
    """A record row: the record's JSON object and where it stands."""

    record_id: str
    version: int
    id_number: str
    registration_number: str
    status: str
    current: bool
    saved_at: str
    reason: str
    body: dict[str, Any]

    def record(self, store: BlobReader | None = None, validate: bool = False) -> CaptureRecord:
        """The CaptureRecord (with its blob bytes when ``store`` is given)."""
        rec = from_dict(self.body, validate=validate)
        if store is not None:
            for ref in rec.refs():
                rec.blobs[ref.sha256] = store.read_blob(ref.sha256)
        return rec


@dataclass(frozen=True)
class PurgeReport:
    """What :meth:`~idcapture.station.store.Store.purge` removed, and what it kept."""

    records: int
    versions: int
    students: int
    blob_files: int
    blob_bytes: int
    sessions: int
    not_confirmed: int
    kept: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "versions": self.versions,
                "students": self.students, "blob_files": self.blob_files,
                "blob_bytes": self.blob_bytes, "sessions": self.sessions,
                "not_confirmed": self.not_confirmed, "kept": list(self.kept)}


@dataclass(frozen=True)
class OpenSession:
    """An unfinished capture session (after a crash, or left open at a station).

    ``age_s`` is the time since its last event; ``id_number`` is masked (empty before a
    card was read).
    """

    session_id: str
    state: str
    operator: str
    id_number: str
    updated_at: _dt.datetime
    age_s: float


class Student(TypedDict):
    """A roster row: sex as the record's code (``M``/``F``...), birth date ISO 8601."""

    id_number: str
    name: str
    sex: str
    birth_date: str
    ethnicity: str
    school_code: str
    school_name: str
    class_name: str
    student_no: str


class FingerEntry(NamedTuple):
    """A current finger image: its SHA-256, whose it is, which finger, in which record."""

    sha256: str
    id_number: str
    position: int
    record_id: str


class RegistrationCandidate(NamedTuple):
    """A roster student and their registration number (``None`` before registration)."""

    id_number: str
    school_code: str
    registration_number: str | None


class NewRegistration(NamedTuple):
    """A registration number allocated as number ``sequence`` of ``scope``."""

    id_number: str
    registration_number: str
    scope: str
    sequence: int


class UncapturedStudent(NamedTuple):
    """A registered student with no saved record."""

    registration_number: str
    id_number: str
    school_code: str
    class_name: str


@dataclass(frozen=True)
class RosterStatus:
    """A roster student with registration number (``""`` before registration) and the
    current record's id and JSON object (``None`` before capture)."""

    id_number: str
    name: str
    sex: str
    class_name: str
    school_name: str
    registration_number: str
    record_id: str | None
    body: dict[str, Any] | None
