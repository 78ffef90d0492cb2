"""Serial ports through pyserial: open, read with a timeout, write, change rate, close.

Errors are typed: a port that cannot be opened raises
:class:`~idcapture.errors.DeviceNotFound`; a port that fails during I/O (the adapter
was unplugged) raises :class:`~idcapture.errors.DeviceRemoved`. Knows no protocol.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

from ..errors import DeviceNotFound, DeviceRemoved, DriverUnavailable

__all__ = ["PortInfo", "SerialTransport", "list_ports"]

try:
    import termios

    _TERMIOS_ERRORS: tuple[type[Exception], ...] = (termios.error,)
except ImportError:  # pragma: no cover - Windows
    _TERMIOS_ERRORS = ()


@dataclass(frozen=True)
class PortInfo:
    """A serial port found on the system."""

    device: str
    description: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""


def list_ports() -> list[PortInfo]:
    """Serial ports present now (``/dev/ttyUSB*``, ``/dev/ttyACM*``, ``/dev/ttyS*`` with
    hardware on Linux, ``COMn`` on Windows), as pyserial's ``comports`` reports them."""
    try:
        from serial.tools import list_ports as lp
    except ImportError:  # pragma: no cover - pyserial is a dependency
        return []
    out = []
    for p in lp.comports():
        out.append(PortInfo(p.device, p.description or "", p.vid, p.pid,
                            p.serial_number or ""))
    return out


def _serial_module() -> Any:
    try:
        import serial
    except ImportError as exc:  # pragma: no cover - pyserial is a dependency
        raise DriverUnavailable("serial", "the pyserial package is not installed") from exc
    return serial


def normalise_port(port: str) -> str:
    """``COM12`` works on Windows as is; a bare number means COMn there, /dev/ttySn-1 ..."""
    if port.isdigit():
        n = int(port)
        return f"COM{n}" if sys.platform == "win32" else f"/dev/ttyS{max(n - 1, 0)}"
    return port


class SerialTransport:
    """One open serial port (8N1, no flow control). Not thread-safe: the device lock
    serialises callers.

    ``port`` is a device (``/dev/ttyUSB0``, ``COM3``, a bare number) or a pyserial URL
    (``socket://host:port`` for a serial server, ``loop://``).
    """

    def __init__(self, port: str, baud: int = 115200) -> None:
        serial = _serial_module()
        self.port = normalise_port(port)
        self._serial_exc = serial.SerialException
        try:
            if "://" in self.port:
                self._ser = serial.serial_for_url(self.port, baudrate=baud, timeout=0,
                                                  write_timeout=2.0)
            else:
                self._ser = serial.Serial(self.port, baud, bytesize=8, parity="N",
                                          stopbits=1, timeout=0, write_timeout=2.0,
                                          exclusive=None)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceNotFound(f"serial port {self.port} cannot be opened: "
                                 f"{getattr(exc, 'strerror', None) or exc}") from exc

    @property
    def baud(self) -> int:
        return int(self._ser.baudrate)

    def set_baud(self, baud: int) -> None:
        try:
            self._ser.baudrate = baud
        except (self._serial_exc, OSError) as exc:
            raise DeviceRemoved(f"serial port {self.port} failed: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._ser.write(data)
        except (self._serial_exc, OSError) as exc:
            raise DeviceRemoved(f"serial port {self.port} failed while writing: {exc}",
                                code="removed") from exc

    def read(self, size: int, timeout: float) -> bytes:
        """``size`` bytes, or fewer when ``timeout`` seconds pass first."""
        try:
            t = max(timeout, 0.0)
            if self._ser.timeout != t:  # setting it reconfigures the port
                self._ser.timeout = t
            return bytes(self._ser.read(size))
        except (self._serial_exc, OSError) as exc:
            raise DeviceRemoved(f"serial port {self.port} failed while reading: {exc}",
                                code="removed") from exc
        except TypeError as exc:  # pyserial on a port closed under it
            raise DeviceRemoved(f"serial port {self.port} closed: {exc}",
                                code="removed") from exc

    def read_available(self, timeout: float, limit: int = 4096) -> bytes:
        """What has arrived (at most ``limit`` bytes), waiting at most ``timeout`` seconds
        for the first byte; empty when nothing came."""
        first = self.read(1, timeout)
        if not first:
            return first
        try:
            waiting = min(int(self._ser.in_waiting), limit - 1)
        except (self._serial_exc, OSError) as exc:
            raise DeviceRemoved(f"serial port {self.port} failed while reading: {exc}",
                                code="removed") from exc
        return first + self.read(waiting, 0.0) if waiting > 0 else first

    def flush(self) -> None:
        """Wait until everything written has left the port."""
        try:
            self._ser.flush()
        except (self._serial_exc, OSError) as exc:
            raise DeviceRemoved(f"serial port {self.port} failed: {exc}") from exc

    def discard_input(self) -> None:
        try:
            self._ser.reset_input_buffer()
        except (self._serial_exc, OSError, *_TERMIOS_ERRORS) as exc:
            # pyserial lets termios.error (not an OSError) through from tcflush
            raise DeviceRemoved(f"serial port {self.port} failed: {exc}") from exc

    def drain(self, quiet: float = 0.02, limit: float = 0.5) -> None:
        """Read and drop input until the line has been quiet for ``quiet`` seconds."""
        end = time.monotonic() + limit
        while time.monotonic() < end and self.read(4096, quiet):
            pass

    def close(self) -> None:
        try:
            self._ser.close()
        except Exception:
            pass
