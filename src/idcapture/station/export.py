"""Export packages for the provincial system, their encryption and their verification.

A package is one ZIP file::

    export.xlsx                    one row per exported student (an export profile)
    photos/<报名号>.jpg             the portraits
    fingers/<报名号>_right_thumb.png
    fingers/<报名号>_left_thumb.png
    templates/<报名号>_right_thumb.fmr  the thumbs' ISO/IEC 19794-2 templates (``templates``)
    templates/<报名号>_left_thumb.fmr
    export-report.json             what was exported, what was left out and why (masked)
    manifest.json                  SHA-256 and size of every other file

Only records that pass their checks (:mod:`idcapture.station.checking`) are exported
unless ``force`` is given; the report names every record left out with its reasons.

The package is written in one pass (:mod:`idcapture.station.export_sink`): store blobs are
read and checked against their SHA-256 by two threads a few MiB ahead (that hash is the
manifest's), written stored (JPEG and PNG are compressed already; only the JSON files
are deflated), and the ZIP goes to disk through a writer thread, encrypted on the way
when a passphrase is given, so no clear ZIP of an encrypted export ever reaches the disk
and nothing is read twice. The file is ``fsync`` ed before it takes its name.

With a passphrase the ZIP is encrypted as a whole (AES-256-GCM from the
``cryptography`` package, key from the passphrase with scrypt) in 1 MiB segments,
each authenticated, with the segment number and a last-segment flag in its nonce, so
that segments cannot be reordered, dropped or the file truncated unnoticed (the
STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár). Layout::

    b"IDCAPTURE-PKG\\x01" | salt (16) | log2 N (1) | r (1) | p (1) | nonce prefix (7)
    then segments: AES-GCM(plain[i]) with nonce = prefix | i (4, big-endian) | last (1)

:func:`verify_package` checks a package (decrypting it first when needed) against
its manifest: every listed file present with its hash and size, nothing unlisted, no
member name absolute, with a ``..``, ``.`` or empty part, a backslash, a colon or a
control character, and no name twice (in the ZIP or in the manifest).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import struct
import tempfile
import time
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError, IdCaptureError, RecordError
from ..formats.cells import cell_problem
from ..formats.export_xlsx import ExportProfile, get_profile, write_workbook
from ..formats.iso19794_2 import FORMAT_NAME as ISO_TEMPLATE_FORMAT
from ..i18n import N_
from ..privacy import mask_id_number
from ..record import utcnow_text
from .checking import record_problems
from .export_sink import PackageSink, Seal
from .registration import station_config
from .store import Store

__all__ = [
    "ENCRYPTED_MAGIC",
    "ExportReport",
    "VerifyReport",
    "decrypt_package",
    "encrypt_package",
    "export_package",
    "is_encrypted",
    "remove_stale_exports",
    "verify_package",
]

log = logging.getLogger("idcapture.station.export")

ENCRYPTED_MAGIC = b"IDCAPTURE-PKG\x01"
_SEGMENT = 1 << 20
_TAG = 16
_SCRYPT = (15, 8, 1)  # log2 N, r, p: about 32 MiB and a tenth of a second
_READERS = 2  # threads reading and verifying store blobs
_READ_AHEAD = 32  # blobs read ahead of the member being written (a few MiB)

Progress = Callable[[int, int], None]


class PackageError(IdCaptureError):
    """A package cannot be read: wrong passphrase, altered or truncated file."""

    default_code = "package"


@dataclass
class ExportReport:
    """What an export did."""

    package: Path
    profile: str
    exported: int = 0
    forced: int = 0
    left_out: list[dict[str, Any]] = field(default_factory=list)
    files: int = 0
    encrypted: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"package": self.package.name, "profile": self.profile,
                "exported": self.exported, "forced": self.forced,
                "left_out": self.left_out, "files": self.files, "encrypted": self.encrypted}


_SEX_TEXT = {"male": "男", "female": "女"}


def _summary(problems: list[Any]) -> str:
    if not problems:
        return "通过"
    return "; ".join(f"{p.check}: {p.outcome}" for p in problems)


def _quality(body: dict[str, Any], pos: str) -> str:
    for f in body.get("fingers", []):
        if f.get("position") == pos and f.get("quality"):
            return f"{f['quality'].get('score', 0):.0f}"
    return ""


class _HashingWriter:
    """Writes zip members and remembers each one's SHA-256 and size.

    Store blobs (:meth:`add_blob`) are read and verified against their SHA-256 by a small
    pool of threads, a window ahead of the member being written, and written stored
    (images are already compressed); members keep the order in which they were added.
    """

    def __init__(self, zf: zipfile.ZipFile, read_blob: Callable[[str], bytes],
                 pool: ThreadPoolExecutor, window: int = _READ_AHEAD) -> None:
        self.zf = zf
        self.files: dict[str, dict[str, Any]] = {}
        self.stamp = time.gmtime()[:6]
        self._read_blob = read_blob
        self._pool = pool
        self._window = window
        self._ahead: deque[tuple[str, str, Future[bytes]]] = deque()

    def add(self, name: str, data: bytes, compress: bool = False,
            sha256: str | None = None) -> None:
        """Add a member; ``sha256`` may be given when already verified (store blobs)."""
        self.drain()
        self._write(name, data, compress, sha256)

    def add_blob(self, name: str, sha256: str) -> None:
        """Add the store blob ``sha256`` as ``name`` (read and verified ahead)."""
        self._ahead.append((name, sha256, self._pool.submit(self._read_blob, sha256)))
        while len(self._ahead) > self._window:
            self._write_next()

    def drain(self) -> None:
        while self._ahead:
            self._write_next()

    def _write_next(self) -> None:
        name, sha, job = self._ahead.popleft()
        self._write(name, job.result(), False, sha)  # read_blob verified the hash

    def _write(self, name: str, data: bytes, compress: bool, sha256: str | None) -> None:
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self.zf.writestr(info, data)
        self.files[name] = {"sha256": sha256 or hashlib.sha256(data).hexdigest(),
                            "size": len(data)}


def export_package(store: Store, out: str | Path, *, profile: str | ExportProfile | None = None,
                   force: bool = False, passphrase: str | None = None, operator: str = "",
                   progress: Progress | None = None, templates: bool = True) -> ExportReport:
    """Write the export package for every registered, captured student to ``out``.

    ``out`` is the package file (``.zip``; encrypted packages conventionally end in
    ``.zip.enc``). Returns an :class:`ExportReport`. ``progress(done, total)`` is called
    about every 1% on long runs. With ``templates`` (the default) each thumb's stored
    ISO/IEC 19794-2 template goes beside its image, so the province need not extract it.
    """
    t0 = time.perf_counter()
    cfg = station_config(store)
    prof = profile if isinstance(profile, ExportProfile) else get_profile(
        profile or cfg.export_profile)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = ExportReport(out, prof.name, encrypted=passphrase is not None)
    students = store.students()
    total = store.count_records()
    remove_stale_exports(out.parent)
    header, seal = (b"", None) if passphrase is None else _sealer(passphrase)
    fd, tmp_name = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=str(out.parent))
    _hold(fd)  # while this export runs, the next one's clean-up leaves this file alone
    tmp = Path(tmp_name)
    with _package_file(fd, tmp, out, header, seal) as sink, \
            ThreadPoolExecutor(_READERS, "idcapture-export-read") as pool, \
            zipfile.ZipFile(sink, "w", allowZip64=True) as zf:
        w = _HashingWriter(zf, store.read_blob, pool)
        try:
            rows, exported = _export_records(store, w, students, force, report,
                                             templates, progress, total)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        buf = io.BytesIO()
        write_workbook(buf, prof, rows)
        w.add("export.xlsx", buf.getvalue())
        rep = report.as_dict()
        rep.update({"created_at": utcnow_text(), "station_id": cfg.station_id})
        w.add("export-report.json", json.dumps(rep, ensure_ascii=False, indent=2,
                                               sort_keys=True).encode("utf-8"), True)
        manifest = {"format": "idcapture-export", "version": 1,
                    "created_at": utcnow_text(), "station_id": cfg.station_id,
                    "profile": prof.name, "records": report.exported,
                    "files": w.files}
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2,
                                    sort_keys=True).encode("utf-8")
        w.add("manifest.json", manifest_bytes, True)
        report.files = len(w.files)
    report.seconds = time.perf_counter() - t0
    # which record versions this package holds, for `station confirm-export` and purge
    store.note_export(out.name, hashlib.sha256(manifest_bytes).hexdigest(), exported)
    store.audit(operator or "operator", "exported", out.name,
                f"profile {prof.name}; exported {report.exported} (forced {report.forced}); "
                f"left out {len(report.left_out)}; encrypted {report.encrypted}")
    log.info("export %s: %d records, %d left out", out.name, report.exported,
             len(report.left_out))
    return report


def _export_records(store: Store, w: _HashingWriter, students: dict[str, Any], force: bool,
                    report: ExportReport, templates: bool, progress: Progress | None,
                    total: int) -> tuple[list[dict[str, str]], list[tuple[str, int]]]:
    """Add every current record's files; return the workbook rows and the (record ID,
    version) of each record exported."""
    step = max(1, total // 100)
    rows: list[dict[str, str]] = []
    exported: list[tuple[str, int]] = []
    for n, rec in enumerate(store.current_records(), start=1):
        if progress is not None and (n % step == 0 or n == total):
            progress(n, total)
        row = _export_one(w, rec, students, force, report, templates)
        if row is not None:
            rows.append(row)
            exported.append((rec.record_id, rec.version))
    w.drain()
    return rows, exported


def _hold(fd: int) -> None:
    """Lock the open file ``fd`` (POSIX advisory lock; elsewhere the open file itself
    cannot be removed)."""
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_stale_exports(folder: str | Path) -> list[str]:
    """Remove what killed exports left in ``folder`` (hidden ``.export-*.zip`` files,
    which hold personal data in clear, and ``*.part`` files of an interrupted
    encryption), leaving those of an export still running. Returns the names removed.
    """
    removed: list[str] = []
    for path in [*Path(folder).glob(".export-*.zip"), *Path(folder).glob("*.zip.enc.part")]:
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except ImportError:
                pass
            except OSError:
                continue  # held: an export in progress
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path.name)
        finally:
            os.close(fd)
    if removed:
        log.warning("removed %d file(s) left by an interrupted export", len(removed))
    return removed


def _export_one(w: _HashingWriter, rec: Any, students: dict[str, Any],
                force: bool, report: ExportReport, templates: bool = True
                ) -> dict[str, str] | None:
    body = rec.body
    reg = rec.registration_number
    masked = mask_id_number(rec.id_number)
    problems = record_problems(body)
    blocking = [p for p in problems if p.blocking]
    student = students.get(rec.id_number)
    if student is None or not reg:
        report.left_out.append({"registration_number": reg, "id_number": masked,
                                "reasons": [N_("not on the roster or not registered")]})
        return None
    if blocking and not force:
        report.left_out.append({"registration_number": reg, "id_number": masked,
                                "reasons": [N_("{check}: {outcome} - {message}").format(
                                    check=p.check, outcome=p.outcome, message=p.message)
                                            for p in blocking]})
        return None
    ident = body.get("identity") or {}
    portrait = body.get("portrait")
    portrait_q = (portrait or {}).get("quality") or {}
    row = {
        "registration_number": reg, "name": student["name"],
        "sex": _SEX_TEXT.get(student["sex"], ""), "ethnicity": student["ethnicity"],
        "birth_date": student["birth_date"], "id_number": rec.id_number,
        "student_no": student["student_no"], "school_code": student["school_code"],
        "school_name": student["school_name"], "class_name": student["class_name"],
        "photo_file": "", "right_thumb_file": "", "left_thumb_file": "",
        "captured_at": body.get("updated_at", ""),
        "station_id": (body.get("station") or {}).get("station_id", ""),
        "check_summary": _summary(problems), "record_id": rec.record_id,
        "card_valid_until": ident.get("valid_until", ""),
        "right_thumb_quality": _quality(body, "right-thumb"),
        "left_thumb_quality": _quality(body, "left-thumb"),
        "portrait_quality": (f"{portrait_q['score']:.0f}" if "score" in portrait_q else ""),
    }
    unfit = [(src, why) for src, value in row.items()
             if (why := cell_problem("" if value is None else str(value))) is not None]
    if unfit:  # one record's content never stops the export; the value is not shown
        report.left_out.append({"registration_number": reg, "id_number": masked,
                                "reasons": [N_("cannot be written to the workbook: {field} "
                                               "{problem}").format(field=src, problem=why)
                                            for src, why in unfit]})
        return None
    if blocking:
        report.forced += 1
    if portrait:
        name = f"photos/{reg}.jpg"
        w.add_blob(name, portrait["image"]["sha256"])
        row["photo_file"] = name
    for f in body.get("fingers", []):
        pos = f.get("position")
        if pos in ("right-thumb", "left-thumb"):
            name = f"fingers/{reg}_{pos.replace('-', '_')}.png"
            w.add_blob(name, f["image"]["sha256"])
            row[f"{pos.replace('-', '_')}_file"] = name
            tpl = f.get("template")
            if templates and tpl and f.get("template_format") == ISO_TEMPLATE_FORMAT:
                w.add_blob(f"templates/{reg}_{pos.replace('-', '_')}.fmr", tpl["sha256"])
    report.exported += 1
    return row


# --------------------------------------------------------------------------- encryption


def _derive(passphrase: str, salt: bytes, params: tuple[int, int, int]) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    log_n, r, p = params
    if not (10 <= log_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
        raise PackageError(N_("encrypted package header holds implausible key parameters"),
                           "package-header")
    return Scrypt(salt=salt, length=32, n=1 << log_n, r=r, p=p).derive(
        passphrase.encode("utf-8"))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def _sealer(passphrase: str) -> tuple[bytes, Seal]:
    """A fresh container header for ``passphrase`` and the function sealing its segments."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not passphrase:
        raise ConfigError(N_("the export passphrase must not be empty"))
    salt = os.urandom(16)
    prefix = os.urandom(7)
    header = ENCRYPTED_MAGIC + salt + bytes(_SCRYPT) + prefix
    aead = AESGCM(_derive(passphrase, salt, _SCRYPT))

    def seal(segment: memoryview, index: int, last: bool) -> bytes:
        return aead.encrypt(_nonce(prefix, index, last), segment, header)

    return header, seal


def encrypt_package(src: str | Path, dst: str | Path, passphrase: str) -> None:
    """Encrypt the file ``src`` into ``dst`` with ``passphrase`` (see the module docstring)."""
    header, seal = _sealer(passphrase)
    dst = Path(dst)
    tmp = dst.with_name(dst.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _hold(fd)
    with _package_file(fd, tmp, dst, header, seal) as sink, open(src, "rb") as fin:
        while chunk := fin.read(_SEGMENT):
            sink.write(chunk)
            sink.seek(0, io.SEEK_END)  # final: hand it over


@contextlib.contextmanager
def _package_file(fd: int, tmp: Path, dest: Path, header: bytes, seal: Seal | None
                  ) -> Iterator[PackageSink]:
    """A :class:`PackageSink` over ``fd``, the open temporary file ``tmp``: when the block
    ends it is flushed to disk and renamed over ``dest``; on any failure it is aborted
    and ``tmp`` removed. ``fd`` is closed either way."""
    try:
        sink = PackageSink(fd, header=header, seal=seal, segment=_SEGMENT)
        try:
            yield sink
            sink.close(sync=True)
        except BaseException:
            sink.abort()
            raise
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        os.close(fd)


def is_encrypted(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(ENCRYPTED_MAGIC)) == ENCRYPTED_MAGIC


def decrypt_package(src: str | Path, dst: IO[bytes], passphrase: str) -> None:
    """Decrypt ``src`` into the open binary file ``dst``.

    Raises :class:`PackageError` for a wrong passphrase or an altered, reordered or
    truncated file (nothing tells these apart, by design).
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    hlen = len(ENCRYPTED_MAGIC) + 16 + 3 + 7
    with open(src, "rb") as fin:
        header = fin.read(hlen)
        if len(header) != hlen or not header.startswith(ENCRYPTED_MAGIC):
            raise PackageError(N_("not an encrypted idcapture package"), "package-header")
        salt = header[len(ENCRYPTED_MAGIC):len(ENCRYPTED_MAGIC) + 16]
        params = tuple(header[len(ENCRYPTED_MAGIC) + 16:len(ENCRYPTED_MAGIC) + 19])
        prefix = header[-7:]
        aead = AESGCM(_derive(passphrase, salt, (params[0], params[1], params[2])))
        index = 0
        block = fin.read(_SEGMENT + _TAG)
        while True:
            nxt = fin.read(_SEGMENT + _TAG)
            last = not nxt
            try:
                dst.write(aead.decrypt(_nonce(prefix, index, last), block, header))
            except InvalidTag:
                raise PackageError(N_("cannot decrypt the package: wrong passphrase, or the "
                                      "file was altered or truncated (segment {index})"
                                      ).format(index=index), "package-auth") from None
            if last:
                return
            block = nxt
            index += 1


# --------------------------------------------------------------------------- verify


@dataclass
class VerifyReport:
    """The result of :func:`verify_package`: ``ok`` and every problem found."""

    package: str
    ok: bool = True
    files_checked: int = 0
    records: int = 0
    encrypted: bool = False
    problems: list[str] = field(default_factory=list)
    #: SHA-256 of the package's manifest.json: the package's identity in the store
    manifest_sha256: str = ""

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@contextlib.contextmanager
def _opened(path: Path, passphrase: str | None) -> Iterator[tuple[Path | IO[bytes], bool]]:
    """The plain ZIP of ``path``: the file itself, or its decryption in a temporary file
    that has no name (removed by the system even if this process is killed)."""
    if not is_encrypted(path):
        yield path, False
        return
    if passphrase is None:
        raise PackageError(N_("the package is encrypted: give its passphrase"),
                           "package-passphrase")
    with tempfile.TemporaryFile(prefix=".verify-", suffix=".zip") as fh:
        decrypt_package(path, fh, passphrase)
        fh.seek(0)
        yield fh, True


def verify_package(path: str | Path, passphrase: str | None = None) -> VerifyReport:
    """Check a package against its manifest (see the module docstring)."""
    p = Path(path)
    report = VerifyReport(p.name)
    if not p.is_file():
        report.fail(N_("package file not found"))
        return report
    try:
        with _opened(p, passphrase) as (plain, enc):
            report.encrypted = enc
            _verify_zip(plain, report)
    except PackageError as exc:
        report.fail(str(exc))
    return report


#: what zipfile raises reading a damaged member (RuntimeError: encrypted; its subclass
#: NotImplementedError: an unknown compression method)
_ZIP_DAMAGE = (zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib.error)


class _DuplicateName(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateName(k)
        out[k] = v
    return out


def _unsafe_member(name: str) -> bool:
    """A member name that would land outside the folder it is extracted into, or that
    reads differently on another system."""
    return (not name or name.startswith("/") or "\\" in name or ":" in name
            or any(part in ("..", ".", "") for part in name.split("/"))
            or any(ord(c) < 32 for c in name))


def _verify_zip(path: Path | IO[bytes], report: VerifyReport) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except _ZIP_DAMAGE:
        report.fail(N_("not a readable ZIP package"))
        return
    with zf:
        listed = zf.namelist()
        names = set(listed)
        if "manifest.json" not in names:
            report.fail(N_("manifest.json is missing"))
            return
        try:
            raw_manifest = zf.read("manifest.json")
            report.manifest_sha256 = hashlib.sha256(raw_manifest).hexdigest()
            manifest = json.loads(raw_manifest, object_pairs_hook=_unique_keys)
            files: dict[str, dict[str, Any]] = manifest["files"]
            if not isinstance(files, dict) or not all(isinstance(m, dict)
                                                      for m in files.values()):
                raise TypeError("files")
            report.records = int(manifest.get("records", 0))
        except _DuplicateName as dup:
            report.fail(N_("manifest.json lists the name {name} twice").format(
                name=repr(dup.name)))
            return
        except (ValueError, KeyError, TypeError, RecursionError, *_ZIP_DAMAGE):
            report.fail(N_("manifest.json is not a valid manifest"))
            return
        unsafe = [n for n in sorted({*files, *listed}) if _unsafe_member(n)]
        for name in unsafe:
            report.fail(N_("{name}: not a safe member name (absolute, '..', backslash or "
                           "control character)").format(name=repr(name)))
        for name in sorted({n for n in listed if listed.count(n) > 1}):
            report.fail(N_("{name}: in the package more than once").format(name=repr(name)))
        if unsafe:
            return
        for name, meta in sorted(files.items()):
            if name not in names:
                report.fail(N_("{name}: listed in the manifest but missing").format(name=name))
                continue
            h = hashlib.sha256()
            size = 0
            try:
                with zf.open(name) as fh:
                    while chunk := fh.read(1 << 20):
                        h.update(chunk)
                        size += len(chunk)
            except (RecordError, *_ZIP_DAMAGE) as exc:
                report.fail(N_("{name}: cannot be read ({error})").format(
                    name=name, error=exc.__class__.__name__))
                continue
            report.files_checked += 1
            if h.hexdigest() != meta.get("sha256") or size != meta.get("size"):
                report.fail(N_("{name}: content does not match its SHA-256 in the manifest"
                               ).format(name=name))
        for extra in sorted(names - set(files) - {"manifest.json"}):
            report.fail(N_("{name}: in the package but not in the manifest").format(
                name=extra))
