"""``sam-usb:[VID:PID|bus/address]``: a SAM_V reader on native USB (pyusb).

Address: ``sam-usb:`` (the first 0400:C35A device), ``sam-usb:0400:c35a``,
``sam-usb:1/7`` (bus 1, address 7; a device gets a new address when it is plugged in
again, so prefer VID:PID for a reader that may be replugged). The frames are those of
``sam-serial``, split over bulk endpoints 0x02/0x06 (out) and 0x81/0x85 (in). Options
as for :class:`~idcapture.drivers.sam.session.SamReader`, plus ``backend``: the pyusb
backend to use instead of pyusb's own choice (libusb 1.0, then OpenUSB, then libusb
0.1), by dotted name: ``usb.backend.libusb0`` (a module: its ``get_backend()``) or
``package.module:name``. ``backend=idcapture.sim.sam.usb`` selects the USB SAM
simulator (a test hook). Linux needs a udev rule giving the user access to the device;
Windows needs a WinUSB/libusb driver bound to it (Zadig). See docs/drivers/sam-usb.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...devices.base import DeviceInfo, DeviceKind
from ...devices.options import Option
from ...errors import AddressError, DeviceNotFound
from ...transports.usb import (
    SAM_PID,
    SAM_VID,
    SplitEndpointTransport,
    find_devices,
    resolve_backend,
    usb_module,
)
from .session import ByteTransport, SamReader

__all__ = ["SamUsbReader"]


class SamUsbReader(SamReader):
    """The SAM protocol over native USB (see the module docstring)."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("backend", "str", None, "pyusb backend by dotted name, e.g. "
               "usb.backend.libusb0 or package.module:name"),
    )

    @classmethod
    def check_available(cls) -> None:
        """Unavailable without pyusb (the reason says how to install it)."""
        usb_module()

    #: a pyusb backend to use instead of the system's when the address names none
    backend: Any = None

    def _backend(self) -> Any:
        spec = self.address.option("backend")
        return resolve_backend(spec) if spec else self.backend

    def _select(self) -> Any:
        backend = self._backend()
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
            usb = usb_module()
            try:
                dev = usb.core.find(bus=bus_addr[0], address=bus_addr[1], backend=backend)
            except usb.core.NoBackendError:
                find_devices(backend=backend, missing_ok=False)  # raises DriverUnavailable
                raise
            devices = [dev] if dev is not None else []
        else:
            devices = find_devices(vid, pid, backend, missing_ok=False)
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
