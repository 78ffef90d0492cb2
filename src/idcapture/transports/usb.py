"""USB bulk links through pyusb, with the SAM_V split endpoints.

A SAM_V on native USB takes a request's first 7 bytes (preamble and length) on bulk OUT
0x02 and the rest on bulk OUT 0x06, and answers the first 7 bytes on bulk IN 0x81 and
the rest on bulk IN 0x85. :class:`SplitEndpointTransport` hides that split behind the
``write``/``read`` byte-stream interface the SAM session uses. Knows no protocol
beyond where a frame header ends.
"""

from __future__ import annotations

from typing import Any

from ..errors import DeviceNotFound, DeviceRemoved, DriverUnavailable

__all__ = ["SAM_PID", "SAM_VID", "SplitEndpointTransport", "find_devices", "usb_module"]

SAM_VID = 0x0400
SAM_PID = 0xC35A
HEAD = 7


def usb_module() -> Any:
    try:
        import usb.core
    except ImportError as exc:
        raise DriverUnavailable("sam-usb", "the pyusb package is not installed "
                                "(pip install idcapture[usb])") from exc
    return usb


def find_devices(vid: int = SAM_VID, pid: int = SAM_PID, backend: Any = None) -> list[Any]:
    """pyusb devices with ``vid``/``pid`` (an empty list when there is no USB backend)."""
    usb = usb_module()
    try:
        return list(usb.core.find(find_all=True, idVendor=vid, idProduct=pid,
                                  backend=backend) or [])
    except usb.core.NoBackendError:
        return []


class SplitEndpointTransport:
    """Byte-stream view of a device with split header/body endpoints."""

    def __init__(self, device: Any, *, out_head: int = 0x02, out_body: int = 0x06,
                 in_head: int = 0x81, in_body: int = 0x85) -> None:
        self.device = device
        self.eps = (out_head, out_body, in_head, in_body)
        self._pending = b""
        self._body_left = 0
        self._usb = usb_module()
        try:
            device.set_configuration()
        except self._usb.core.USBError as exc:
            raise DeviceNotFound(f"USB reader cannot be configured: {exc}") from exc

    def _err(self, what: str, exc: Exception) -> DeviceRemoved:
        return DeviceRemoved(f"USB reader failed while {what}: {exc}", code="removed")

    def write(self, data: bytes) -> None:
        out_head, out_body = self.eps[0], self.eps[1]
        try:
            self.device.write(out_head, data[:HEAD], 1000)
            if len(data) > HEAD:
                self.device.write(out_body, data[HEAD:], 1000)
        except self._usb.core.USBError as exc:
            raise self._err("writing", exc) from exc

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes: the 7-byte head from IN 0x81, then the body from 0x85."""
        if not self._pending:
            ms = max(int(timeout * 1000), 1)
            try:
                if self._body_left == 0:
                    head = bytes(self.device.read(self.eps[2], HEAD, ms))
                    if len(head) == HEAD:
                        self._body_left = (head[5] << 8) | head[6]
                    self._pending = head
                else:
                    body = bytes(self.device.read(self.eps[3], self._body_left, ms))
                    self._body_left = max(self._body_left - len(body), 0)
                    self._pending = body
            except self._usb.core.USBTimeoutError:
                return b""
            except self._usb.core.USBError as exc:
                if getattr(exc, "errno", None) == 110:  # ETIMEDOUT on some backends
                    return b""
                raise self._err("reading", exc) from exc
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def discard_input(self) -> None:
        self._pending = b""
        self._body_left = 0

    def close(self) -> None:
        try:
            self._usb.util.dispose_resources(self.device)
        except Exception:  # a vanished device must not break close
            pass
