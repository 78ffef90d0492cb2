"""Writing a file so that a crash never leaves it half-written."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: Path, data: bytes, sync_dir: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, flushed to
    disk and renamed over ``path``; the temporary file is removed if anything fails.

    ``sync_dir`` also flushes the folder's entries (POSIX), so that the rename itself
    survives a power cut.
    """
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_dir and os.name == "posix":
        _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
