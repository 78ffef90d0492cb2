"""Serving a :class:`~.device.SamDevice` on a pseudo-terminal, paced at the line rate.

The server owns the master side of a pty; the driver under test opens the slave path
with pyserial, exactly as it would open ``/dev/ttyUSB0``. The kernel does not enforce
a baud rate on a pty, so the server paces its output itself: a reply's bytes arrive at
the host ``bytes x 10 / baud`` seconds after the request's own wire time (8N1), in
chunks, as from a UART. The host's line settings are shared by both sides of a pty,
so the server reads the baud rate the driver set (``tcgetattr`` on the master) and
ignores requests sent at a rate that differs from the SAM's, as a real UART would
see only framing errors. That makes baud auto-detection testable.

:meth:`PtySamServer.unplug` closes the pty (the driver sees the port vanish) and
:meth:`PtySamServer.replug` opens a new one behind the same ``link`` path, so
reconnection can be tested. :class:`ControlServer` accepts JSON-line commands on a
Unix socket (``place``, ``remove``, ``fault``, ``unplug``, ``replug``), and
:func:`run_script` plays a timed list of the same commands.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import termios
import threading
import time
import tty
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from .cards import load_card
from .device import Reply, SamDevice

__all__ = ["ControlServer", "PtySamServer", "handle_command", "run_script", "wire_time"]

_SPEEDS = {getattr(termios, f"B{b}"): b for b in (1200, 2400, 4800, 9600, 19200, 38400,
                                                     57600, 115200, 230400)
           if hasattr(termios, f"B{b}")}
CHUNK = 64


def wire_time(n_bytes: int, baud: int) -> float:
    """Seconds that ``n_bytes`` take on an 8N1 line at ``baud``."""
    return n_bytes * 10.0 / baud


class PtySamServer:
    """A SAM on a pty. Use as a context manager, or :meth:`start` / :meth:`stop`.

    ``pace=False`` sends replies at once (no line-rate pacing); ``check_baud=False``
    answers whatever rate the host set; ``link`` is a path kept pointing at the current
    slave tty (it survives unplug/replug).
    """

    def __init__(self, device: SamDevice | None = None, *, pace: bool = True,
                 check_baud: bool = True, link: str | os.PathLike[str] | None = None) -> None:
        self.device = device or SamDevice()
        self.pace = pace
        self.check_baud = check_baud
        self.link = Path(link) if link else None
        self._master = -1
        self._slave = -1
        self._tty = ""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._plugged = threading.Event()
        self._fd_lock = threading.Lock()
        self.bytes_in = 0
        self.bytes_out = 0

    @property
    def path(self) -> str:
        """The path to open: ``link`` when given, else the slave tty."""
        return str(self.link) if self.link else self._tty

    @property
    def tty(self) -> str:
        return self._tty

    def _make_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        speed = next((k for k, v in _SPEEDS.items() if v == self.device.baud), attrs[4])
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.set_blocking(master, True)
        self._master, self._slave, self._tty = master, slave, os.ttyname(slave)
        if self.link:
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.symlink(self._tty, tmp)
            os.replace(tmp, self.link)
        self._plugged.set()

    def start(self) -> PtySamServer:
        self._make_pty()
        self._thread = threading.Thread(target=self._serve, name="sam-pty-server",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._plugged.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close_fds()
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    def __enter__(self) -> PtySamServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close_fds(self) -> None:
        with self._fd_lock:
            for fd in (self._master, self._slave):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = -1

    def unplug(self) -> None:
        """The port disappears: the pty is closed, ``link`` removed."""
        self._plugged.clear()
        self._close_fds()
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    def replug(self) -> None:
        """The port comes back (a new pty behind the same ``link``)."""
        if not self._plugged.is_set():
            self.device.clear_input()
            self._make_pty()

    def host_baud(self) -> int | None:
        """The baud rate the host set on the line (``None`` when unknown)."""
        try:
            return _SPEEDS.get(termios.tcgetattr(self._master)[4])
        except (termios.error, OSError):
            return None

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not self._plugged.wait(0.1):
                continue
            master = self._master
            if master < 0:
                time.sleep(0.01)
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(master, 4096)
            except (OSError, ValueError):
                time.sleep(0.01)
                continue
            arrived = time.monotonic()
            self.bytes_in += len(data)
            if self.check_baud and self.host_baud() != self.device.baud:
                self.device.clear_input()
                continue
            for reply in self.device.receive(data):
                if not self._send(reply, arrived):
                    break

    def _send(self, reply: Reply, arrived: float) -> bool:
        baud = self.device.baud
        if reply.close:
            self.unplug()
            return False
        # the request reached the pty at once; on a line it would have taken its wire
        # time. The answer starts after that and the SAM's processing delay, and each
        # chunk lands when its last byte would have.
        start = arrived + wire_time(reply.request_bytes, baud) + reply.delay
        data = reply.data
        sent = 0
        while sent < len(data):
            chunk = data[sent:sent + CHUNK] if self.pace else data[sent:]
            if self.pace:
                due = start + wire_time(sent + len(chunk), baud)
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            elif reply.delay and sent == 0:
                time.sleep(max(start - time.monotonic(), 0))
            try:
                with self._fd_lock:
                    if self._master < 0:
                        return False
                    os.write(self._master, chunk)
            except OSError:
                return False
            sent += len(chunk)
            self.bytes_out += len(chunk)
        if reply.new_baud:
            self.device.baud = reply.new_baud
        return True


def handle_command(server: PtySamServer, cmd: Mapping[str, Any]) -> dict[str, Any]:
    """Run one control command on ``server``; the answer as a JSON-able dict."""
    what = cmd.get("do") or cmd.get("cmd")
    dev = server.device
    if what == "place":
        dev.place_card(load_card(str(cmd["card"])))
    elif what == "remove":
        dev.remove_card()
    elif what == "fault":
        dev.add_fault({k: v for k, v in cmd.items() if k not in ("do", "cmd", "after")})
    elif what == "unplug":
        server.unplug()
    elif what == "replug":
        server.replug()
    elif what == "status":
        pass
    else:
        raise ConfigError(f"unknown simulator command {what!r}")
    card = dev.card
    return {"ok": True, "path": server.path, "card": card.source if card else None,
            "state": dev.state.value, "baud": dev.baud}


def run_script(server: PtySamServer, steps: Iterable[Mapping[str, Any]],
               stop: threading.Event | None = None) -> None:
    """Play ``steps`` (each ``{"after": seconds, "do": ...}``), timed from the call."""
    t0 = time.monotonic()
    for step in steps:
        due = t0 + float(step.get("after", 0.0))
        while time.monotonic() < due:
            if stop is not None and stop.is_set():
                return
            time.sleep(min(0.05, max(due - time.monotonic(), 0)))
        handle_command(server, step)


class ControlServer:
    """JSON-line commands on a Unix socket: one request line, one answer line."""

    def __init__(self, server: PtySamServer, path: str | os.PathLike[str]) -> None:
        self.server = server
        self.path = str(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._sock.bind(self.path)
        self._sock.listen(4)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sam-control", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn, conn.makefile("rw", encoding="utf-8") as f:
                for line in f:
                    try:
                        answer = handle_command(self.server, json.loads(line))
                    except (ConfigError, KeyError, ValueError) as exc:
                        answer = {"ok": False, "error": str(exc)}
                    f.write(json.dumps(answer, ensure_ascii=False) + "\n")
                    f.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
