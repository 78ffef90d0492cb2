"""The station packages as delivered, kept beside the province registry.

The registry holds each record's fields and thumb templates, not its images. A reviewer
looking at a cluster needs the portraits and thumbprints, so every package the registry
ingests is kept as delivered (encrypted ones stay encrypted) in the registry's
``packages/`` folder, named by its SHA-256, owner-only (0600 files in a 0700 folder):
:func:`archive_package` copies it there before its records are committed, so a package
reported ingested always has its archive (a copy left by a run killed before the commit
is reused by the next ingest). :class:`PackageImages` reads a record's images back,
decrypting an encrypted package in memory with the province's passphrase.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections import OrderedDict
from pathlib import Path

from ..errors import ConfigError
from ..station.export import PackageError, decrypt_package, is_encrypted

__all__ = ["ARCHIVE_DIR", "PackageImages", "archive_package", "archive_path"]

ARCHIVE_DIR = "packages"
#: opened packages kept in memory by :class:`PackageImages`
_OPEN_PACKAGES = 4


def archive_path(registry_dir: str | Path, sha256: str) -> Path:
    """Where the registry keeps the package whose SHA-256 is ``sha256``."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ConfigError("a package is named by its SHA-256 (64 hex digits)", "package-sha")
    return Path(registry_dir) / ARCHIVE_DIR / f"{sha256}.zip"


def archive_package(registry_dir: str | Path, sha256: str, source: str | Path) -> Path:
    """Copy the delivered package ``source`` into the registry (once; owner-only)."""
    dest = archive_path(registry_dir, sha256)
    if dest.is_file() and dest.stat().st_size == Path(source).stat().st_size:
        return dest
    dest.parent.mkdir(mode=0o700, exist_ok=True)
    os.chmod(dest.parent, 0o700)
    tmp = dest.with_name(f".{dest.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


class PackageImages:
    """A record's image files read from its archived package.

    ``passphrase`` opens encrypted packages (decrypted in memory, never on disk). A few
    packages stay open between calls, so a cluster page reads each package once.
    """

    def __init__(self, registry_dir: str | Path, passphrase: str | None = None) -> None:
        self.registry_dir = Path(registry_dir)
        self.passphrase = passphrase
        self._open: OrderedDict[str, zipfile.ZipFile] = OrderedDict()

    def _zip(self, sha256: str) -> zipfile.ZipFile | None:
        zf = self._open.get(sha256)
        if zf is not None:
            self._open.move_to_end(sha256)
            return zf
        path = archive_path(self.registry_dir, sha256)
        if not path.is_file():
            return None
        if is_encrypted(path):
            if self.passphrase is None:
                return None
            buf = io.BytesIO()
            try:
                decrypt_package(path, buf, self.passphrase)
            except PackageError:
                return None
            buf.seek(0)
            zf = zipfile.ZipFile(buf)
        else:
            zf = zipfile.ZipFile(path)
        self._open[sha256] = zf
        while len(self._open) > _OPEN_PACKAGES:
            self._open.popitem(last=False)[1].close()
        return zf

    def read(self, sha256: str, member: str) -> bytes | None:
        """The bytes of ``member`` of the package, or ``None`` when it cannot be read
        (no archive, no passphrase for an encrypted one, no such member)."""
        if not member or member.startswith(("/", "..")) or "\\" in member:
            return None
        zf = self._zip(sha256)
        if zf is None:
            return None
        try:
            return zf.read(member)
        except KeyError:
            return None

    def close(self) -> None:
        for zf in self._open.values():
            zf.close()
        self._open.clear()
