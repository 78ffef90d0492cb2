"""The province registry: ingested packages, their records and thumbs, matches and clusters.

One embedded SQLite database (``province.sqlite`` in the registry directory, WAL journal,
``synchronous=FULL``); this module holds all of the province's SQL. A package's records
are written in one transaction, so a package is either wholly in the registry or not at
all, and a package reported ingested survives a crash of the process or the machine.

Provenance: every record names the package (SHA-256 of the file as delivered), the
station and the time it was ingested. A record whose station and registration number
reappear in a newer package (by the manifest's ``created_at``) is *superseded*: it stays
in the registry with ``superseded_by`` pointing at its successor, and only current
records take part in the checks.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..i18n import N_

__all__ = ["DB_NAME", "DECISIONS", "Decision", "Match", "RecordRow", "Registry", "Thumb",
           "ThumbRow"]

DB_NAME = "province.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS packages (
    sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, station_id TEXT NOT NULL,
    created_at TEXT NOT NULL, ingested_at TEXT NOT NULL, records INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    rid INTEGER PRIMARY KEY AUTOINCREMENT, package_sha256 TEXT NOT NULL REFERENCES packages,
    station_id TEXT NOT NULL, registration_number TEXT NOT NULL, id_number TEXT NOT NULL,
    school TEXT NOT NULL, package_created_at TEXT NOT NULL, fields TEXT NOT NULL,
    current INTEGER NOT NULL, superseded_by INTEGER, ingested_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_reg ON records (station_id, registration_number);
CREATE INDEX IF NOT EXISTS records_id ON records (id_number);
CREATE TABLE IF NOT EXISTS thumbs (
    rid INTEGER NOT NULL REFERENCES records, position TEXT NOT NULL,
    template BLOB NOT NULL, source TEXT NOT NULL, feature BLOB,
    PRIMARY KEY (rid, position));
CREATE TABLE IF NOT EXISTS prepared (
    rid INTEGER NOT NULL, position TEXT NOT NULL, form BLOB NOT NULL,
    PRIMARY KEY (rid, position));
CREATE TABLE IF NOT EXISTS matches (
    a INTEGER NOT NULL, b INTEGER NOT NULL, kind TEXT NOT NULL, score REAL NOT NULL,
    evidence TEXT NOT NULL, found_at TEXT NOT NULL, PRIMARY KEY (a, b, kind));
CREATE TABLE IF NOT EXISTS clusters (
    cid INTEGER PRIMARY KEY, kinds TEXT NOT NULL, evidence TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cluster_members (
    cid INTEGER NOT NULL REFERENCES clusters, rid INTEGER NOT NULL REFERENCES records,
    PRIMARY KEY (cid, rid));
CREATE TABLE IF NOT EXISTS faces (
    rid INTEGER PRIMARY KEY REFERENCES records, embedding BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stations (
    station_id TEXT PRIMARY KEY, name TEXT NOT NULL, added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    members TEXT PRIMARY KEY, decision TEXT NOT NULL, note TEXT NOT NULL,
    reviewer TEXT NOT NULL, decided_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decision_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, members TEXT NOT NULL, decision TEXT NOT NULL,
    note TEXT NOT NULL, reviewer TEXT NOT NULL, decided_at TEXT NOT NULL);
"""


#: what a reviewer may decide about a cluster
DECISIONS = ("same-person", "different-people", "needs-visit")
#: a thumb as ingested: ISO/IEC 19794-2 template, source, pre-filter histogram (or None)
Thumb = tuple[bytes, str, bytes | None]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class RecordRow:
    """One ingested record."""

    rid: int
    station_id: str
    registration_number: str
    id_number: str
    school: str
    package_sha256: str
    current: bool
    superseded_by: int | None


@dataclass(frozen=True)
class ThumbRow:
    """A thumb's ISO/IEC 19794-2 template, where it came from (package or extracted), its
    pre-filter keys (:mod:`.features`) and its stored prepared form (:mod:`.prepared`;
    both None until computed)."""

    rid: int
    position: str
    template: bytes
    source: str
    feature: bytes | None = None
    prepared: bytes | None = None


@dataclass(frozen=True)
class Match:
    """Evidence that two records are one person (``kind``: same-id or biometric)."""

    a: int
    b: int
    kind: str
    score: float
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision about the records ``members`` (one cluster)."""

    members: tuple[int, ...]
    decision: str
    note: str
    reviewer: str
    decided_at: str


def _members_key(members: Iterable[int]) -> str:
    return ",".join(str(m) for m in sorted({int(m) for m in members}))


def _decision(row: tuple[Any, ...]) -> Decision:
    return Decision(tuple(int(x) for x in str(row[0]).split(",") if x), str(row[1]),
                    str(row[2]), str(row[3]), str(row[4]))


class Registry:
    """The province registry in directory ``path`` (created if missing).

    One connection per object; it may move between threads (a server's worker
    threads) but is not for concurrent use: callers serialise their calls.
    """

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            if not create:
                raise ConfigError(N_("no province registry at {folder}").format(
                    folder=repr(self.path.name)),
                                  "no-registry")
            self.path.mkdir(parents=True)
        self.db = sqlite3.connect(self.path / DB_NAME, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(thumbs)")}
        if "feature" not in columns:        # registries made before the pre-filter
            self.db.execute("ALTER TABLE thumbs ADD COLUMN feature BLOB")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ packages

    def has_package(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM packages WHERE sha256 = ?",
                               (sha256,)).fetchone() is not None

    def packages(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT sha256, name, station_id, created_at, ingested_at, "
                              "records FROM packages ORDER BY ingested_at")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur]

    def add_package(self, *, sha256: str, name: str, station_id: str, created_at: str,
                    records: Iterable[tuple[dict[str, str], dict[str, Thumb]]],
                    faces: Sequence[bytes | None] = ()) -> tuple[int, int]:
        """Import one package's records (fields, {position: (template, source, feature)})
        at once, with the face embedding of each record that has one (``faces``, in the
        records' order; :mod:`.faces`).

        Returns (records added, earlier records they superseded). Nothing is written
        when the package is already in the registry (returns (0, 0)).
        """
        now = _now()
        added = superseded = 0
        with self._transaction():
            if self.has_package(sha256):
                return 0, 0
            self.db.execute("INSERT INTO packages VALUES (?, ?, ?, ?, ?, 0)",
                            (sha256, name, station_id, created_at, now))
            for fields, thumbs in records:
                superseded += self._add_record(sha256, station_id, created_at, now,
                                               fields, thumbs)
                added += 1
            self.db.execute("UPDATE packages SET records = ? WHERE sha256 = ?",
                            (added, sha256))
            if any(f is not None for f in faces):
                self._add_faces(sha256, faces)
        return added, superseded

    def _add_faces(self, sha256: str, faces: Sequence[bytes | None]) -> None:
        rids = [int(r[0]) for r in self.db.execute(
            "SELECT rid FROM records WHERE package_sha256 = ? ORDER BY rid", (sha256,))]
        self.db.executemany("INSERT INTO faces VALUES (?, ?)",
                            [(rid, f) for rid, f in zip(rids, faces, strict=True)
                             if f is not None])

    def faces(self, current_only: bool = True, rids: Iterable[int] | None = None
              ) -> list[tuple[int, bytes]]:
        """(record ID, face embedding) of the records (current ones by default; only
        ``rids`` when given) that have one, in ingest order."""
        sql = ("SELECT f.rid, f.embedding FROM faces f JOIN records r ON r.rid = f.rid "
               "WHERE 1")
        if current_only:
            sql += " AND r.current = 1"
        if rids is None:
            return [(int(a), bytes(b)) for a, b in self.db.execute(sql + " ORDER BY f.rid")]
        wanted = sorted({int(r) for r in rids})
        out: list[tuple[int, bytes]] = []
        for s in range(0, len(wanted), 500):
            part = wanted[s:s + 500]
            out += [(int(a), bytes(b)) for a, b in self.db.execute(
                sql + f" AND f.rid IN ({','.join('?' * len(part))}) ORDER BY f.rid", part)]
        return out

    def _add_record(self, sha256: str, station_id: str, created_at: str, now: str,
                    fields: dict[str, str], thumbs: dict[str, Thumb]) -> int:
        reg = fields.get("registration_number", "")
        school = fields.get("school_code") or station_id
        prior = self.db.execute(
            "SELECT rid, package_created_at FROM records WHERE station_id = ? AND "
            "registration_number = ? AND current = 1", (station_id, reg)).fetchone()
        newer = prior is None or prior[1] <= created_at
        cur = self.db.execute(
            "INSERT INTO records (package_sha256, station_id, registration_number, "
            "id_number, school, package_created_at, fields, current, superseded_by, "
            "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, station_id, reg, fields.get("id_number", ""), school, created_at,
             json.dumps(fields, ensure_ascii=False, sort_keys=True), int(newer),
             None if newer else prior[0], now))
        rid = int(cur.lastrowid or 0)
        for pos, (template, source, feature) in thumbs.items():
            self.db.execute("INSERT INTO thumbs VALUES (?, ?, ?, ?, ?)",
                            (rid, pos, template, source, feature))
        if prior is not None and newer:
            self.db.execute("UPDATE records SET current = 0, superseded_by = ? WHERE rid = ?",
                            (rid, prior[0]))
            return 1
        return 0

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> None:
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")

    def _transaction(self) -> Registry._Tx:
        return Registry._Tx(self.db)

    # ------------------------------------------------------------------ stations

    def add_stations(self, stations: Iterable[tuple[str, str]]) -> int:
        """Add (station ID, name) pairs to the province's stations; returns how many
        were new. Once any station is listed, packages from other stations are refused."""
        now = _now()
        added = 0
        with self._transaction():
            for sid, name in stations:
                sid = sid.strip()
                if not sid or len(sid) > 64 or not sid.isprintable():
                    raise ConfigError(N_("a station ID is 1-64 printable characters"),
                                      "station")
                cur = self.db.execute("INSERT OR IGNORE INTO stations VALUES (?, ?, ?)",
                                      (sid, name.strip()[:100], now))
                added += cur.rowcount
        return added

    def remove_station(self, station_id: str) -> bool:
        with self._transaction():
            cur = self.db.execute("DELETE FROM stations WHERE station_id = ?", (station_id,))
        return cur.rowcount > 0

    def stations(self) -> dict[str, str]:
        """The province's stations (ID to name); empty when none are listed."""
        return {str(a): str(b) for a, b in self.db.execute(
            "SELECT station_id, name FROM stations ORDER BY station_id")}

    def station_known(self, station_id: str) -> bool:
        """Whether a package from ``station_id`` may be ingested: listed, or no station
        listed at all."""
        if self.db.execute("SELECT 1 FROM stations LIMIT 1").fetchone() is None:
            return True
        return self.db.execute("SELECT 1 FROM stations WHERE station_id = ?",
                               (station_id,)).fetchone() is not None

    # ------------------------------------------------------------------ records

    def records(self, current_only: bool = True, after: int = 0) -> list[RecordRow]:
        """Records (current ones by default) with ``rid > after``, in ingest order."""
        sql = ("SELECT rid, station_id, registration_number, id_number, school, "
               "package_sha256, current, superseded_by FROM records WHERE rid > ?")
        if current_only:
            sql += " AND current = 1"
        return [RecordRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7])
                for r in self.db.execute(sql + " ORDER BY rid", (after,))]

    def record_fields(self, rid: int) -> dict[str, str]:
        row = self.db.execute("SELECT fields FROM records WHERE rid = ?", (rid,)).fetchone()
        if row is None:
            raise ConfigError(N_("no record {rid} in the registry").format(rid=rid), "no-record")
        out: dict[str, str] = json.loads(row[0])
        return out

    def count(self, current_only: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM records" + (" WHERE current = 1" if current_only else "")
        return int(self.db.execute(sql).fetchone()[0])

    def thumbs(self, current_only: bool = True, *, uncoded: bool = False, after: int = 0,
               through: int | None = None) -> Iterator[ThumbRow]:
        """Thumbs (of current records by default) of records with ``rid > after`` (and
        ``<= through``), in rid order; ``uncoded``: only those whose pre-filter keys or
        prepared form are not stored."""
        sql = ("SELECT t.rid, t.position, t.template, t.source, t.feature, p.form "
               "FROM thumbs t JOIN records r ON r.rid = t.rid LEFT JOIN prepared p "
               "ON p.rid = t.rid AND p.position = t.position WHERE t.rid > ?")
        if current_only:
            sql += " AND r.current = 1"
        if uncoded:
            sql += " AND (t.feature IS NULL OR p.form IS NULL)"
        args: tuple[int, ...] = (after,)
        if through is not None:
            sql, args = sql + " AND t.rid <= ?", (after, through)
        for r in self.db.execute(sql + " ORDER BY t.rid, t.position", args):
            yield ThumbRow(int(r[0]), str(r[1]), bytes(r[2]), str(r[3]),
                           None if r[4] is None else bytes(r[4]),
                           None if r[5] is None else bytes(r[5]))

    def thumb_templates(self, rids: Iterable[int]) -> dict[int, dict[str, bytes]]:
        """The ISO/IEC 19794-2 templates of the records ``rids``, by record and position."""
        wanted = sorted({int(r) for r in rids})
        out: dict[int, dict[str, bytes]] = {}
        for s in range(0, len(wanted), 500):
            part = wanted[s:s + 500]
            for rid, pos, tpl in self.db.execute(
                    "SELECT rid, position, template FROM thumbs WHERE rid IN "
                    f"({','.join('?' * len(part))})", part):
                out.setdefault(int(rid), {})[str(pos)] = bytes(tpl)
        return out

    def thumb_features(self) -> Iterator[tuple[int, str, bytes | None]]:
        """``(rid, position, pre-filter keys)`` of the current records' thumbs, in rid
        order (without the templates)."""
        for r in self.db.execute(
                "SELECT t.rid, t.position, t.feature FROM thumbs t JOIN records r "
                "ON r.rid = t.rid WHERE r.current = 1 ORDER BY t.rid, t.position"):
            yield int(r[0]), str(r[1]), None if r[2] is None else bytes(r[2])

    def prepared_thumbs(self, rids: Iterable[int] | None = None
                        ) -> Iterator[tuple[int, str, bytes]]:
        """``(rid, position, stored prepared form)`` of the thumbs of the current records
        ``rids`` (None: all), in rid order."""
        sql = ("SELECT t.rid, t.position, t.form FROM prepared t JOIN records r "
               "ON r.rid = t.rid WHERE r.current = 1")
        wheres = [""]
        if rids is not None:        # integers only: safe to spell out, 500 a query
            ids = sorted({int(r) for r in rids})
            wheres = [f" AND t.rid IN ({','.join(map(str, ids[s:s + 500]))})"
                      for s in range(0, len(ids), 500)]
        for where in wheres:
            for r in self.db.execute(sql + where + " ORDER BY t.rid, t.position"):
                yield int(r[0]), str(r[1]), bytes(r[2])

    def set_features(self, features: Iterable[tuple[int, str, bytes, bytes | None]]
                     ) -> None:
        """Store pre-filter keys and prepared forms ``(rid, position, feature,
        prepared)`` of existing thumbs (a form None: none kept)."""
        rows = list(features)
        with self._transaction():
            self.db.executemany("UPDATE thumbs SET feature = ? WHERE rid = ? AND position = ?",
                                [(f, rid, pos) for rid, pos, f, _p in rows])
            self.db.executemany("DELETE FROM prepared WHERE rid = ? AND position = ?",
                                [(rid, pos) for rid, pos, _f, p in rows if p is None])
            self.db.executemany("INSERT OR REPLACE INTO prepared VALUES (?, ?, ?)",
                                [(rid, pos, p) for rid, pos, _f, p in rows if p is not None])

    def same_id_groups(self) -> list[list[int]]:
        """Current records sharing an ID number across two or more schools."""
        rows = self.db.execute(
            "SELECT id_number, group_concat(rid) FROM records WHERE current = 1 "
            "AND id_number != '' GROUP BY id_number HAVING COUNT(DISTINCT school) > 1")
        return [sorted(int(x) for x in g.split(",")) for _i, g in rows]

    # ------------------------------------------------------------------ state

    def get_state(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_state(self, values: dict[str, str]) -> None:
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)",
                                list(values.items()))

    # ------------------------------------------------------------------ matches, clusters

    def save_matches(self, matches: Iterable[Match], *, replace_kinds: Iterable[str] = (),
                     state: dict[str, str] | None = None) -> None:
        """Store matches (and state), first dropping every match of ``replace_kinds``."""
        now = _now()
        with self._transaction():
            for kind in replace_kinds:
                self.db.execute("DELETE FROM matches WHERE kind = ?", (kind,))
            for m in matches:
                a, b = min(m.a, m.b), max(m.a, m.b)
                self.db.execute(
                    "INSERT OR REPLACE INTO matches VALUES (?, ?, ?, ?, ?, ?)",
                    (a, b, m.kind, m.score, json.dumps(m.evidence, sort_keys=True), now))
            for k, v in (state or {}).items():
                self.db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (k, v))

    def drop_matches(self, kind: str, *, below: float) -> int:
        """Drop the matches of ``kind`` scoring under ``below``; returns how many."""
        with self._transaction():
            cur = self.db.execute("DELETE FROM matches WHERE kind = ? AND score < ?",
                                  (kind, below))
        return int(cur.rowcount)

    def current_matches(self) -> list[Match]:
        """Matches whose two records are both current."""
        rows = self.db.execute(
            "SELECT m.a, m.b, m.kind, m.score, m.evidence FROM matches m "
            "JOIN records ra ON ra.rid = m.a JOIN records rb ON rb.rid = m.b "
            "WHERE ra.current = 1 AND rb.current = 1 ORDER BY m.a, m.b, m.kind")
        return [Match(int(a), int(b), str(k), float(s), json.loads(e))
                for a, b, k, s, e in rows]

    def replace_clusters(self, clusters: list[tuple[list[int], list[str],
                                                    list[dict[str, Any]]]]) -> None:
        """Make ``clusters`` (members, kinds, evidence) the registry's clusters."""
        now = _now()
        with self._transaction():
            self.db.execute("DELETE FROM cluster_members")
            self.db.execute("DELETE FROM clusters")
            for cid, (members, kinds, evidence) in enumerate(clusters, start=1):
                self.db.execute("INSERT INTO clusters VALUES (?, ?, ?, ?)",
                                (cid, ",".join(kinds), json.dumps(evidence, sort_keys=True),
                                 now))
                self.db.executemany("INSERT INTO cluster_members VALUES (?, ?)",
                                    [(cid, r) for r in members])

    def clusters(self) -> list[dict[str, Any]]:
        return [self._cluster_dict(int(cid), str(kinds), str(evidence))
                for cid, kinds, evidence in self.db.execute(
                    "SELECT cid, kinds, evidence FROM clusters ORDER BY cid").fetchall()]

    def _cluster_dict(self, cid: int, kinds: str, evidence: str) -> dict[str, Any]:
        members = [int(r[0]) for r in self.db.execute(
            "SELECT rid FROM cluster_members WHERE cid = ? ORDER BY rid", (cid,))]
        return {"cluster": cid, "kinds": kinds.split(","), "members": members,
                "evidence": json.loads(evidence)}

    def cluster(self, cid: int) -> dict[str, Any] | None:
        """One cluster as :meth:`clusters` gives it, or ``None``."""
        row = self.db.execute("SELECT kinds, evidence FROM clusters WHERE cid = ?",
                              (cid,)).fetchone()
        return None if row is None else self._cluster_dict(cid, str(row[0]), str(row[1]))

    def record(self, rid: int) -> RecordRow:
        """One record, current or not."""
        r = self.db.execute(
            "SELECT rid, station_id, registration_number, id_number, school, "
            "package_sha256, current, superseded_by FROM records WHERE rid = ?",
            (rid,)).fetchone()
        if r is None:
            raise ConfigError(N_("no record {rid} in the registry").format(rid=rid), "no-record")
        return RecordRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7])

    # ------------------------------------------------------------------ review decisions

    def record_decision(self, members: Iterable[int], decision: str, note: str,
                        reviewer: str) -> Decision:
        """Record a reviewer's decision about a cluster's records; every decision is
        kept in the audit log, the latest one per set of records is current."""
        if decision not in DECISIONS:
            raise ConfigError(N_("unknown decision {decision}; one of {choices}").format(
                decision=repr(decision[:30]), choices=", ".join(DECISIONS)), "decision")
        key = _members_key(members)
        if key.count(",") < 1:
            raise ConfigError(N_("a decision is about two or more records"), "decision")
        row = (key, decision, note, reviewer, _now())
        with self._transaction():
            known = self.db.execute(
                f"SELECT COUNT(*) FROM records WHERE rid IN ({key})").fetchone()[0]
            if known != key.count(",") + 1:
                raise ConfigError(N_("a decision names records the registry does not hold"),
                                  "decision")
            self.db.execute("INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?)", row)
            self.db.execute("INSERT INTO decision_log (members, decision, note, reviewer, "
                            "decided_at) VALUES (?, ?, ?, ?, ?)", row)
        return _decision(row)

    def decision_for(self, members: Iterable[int]) -> Decision | None:
        """The current decision about exactly these records, if any."""
        row = self.db.execute("SELECT * FROM decisions WHERE members = ?",
                              (_members_key(members),)).fetchone()
        return None if row is None else _decision(row)

    def decisions(self) -> list[Decision]:
        """The current decisions (the latest per set of records)."""
        return [_decision(r) for r in self.db.execute(
            "SELECT * FROM decisions ORDER BY decided_at")]

    def decision_log(self) -> list[Decision]:
        """Every decision ever recorded, oldest first (the audit trail)."""
        return [_decision(r) for r in self.db.execute(
            "SELECT members, decision, note, reviewer, decided_at FROM decision_log "
            "ORDER BY seq")]

    def integrity_ok(self) -> bool:
        return bool(self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
