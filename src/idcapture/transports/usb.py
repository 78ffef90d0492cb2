"""USB bulk links through pyusb, with the SAM_V split endpoints.

A SAM_V on native USB takes a request's first 7 bytes (preamble and length) on bulk OUT
0x02 and the rest on bulk OUT 0x06, and answers the first 7 bytes on bulk IN 0x81 and
the rest on bulk IN 0x85. :class:`SplitEndpointTransport` hides that split behind the
``write``/``read`` byte-stream interface the SAM session uses. Knows no protocol
beyond where a frame header ends.
"""

from __future__ import annotations

import errno
import importlib
from typing import Any

from ..errors import (
    AddressError,
    DeviceBusy,
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    DriverUnavailable,
)

__all__ = ["SAM_PID", "SAM_VID", "SplitEndpointTransport", "find_devices", "resolve_backend",
           "usb_module"]

SAM_VID = 0x0400
SAM_PID = 0xC35A
HEAD = 7
#: errno values of a transfer that failed because the device left the bus
_GONE = {errno.ENODEV, errno.ENOENT, errno.ESHUTDOWN, errno.EIO}
_DRAIN_READS = 64


def usb_module() -> Any:
    try:
        import usb.core
        import usb.util
    except ImportError as exc:
        raise DriverUnavailable("sam-usb", "the pyusb package is not installed "
                                "(pip install idcapture[usb])") from exc
    return usb


def resolve_backend(spec: str) -> Any:
    """The pyusb backend named by ``spec``.

    ``package.module`` calls the module's ``get_backend()`` (the convention of pyusb's own
    backends: ``usb.backend.libusb1``, ``usb.backend.libusb0``, ``usb.backend.openusb``);
    ``package.module:name`` takes ``name`` from the module, calling it if it is not a
    backend object itself. Raises :class:`AddressError` for a name that does not resolve
    and :class:`DriverUnavailable` when the backend finds no library.
    """
    module_name, _, attr = spec.strip().partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AddressError(f"USB backend module {module_name!r} cannot be imported: "
                           f"{exc}") from exc
    obj = getattr(module, attr or "get_backend", None)
    if obj is None:
        raise AddressError(f"USB backend {spec!r}: module {module_name!r} has no "
                           f"{attr or 'get_backend'!r}")
    usb = usb_module()
    backend = obj if isinstance(obj, usb.backend.IBackend) or not callable(obj) else obj()
    if backend is None:
        raise DriverUnavailable("sam-usb", f"USB backend {spec!r} found no library "
                                "(is libusb installed?)")
    return backend


def find_devices(vid: int = SAM_VID, pid: int = SAM_PID, backend: Any = None, *,
                 missing_ok: bool = True) -> list[Any]:
    """pyusb devices with ``vid``/``pid``. With no USB backend (no libusb on the machine):
    an empty list, or with ``missing_ok=False`` :class:`DriverUnavailable`."""
    usb = usb_module()
    try:
        return list(usb.core.find(find_all=True, idVendor=vid, idProduct=pid,
                                  backend=backend) or [])
    except usb.core.NoBackendError as exc:
        if missing_ok:
            return []
        raise DriverUnavailable("sam-usb", "pyusb finds no USB backend: install libusb "
                                "(libusb-1.0-0 on Debian/Ubuntu, libusb-1.0.dll on "
                                "Windows) or name one with the backend option",
                                "library-missing") from exc


class SplitEndpointTransport:
    """Byte-stream view of a device with split header/body endpoints.

    Opening sets the configuration and claims interface 0. pyusb errors become typed
    errors: a timeout on a read is an empty read (the SAM session then names the command
    it awaited), on a write :class:`DeviceTimeout`; ENODEV and other "device gone" codes
    are :class:`DeviceRemoved`; a halted endpoint (EPIPE) is cleared and the exchange is
    left to the session's resend; EBUSY when claiming is :class:`DeviceBusy`; EACCES is
    :class:`DeviceNotFound` with code ``access-denied`` (a missing udev rule or driver).
    After an exchange that did not end cleanly, :meth:`discard_input` drains what the
    device still holds on its IN endpoints, so a late answer is never taken for the
    answer to the next request.
    """

    def __init__(self, device: Any, *, out_head: int = 0x02, out_body: int = 0x06,
                 in_head: int = 0x81, in_body: int = 0x85, interface: int = 0) -> None:
        self.device = device
        self.eps = (out_head, out_body, in_head, in_body)
        self._pending = b""
        self._body_left = 0
        self._dirty = False
        self._usb = usb_module()
        try:
            device.set_configuration()
            self._usb.util.claim_interface(device, interface)
        except self._usb.core.USBError as exc:
            self.close()
            code = getattr(exc, "errno", None)
            if code == errno.EBUSY:
                raise DeviceBusy(f"USB reader is in use by another program: {exc}") from exc
            if code == errno.EACCES:
                raise DeviceNotFound(f"no permission to open the USB reader ({exc}); on "
                                     "Linux add a udev rule for it, on Windows bind WinUSB "
                                     "to it (see the sam-usb driver docs)",
                                     code="access-denied") from exc
            raise DeviceNotFound(f"USB reader cannot be configured: {exc}") from exc

    def _gone(self, what: str, exc: Exception) -> DeviceRemoved:
        return DeviceRemoved(f"USB reader failed while {what}: {exc}", code="removed")

    def _clear_halt(self, endpoint: int, exc: Exception) -> None:
        try:
            self.device.clear_halt(endpoint)
        except self._usb.core.USBError as again:
            raise self._gone(f"clearing a halt on endpoint 0x{endpoint:02X}", again) from exc

    def write(self, data: bytes) -> None:
        out_head, out_body = self.eps[0], self.eps[1]
        for attempt in range(2):
            endpoint = out_head
            try:
                self.device.write(out_head, data[:HEAD], 1000)
                if len(data) > HEAD:
                    endpoint = out_body
                    self.device.write(out_body, data[HEAD:], 1000)
                return
            except self._usb.core.USBError as exc:
                code = getattr(exc, "errno", None)
                # some backends report a timeout without the subclass (as on reads)
                if isinstance(exc, self._usb.core.USBTimeoutError) or code == errno.ETIMEDOUT:
                    raise DeviceTimeout(f"USB reader did not take the request on endpoint "
                                        f"0x{endpoint:02X} within 1 s", awaited="USB write",
                                        timeout=1.0) from exc
                if code == errno.EPIPE and attempt == 0:
                    self._clear_halt(endpoint, exc)
                    continue
                raise self._gone("writing", exc) from exc

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes: the 7-byte head from IN 0x81, then the body from 0x85."""
        if not self._pending:
            ms = max(int(timeout * 1000), 1)
            endpoint = self.eps[2] if self._body_left == 0 else self.eps[3]
            try:
                if self._body_left == 0:
                    head = bytes(self.device.read(endpoint, HEAD, ms))
                    if len(head) == HEAD:
                        self._body_left = (head[5] << 8) | head[6]
                    self._pending = head
                else:
                    body = bytes(self.device.read(endpoint, self._body_left, ms))
                    self._body_left = max(self._body_left - len(body), 0)
                    self._pending = body
            except self._usb.core.USBTimeoutError:
                self._dirty = True
                return b""
            except self._usb.core.USBError as exc:
                code = getattr(exc, "errno", None)
                if code == errno.ETIMEDOUT:  # reported without the subclass by some backends
                    self._dirty = True
                    return b""
                if code == errno.EPIPE:
                    self._clear_halt(endpoint, exc)
                    self._dirty = True
                    return b""
                if code == errno.EOVERFLOW:  # the device sent more than its header said
                    self._dirty = True
                    return b""
                raise self._gone("reading", exc) from exc
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def discard_input(self) -> None:
        """Forget a half-read answer; after an unclean exchange, drain the IN endpoints."""
        if self._dirty or self._pending or self._body_left:
            for endpoint in self.eps[2:]:
                for _ in range(_DRAIN_READS):
                    try:
                        self.device.read(endpoint, 4096, 1)
                    except self._usb.core.USBTimeoutError:
                        break
                    except self._usb.core.USBError as exc:
                        if getattr(exc, "errno", None) in _GONE:
                            raise self._gone("draining", exc) from exc
                        break
        self._pending = b""
        self._body_left = 0
        self._dirty = False

    def close(self) -> None:
        try:
            self._usb.util.dispose_resources(self.device)
        except Exception:  # a vanished device must not break close
            pass
