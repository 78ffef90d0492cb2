"""One writer per station store: an operating-system lock on ``station.lock``.

Every command that changes a store (``station serve``, ``capture``, roster imports,
registration, export, purge) holds the lock for as long as it runs; a second writer is
refused at once with :class:`~idcapture.errors.StoreLocked`, naming the process id and
host of the holder (written into the lock file by the holder).

The lock is the kernel's (``flock`` on POSIX, ``msvcrt.locking`` on Windows), so it
goes away with its process however that process ends: a store left by a killed
process (``kill -9``, a power cut) is not locked, whatever the lock file says. Within
one process the lock is shared: opening the same store twice as a writer (the web
frontend's runtime and its export job) counts references and releases at the last.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path
from typing import IO

from ..errors import StoreLocked

__all__ = ["LOCK_NAME", "StoreLock", "holder_of"]

LOCK_NAME = "station.lock"

#: on Windows the first byte is locked and the holder is written after it (a locked
#: byte range cannot be read by another process)
_INFO_OFFSET = 16

_held: dict[str, tuple[IO[bytes], int]] = {}
_held_guard = threading.Lock()


def _try_lock(f: IO[bytes]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        try:
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(f: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def holder_of(folder: str | Path) -> tuple[int, str] | None:
    """(pid, host) written by the last writer of the store in ``folder`` (which may have
    ended since), or ``None`` if there is no readable lock file."""
    try:
        with open(Path(folder) / LOCK_NAME, "rb") as f:
            f.seek(_INFO_OFFSET)
            text = f.read(512).decode("utf-8", "replace").strip("\x00 \n")
    except OSError:
        return None
    pid, _, host = text.partition(" ")
    return (int(pid), host) if pid.isdigit() else None


class StoreLock:
    """The writer's lock on the store in ``folder``: :meth:`acquire` then :meth:`release`
    (or ``with``)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._key = str((self.folder / LOCK_NAME).resolve())
        self._owned = False

    def acquire(self) -> StoreLock:
        """Take the lock (at once, or :class:`StoreLocked` naming the holder)."""
        if self._owned:
            return self
        with _held_guard:
            if self._key in _held:
                f, count = _held[self._key]
                _held[self._key] = (f, count + 1)
                self._owned = True
                return self
            fd = os.open(self._key, os.O_RDWR | os.O_CREAT, 0o600)
            f = os.fdopen(fd, "r+b", buffering=0)
            if not _try_lock(f):
                f.close()
                holder = holder_of(self.folder)
                pid, host = holder if holder else (0, "unknown host")
                raise StoreLocked(f"the station store {self.folder.name!r} is in use by "
                                  f"process {pid} on {host}: one program at a time may "
                                  "change a store (stop that one first)", pid, host)
            f.seek(_INFO_OFFSET)
            f.truncate()
            f.write(f"{os.getpid()} {socket.gethostname()}\n".encode())
            os.fsync(f.fileno())
            _held[self._key] = (f, 1)
            self._owned = True
        return self

    def release(self) -> None:
        """Give the lock back (idempotent); the last holder in the process unlocks."""
        if not self._owned:
            return
        self._owned = False
        with _held_guard:
            f, count = _held[self._key]
            if count > 1:
                _held[self._key] = (f, count - 1)
                return
            del _held[self._key]
            try:
                _unlock(f)
            finally:
                f.close()

    @property
    def held(self) -> bool:
        return self._owned

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
