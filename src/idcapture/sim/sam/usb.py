"""A SAM_V presented as a pyusb device object with the split bulk endpoints.

:class:`SimUsbDevice` offers the part of ``usb.core.Device`` the ``sam-usb`` driver
uses (``set_configuration``, ``write``, ``read``, ``bus``, ``address``), serving the
same :class:`~.device.SamDevice` as the pty server: request heads on OUT 0x02, bodies
on OUT 0x06, answer heads on IN 0x81, bodies on IN 0x85. Timing is not paced (USB
full speed makes the wire time negligible). This simulates at the pyusb device
level, not as a libusb backend.
"""

from __future__ import annotations

from .device import SamDevice

__all__ = ["SimUsbDevice"]


class SimUsbDevice:
    """The device side of ``sam-usb`` (see the module docstring)."""

    idVendor = 0x0400
    idProduct = 0xC35A

    def __init__(self, device: SamDevice | None = None, bus: int = 1, address: int = 7) -> None:
        self.sam = device or SamDevice()
        self.bus, self.address = bus, address
        self._out = b""
        self._answer = b""
        self.unplugged = False

    def set_configuration(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.unplugged:
            import usb.core

            raise usb.core.USBError("No such device", errno=19)

    def write(self, endpoint: int, data: bytes, timeout: int | None = None) -> int:
        self._check()
        if endpoint not in (0x02, 0x06):
            raise ValueError(f"no OUT endpoint 0x{endpoint:02X}")
        if endpoint == 0x02:
            self._out = bytes(data)
        else:
            self._out += bytes(data)
            for reply in self.sam.receive(self._out):
                if reply.close:
                    self.unplugged = True
                self._answer += reply.data
            self._out = b""
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int | None = None) -> bytes:
        import usb.core

        self._check()
        if endpoint not in (0x81, 0x85) or not self._answer:
            raise usb.core.USBTimeoutError("Operation timed out", errno=110)
        out, self._answer = self._answer[:size], self._answer[size:]
        return out
