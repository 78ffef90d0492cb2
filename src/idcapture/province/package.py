"""Reading a station's export package on the province side.

A package (see ``docs/integrators/export-profiles.md``) is verified against its manifest
with the station's own :func:`~idcapture.station.export.verify_package` before anything
in it is read; an encrypted one is decrypted with
:func:`~idcapture.station.export.decrypt_package`. :func:`open_package` then yields a
:class:`StationPackage`: the manifest, one :class:`PackageRecord` per row of
``export.xlsx`` (columns mapped through the export profile the manifest names) and the
thumb files. A package that fails verification, names an unknown format, version or
profile, or lacks a column the province needs is refused with :class:`PackageRefused`,
whose message lists every problem (identifiers masked).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, IdCaptureError
from ..formats.export_xlsx import ExportProfile, get_profile
from ..station.export import decrypt_package, is_encrypted, verify_package

__all__ = [
    "PACKAGE_FORMAT",
    "PACKAGE_VERSIONS",
    "THUMBS",
    "PackageRecord",
    "PackageRefused",
    "StationPackage",
    "open_package",
    "package_sha256",
    "template_member",
]

PACKAGE_FORMAT = "idcapture-export"
PACKAGE_VERSIONS = (1,)
#: finger positions the province reads, as named in the package's file names
THUMBS = ("right_thumb", "left_thumb")
_NEEDED = ("registration_number", "id_number")


class PackageRefused(IdCaptureError):
    """A package was not ingested: tampered, undecryptable or of an unknown format."""

    default_code = "package-refused"

    def __init__(self, package: str, problems: list[str], code: str | None = None) -> None:
        self.package = package
        self.problems = list(problems)
        super().__init__(f"package {package} refused: " + "; ".join(problems), code)


@dataclass
class PackageRecord:
    """One exported student: the workbook's fields and the names of the thumb files."""

    fields: dict[str, str]
    thumb_files: dict[str, str] = field(default_factory=dict)

    @property
    def registration_number(self) -> str:
        return self.fields.get("registration_number", "")

    @property
    def id_number(self) -> str:
        return self.fields.get("id_number", "")


@dataclass
class StationPackage:
    """An opened, verified package; members are read through :meth:`read`."""

    name: str
    sha256: str
    manifest: dict[str, Any]
    records: list[PackageRecord]
    zf: zipfile.ZipFile

    @property
    def station_id(self) -> str:
        return str(self.manifest.get("station_id", ""))

    @property
    def created_at(self) -> str:
        return str(self.manifest.get("created_at", ""))

    def has(self, member: str) -> bool:
        return member in self.manifest.get("files", {})

    def read(self, member: str) -> bytes:
        return self.zf.read(member)


def template_member(registration_number: str, thumb: str) -> str:
    """Where a package keeps a thumb's ISO/IEC 19794-2 template."""
    return f"templates/{registration_number}_{thumb}.fmr"


def package_sha256(path: str | Path) -> str:
    """SHA-256 of the package file as delivered (encrypted or not)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def _plain(path: Path, passphrase: str | None) -> Iterator[Path]:
    if not is_encrypted(path):
        yield path
        return
    if passphrase is None:
        raise PackageRefused(path.name, ["the package is encrypted: give its passphrase"],
                             "package-passphrase")
    fd, name = tempfile.mkstemp(prefix=".province-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as fh:
            decrypt_package(path, fh, passphrase)
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _manifest_problems(manifest: dict[str, Any]) -> list[str]:
    problems = []
    if manifest.get("format") != PACKAGE_FORMAT:
        problems.append(f"unknown package format {str(manifest.get('format'))[:40]!r}")
    if manifest.get("version") not in PACKAGE_VERSIONS:
        problems.append(f"unknown package version {str(manifest.get('version'))[:10]!r}")
    if not str(manifest.get("station_id", "")).strip():
        problems.append("the manifest names no station")
    return problems


def _profile(manifest: dict[str, Any], name: str) -> ExportProfile:
    try:
        return get_profile(str(manifest.get("profile") or "default"))
    except ConfigError:
        raise PackageRefused(name, [f"unknown export profile {manifest.get('profile')!r}: "
                                    "give the province its profile file"],
                             "package-profile") from None


def _rows(data: bytes, profile: ExportProfile, name: str) -> list[PackageRecord]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        ws = wb[profile.sheet] if profile.sheet in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "") for h in next(rows, ())]
        sources = dict(profile.columns)
        cols = [(i, sources[h]) for i, h in enumerate(header) if h in sources]
        missing = [s for s in _NEEDED if s not in {c for _, c in cols}]
        if missing:
            raise PackageRefused(name, [f"export.xlsx has no column for {', '.join(missing)}"],
                                 "package-columns")
        out = []
        for row in rows:
            if not any(row):
                continue
            f = {src: ("" if row[i] is None else str(row[i])) for i, src in cols
                 if i < len(row)}
            thumbs = {t: f[f"{t}_file"] for t in THUMBS if f.get(f"{t}_file")}
            out.append(PackageRecord(f, thumbs))
        return out
    finally:
        wb.close()


@contextlib.contextmanager
def open_package(path: str | Path, passphrase: str | None = None) -> Iterator[StationPackage]:
    """Verify and open a package; :class:`PackageRefused` lists why one is refused."""
    p = Path(path)
    report = verify_package(p, passphrase)
    if not report.ok:
        raise PackageRefused(p.name, report.problems, "package-verify")
    sha = package_sha256(p)
    with _plain(p, passphrase) as plain, zipfile.ZipFile(plain) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        problems = _manifest_problems(manifest)
        if problems:
            raise PackageRefused(p.name, problems, "package-format")
        profile = _profile(manifest, p.name)
        records = _rows(zf.read("export.xlsx"), profile, p.name)
        if len(records) != int(manifest.get("records", -1)):
            raise PackageRefused(p.name, [f"export.xlsx holds {len(records)} rows, the "
                                          f"manifest {manifest.get('records')}"],
                                 "package-count")
        for r in records:
            absent = [f for f in r.thumb_files.values() if f not in manifest["files"]]
            if absent:
                raise PackageRefused(p.name, [f"{f}: named in export.xlsx but not in the "
                                              "package" for f in absent], "package-files")
        yield StationPackage(p.name, sha, manifest, records, zf)
