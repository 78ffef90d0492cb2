"""The byte stream of an export package on its way to disk.

:class:`PackageSink` is the file object :mod:`zipfile` writes an export package into.
Bytes are collected in memory and handed, about 1 MiB at a time, to one writer thread,
which seals them into authenticated segments when the package is encrypted (see
:mod:`idcapture.station.export` for the container) and writes them to the file. So the
ZIP is written once, encrypted on the way, and the file writes (and the encryption) run
beside the thread that builds the ZIP; nothing holds more than a few MiB.

zipfile writes each member's local header before its data, then goes back to rewrite
that header with the CRC-32 and sizes. The sink keeps the current member in memory until
zipfile returns to the end, so that rewrite lands in memory, and the package is the same
ZIP (no data descriptors) as one written to a plain file. Going back further than the
member still held raises :class:`io.UnsupportedOperation`.
"""

from __future__ import annotations

import io
import os
import queue
import threading
from collections.abc import Callable

__all__ = ["PackageSink", "Seal"]

#: seal(segment, index, last) -> the segment as written (encrypted and authenticated)
Seal = Callable[[memoryview, int, bool], bytes]

_IOV_MAX = 1024


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write ``pieces`` to ``fd`` in order, gathered (writev) where the system has it."""
    if not hasattr(os, "writev"):
        data = memoryview(b"".join(pieces))
        while data:
            data = data[os.write(fd, data):]
        return
    views = [memoryview(p) for p in pieces if p]
    while views:
        n = os.writev(fd, views[:_IOV_MAX])
        while n:
            if n >= len(views[0]):
                n -= len(views.pop(0))
            else:
                views[0] = views[0][n:]
                n = 0


class PackageSink(io.RawIOBase):
    """A write-only file object over the open file ``fd`` (see the module docstring).

    With ``seal`` the bytes go through it in segments of exactly ``segment`` bytes (the
    last one shorter, possibly empty), each with its index and a last-segment flag, after
    ``header``. :meth:`close` writes what is left (and ``fsync`` s with ``sync``); on an
    error the caller calls :meth:`abort`. Errors of the writer thread are raised in the
    caller's thread at the next hand-over or at :meth:`close`.
    """

    def __init__(self, fd: int, *, header: bytes = b"", seal: Seal | None = None,
                 segment: int = 1 << 20, depth: int = 8) -> None:
        super().__init__()
        self._fd = fd
        self._seal = seal
        self._segment = segment
        self._held: list[bytes] = []
        self._starts: list[int] = []
        self._held_size = 0
        self._base = 0  # bytes handed to the writer
        self._end = 0
        self._pos = 0
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._carry = bytearray()
        self._index = 0
        self._finished = False
        if header:
            _write_all(fd, [header])
        self._thread = threading.Thread(target=self._run, name="idcapture-export-writer",
                                        daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------- caller's side

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        piece = data if isinstance(data, bytes) else bytes(data)
        if self._pos != self._end:
            self._rewrite(piece)
            return len(piece)
        self._held.append(piece)
        self._starts.append(self._end)
        self._held_size += len(piece)
        self._end += len(piece)
        self._pos = self._end
        return len(piece)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            pos += self._pos
        elif whence == io.SEEK_END:
            pos += self._end
        if not self._base <= pos <= self._end:
            raise io.UnsupportedOperation(
                "the package stream cannot go back to bytes already written out")
        self._pos = pos
        if pos == self._end and self._held_size >= self._segment:
            self._hand_over()
        return pos

    def flush(self) -> None:
        """Nothing: bytes are handed over as they become final (see :meth:`seek`)."""

    def close(self, sync: bool = False) -> None:
        """Write out everything (the last sealed segment too), ``fsync`` with ``sync``, and
        wait for the writer; raises what the writer met."""
        if self._finished:
            return
        self._finished = True
        if self._held:
            self._put(self._held)
            self._held = []
        self._queue.put(None)
        self._thread.join()
        if self._error is None:
            try:
                if self._seal is not None:
                    with memoryview(self._carry) as rest:
                        _write_all(self._fd, [self._seal(rest, self._index, True)])
                if sync:
                    os.fsync(self._fd)
            except BaseException as exc:
                self._error = exc
        super().close()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop the writer without writing the rest (the caller removes the file)."""
        if self._finished:
            return
        self._finished = True
        self._error = self._error or OSError("export aborted")
        self._queue.put(None)
        self._thread.join()
        super().close()

    def _rewrite(self, piece: bytes) -> None:
        for i in range(len(self._starts) - 1, -1, -1):
            if self._starts[i] == self._pos and len(self._held[i]) == len(piece):
                self._held[i] = piece
                self._pos += len(piece)
                return
            if self._starts[i] < self._pos:
                break
        raise io.UnsupportedOperation("the package stream can only rewrite a whole header "
                                      "of the member being written")

    def _hand_over(self) -> None:
        self._put(self._held)
        self._base = self._end
        self._held, self._starts, self._held_size = [], [], 0

    def _put(self, batch: list[bytes]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    # ----------------------------------------------------------------- writer thread

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking batches so that the caller never blocks
            try:
                self._emit(batch)
            except BaseException as exc:
                self._error = exc

    def _emit(self, batch: list[bytes]) -> None:
        if self._seal is None:
            _write_all(self._fd, batch)
            return
        for piece in batch:
            self._carry += piece
        out: list[bytes] = []
        seg = self._segment
        taken = 0
        with memoryview(self._carry) as carry:
            # a segment goes out once more bytes follow it: only then is it not the last
            while len(carry) - taken > seg:
                with carry[taken:taken + seg] as part:
                    out.append(self._seal(part, self._index, False))
                self._index += 1
                taken += seg
        del self._carry[:taken]
        _write_all(self._fd, out)
