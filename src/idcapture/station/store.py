"""The station's embedded store: one SQLite file and a folder of content-addressed images.

Layout of a store folder::

    station.sqlite3        roster, registrations, records, sessions, audit log
    blobs/ab/abcdef...      image and template bytes, named by their SHA-256

SQLite runs in WAL mode with ``synchronous=FULL``: a transaction that returned is on
disk. Blob files are written (and fsynced) before the transaction that references
them commits, so a record is either fully saved or absent; a crash can at worst leave
an unreferenced blob file behind, which :meth:`Store.orphan_blobs` finds. Paths inside
the store are relative, so a store folder copied to another machine opens there.

Everything in the store is owner-only (folders 0700, files 0600), set when the store
is created and checked again whenever it is opened.

The audit log is append-only (SQLite triggers refuse UPDATE and DELETE) and holds
masked identifiers only. The schema is versioned with ``PRAGMA user_version``;
:data:`MIGRATIONS` upgrades an older store when it is opened.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RecordError, RosterError
from ..record import CaptureRecord, from_dict, to_dict, utcnow

__all__ = [
    "DB_NAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AuditEntry",
    "OpenSession",
    "Store",
    "StoredRecord",
]

log = logging.getLogger("idcapture.station.store")

DB_NAME = "station.sqlite3"
BLOB_DIR = "blobs"

_V1 = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE imports (
    import_id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    operator TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);
CREATE TABLE students (
    id_number TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    ethnicity TEXT NOT NULL DEFAULT '',
    school_code TEXT NOT NULL,
    school_name TEXT NOT NULL DEFAULT '',
    class_name TEXT NOT NULL DEFAULT '',
    student_no TEXT NOT NULL DEFAULT '',
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    source_row INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX students_school ON students(school_code, class_name);
CREATE TABLE registrations (
    id_number TEXT PRIMARY KEY REFERENCES students(id_number),
    registration_number TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE sequences (
    scope TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
CREATE TABLE records (
    record_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    id_number TEXT NOT NULL,
    registration_number TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    current INTEGER NOT NULL,
    saved_at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);
CREATE UNIQUE INDEX records_current ON records(id_number) WHERE current = 1;
CREATE INDEX records_export ON records(registration_number, id_number) WHERE current = 1;
CREATE TABLE finger_hashes (
    sha256 TEXT NOT NULL,
    id_number TEXT NOT NULL,
    position INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (sha256, id_number, position)
);
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

#: schema version -> SQL script that brings a store from version - 1 to it
MIGRATIONS: dict[int, str] = {1: _V1}
SCHEMA_VERSION = max(MIGRATIONS)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log (identifiers already masked)."""

    seq: int
    at: str
    operator: str
    action: str
    subject: str
    detail: str


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

    def record(self, store: Store | None = None, validate: bool = False) -> CaptureRecord:
        """The CaptureRecord (with its blob bytes when ``store`` is given)."""
        rec = from_dict(self.body, validate=validate)
        if store is not None:
            for ref in rec.refs():
                rec.blobs[ref.sha256] = store.read_blob(ref.sha256)
        return rec


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


def _now() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")


def _make_private(folder: Path) -> None:
    """Owner-only permissions on the store: the folders 0700, the database, its WAL and
    shared-memory files 0600 (blob files are written 0600). Creates the database file
    empty with 0600 if missing, so that SQLite's WAL and shm files, which take the
    database file's mode, are never readable by others. No-op off POSIX."""
    if os.name != "posix":
        return
    db = folder / DB_NAME
    if not db.exists():
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
    blobs = folder / BLOB_DIR
    blobs.mkdir(mode=0o700, exist_ok=True)
    dirs = [folder, blobs, *(d for d in blobs.iterdir() if d.is_dir())]
    files = [folder / (DB_NAME + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    for path, mode in [*((d, 0o700) for d in dirs), *((f, 0o600) for f in files)]:
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """The station store in folder ``path`` (see the module docstring).

    Use :meth:`create` for a new store and :meth:`open` for an existing one. A store
    object may be shared between threads (calls are serialised by one lock); two
    processes may open the same store (SQLite serialises their writes).
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()
        self._in_tx = False

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, path: str | Path, settings: dict[str, Any] | None = None) -> Store:
        """Make a new store in folder ``path`` (which must not hold one already)."""
        folder = Path(path)
        if (folder / DB_NAME).exists():
            raise ConfigError(f"a station store already exists in {folder.name!r}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / BLOB_DIR).mkdir(exist_ok=True)
        store = cls._connect(folder)
        for key, value in (settings or {}).items():
            store.set_setting(key, value)
        store.audit("system", "store-created", detail=f"schema {SCHEMA_VERSION}")
        return store

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open the store in folder ``path``, upgrading its schema if it is older."""
        folder = Path(path)
        if not (folder / DB_NAME).is_file():
            raise ConfigError(f"no station store in {folder.name!r} "
                              "(create one with 'idcapture station init')")
        return cls._connect(folder)

    @classmethod
    def _connect(cls, folder: Path) -> Store:
        _make_private(folder)
        conn = sqlite3.connect(str(folder / DB_NAME), isolation_level=None, timeout=30.0,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        store = cls(folder, conn)
        store._migrate()
        (folder / BLOB_DIR).mkdir(exist_ok=True)
        return store

    def _migrate(self) -> None:
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise ConfigError(f"the store's schema version {version} is newer than this "
                              f"library supports ({SCHEMA_VERSION}); upgrade idcapture")
        while version < SCHEMA_VERSION:
            target = version + 1
            script = MIGRATIONS[target]
            with self.transaction() as cur:
                for statement in _split_sql(script):
                    cur.execute(statement)
                cur.execute(f"PRAGMA user_version = {target}")
            log.info("station store migrated to schema %d", target)
            version = target

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close (idempotent)."""
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.ProgrammingError:
                return
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction (``BEGIN IMMEDIATE``); nested use joins the outer one."""
        with self._lock:
            if self._in_tx:
                yield self._conn.cursor()
                return
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            self._in_tx = True
            try:
                yield cur
            except BaseException:
                self._in_tx = False
                cur.execute("ROLLBACK")
                raise
            self._in_tx = False
            cur.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params))

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` answer (``"ok"`` when sound)."""
        return str(self.query("PRAGMA integrity_check")[0][0])

    # ------------------------------------------------------------------ settings

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as cur:
            cur.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                        "DO UPDATE SET value = excluded.value",
                        (key, json.dumps(value, ensure_ascii=False, sort_keys=True)))

    def setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    # ------------------------------------------------------------------ audit

    def audit(self, operator: str, action: str, subject: str = "", detail: str = "") -> None:
        """Append a line to the audit log. ``subject`` and ``detail`` must be masked already."""
        with self.transaction() as cur:
            cur.execute("INSERT INTO audit(at, operator, action, subject, detail) "
                        "VALUES (?, ?, ?, ?, ?)", (_now(), operator, action, subject, detail))

    def audit_log(self, action: str | None = None) -> list[AuditEntry]:
        sql = "SELECT seq, at, operator, action, subject, detail FROM audit"
        rows = (self.query(sql + " WHERE action = ? ORDER BY seq", (action,)) if action
                else self.query(sql + " ORDER BY seq"))
        return [AuditEntry(*tuple(r)) for r in rows]

    # ------------------------------------------------------------------ blobs

    def blob_path(self, sha256: str) -> Path:
        return self.path / BLOB_DIR / sha256[:2] / sha256

    def put_blob(self, data: bytes) -> str:
        """Write ``data`` (durably) under its SHA-256 and return the hash."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.blob_path(sha)
        if target.exists():
            return sha
        target.parent.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=str(target.parent))
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(target.parent)
        return sha

    def read_blob(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``, verified; :class:`RecordError` if missing."""
        try:
            data = self.blob_path(sha256).read_bytes()
        except OSError:
            raise RecordError("blob file is missing from the store",
                              f"blobs/{sha256[:12]}...") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RecordError("blob file does not match its SHA-256", f"blobs/{sha256[:12]}...")
        return data

    def has_blob(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def orphan_blobs(self) -> list[str]:
        """Blob files no saved record or open session references (left by a crash)."""
        used: set[str] = set()
        for row in self.query("SELECT body FROM records"):
            rec = from_dict(json.loads(row[0]), validate=False)
            used.update(r.sha256 for r in rec.refs())
        for row in self.query("SELECT body FROM sessions WHERE finished = 0"):
            used.update(json.loads(row[0]).get("blobs", []))
        found = [p.name for p in (self.path / BLOB_DIR).glob("*/*") if not p.name.startswith(".")]
        return sorted(set(found) - used)

    # ------------------------------------------------------------------ records

    def save_record(self, record: CaptureRecord, id_number: str, reason: str = "",
                    operator: str = "", extra: Callable[[sqlite3.Cursor], None] | None = None
                    ) -> int:
        """Save ``record`` atomically as the current version for ``id_number``.

        Every blob is written first; then one transaction marks the previous version
        (if any) as history, inserts this one, indexes the finger images and writes
        the audit line. Returns the version number.
        """
        for ref in record.refs():
            if ref.sha256 in record.blobs:
                self.put_blob(record.blobs[ref.sha256])
            elif not self.has_blob(ref.sha256):
                raise RecordError("blob bytes are neither in the record nor in the store",
                                  f"blobs/{ref.sha256[:12]}...")
        body = json.dumps(to_dict(record), ensure_ascii=False, sort_keys=True)
        reg = record.subject.registration_number if record.subject else ""
        with self.transaction() as cur:
            row = cur.execute("SELECT MAX(version) FROM records WHERE record_id = ?",
                              (record.record_id,)).fetchone()
            version = int(row[0] or 0) + 1
            cur.execute("UPDATE records SET current = 0 WHERE id_number = ? AND current = 1",
                        (id_number,))
            cur.execute("INSERT INTO records(record_id, version, id_number, registration_number,"
                        " status, current, saved_at, reason, body) VALUES (?,?,?,?,?,1,?,?,?)",
                        (record.record_id, version, id_number, reg, record.status.value,
                         _now(), reason, body))
            cur.execute("DELETE FROM finger_hashes WHERE id_number = ?", (id_number,))
            for f in record.fingers:
                cur.execute("INSERT OR IGNORE INTO finger_hashes(sha256, id_number, position, "
                            "record_id) VALUES (?,?,?,?)",
                            (f.image.sha256, id_number, int(f.position), record.record_id))
            if extra is not None:
                extra(cur)
        return version

    def _stored(self, row: sqlite3.Row) -> StoredRecord:
        return StoredRecord(row["record_id"], row["version"], row["id_number"],
                            row["registration_number"], row["status"], bool(row["current"]),
                            row["saved_at"], row["reason"], json.loads(row["body"]))

    def current_record(self, id_number: str) -> StoredRecord | None:
        rows = self.query("SELECT * FROM records WHERE id_number = ? AND current = 1",
                          (id_number,))
        return self._stored(rows[0]) if rows else None

    def record_by_id(self, record_id: str, version: int | None = None
                     ) -> StoredRecord | None:
        """Record ``record_id``: its latest version (the current one unless a newer record
        replaced it), or the given ``version``; ``None`` if there is no such record."""
        if version is None:
            rows = self.query("SELECT * FROM records WHERE record_id = ? "
                              "ORDER BY version DESC LIMIT 1", (record_id,))
        else:
            rows = self.query("SELECT * FROM records WHERE record_id = ? AND version = ?",
                              (record_id, int(version)))
        return self._stored(rows[0]) if rows else None

    def record_history(self, id_number: str) -> list[StoredRecord]:
        rows = self.query("SELECT * FROM records WHERE id_number = ? ORDER BY version",
                          (id_number,))
        return [self._stored(r) for r in rows]

    def current_records(self, batch: int = 2000) -> Iterator[StoredRecord]:
        """Every current record, ordered by registration number (read in batches)."""
        last = ("", "")
        while True:
            rows = self.query(
                "SELECT * FROM records WHERE current = 1 AND (registration_number, id_number)"
                " > (?, ?) ORDER BY registration_number, id_number LIMIT ?",
                (last[0], last[1], batch))
            for r in rows:
                yield self._stored(r)
            if len(rows) < batch:
                return
            last = (rows[-1]["registration_number"], rows[-1]["id_number"])

    def count_records(self) -> int:
        return int(self.query("SELECT COUNT(*) FROM records WHERE current = 1")[0][0])

    def finger_owners(self, sha256: str) -> list[tuple[str, int, str]]:
        """(id_number, position code, record_id) of every current finger with this image."""
        rows = self.query("SELECT id_number, position, record_id FROM finger_hashes "
                          "WHERE sha256 = ?", (sha256,))
        return [(r[0], int(r[1]), r[2]) for r in rows]

    # ------------------------------------------------------------------ sessions

    def save_session(self, session_id: str, state: str, body: dict[str, Any],
                     finished: bool = False) -> None:
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        with self.transaction() as cur:
            cur.execute("INSERT INTO sessions(session_id, state, body, updated_at, finished) "
                        "VALUES (?,?,?,?,?) ON CONFLICT(session_id) DO UPDATE SET "
                        "state = excluded.state, body = excluded.body, "
                        "updated_at = excluded.updated_at, finished = excluded.finished",
                        (session_id, state, text, _now(), int(finished)))

    def load_session(self, session_id: str) -> tuple[str, dict[str, Any]] | None:
        rows = self.query("SELECT state, body FROM sessions WHERE session_id = ?", (session_id,))
        if not rows:
            return None
        return str(rows[0][0]), json.loads(rows[0][1])

    def open_sessions(self, now: _dt.datetime | None = None) -> list[OpenSession]:
        """Every unfinished session with its step and age, oldest first (by last event,
        to the second; ties in the order the sessions were started).

        A frontend that finds several after a crash can offer to resume or cancel each
        (:meth:`CaptureSession.resume <idcapture.station.session.CaptureSession.resume>`).
        """
        from ..privacy import mask_id_number

        at = now or utcnow()
        out: list[OpenSession] = []
        for r in self.query("SELECT session_id, state, body, updated_at FROM sessions "
                            "WHERE finished = 0 ORDER BY updated_at, rowid"):
            body = json.loads(r["body"])
            updated = _dt.datetime.fromisoformat(str(r["updated_at"]).replace("Z", "+00:00"))
            id_number = str(body.get("id_number") or "")
            out.append(OpenSession(str(r["session_id"]), str(r["state"]),
                                   str(body.get("operator", "")),
                                   mask_id_number(id_number) if id_number else "", updated,
                                   max(0.0, (at - updated).total_seconds())))
        return out

    def unfinished_sessions(self) -> list[str]:
        """Ids of the unfinished sessions, oldest first (see :meth:`open_sessions`)."""
        rows = self.query("SELECT session_id FROM sessions WHERE finished = 0 "
                          "ORDER BY updated_at, rowid")
        return [str(r[0]) for r in rows]

    # ------------------------------------------------------------------ roster helpers

    def student(self, id_number: str) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM students WHERE id_number = ?", (id_number,))
        return rows[0] if rows else None

    def registration(self, id_number: str) -> str | None:
        rows = self.query("SELECT registration_number FROM registrations WHERE id_number = ?",
                          (id_number,))
        return str(rows[0][0]) if rows else None

    def require_student(self, id_number: str) -> sqlite3.Row:
        row = self.student(id_number)
        if row is None:
            raise RosterError("the student is not on the roster", "not-on-roster")
        return row


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their BEGIN...END)."""
    out: list[str] = []
    buf: list[str] = []
    in_trigger = False
    for line in script.strip().splitlines():
        buf.append(line)
        upper = line.strip().upper()
        if upper.startswith("CREATE TRIGGER"):
            in_trigger = True
        if in_trigger:
            if upper.endswith("END;"):
                out.append("\n".join(buf))
                buf = []
                in_trigger = False
        elif upper.endswith(";"):
            out.append("\n".join(buf))
            buf = []
    if "".join(buf).strip():
        out.append("\n".join(buf))
    return out


def today() -> _dt.date:
    """Today's date (a seam tests can replace)."""
    return _dt.date.today()
