"""The station store's schema: the SQL scripts that build and upgrade ``station.sqlite3``.

:data:`MIGRATIONS` maps each schema version to the script that brings a store from the
version before to it; :class:`~idcapture.station.store.Store` runs the missing ones when
it opens a store (the version is ``PRAGMA user_version``). A schema change is a new
entry here and the store's operations that use it, nothing else.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "split_sql"]

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

#: retention: which record versions each export package holds, the exam authority's
#: confirmation of a package, and the records whose personal data was purged
_V2 = """
ALTER TABLE records ADD COLUMN purged_at TEXT;
CREATE TABLE exports (
    manifest_sha256 TEXT PRIMARY KEY,
    package TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    confirmed_at TEXT,
    confirmed_by TEXT NOT NULL DEFAULT '',
    receipt TEXT NOT NULL DEFAULT ''
);
CREATE TABLE exported_records (
    manifest_sha256 TEXT NOT NULL REFERENCES exports(manifest_sha256),
    record_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (manifest_sha256, record_id, version)
);
CREATE INDEX exported_records_record ON exported_records(record_id, version);
"""

#: schema version -> SQL script that brings a store from version - 1 to it
MIGRATIONS: dict[int, str] = {1: _V1, 2: _V2}
SCHEMA_VERSION = max(MIGRATIONS)


def split_sql(script: str) -> list[str]:
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
