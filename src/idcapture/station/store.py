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
is created and checked again whenever it is opened. A store may be encrypted at rest
(:mod:`~idcapture.station.store_crypto`: personal columns, record and session bodies,
blobs); one program at a time changes it (:mod:`~idcapture.station.store_lock`); the
personal data of records whose export the exam authority confirmed can be purged
(:meth:`Store.confirm_export`, :meth:`Store.purge`).

The audit log is append-only (SQLite triggers refuse UPDATE and DELETE) and holds
masked identifiers only. The schema is versioned with ``PRAGMA user_version``;
:data:`MIGRATIONS` (:mod:`~idcapture.station.store_schema`) upgrades an older store when
it is opened.

Why this module is long: it is the only one that speaks SQL. Every read and write of the
station's tables is one of :class:`Store`'s named operations, returning the plain values
of :mod:`~idcapture.station.store_rows`, so that a schema change touches this file (and
the schema's) alone; a test keeps SQL out of every other module.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from ..errors import ConfigError, RecordError, RosterError
from ..formats.atomic import atomic_write
from ..formats.record_json import from_dict, to_dict
from ..i18n import N_
from ..record import CaptureRecord, Subject, utcnow, utcnow_text
from .store_crypto import BLOB_MAGIC, PASSPHRASE_ENV, StoreCipher, new_key_record, unlock
from .store_lock import StoreLock
from .store_rows import (
    AuditEntry,
    FingerEntry,
    NewRegistration,
    OpenSession,
    PurgeReport,
    RegistrationCandidate,
    RosterStatus,
    StoredRecord,
    Student,
    UncapturedStudent,
)
from .store_schema import MIGRATIONS, SCHEMA_VERSION, split_sql

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



_STUDENT_COLUMNS = ", ".join(Student.__annotations__)
#: the roster columns kept encrypted in an encrypted store (the ID number is tokenised)
_SEALED_STUDENT = ("name", "sex", "birth_date", "ethnicity", "student_no")
#: the settings key of an encrypted store's key record (the wrapped data key)
KEY_SETTING = "encryption"
#: the ciphers of the stores this process unlocked (by database path): memory only
_UNLOCKED: dict[str, StoreCipher] = {}


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


class Store:
    """The station store in folder ``path`` (see the module docstring).

    Use :meth:`create` for a new store and :meth:`open` for an existing one. A store
    object may be shared between threads (calls are serialised by one lock). A program
    that changes the store opens it with ``writer=True``: that takes the store's
    operating-system lock (:mod:`~idcapture.station.store_lock`), refusing a second
    writing process with :class:`~idcapture.errors.StoreLocked`, until :meth:`close`.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()
        self._in_tx = False
        self._writer: StoreLock | None = None
        self._cipher: StoreCipher | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, path: str | Path, settings: dict[str, Any] | None = None, *,
               writer: bool = False, passphrase: str | None = None) -> Store:
        """Make a new store in folder ``path`` (which must not hold one already); the
        writer's lock is held while it is made, and kept if ``writer``. With a
        ``passphrase`` the store is encrypted from the start (:meth:`encrypt`)."""
        folder = Path(path)
        if (folder / DB_NAME).exists():
            raise ConfigError(N_("a station store already exists in {folder}").format(
                folder=repr(folder.name)))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / BLOB_DIR).mkdir(exist_ok=True)
        store = cls._connect(folder, True)
        if passphrase is not None:
            store.encrypt(passphrase)
        for key, value in (settings or {}).items():
            store.set_setting(key, value)
        store.audit("system", "store-created", detail=f"schema {SCHEMA_VERSION}")
        if not writer:
            store.release_writer()
        return store

    @classmethod
    def open(cls, path: str | Path, *, writer: bool = False,
             passphrase: str | None = None) -> Store:
        """Open the store in folder ``path``, upgrading its schema if it is older (as
        the writer, see the class docstring, when ``writer``).

        An encrypted store needs its ``passphrase``: given here, in the environment
        variable ``IDCAPTURE_STORE_PASSPHRASE``, or given to an earlier opening of the
        same store in this process (the key is kept in memory, never written).
        :class:`ConfigError` ``passphrase-needed`` or ``wrong-passphrase`` otherwise.
        """
        folder = Path(path)
        if not (folder / DB_NAME).is_file():
            raise ConfigError(N_("no station store in {folder} (create one with 'idcapture "
                                 "station init')").format(folder=repr(folder.name)))
        return cls._connect(folder, writer, passphrase)

    @classmethod
    def _connect(cls, folder: Path, writer: bool, passphrase: str | None = None) -> Store:
        lock = StoreLock(folder).acquire() if writer else None
        try:
            store = cls._connect_locked(folder)
            try:
                store._unlock(passphrase)
            except BaseException:
                store._conn.close()
                raise
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        store._writer = lock
        return store

    def _unlock(self, passphrase: str | None) -> None:
        record = self.setting(KEY_SETTING)
        if record is None:
            return
        cached = _UNLOCKED.get(self._key_of())
        if cached is not None and passphrase is None:
            self._cipher = cached
            return
        passphrase = passphrase or os.environ.get(PASSPHRASE_ENV) or None
        if passphrase is None:
            raise ConfigError(N_("the station store {folder} is encrypted: give its passphrase "
                                 "(environment variable {name}, or at the prompt)").format(
                                     folder=repr(self.path.name), name=PASSPHRASE_ENV),
                              "passphrase-needed")
        self._cipher = unlock(record, passphrase)
        _UNLOCKED[self._key_of()] = self._cipher

    def _key_of(self) -> str:
        return str((self.path / DB_NAME).resolve())

    @property
    def encrypted(self) -> bool:
        """Whether the store's personal data is encrypted at rest (module
        :mod:`~idcapture.station.store_crypto`)."""
        return self._cipher is not None

    def encrypt(self, passphrase: str) -> int:
        """Encrypt a clear store in place under ``passphrase`` (the personal columns in
        one transaction, then every blob file); returns the number of blob files
        encrypted. Run again after an interruption, it finishes the blob files. The
        database is vacuumed afterwards, so no page of it keeps a clear value (the disk
        blocks that held the old clear files are the file system's: see the security
        page)."""
        with self._transaction() as cur:
            if self.setting(KEY_SETTING) is None:
                record, cipher = new_key_record(passphrase)
                cur.execute("PRAGMA defer_foreign_keys = ON")
                self._cipher = cipher
                self._seal_rows(cur)
                self.set_setting(KEY_SETTING, record)
                self.audit("system", "store-encrypted", detail="personal columns and blobs")
            elif self._cipher is None:
                self._unlock(passphrase)
        _UNLOCKED[self._key_of()] = self._cipher  # type: ignore[assignment]
        count = 0
        for path in (self.path / BLOB_DIR).glob("*/*"):
            if path.name.startswith(".") or not path.is_file():
                continue
            raw = path.read_bytes()
            if not raw.startswith(BLOB_MAGIC):
                atomic_write(path, self._cipher.seal_blob(raw, path.name),  # type: ignore[union-attr]
                             sync_dir=True)
                count += 1
        with self._lock:
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def _seal_rows(self, cur: sqlite3.Cursor) -> None:
        """Rewrite every personal column of a clear store through the cipher."""
        for row in list(cur.execute(f"SELECT {_STUDENT_COLUMNS} FROM students")):
            cur.execute(f"UPDATE students SET ({_STUDENT_COLUMNS}) = "
                        f"({', '.join('?' * len(Student.__annotations__))}) "
                        "WHERE id_number = ?",
                        (*self._student_values(cast(Student, dict(row))), row[0]))
        for table in ("registrations", "finger_hashes"):
            for (id_number,) in list(cur.execute(f"SELECT DISTINCT id_number FROM {table}")):
                cur.execute(f"UPDATE {table} SET id_number=? WHERE id_number=?",
                            (self._tok(id_number), id_number))
        for row in list(cur.execute("SELECT rowid, id_number, body FROM records")):
            cur.execute("UPDATE records SET id_number=?, body=? WHERE rowid=?",
                        (self._tok(row[1]), self._seal(row[2], "records.body"), row[0]))
        for row in list(cur.execute("SELECT rowid, body FROM sessions")):
            cur.execute("UPDATE sessions SET body=? WHERE rowid=?",
                        (self._seal(row[1], "sessions.body"), row[0]))

    # the cipher, or the identity on a clear store
    def _tok(self, id_number: str) -> str:
        return self._cipher.token(id_number) if self._cipher is not None else id_number

    def _id(self, value: Any) -> str:
        return str(self._cipher.untoken(value) if self._cipher is not None else value)

    def _seal(self, value: str, column: str) -> str:
        return self._cipher.seal(value, column) if self._cipher is not None else value

    def _open(self, value: Any, column: str) -> Any:
        return self._cipher.open(value, column) if self._cipher is not None else value


    @classmethod
    def _connect_locked(cls, folder: Path) -> Store:
        _make_private(folder)
        conn = sqlite3.connect(str(folder / DB_NAME), isolation_level=None, timeout=30.0,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")  # deleted personal data is overwritten
        store = cls(folder, conn)
        store._migrate()
        (folder / BLOB_DIR).mkdir(exist_ok=True)
        return store

    def _migrate(self) -> None:
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise ConfigError(N_("the store's schema version {version} is newer than this "
                                 "library supports ({supported}); upgrade idcapture").format(
                                     version=version, supported=SCHEMA_VERSION))
        while version < SCHEMA_VERSION:
            target = version + 1
            script = MIGRATIONS[target]
            with self._transaction() as cur:
                for statement in split_sql(script):
                    cur.execute(statement)
                cur.execute(f"PRAGMA user_version = {target}")
            log.info("station store migrated to schema %d", target)
            version = target

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @property
    def is_writer(self) -> bool:
        """Whether this store object holds the writer's lock."""
        return self._writer is not None and self._writer.held

    def release_writer(self) -> None:
        """Give up the writer's lock (idempotent; :meth:`close` does it)."""
        if self._writer is not None:
            self._writer.release()

    def close(self) -> None:
        """Checkpoint the WAL into the main file, close and give up the writer's lock
        (idempotent)."""
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.close()
            except sqlite3.ProgrammingError:
                pass
            finally:
                self.release_writer()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
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

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Run several of the store's operations as one transaction: every write inside
        commits together or not at all, and reads see the writes before them. Nested
        batches join the outer one; another writer (thread or process) waits."""
        with self._transaction():
            yield

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params))

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` answer (``"ok"`` when sound)."""
        return str(self._query("PRAGMA integrity_check")[0][0])

    # ------------------------------------------------------------------ settings

    def set_setting(self, key: str, value: Any) -> None:
        with self._transaction() as cur:
            cur.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                        "DO UPDATE SET value = excluded.value",
                        (key, json.dumps(value, ensure_ascii=False, sort_keys=True)))

    def setting(self, key: str, default: Any = None) -> Any:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    # ------------------------------------------------------------------ audit

    def audit(self, operator: str, action: str, subject: str = "", detail: str = "") -> None:
        """Append a line to the audit log. ``subject`` and ``detail`` must be masked already."""
        with self._transaction() as cur:
            cur.execute("INSERT INTO audit(at, operator, action, subject, detail) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (utcnow_text(), operator, action, subject, detail))

    def audit_log(self, action: str | None = None) -> list[AuditEntry]:
        sql = "SELECT seq, at, operator, action, subject, detail FROM audit"
        rows = (self._query(sql + " WHERE action = ? ORDER BY seq", (action,)) if action
                else self._query(sql + " ORDER BY seq"))
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
        atomic_write(target, data if self._cipher is None
                     else self._cipher.seal_blob(data, sha), sync_dir=True)
        return sha

    def read_blob(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``, verified; :class:`RecordError` if missing."""
        try:
            data = self.blob_path(sha256).read_bytes()
        except OSError:
            raise RecordError(N_("blob file is missing from the store"),
                              f"blobs/{sha256[:12]}...") from None
        if self._cipher is not None:
            data = self._cipher.open_blob(data, sha256)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RecordError(N_("blob file does not match its SHA-256"),
                              f"blobs/{sha256[:12]}...")
        return data

    def has_blob(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def orphan_blobs(self) -> list[str]:
        """Blob files no saved record or open session references (left by a crash)."""
        used = self.referenced_blobs()
        found = [p.name for p in (self.path / BLOB_DIR).glob("*/*") if not p.name.startswith(".")]
        return sorted(set(found) - used)

    def referenced_blobs(self) -> set[str]:
        """The SHA-256 of every blob a saved record or an open session references."""
        used: set[str] = set()
        for row in self._query("SELECT body FROM records"):
            rec = from_dict(json.loads(self._open(row[0], "records.body")), validate=False)
            used.update(r.sha256 for r in rec.refs())
        for row in self._query("SELECT body FROM sessions WHERE finished = 0"):
            used.update(json.loads(self._open(row[0], "sessions.body")).get("blobs", []))
        return used

    # ------------------------------------------------------------------ records

    def save_record(self, record: CaptureRecord, id_number: str, reason: str = "",
                    operator: str = "") -> int:
        """Save ``record`` atomically as the current version for ``id_number``.

        Every blob is written first; then one transaction marks the previous version
        (if any) as history, inserts this one and indexes the finger images. Returns the
        version number.
        """
        self._put_record_blobs(record)
        with self._transaction() as cur:
            return self._insert_record(cur, record, id_number, reason)

    def save_record_finishing_session(self, record: CaptureRecord, id_number: str,
                                      session_id: str, state: str, body: dict[str, Any],
                                      reason: str = "", replaces: str | None = None
                                      ) -> int:
        """:meth:`save_record` and mark session ``session_id`` finished (in ``state``,
        with ``body``) in the same transaction: the record is saved and its session
        closed together, or neither. Returns the record's version number.

        ``replaces`` is what the session expects the current record of ``id_number`` to
        be when it saves: ``""`` none (a new capture), ``"record_id:version"`` the record
        a correction corrects. It is checked inside the saving transaction, so a session
        resumed after another one captured the same student is refused
        (:class:`RosterError` ``captured-since``) instead of saving a second record.
        """
        self._put_record_blobs(record)
        with self._transaction() as cur:
            if replaces is not None:
                row = cur.execute("SELECT record_id, version FROM records WHERE "
                                  "id_number = ? AND current = 1",
                                  (self._tok(id_number),)).fetchone()
                found = f"{row[0]}:{row[1]}" if row else ""
                if found != replaces:
                    raise RosterError(N_("the student was captured since this session began "
                                         "(another session saved a record): nothing saved"),
                                      "captured-since")
            version = self._insert_record(cur, record, id_number, reason)
            self._write_session(cur, session_id, state, body, True)
        return version

    def _put_record_blobs(self, record: CaptureRecord) -> None:
        for ref in record.refs():
            if ref.sha256 in record.blobs:
                self.put_blob(record.blobs[ref.sha256])
            elif not self.has_blob(ref.sha256):
                raise RecordError(N_("blob bytes are neither in the record nor in the store"),
                                  f"blobs/{ref.sha256[:12]}...")

    def _insert_record(self, cur: sqlite3.Cursor, record: CaptureRecord, id_number: str,
                       reason: str) -> int:
        body = self._seal(json.dumps(to_dict(record), ensure_ascii=False, sort_keys=True),
                          "records.body")
        reg = record.subject.registration_number if record.subject else ""
        id_number = self._tok(id_number)
        row = cur.execute("SELECT MAX(version) FROM records WHERE record_id = ?",
                          (record.record_id,)).fetchone()
        version = int(row[0] or 0) + 1
        cur.execute("UPDATE records SET current = 0 WHERE id_number = ? AND current = 1",
                    (id_number,))
        cur.execute("INSERT INTO records(record_id, version, id_number, registration_number,"
                    " status, current, saved_at, reason, body) VALUES (?,?,?,?,?,1,?,?,?)",
                    (record.record_id, version, id_number, reg, record.status.value,
                     utcnow_text(), reason, body))
        cur.execute("DELETE FROM finger_hashes WHERE id_number = ?", (id_number,))
        for f in record.fingers:
            cur.execute("INSERT OR IGNORE INTO finger_hashes(sha256, id_number, position, "
                        "record_id) VALUES (?,?,?,?)",
                        (f.image.sha256, id_number, int(f.position), record.record_id))
        return version

    def _stored(self, row: sqlite3.Row) -> StoredRecord:
        return StoredRecord(row["record_id"], row["version"], self._id(row["id_number"]),
                            row["registration_number"], row["status"], bool(row["current"]),
                            row["saved_at"], row["reason"],
                            json.loads(self._open(row["body"], "records.body")))

    def current_record(self, id_number: str) -> StoredRecord | None:
        rows = self._query("SELECT * FROM records WHERE id_number = ? AND current = 1",
                           (self._tok(id_number),))
        return self._stored(rows[0]) if rows else None

    def record_by_id(self, record_id: str, version: int | None = None
                     ) -> StoredRecord | None:
        """Record ``record_id``: its latest version (the current one unless a newer record
        replaced it), or the given ``version``; ``None`` if there is no such record."""
        if version is None:
            rows = self._query("SELECT * FROM records WHERE record_id = ? "
                              "ORDER BY version DESC LIMIT 1", (record_id,))
        else:
            rows = self._query("SELECT * FROM records WHERE record_id = ? AND version = ?",
                              (record_id, int(version)))
        return self._stored(rows[0]) if rows else None

    def record_history(self, id_number: str) -> list[StoredRecord]:
        rows = self._query("SELECT * FROM records WHERE id_number = ? ORDER BY version",
                           (self._tok(id_number),))
        return [self._stored(r) for r in rows]

    def current_records(self, batch: int = 2000) -> Iterator[StoredRecord]:
        """Every current record, ordered by registration number (read in batches);
        records purged after a confirmed export (:meth:`purge`) are left out."""
        last = ("", "")
        while True:
            rows = self._query(
                "SELECT * FROM records WHERE current = 1 AND purged_at IS NULL AND "
                "(registration_number, id_number)"
                " > (?, ?) ORDER BY registration_number, id_number LIMIT ?",
                (last[0], last[1], batch))
            for r in rows:
                yield self._stored(r)
            if len(rows) < batch:
                return
            last = (rows[-1]["registration_number"], rows[-1]["id_number"])

    def count_records(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM records WHERE current = 1 AND "
                               "purged_at IS NULL")[0][0])

    def id_number_of(self, record_id: str) -> str | None:
        """The ID number whose current record is ``record_id`` (``None`` if it is not a
        current record)."""
        rows = self._query("SELECT id_number FROM records WHERE record_id = ? AND "
                           "current = 1", (record_id,))
        return self._id(rows[0][0]) if rows else None

    def records_stamp(self) -> tuple[int, int]:
        """A value that changes whenever a record version is saved (count and last row),
        so a cache built from the records knows whether it is still up to date."""
        row = self._query("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM records")[0]
        return int(row[0]), int(row[1])

    def current_fingers(self) -> list[FingerEntry]:
        """Every finger image of every current record."""
        rows = self._query("SELECT sha256, id_number, position, record_id FROM finger_hashes")
        return [FingerEntry(str(r[0]), self._id(r[1]), int(r[2]), str(r[3])) for r in rows]

    def finger_owners(self, sha256: str) -> list[tuple[str, int, str]]:
        """(id_number, position code, record_id) of every current finger with this image."""
        rows = self._query("SELECT id_number, position, record_id FROM finger_hashes "
                          "WHERE sha256 = ?", (sha256,))
        return [(self._id(r[0]), int(r[1]), r[2]) for r in rows]

    # ------------------------------------------------------------------ retention

    def note_export(self, package: str, manifest_sha256: str,
                    records: Sequence[tuple[str, int]]) -> None:
        """Remember that the package whose manifest has this SHA-256 holds these record
        versions (``(record_id, version)``), until the exam authority confirms it."""
        with self._transaction() as cur:
            cur.execute("INSERT OR IGNORE INTO exports(manifest_sha256, package, exported_at,"
                        " records) VALUES (?,?,?,?)",
                        (manifest_sha256, package, utcnow_text(), len(records)))
            cur.executemany("INSERT OR IGNORE INTO exported_records(manifest_sha256, "
                            "record_id, version) VALUES (?,?,?)",
                            [(manifest_sha256, rid, int(v)) for rid, v in records])

    def confirm_export(self, manifest_sha256: str, operator: str, receipt: str = "") -> int:
        """Record that the exam authority confirmed receipt of the package whose
        manifest has this SHA-256 (``receipt``: its reference, if it gave one). Returns
        how many record versions the package holds; :class:`RosterError`
        ``unknown-package`` if this store did not write it."""
        with self._transaction() as cur:
            row = cur.execute("SELECT package, records, confirmed_at FROM exports WHERE "
                              "manifest_sha256 = ?", (manifest_sha256,)).fetchone()
            if row is None:
                raise RosterError(N_("this store did not write that package (or it was "
                                     "written before exports were recorded)"),
                                  "unknown-package")
            if row[2] is None:
                cur.execute("UPDATE exports SET confirmed_at = ?, confirmed_by = ?, "
                            "receipt = ? WHERE manifest_sha256 = ?",
                            (utcnow_text(), operator, receipt[:200], manifest_sha256))
                self.audit(operator, "export-confirmed", str(row[0]),
                           f"{row[1]} records; receipt {receipt[:100] or '-'}")
        return int(row[1])

    def purge(self, operator: str) -> PurgeReport:
        """Remove the personal data of every student whose current record is in an
        export the exam authority confirmed (:meth:`confirm_export`).

        Removed: every version's record body (replaced by an empty record with the same
        id, status and registration number), the roster's name, sex, birth date,
        ethnicity and student number, the finger index, the bodies of their finished
        sessions, and every image and template file no remaining record or open session
        uses. Kept (:attr:`PurgeReport.kept`): the ID number (so the student is not
        captured twice and the authority's queries can be answered), the registration
        number, record ids, versions, times and statuses, the exports and their
        confirmations, and the audit log, which gets one line with the counts.
        Deleted pages are overwritten (``secure_delete``).
        """
        now = utcnow_text()
        with self._transaction() as cur:
            due = list(cur.execute(
                "SELECT DISTINCT r.id_number FROM records r "
                "JOIN exported_records e ON e.record_id = r.record_id AND "
                "e.version = r.version JOIN exports x ON x.manifest_sha256 = "
                "e.manifest_sha256 WHERE r.current = 1 AND r.purged_at IS NULL AND "
                "x.confirmed_at IS NOT NULL"))
            not_confirmed = int(cur.execute(
                "SELECT COUNT(*) FROM records WHERE current = 1 AND purged_at IS NULL"
            ).fetchone()[0]) - len(due)
            ids = [str(r[0]) for r in due]
            clear_ids = {self._id(i) for i in ids}
            blobs: set[str] = set()
            versions = 0
            for id_token in ids:
                for row in list(cur.execute("SELECT rowid, body, registration_number FROM "
                                            "records WHERE id_number = ?", (id_token,))):
                    rec = from_dict(json.loads(self._open(row[1], "records.body")),
                                    validate=False)
                    blobs.update(r.sha256 for r in rec.refs())
                    stub = CaptureRecord(record_id=rec.record_id, status=rec.status,
                                         subject=Subject(registration_number=str(row[2])))
                    cur.execute("UPDATE records SET body = ?, purged_at = ? WHERE rowid = ?",
                                (self._seal(json.dumps(to_dict(stub), sort_keys=True),
                                            "records.body"), now, row[0]))
                    versions += 1
                cur.execute("DELETE FROM finger_hashes WHERE id_number = ?", (id_token,))
                cur.execute("UPDATE students SET name = '', sex = '', birth_date = '', "
                            "ethnicity = '', student_no = '' WHERE id_number = ?", (id_token,))
            sessions = 0
            for row in list(cur.execute("SELECT rowid, body FROM sessions WHERE finished = 1")):
                body = json.loads(self._open(row[1], "sessions.body"))
                if body.get("id_number") in clear_ids:
                    cur.execute("UPDATE sessions SET body = ? WHERE rowid = ?",
                                (self._seal(json.dumps({"purged": now}), "sessions.body"),
                                 row[0]))
                    sessions += 1
            used = set(self.referenced_blobs())
            files = bytes_ = 0
            for sha in sorted(blobs - used):
                path = self.blob_path(sha)
                with contextlib.suppress(FileNotFoundError):
                    bytes_ += path.stat().st_size
                    path.unlink()
                    files += 1
            kept = (N_("ID numbers and registration numbers of the purged students"),
                    N_("record ids, versions, statuses and times (empty record bodies)"),
                    N_("exports and their confirmations"), N_("the audit log"),
                    N_("{count} current records not in a confirmed export, whole").format(
                        count=not_confirmed))
            self.audit(operator, "purged", f"{len(ids)} students",
                       f"{versions} record versions, {files} files ({bytes_} bytes), "
                       f"{sessions} sessions; {not_confirmed} records not confirmed kept")
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return PurgeReport(len(ids), versions, len(ids), files, bytes_, sessions,
                           not_confirmed, kept)

    # ------------------------------------------------------------------ sessions

    def save_session(self, session_id: str, state: str, body: dict[str, Any],
                     finished: bool = False) -> None:
        with self._transaction() as cur:
            self._write_session(cur, session_id, state, body, finished)

    def _write_session(self, cur: sqlite3.Cursor, session_id: str, state: str,
                       body: dict[str, Any], finished: bool) -> None:
        text = self._seal(json.dumps(body, ensure_ascii=False, sort_keys=True),
                          "sessions.body")
        cur.execute("INSERT INTO sessions(session_id, state, body, updated_at, finished) "
                    "VALUES (?,?,?,?,?) ON CONFLICT(session_id) DO UPDATE SET "
                    "state = excluded.state, body = excluded.body, "
                    "updated_at = excluded.updated_at, finished = excluded.finished",
                    (session_id, state, text, utcnow_text(), int(finished)))

    def load_session(self, session_id: str) -> tuple[str, dict[str, Any]] | None:
        rows = self._query("SELECT state, body FROM sessions WHERE session_id = ?", (session_id,))
        if not rows:
            return None
        return str(rows[0][0]), json.loads(self._open(rows[0][1], "sessions.body"))

    def open_sessions(self, now: _dt.datetime | None = None) -> list[OpenSession]:
        """Every unfinished session with its step and age, oldest first (by last event,
        to the second; ties in the order the sessions were started).

        A frontend that finds several after a crash can offer to resume or cancel each
        (:meth:`CaptureSession.resume <idcapture.station.session.CaptureSession.resume>`).
        """
        from ..privacy import mask_id_number

        at = now or utcnow()
        out: list[OpenSession] = []
        for r in self._query("SELECT session_id, state, body, updated_at FROM sessions "
                            "WHERE finished = 0 ORDER BY updated_at, rowid"):
            body = json.loads(self._open(r["body"], "sessions.body"))
            updated = _dt.datetime.fromisoformat(str(r["updated_at"]).replace("Z", "+00:00"))
            id_number = str(body.get("id_number") or "")
            out.append(OpenSession(str(r["session_id"]), str(r["state"]),
                                   str(body.get("operator", "")),
                                   mask_id_number(id_number) if id_number else "", updated,
                                   max(0.0, (at - updated).total_seconds())))
        return out

    def unfinished_sessions(self) -> list[str]:
        """Ids of the unfinished sessions, oldest first (see :meth:`open_sessions`)."""
        rows = self._query("SELECT session_id FROM sessions WHERE finished = 0 "
                          "ORDER BY updated_at, rowid")
        return [str(r[0]) for r in rows]

    # ------------------------------------------------------------------ roster

    def student(self, id_number: str) -> Student | None:
        rows = self._query(f"SELECT {_STUDENT_COLUMNS} FROM students WHERE id_number = ?",
                           (self._tok(id_number),))
        return self._student(rows[0]) if rows else None

    def require_student(self, id_number: str) -> Student:
        row = self.student(id_number)
        if row is None:
            raise RosterError(N_("the student is not on the roster"), "not-on-roster")
        return row

    def students(self) -> dict[str, Student]:
        """Every student on the roster, by ID number."""
        out = (self._student(r)
               for r in self._query(f"SELECT {_STUDENT_COLUMNS} FROM students"))
        return {st["id_number"]: st for st in out}

    def save_roster_import(self, source: str, sha256: str, operator: str, accepted: int,
                           rejected: int, added: Sequence[tuple[Student, int]],
                           updated: Sequence[tuple[Student, int]]) -> int:
        """Record one roster import (``accepted`` and ``rejected`` rows) and store its new
        and changed students in one transaction: ``added`` and ``updated`` are (student,
        roster row number). Returns the import's id."""
        now = utcnow_text()
        with self._transaction() as cur:
            cur.execute("INSERT INTO imports(source, sha256, imported_at, operator, accepted, "
                        "rejected) VALUES (?,?,?,?,?,?)",
                        (source, sha256, now, operator, accepted, rejected))
            import_id = int(cur.lastrowid or 0)
            cur.executemany(
                "INSERT INTO students(id_number, name, sex, birth_date, ethnicity, "
                "school_code, school_name, class_name, student_no, import_id, "
                "source_row, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(*self._student_values(st), import_id, row, now) for st, row in added])
            cur.executemany(
                "UPDATE students SET name=?, sex=?, birth_date=?, ethnicity=?, "
                "school_code=?, school_name=?, class_name=?, student_no=?, "
                "import_id=?, source_row=?, updated_at=? WHERE id_number=?",
                [(*self._student_values(st)[1:], import_id, row, now,
                  self._tok(st["id_number"])) for st, row in updated])
        return import_id

    def roster_status(self) -> list[RosterStatus]:
        """Every roster student with registration and current record, in class order
        (school, class, registration number, ID number)."""
        rows = self._query(
            "SELECT s.id_number, s.name, s.sex, s.class_name, s.school_name, "
            "r.registration_number, c.record_id, c.body FROM students s "
            "LEFT JOIN registrations r ON r.id_number = s.id_number "
            "LEFT JOIN records c ON c.id_number = s.id_number AND c.current = 1 "
            "ORDER BY s.school_code, s.class_name, r.registration_number, s.id_number")
        return [RosterStatus(self._id(r[0]), self._open(r[1], "students.name"),
                             self._open(r[2], "students.sex"), r[3], r[4], r[5] or "", r[6],
                             None if r[7] is None
                             else json.loads(self._open(r[7], "records.body")))
                for r in rows]

    def first_uncaptured(self) -> Student | None:
        """The first registered student (in :meth:`roster_status` order) with no current
        record, or ``None``."""
        cols = ", ".join(f"s.{c}" for c in Student.__annotations__)
        rows = self._query(
            f"SELECT {cols} FROM students s "
            "JOIN registrations r ON r.id_number = s.id_number "
            "LEFT JOIN records c ON c.id_number = s.id_number AND c.current = 1 "
            "WHERE c.record_id IS NULL "
            "ORDER BY s.school_code, s.class_name, r.registration_number, s.id_number LIMIT 1")
        return self._student(rows[0]) if rows else None

    # ------------------------------------------------------------------ registrations

    def registration(self, id_number: str) -> str | None:
        rows = self._query("SELECT registration_number FROM registrations WHERE id_number = ?",
                           (self._tok(id_number),))
        return str(rows[0][0]) if rows else None

    def registration_candidates(self, school_code: str | None = None
                                ) -> list[RegistrationCandidate]:
        """Every roster student (of one school if given) with their registration number,
        in class order (school, class, student-status number, ID number)."""
        sql = ("SELECT s.id_number, s.school_code, s.class_name, s.student_no, "
               "r.registration_number FROM students s "
               "LEFT JOIN registrations r ON r.id_number = s.id_number")
        params: list[str] = []
        if school_code:
            sql += " WHERE s.school_code = ?"
            params.append(school_code)
        rows = [(r[1], r[2], self._open(r[3], "students.student_no"), self._id(r[0]), r[4])
                for r in self._query(sql, params)]
        rows.sort(key=lambda r: r[:4])  # sorted here: the student number may be encrypted
        return [RegistrationCandidate(r[3], r[0], r[4]) for r in rows]

    def registration_sequences(self) -> dict[str, int]:
        """The last sequence number allocated in each registration scope."""
        return {str(r[0]): int(r[1]) for r in self._query("SELECT scope, last FROM sequences")}

    def add_registrations(self, new: Sequence[NewRegistration]) -> None:
        """Store newly allocated registration numbers and advance their scopes' sequences
        (one transaction). :class:`RosterError` (``registration-clash``) if a number is
        taken already."""
        now = utcnow_text()
        last: dict[str, int] = {}
        for reg in new:
            last[reg.scope] = max(last.get(reg.scope, 0), reg.sequence)
        with self._transaction() as cur:
            try:
                cur.executemany("INSERT INTO registrations(id_number, registration_number, "
                                "scope, sequence, registered_at) VALUES (?,?,?,?,?)",
                                [(self._tok(reg.id_number), *reg[1:], now) for reg in new])
            except sqlite3.IntegrityError as exc:
                raise RosterError(N_("a registration number clashes with one already "
                                     "allocated; was the pattern changed after registration "
                                     "began?"), "registration-clash") from exc
            cur.executemany("INSERT INTO sequences(scope, last) VALUES (?, ?) "
                            "ON CONFLICT(scope) DO UPDATE SET last = excluded.last",
                            list(last.items()))

    def uncaptured_students(self) -> list[UncapturedStudent]:
        """Registered students with no current record, by registration number."""
        rows = self._query(
            "SELECT r.registration_number, s.id_number, s.school_code, s.class_name "
            "FROM registrations r JOIN students s ON s.id_number = r.id_number "
            "WHERE NOT EXISTS (SELECT 1 FROM records c WHERE c.id_number = r.id_number "
            "AND c.current = 1) ORDER BY r.registration_number")
        return [UncapturedStudent(r[0], self._id(r[1]), r[2], r[3]) for r in rows]

    def count_unregistered(self) -> int:
        """How many roster students have no registration number yet."""
        return int(self._query(
            "SELECT COUNT(*) FROM students s WHERE NOT EXISTS (SELECT 1 FROM registrations r "
            "WHERE r.id_number = s.id_number)")[0][0])


    def _student(self, row: sqlite3.Row) -> Student:
        """A students row (:data:`_STUDENT_COLUMNS`) as the roster values."""
        values: dict[str, str] = {
            c: (self._id(v) if c == "id_number" else
                str(self._open(v, f"students.{c}")) if c in _SEALED_STUDENT else v)
            for c, v in zip(Student.__annotations__, row, strict=True)}
        return cast(Student, values)

    def _student_values(self, st: Student) -> tuple[str, ...]:
        """The values of a students row (:data:`_STUDENT_COLUMNS` order) as stored."""
        plain = cast(dict[str, str], st)
        return tuple(self._tok(plain[c]) if c == "id_number" else
                     self._seal(plain[c], f"students.{c}") if c in _SEALED_STUDENT
                     else plain[c] for c in Student.__annotations__)


def today() -> _dt.date:
    """Today's date (a seam tests can replace)."""
    return _dt.date.today()
