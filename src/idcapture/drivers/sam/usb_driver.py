"""``sam-usb:[VID:PID|bus/address]``: a SAM_V reader on native USB (pyusb).

Address: ``sam-usb:`` (the first 0400:C35A device), ``sam-usb:0400:c35a``,
``sam-usb:1/7`` (bus 1, address 7). The frames are those of ``sam-serial``, split over
bulk endpoints 0x02/0x06 (out) and 0x81/0x85 (in). Options as for
:class:`~idcapture.drivers.sam.session.SamReader`. Linux needs a udev rule giving the
user access to the device; Windows needs a WinUSB/libusb driver bound to it (Zadig).
"""

from __future__ import annotations

from typing import Any

from ...devices.base import DeviceInfo, DeviceKind
from ...errors import AddressError, DeviceNotFound
from ...transports.usb import SAM_PID, SAM_VID, SplitEndpointTransport, find_devices
from .session import ByteTransport, SamReader

__all__ = ["SamUsbReader"]


class SamUsbReader(SamReader):
    """The SAM protocol over native USB (see the module docstring)."""

    #: a pyusb backend to use instead of the system's (the simulator's, in tests)
    backend: Any = None

    def _select(self) -> Any:
        target = (self.address.target or "").strip().lower()
        vid, pid = SAM_VID, SAM_PID
        bus_addr: tuple[int, int] | None = None
        try:
            if "/" in target:
                b, a = target.split("/", 1)
                bus_addr = (int(b), int(a))
            elif ":" in target:
                v, p = target.split(":", 1)
                vid, pid = int(v, 16), int(p, 16)
        except ValueError:
            raise AddressError(f"sam-usb target must be VID:PID (hex) or bus/address, got "
                               f"{self.address.target!r}") from None
        if bus_addr:
            from ...transports.usb import usb_module

            dev = usb_module().core.find(bus=bus_addr[0], address=bus_addr[1],
                                         backend=self.backend)
            devices = [dev] if dev is not None else []
        else:
            devices = find_devices(vid, pid, self.backend)
        if not devices:
            raise DeviceNotFound(f"no USB SAM reader at {self.address.target or '0400:c35a'}")
        return devices[0]

    def _make_transport(self) -> ByteTransport:
        return SplitEndpointTransport(self._select())

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        try:
            devices = find_devices(backend=cls.backend)
        except Exception:  # no pyusb / no backend: nothing to list
            return []
        name = cls.driver_name or "sam-usb"
        return [DeviceInfo(name, DeviceKind.ID_READER, f"{name}:{d.bus}/{d.address}",
                           "SAM_V USB ID-card reader") for d in devices]
