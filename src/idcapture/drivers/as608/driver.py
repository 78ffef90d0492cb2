"""``as608:PORT`` — AS60x serial fingerprint modules (AS608, ZFM-20, R30x, R503) on a serial port.

Address options:

* ``baud`` — the port's current baud rate (default 57600, the factory setting);
* ``set_baud`` — on open, tell the module to switch to this baud (9600 x N) and follow it;
* ``packet_size`` — on open, set the data-packet payload size (32, 64, 128, 256);
* ``module`` — the module address (default ``0xFFFFFFFF``); ``password`` — verified on
  open when given;
* ``accept=off`` / ``min_area`` / ``max_tilt`` — the image acceptance check
  (:mod:`idcapture.drivers.finger_acceptance`).

A capture attempt is GenImg (``02`` no finger -> a NO_FINGER retry outcome), then UpImage
and the data packets, whose 4-bit pixels are unpacked to an 8-bit 256 x 288 image at
500 ppi. The port going away (unplugged USB adapter, closed pty) raises
:class:`DeviceRemoved`.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from ...devices.base import DeviceInfo
from ...devices.fingerprint import FingerprintSensor
from ...devices.options import Option
from ...devices.polling import Deadline
from ...errors import (
    ConfigError,
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    ProtocolError,
    RetryOutcome,
)
from ...transports.serial import SerialTransport, list_ports
from ..finger_acceptance import ACCEPTANCE_OPTIONS, assess, limits_from_address
from . import protocol as p

__all__ = ["As608Sensor"]

DEFAULT_BAUD = 57600


class As608Sensor(FingerprintSensor):
    """An AS60x module on a serial port. See the module docstring for the options."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("baud", "int", 57600, "serial speed"),
        Option("module", "int", 0xFFFFFFFF, "the module's address"),
        Option("password", "str", None, "the module's password (checked on open)"),
        Option("packet_size", "int", None, "data packet size to set: 32, 64, 128 or 256"),
        Option("set_baud", "int", None, "switch the module to this speed after opening"),
        *ACCEPTANCE_OPTIONS,
    )

    default_timeout: ClassVar[float] = 15.0
    poll_interval: ClassVar[float] = 0.05
    resolution_ppi = p.IMAGE_PPI

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        a = self.address
        if not a.target:
            raise ConfigError("as608 needs a serial port: as608:/dev/ttyUSB0 or as608:COM3")
        self.baud = a.int_option("baud", DEFAULT_BAUD)
        self.module_address = a.int_option("module", p.DEFAULT_ADDRESS)
        self.password = a.option("password")
        self.limits = limits_from_address(a)
        self.params: p.SystemParameters | None = None
        self._port: SerialTransport | None = None
        self._decoder = p.PacketDecoder(self.module_address)
        self._packets: list[p.Packet] = []
        #: time.monotonic() until which the rest of an abandoned upload may still arrive
        self._stale_until = 0.0

    # ---------------------------------------------------------------- transport

    def _open_port(self, baud: int) -> None:
        self._port = SerialTransport(self.address.target or "", baud)
        self.baud = baud
        self._decoder.reset()
        self._packets.clear()

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            port.close()

    def _live_port(self) -> SerialTransport:
        if self._port is None:
            raise DeviceRemoved(f"serial port {self.address.target!r} is closed")
        return self._port

    def _write(self, packet: p.Packet) -> None:
        port = self._live_port()
        try:
            if self._stale_until:  # let the rest of an abandoned upload go by first
                port.drain(0.05, max(self._stale_until - time.monotonic(), 0.0))
                self._stale_until = 0.0
                self._decoder.reset()
                self._packets.clear()
            port.discard_input()
            port.write(packet.encode())
        except DeviceRemoved:
            self._close_port()
            raise

    def _line_time(self, nbytes: int) -> float:
        return nbytes * 10.0 / self.baud

    def _read_packet(self, timeout: float, what: str) -> p.Packet:
        end = time.monotonic() + timeout
        while not self._packets:
            left = end - time.monotonic()
            if left <= 0:
                raise DeviceTimeout(f"no answer from the fingerprint module on "
                                    f"{self.address.target!r} within {timeout:.1f} s during "
                                    f"{what}", awaited=f"{what} reply", timeout=timeout)
            try:
                chunk = self._live_port().read_available(left)
            except DeviceRemoved:
                self._close_port()
                raise
            if chunk:
                try:
                    self._packets.extend(self._decoder.feed(chunk))
                except ProtocolError:
                    self._decoder.reset()
                    raise
        return self._packets.pop(0)

    def _command(self, packet: p.Packet, what: str, timeout: float = 1.0) -> p.Ack:
        self._write(packet)
        reply = self._read_packet(timeout + self._line_time(len(packet.encode()) + 64), what)
        return p.Ack.parse(reply)

    def _expect_ok(self, ack: p.Ack, what: str) -> None:
        conf = ack.confirmation
        if conf.kind is p.OutcomeKind.OK:
            return
        if conf.kind is p.OutcomeKind.RETRY:
            raise ProtocolError(f"unexpected retry answer 0x{ack.code:02x} to {what}",
                                code=f"as608-{conf.name}")
        raise conf.error(what)

    # ---------------------------------------------------------------- lifecycle

    def _open(self) -> None:
        self._open_port(self.baud)
        try:
            if self.password is not None:
                ack = self._command(p.command(p.Instruction.VFY_PWD, int(self.password, 0),
                                              address=self.module_address), "password check")
                self._expect_ok(ack, "password check")
            self.params = self.read_system_parameters_unlocked()
            want = self.address.option("packet_size")
            if want is not None:
                self._set_sys_para(p.SysParam.PACKET_SIZE, p.packet_size_code(int(want)))
            want_baud = self.address.option("set_baud")
            if want_baud is not None:
                self._switch_baud(int(want_baud))
        except DeviceTimeout as exc:
            self._close_port()
            raise DeviceNotFound(f"no fingerprint module answers on {self.address.target!r} at "
                                 f"{self.baud} baud") from exc
        except Exception:
            self._close_port()
            raise

    def _close(self) -> None:
        self._close_port()

    # ---------------------------------------------------------------- settings

    def read_system_parameters_unlocked(self) -> p.SystemParameters:
        ack = self._command(p.command(p.Instruction.READ_SYS_PARA, address=self.module_address),
                            "system parameter read")
        self._expect_ok(ack, "system parameter read")
        return p.SystemParameters.parse(ack.results)

    def read_system_parameters(self) -> p.SystemParameters:
        """The module's system parameters (status, library size, packet size, baud...)."""
        self.params = self._call("system parameter read", self.read_system_parameters_unlocked)
        return self.params

    def _set_sys_para(self, param: p.SysParam, value: int) -> None:
        what = f"setting {param.name.lower()}"
        self._expect_ok(self._command(p.command(p.Instruction.SET_SYS_PARA, int(param), value,
                                                address=self.module_address), what), what)
        self.params = self.read_system_parameters_unlocked()

    def set_packet_size(self, size: int) -> None:
        """Set the data-packet payload size (32, 64, 128 or 256 bytes)."""
        code = p.packet_size_code(size)
        self._call("packet size setting", lambda: self._set_sys_para(p.SysParam.PACKET_SIZE,
                                                                     code))

    def set_security_level(self, level: int) -> None:
        """Set the module's match security level (1-5)."""
        if not 1 <= level <= 5:
            raise ConfigError(f"security level must be 1-5, got {level}")
        self._call("security level setting",
                   lambda: self._set_sys_para(p.SysParam.SECURITY_LEVEL, level))

    def _switch_baud(self, baud: int) -> None:
        n = p.baud_multiplier(baud)
        what = "baud setting"
        self._expect_ok(self._command(p.command(p.Instruction.SET_SYS_PARA, int(p.SysParam.BAUD),
                                                n, address=self.module_address), what), what)
        port = self._live_port()
        try:
            port.flush()
            port.set_baud(baud)
        except DeviceRemoved:
            self._close_port()
            raise
        self.baud = baud
        self.params = self.read_system_parameters_unlocked()

    def set_baud(self, baud: int) -> None:
        """Switch the module (and the port) to ``baud`` = 9600 x N, N = 1..12."""
        self._call("baud setting", lambda: self._switch_baud(baud))

    # ---------------------------------------------------------------- capture

    def _try_capture(self, timeout: float) -> np.ndarray | RetryOutcome:
        """GenImg, then the upload while the deadline allows: no command and no data
        packet is awaited anew once ``timeout`` has passed."""
        deadline = Deadline(timeout)
        ack = self._command(p.command(p.Instruction.GEN_IMG, address=self.module_address),
                            "image capture (GenImg)", timeout=2.0)
        conf = ack.confirmation
        if conf.kind is p.OutcomeKind.RETRY:
            return conf.retry_outcome()
        self._expect_ok(ack, "image capture (GenImg)")
        image = self._upload_image(deadline)
        if self.limits is not None:
            outcome = assess(image, self.limits)
            if outcome is not None:
                return outcome
        return image

    def _upload_image(self, deadline: Deadline) -> np.ndarray:
        what = "image upload (UpImage)"
        self._check_time(deadline, what)
        ack = self._command(p.command(p.Instruction.UP_IMAGE, address=self.module_address), what)
        conf = ack.confirmation
        if conf.kind is not p.OutcomeKind.OK:
            raise conf.error(what)
        size = self.params.packet_size if self.params else 128
        payload_len = p.IMAGE_WIDTH * p.IMAGE_HEIGHT // 2
        per_packet = self._line_time(size + 11)
        data = bytearray()
        while True:
            if deadline.passed:
                self._stale_until = time.monotonic() + self._line_time(payload_len) + 1.0
            self._check_time(deadline, what)
            packet = self._read_packet(1.0 + 4 * per_packet, what)
            if not packet.is_data:
                raise ProtocolError(f"expected an image data packet, got packet identifier "
                                    f"0x{packet.pid:02x}", code="as608-unexpected-packet")
            data += packet.content
            if len(data) > payload_len:
                raise ProtocolError(f"image upload longer than {payload_len} bytes",
                                    code="as608-image-size")
            if packet.pid == p.PacketId.END_DATA:
                break
        return p.unpack_image(bytes(data))

    def _check_time(self, deadline: Deadline, what: str) -> None:
        if deadline.passed:
            self._decoder.reset()
            self._packets.clear()
            upload = self._line_time(p.IMAGE_WIDTH * p.IMAGE_HEIGHT // 2)
            raise DeviceTimeout(f"the capture's {deadline.timeout:.1f} s ran out during "
                                f"{what} (an image takes {upload:.1f} s on the line at "
                                f"{self.baud} baud; give the capture more time)",
                                awaited=what, timeout=deadline.timeout)

    # ---------------------------------------------------------------- info

    def _info(self) -> DeviceInfo:
        extra = {"baud": str(self.baud), "resolution_ppi": str(self.resolution_ppi)}
        if self.params is not None:
            extra.update(packet_size=str(self.params.packet_size),
                         library_size=str(self.params.library_size),
                         security_level=str(self.params.security_level))
        return DeviceInfo("as608", self.kind, str(self.address), "AS60x serial fingerprint "
                          "module", vendor="Synochip", model="AS608", extra=extra)

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        """USB-serial ports that could hold a module (not probed: probing writes bytes)."""
        out = []
        for port in list_ports():
            if port.vid is None:
                continue
            out.append(DeviceInfo("as608", cls.kind, f"as608:{port.device}",
                                  f"serial port {port.description} (not probed)",
                                  extra={"vid": f"{port.vid:04x}", "pid": f"{port.pid or 0:04x}"}))
        return out
