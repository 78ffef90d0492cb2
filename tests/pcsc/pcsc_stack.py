"""A real PC/SC stack for the tests: pcscd with the virtual reader driver (vpcd).

Helpers; the fixtures using them are in conftest.py.

The session fixture ``pcscd`` starts the daemon in the foreground (as a child of the
test process) with a reader configuration of its own, so the readers are
``idcapture Test PCD 00 00`` / ``00 01`` on TCP ports 40000 / 40001, and stops it by
its pid (TERM, then wait) when the session ends. Stale socket and pid files of a daemon
that died are removed first.

Without pcscd, vpcd, pyscard or root the tests skip with the reason, except under CI
(``CI=true``), where not being able to start the stack is a failure.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

PCSCD = shutil.which("pcscd") or "/usr/sbin/pcscd"
VPCD_LIB = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
RUN_DIR = Path("/run/pcscd")
PORT = 40000
READER_PREFIX = "idcapture Test PCD"
READER0 = f"{READER_PREFIX} 00 00"
READER1 = f"{READER_PREFIX} 00 01"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _listening(port: int) -> bool:
    want = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[1].endswith(want) and parts[3] == "0A":
                return True
    return False


class Pcscd:
    """Our pcscd child process: start, stop (TERM + wait) and restart."""

    def __init__(self, workdir: Path, ports: tuple[int, ...] = (PORT,)) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "pcscd.log"
        self.configure(ports)

    def configure(self, ports: tuple[int, ...]) -> None:
        """Reader entries for the next start (one entry = two slots: port, port+1).

        The first entry is ``idcapture Test PCD``, further ones ``... B``, ``... C``.
        """
        confdir = self.workdir / "reader.conf.d"
        if confdir.exists():
            shutil.rmtree(confdir)
        confdir.mkdir(parents=True)
        names = [READER_PREFIX] + [f"{READER_PREFIX} {chr(66 + i)}" for i in range(len(ports))]
        entries = [f'FRIENDLYNAME "{name}"\nDEVICENAME /dev/null:0x{p:04X}\n'
                   f"LIBPATH {VPCD_LIB}\nCHANNELID 0x{p:04X}\n" for name, p in zip(names, ports)]
        (confdir / "idcapture-vpcd").write_text("\n".join(entries))
        self.ports = ports
        self.confdir = confdir

    @staticmethod
    def clean_stale() -> str | None:
        """Remove files of a dead daemon; the pid of a live foreign one, if any."""
        pid_file = RUN_DIR / "pcscd.pid"
        if pid_file.exists():
            try:
                pid = int(pid_file.read_text().strip() or "0")
            except ValueError:
                pid = 0
            if pid and _alive(pid):
                return str(pid)
        for name in ("pcscd.pid", "pcscd.comm"):
            try:
                (RUN_DIR / name).unlink()
            except FileNotFoundError:
                pass
        return None

    def start(self, timeout: float = 5.0) -> None:
        foreign = self.clean_stale()
        if foreign:
            raise RuntimeError(f"another pcscd (pid {foreign}) is running; stop it first")
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([PCSCD, "--foreground", "--config", str(self.confdir)],
                                     stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pcscd exited with {self.proc.returncode}: "
                                   f"{self.log_path.read_text()[-400:]}")
            if (RUN_DIR / "pcscd.comm").exists() and all(_listening(p) for p in self.ports):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("pcscd did not become ready within "
                           f"{timeout:.0f} s: {self.log_path.read_text()[-400:]}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def wait_until(predicate: object, timeout: float, what: str) -> None:
    """Poll ``predicate()`` every 20 ms until it is true, or fail naming ``what``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


MRZ = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
