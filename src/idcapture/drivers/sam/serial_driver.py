"""``sam-serial:PORT``: a SAM_V reader on a serial line (RS-232, TTL or a USB-serial adapter).

Address: ``sam-serial:/dev/ttyUSB0``, ``sam-serial:COM3``, or ``sam-serial:auto``
(probe every serial port for a SAM). Options (besides those of
:class:`~idcapture.drivers.sam.session.SamReader`):

* ``baud``: ``auto`` (default: 115200 first, then 57600, 38400, 19200, 9600, each
  probed with a SAM status command) or one of those rates;
* ``set_baud``: switch the SAM to this rate after connecting (command 0x60; the SAM
  answers at the old rate and then changes; the setting persists in the SAM).
"""

from __future__ import annotations

from typing import ClassVar

from ...devices.base import DeviceInfo, DeviceKind
from ...devices.options import Option
from ...errors import AddressError, DeviceNotFound, IdCaptureError
from ...transports.serial import SerialTransport, list_ports
from . import protocol as p
from .session import ByteTransport, SamReader, SamSession, command_timeout

__all__ = ["SamSerialReader", "detect_baud"]


def detect_baud(transport: SerialTransport, rates: tuple[int, ...]) -> int | None:
    """The first rate of ``rates`` at which a SAM answers a status command."""
    for baud in rates:
        transport.set_baud(baud)
        transport.drain(0.005, 0.05)
        session = SamSession(transport, baud=baud, retries=0)
        try:
            session.command(p.sam_status(), timeout=command_timeout(None, baud) + 0.05)
            return baud
        except IdCaptureError as exc:
            if exc.code == "removed":
                raise
            continue
    return None


class SamSerialReader(SamReader):
    """The SAM protocol over a serial port (see the module docstring)."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("baud", "str", "auto", "serial speed: auto (try each) or one of "
               "9600, 19200, 38400, 57600, 115200"),
        Option("set_baud", "int", 0, "switch the reader to this speed after opening (0: no)"),
    )

    def _rates(self) -> tuple[int, ...]:
        raw = (self.address.option("baud", "auto") or "auto").lower()
        if raw == "auto":
            return p.BAUD_RATES
        try:
            baud = int(raw)
        except ValueError:
            baud = 0
        if baud not in p.BAUD_RATES:
            raise AddressError(f"option 'baud' of {self.address.driver!r} must be auto or "
                               f"one of {p.BAUD_RATES}, got {raw!r}")
        return (baud,)

    def _make_transport(self) -> ByteTransport:
        port = self.address.target
        rates = self._rates()
        if not port or port == "auto":
            for info in list_ports():
                try:
                    t = SerialTransport(info.device, rates[0])
                except IdCaptureError:
                    continue
                if detect_baud(t, rates) is not None:
                    self._port = info.device
                    return t
                t.close()
            raise DeviceNotFound("no serial port answers as a SAM_V reader (tried "
                                 f"{len(list_ports())} ports)")
        self._port = port
        return SerialTransport(port, rates[0])

    def _start_session(self, transport: ByteTransport) -> SamSession:
        assert isinstance(transport, SerialTransport)
        rates = self._rates()
        baud = detect_baud(transport, rates)
        if baud is None:
            shown = ", ".join(str(r) for r in rates)
            raise DeviceNotFound(f"no SAM answers on {transport.port} at {shown} baud")
        self.baud = baud
        session = super()._start_session(transport)
        wanted = self.address.int_option("set_baud", 0)
        if wanted and wanted != baud:
            session.expect(p.set_baud_rate(wanted))
            transport.set_baud(wanted)
            self.baud = session.baud = wanted
        return session

    def _info(self) -> DeviceInfo:
        return DeviceInfo(self.address.driver, self.kind, str(self.address),
                          f"SAM_V ID-card reader on {getattr(self, '_port', '?')} at "
                          f"{self.baud} baud", serial=self.sam_id)

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        """Serial ports that may hold a reader (not probed: probing sends bytes).

        Open ``sam-serial:auto`` to probe them all.
        """
        return [DeviceInfo(cls.driver_name or "sam-serial", DeviceKind.ID_READER,
                           f"{cls.driver_name or 'sam-serial'}:{port.device}",
                           port.description or "serial port",
                           extra={"vid": f"{port.vid:04x}" if port.vid is not None else "",
                                  "pid": f"{port.pid:04x}" if port.pid is not None else ""})
                for port in list_ports()]
