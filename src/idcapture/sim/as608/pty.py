"""The AS60x module simulator on a real pseudo-terminal (POSIX).

:class:`As608PtySimulator` opens a pty pair, serves :class:`~.device.As608Module` on the
master side from a background thread and exposes the slave's path, so the driver under
test opens ``as608:/dev/pts/N`` with pyserial exactly as it opens hardware. Replies are
paced at the line rate (10 bits per byte at the module's current baud) unless
``pacing=False``. The scripted prints are rendered before the port opens (see
:meth:`~idcapture.sim.finger.sources.FingerFeed.render_ahead`). Unplugging closes both
ends: the driver's next read fails as it does when a USB-serial adapter is pulled.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
import time
import tty
from pathlib import Path
from types import TracebackType

from ...errors import DeviceFault
from .device import As608Module, ModuleEvent

__all__ = ["As608PtySimulator"]


class As608PtySimulator:
    """Serve ``module`` on a pty. Use as a context manager, or :meth:`start`/:meth:`stop`."""

    def __init__(self, module: As608Module | None = None, *, pacing: bool = True,
                 link: str | os.PathLike[str] | None = None) -> None:
        self.module = module or As608Module()
        self.pacing = pacing
        self.link = Path(link) if link else None
        self.port = ""
        self._master = -1
        self._slave = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._closed = threading.Event()
        self.bytes_in = 0
        self.bytes_out = 0

    @property
    def address(self) -> str:
        """The driver address of this simulator (``as608:/dev/pts/N?baud=...``)."""
        return f"as608:{self.link or self.port}?baud={self.module.baud}"

    @property
    def unplugged(self) -> bool:
        return self._closed.is_set()

    def start(self) -> As608PtySimulator:
        if not hasattr(os, "openpty"):  # pragma: no cover - Windows
            raise DeviceFault("the AS608 pty simulator needs a POSIX system (os.openpty)")
        # prints are rendered before the port exists, so GenImg is answered in the
        # module's own time however loaded the machine is
        self.module.feed.render_ahead()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
            self.link.symlink_to(self.port)
        self._thread = threading.Thread(target=self._serve, name="as608-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the pty (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._close_fds()

    def unplug(self) -> None:
        """Simulate pulling the adapter: both pty ends close."""
        self.stop()

    def wait_unplugged(self, timeout: float) -> bool:
        return self._closed.wait(timeout)

    def __enter__(self) -> As608PtySimulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ---------------------------------------------------------------- internals

    def _close_fds(self) -> None:
        for name in ("_master", "_slave"):
            fd = getattr(self, name)
            if fd >= 0:
                setattr(self, name, -1)
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self.link is not None and self.link.is_symlink():
            with contextlib.suppress(OSError):
                self.link.unlink()
        self._closed.set()

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                try:
                    data = os.read(self._master, 4096)
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                        continue
                    if exc.errno == errno.EIO:  # no process has the slave open right now
                        time.sleep(0.02)
                        continue
                    raise
                if not data:
                    continue
                self.bytes_in += len(data)
                reply = self.module.receive(data)
                baud = self.module.baud if ModuleEvent.BAUD_CHANGED not in reply.events \
                    else self._old_baud(reply)
                for packet in reply.packets:
                    self._send(packet.encode(), baud)
                if ModuleEvent.UNPLUG in reply.events:
                    break
        except OSError:
            pass  # the pty went away under us
        finally:
            self._close_fds()

    def _old_baud(self, reply: object) -> int:
        # the acknowledge of a baud change still goes out at the previous rate; the
        # module's own state already holds the new one, so pace this reply at the slower
        # of the two to stay on the safe side
        return min(self.module.baud, 9600 * 6)

    def _send(self, data: bytes, baud: int) -> None:
        if self.pacing:
            time.sleep(len(data) * 10.0 / baud)
        view = memoryview(data)
        while view and not self._stop.is_set():
            _, writable, _ = select.select([], [self._master], [], 0.1)
            if not writable:
                continue
            try:
                n = os.write(self._master, view)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    continue
                raise
            self.bytes_out += n
            view = view[n:]
