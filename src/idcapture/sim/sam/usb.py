"""A SAM_V on native USB, simulated as a pyusb backend (``usb.backend.IBackend``).

:class:`SimBackend` is what libusb is to pyusb on a real machine: ``usb.core.find(
idVendor=0x0400, idProduct=0xC35A, backend=sim)`` enumerates one device (VID 0x0400,
PID 0xC35A, one configuration, one interface with the spec's four bulk endpoints), and
every transfer the ``sam-usb`` driver makes goes through pyusb's own ``Device``,
``Configuration`` and ``Endpoint`` objects down to this backend, exactly as it would go
down to libusb. Behind the endpoints sits the same :class:`~.device.SamDevice` as behind
the pty server:

* a request's first 7 bytes arrive on bulk OUT 0x02, the rest on bulk OUT 0x06;
* each answer is queued as two IN transfers: its first 7 bytes on bulk IN 0x81, the rest
  on bulk IN 0x85. A bulk read returns at most the rest of one queued transfer (the
  device ends each with a short packet); a buffer shorter than it takes the first bytes
  and leaves the rest for the next read.

Timing (``pace=True``): the SAM works one request at a time, so an answer is ready
``SamDevice.latency[command]`` (plus a ``slow`` fault's seconds) after the later of its
request and the previous answer. Each transfer then takes the time of USB full speed:
transfers start on 1 ms frame boundaries and carry at most 19 packets of 64 bytes per
frame, so a transfer of ``n`` bytes takes ``ceil(max(1, ceil(n / 64)) / 19)`` ms. Pass
``latency=`` (seconds) to replace that per-transfer time by a fixed figure (a slow hub,
a busy host controller), or ``pace=False`` for no pacing at all.

Errors are those of pyusb's libusb1 backend, with the same ``backend_error_code`` and
``errno``: a read with nothing to deliver raises :class:`usb.core.USBTimeoutError`
(``LIBUSB_ERROR_TIMEOUT``, ETIMEDOUT) after its timeout; after :meth:`SimBackend.unplug`
the device is gone from :meth:`~SimBackend.enumerate_devices` and every call on a handle
opened before raises ``LIBUSB_ERROR_NO_DEVICE`` (ENODEV), even after
:meth:`~SimBackend.replug` (which re-enumerates it at a new address, as a real replug
does); :meth:`~SimBackend.stall` halts an endpoint (``LIBUSB_ERROR_PIPE``, EPIPE) until
the host clears it; a second handle claiming the interface gets ``LIBUSB_ERROR_BUSY``;
:meth:`~SimBackend.fail` makes the next calls of one backend method fail with a chosen
errno (EACCES when claiming, EOVERFLOW on a read, ENODEV when clearing a halt...).
The ``close`` fault unplugs the device.

For the ``sam-usb`` driver, name the backend in the address:
``sam-usb:0400:C35A?backend=idcapture.sim.sam.usb`` uses :func:`get_backend`, the
process-wide simulator that :meth:`SimBackend.install` sets (a test hook; see
docs/drivers/sam-usb.md).
"""

from __future__ import annotations

import array
import errno
import math
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import usb.backend
import usb.core

from .device import SamDevice

__all__ = ["SimBackend", "get_backend", "usb_transfer_time"]

VID, PID = 0x0400, 0xC35A
EP_OUT_HEAD, EP_OUT_BODY, EP_IN_HEAD, EP_IN_BODY = 0x02, 0x06, 0x81, 0x85
HEAD = 7
MAX_PACKET = 64
PACKETS_PER_FRAME = 19  # full-speed bulk: at most 19 x 64 bytes in a 1 ms frame

# libusb return codes, as pyusb's libusb1 backend reports them
_TIMEOUT = (-7, "Operation timed out", errno.ETIMEDOUT)
_NO_DEVICE = (-4, "No such device (it may have been disconnected)", errno.ENODEV)
_PIPE = (-9, "Pipe error", errno.EPIPE)
_BUSY = (-6, "Resource busy", errno.EBUSY)
_NOT_FOUND = (-5, "Entity not found", errno.ENOENT)
_INVALID = (-2, "Invalid parameter", errno.EINVAL)


def _error(code: tuple[int, str, int]) -> usb.core.USBError:
    cls = usb.core.USBTimeoutError if code is _TIMEOUT else usb.core.USBError
    return cls(code[1], code[0], code[2])


def usb_transfer_time(n_bytes: int) -> float:
    """Seconds a bulk transfer of ``n_bytes`` takes at USB full speed (model above)."""
    packets = max(1, math.ceil(n_bytes / MAX_PACKET))
    return math.ceil(packets / PACKETS_PER_FRAME) * 0.001


# ------------------------------------------------------------------ descriptors
@dataclass
class _DeviceDescriptor:
    bus: int
    address: int
    bLength: int = 18
    bDescriptorType: int = 0x01
    bcdUSB: int = 0x0110
    bDeviceClass: int = 0
    bDeviceSubClass: int = 0
    bDeviceProtocol: int = 0
    bMaxPacketSize0: int = 8
    idVendor: int = VID
    idProduct: int = PID
    bcdDevice: int = 0x0100
    iManufacturer: int = 0
    iProduct: int = 0
    iSerialNumber: int = 0
    bNumConfigurations: int = 1
    port_number: int = 1
    port_numbers: tuple[int, ...] = (1,)
    speed: int = 2  # LIBUSB_SPEED_FULL


@dataclass
class _ConfigDescriptor:
    bLength: int = 9
    bDescriptorType: int = 0x02
    wTotalLength: int = 9 + 9 + 4 * 7
    bNumInterfaces: int = 1
    bConfigurationValue: int = 1
    iConfiguration: int = 0
    bmAttributes: int = 0xE0  # self-powered, remote wake-up (spec section 1.2)
    bMaxPower: int = 50
    extra_descriptors: bytes = b""


@dataclass
class _InterfaceDescriptor:
    bLength: int = 9
    bDescriptorType: int = 0x04
    bInterfaceNumber: int = 0
    bAlternateSetting: int = 0
    bNumEndpoints: int = 4
    bInterfaceClass: int = 0xFF
    bInterfaceSubClass: int = 0
    bInterfaceProtocol: int = 0
    iInterface: int = 0
    extra_descriptors: bytes = b""


@dataclass
class _EndpointDescriptor:
    bEndpointAddress: int
    bLength: int = 7
    bDescriptorType: int = 0x05
    bmAttributes: int = 0x02  # bulk
    wMaxPacketSize: int = MAX_PACKET
    bInterval: int = 0
    bRefresh: int = 0
    bSynchAddress: int = 0
    extra_descriptors: bytes = b""


_ENDPOINTS = (EP_OUT_HEAD, EP_IN_HEAD, EP_OUT_BODY, EP_IN_BODY)


@dataclass(frozen=True)
class _DevId:
    """What :meth:`SimBackend.enumerate_devices` yields: one enumeration of the device."""

    generation: int
    bus: int
    address: int


@dataclass(eq=False)
class _Handle:
    generation: int
    configured: int = 0
    claimed: set[int] = field(default_factory=set)
    closed: bool = False


@dataclass
class _Transfer:
    ready: float
    data: bytes


class SimBackend(usb.backend.IBackend):  # type: ignore[misc]
    """A pyusb backend holding one simulated USB SAM_V (see the module docstring)."""

    _current: SimBackend | None = None
    _current_lock = threading.Lock()

    def __init__(self, device: SamDevice | None = None, *, bus: int = 1, address: int = 7,
                 pace: bool = True, latency: float | None = None) -> None:
        super().__init__()
        self.sam = device or SamDevice()
        self.bus, self.address = bus, address
        self.pace = pace
        self.latency = latency
        self.plugged = True
        self._generation = 0
        self._cond = threading.Condition()
        self._in: dict[int, deque[_Transfer]] = {EP_IN_HEAD: deque(), EP_IN_BODY: deque()}
        self._halted: set[int] = set()
        self._busy_until = 0.0
        self._claimed_by: _Handle | None = None
        self._failures: dict[str, deque[int]] = {}
        self.transfers = 0  # bulk transfers made, for tests and benchmarks

    # ------------------------------------------------------------ test control
    def install(self) -> SimBackend:
        """Make this the simulator :func:`get_backend` returns (and so what the driver
        option ``backend=idcapture.sim.sam.usb`` selects). Returns ``self``."""
        with SimBackend._current_lock:
            SimBackend._current = self
        return self

    def uninstall(self) -> None:
        """Undo :meth:`install` (if this is the installed simulator)."""
        with SimBackend._current_lock:
            if SimBackend._current is self:
                SimBackend._current = None

    def __enter__(self) -> SimBackend:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def unplug(self) -> None:
        """The device leaves the bus: gone from enumeration, every handle is dead."""
        with self._cond:
            self.plugged = False
            self._generation += 1
            self._claimed_by = None
            for q in self._in.values():
                q.clear()
            self._halted.clear()
            self.sam.clear_input()
            self._cond.notify_all()

    def replug(self) -> None:
        """The device comes back, enumerated at the next bus address."""
        with self._cond:
            if not self.plugged:
                self.plugged = True
                self.address = self.address % 127 + 1
                self._busy_until = 0.0
                self._cond.notify_all()

    def stall(self, endpoint: int) -> None:
        """Halt ``endpoint``: its transfers fail with a pipe error until cleared."""
        with self._cond:
            self._halted.add(endpoint)

    #: backend calls :meth:`fail` can make fail
    FAILABLE = ("set_configuration", "claim_interface", "clear_halt", "bulk_write",
                "bulk_read")

    def fail(self, call: str, code: int, times: int = 1) -> None:
        """Make the next ``times`` calls of backend method ``call`` (one of
        :data:`FAILABLE`) fail with a USB error of errno ``code`` (``errno.EACCES``,
        ``errno.EOVERFLOW``...), as libusb reports a refused or broken transfer."""
        if call not in self.FAILABLE:
            raise ValueError(f"{call!r} is not one of {', '.join(self.FAILABLE)}")
        with self._cond:
            self._failures.setdefault(call, deque()).extend([code] * times)

    def _injected(self, call: str) -> None:
        # called with the condition held
        pending = self._failures.get(call)
        if pending:
            code = pending.popleft()
            raise usb.core.USBError(os.strerror(code), -code, code)

    # ------------------------------------------------------------ enumeration
    def enumerate_devices(self) -> Iterator[_DevId]:
        with self._cond:
            found = [_DevId(self._generation, self.bus, self.address)] if self.plugged else []
        return iter(found)

    def get_device_descriptor(self, dev: _DevId) -> _DeviceDescriptor:
        return _DeviceDescriptor(bus=dev.bus, address=dev.address)

    def get_configuration_descriptor(self, dev: _DevId, config: int) -> _ConfigDescriptor:
        if config != 0:
            raise IndexError(f"invalid configuration index {config}")
        return _ConfigDescriptor()

    def get_interface_descriptor(self, dev: _DevId, intf: int, alt: int,
                                 config: int) -> _InterfaceDescriptor:
        if config != 0 or intf != 0 or alt != 0:
            raise IndexError(f"invalid interface index {intf}/{alt}")
        return _InterfaceDescriptor()

    def get_endpoint_descriptor(self, dev: _DevId, ep: int, intf: int, alt: int,
                                config: int) -> _EndpointDescriptor:
        self.get_interface_descriptor(dev, intf, alt, config)
        if not 0 <= ep < len(_ENDPOINTS):
            raise IndexError(f"invalid endpoint index {ep}")
        return _EndpointDescriptor(_ENDPOINTS[ep])

    def get_parent(self, dev: _DevId) -> None:
        return None

    # ------------------------------------------------------------ handles
    def _live(self, handle: _Handle) -> None:
        """Raise ENODEV unless ``handle`` belongs to the device as now plugged."""
        if handle.closed or not self.plugged or handle.generation != self._generation:
            raise _error(_NO_DEVICE)

    def open_device(self, dev: _DevId) -> _Handle:
        with self._cond:
            if not self.plugged or dev.generation != self._generation:
                raise _error(_NO_DEVICE)
            return _Handle(self._generation)

    def close_device(self, dev_handle: _Handle) -> None:
        with self._cond:
            dev_handle.closed = True
            if self._claimed_by is dev_handle:
                self._claimed_by = None

    def set_configuration(self, dev_handle: _Handle, config_value: int) -> None:
        with self._cond:
            self._injected("set_configuration")
            self._live(dev_handle)
            if config_value not in (0, 1):
                raise _error(_NOT_FOUND)
            dev_handle.configured = config_value

    def get_configuration(self, dev_handle: _Handle) -> int:
        with self._cond:
            self._live(dev_handle)
            return dev_handle.configured or 1

    def set_interface_altsetting(self, dev_handle: _Handle, intf: int, altsetting: int) -> None:
        with self._cond:
            self._live(dev_handle)
            if intf != 0 or altsetting != 0:
                raise _error(_NOT_FOUND)

    def claim_interface(self, dev_handle: _Handle, intf: int) -> None:
        with self._cond:
            self._injected("claim_interface")
            self._live(dev_handle)
            if intf != 0:
                raise _error(_NOT_FOUND)
            if self._claimed_by is not None and self._claimed_by is not dev_handle \
                    and not self._claimed_by.closed:
                raise _error(_BUSY)
            self._claimed_by = dev_handle
            dev_handle.claimed.add(intf)

    def release_interface(self, dev_handle: _Handle, intf: int) -> None:
        with self._cond:
            self._live(dev_handle)
            dev_handle.claimed.discard(intf)
            if self._claimed_by is dev_handle:
                self._claimed_by = None

    def is_kernel_driver_active(self, dev_handle: _Handle, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        return None

    def attach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        return None

    def clear_halt(self, dev_handle: _Handle, ep: int) -> None:
        with self._cond:
            self._injected("clear_halt")
            self._live(dev_handle)
            self._halted.discard(ep)

    def reset_device(self, dev_handle: _Handle) -> None:
        with self._cond:
            self._live(dev_handle)
            for q in self._in.values():
                q.clear()
            self._halted.clear()
            self.sam.clear_input()

    def ctrl_transfer(self, dev_handle: _Handle, bmRequestType: int, bRequest: int,
                      wValue: int, wIndex: int, data: Any, timeout: int) -> Any:
        with self._cond:
            self._live(dev_handle)
        raise _error(_PIPE)  # the SAM answers no control request beyond enumeration

    # ------------------------------------------------------------ transfers
    def _transfer_time(self, n: int) -> float:
        if not self.pace:
            return 0.0
        return self.latency if self.latency is not None else usb_transfer_time(n)

    def _check_transfer(self, dev_handle: _Handle, ep: int, intf: int,
                        allowed: tuple[int, ...]) -> None:
        self._live(dev_handle)
        if ep not in allowed or intf != 0:
            raise _error(_INVALID)
        if intf not in dev_handle.claimed:
            raise _error(_NOT_FOUND)
        if ep in self._halted:
            raise _error(_PIPE)

    def bulk_write(self, dev_handle: _Handle, ep: int, intf: int, data: Any,
                   timeout: int) -> int:
        payload = bytes(data)
        with self._cond:
            self._injected("bulk_write")
            self._check_transfer(dev_handle, ep, intf, (EP_OUT_HEAD, EP_OUT_BODY))
            self.transfers += 1
        pause = self._transfer_time(len(payload))
        if pause:
            time.sleep(pause)
        with self._cond:
            self._live(dev_handle)
            now = time.monotonic()
            for reply in self.sam.receive(payload):
                if reply.close:  # the 'close' fault: the reader drops off the bus
                    self.unplug()  # (the condition's lock is re-entrant)
                    break
                ready = max(now, self._busy_until) + reply.delay
                self._busy_until = ready
                if reply.data:
                    self._in[EP_IN_HEAD].append(_Transfer(ready, reply.data[:HEAD]))
                    if len(reply.data) > HEAD:
                        self._in[EP_IN_BODY].append(_Transfer(ready, reply.data[HEAD:]))
            self._cond.notify_all()
        return len(payload)

    def bulk_read(self, dev_handle: _Handle, ep: int, intf: int, buff: array.array[int],
                  timeout: int) -> int:
        deadline = time.monotonic() + timeout / 1000.0 if timeout else None
        with self._cond:
            self._injected("bulk_read")
            self._check_transfer(dev_handle, ep, intf, (EP_IN_HEAD, EP_IN_BODY))
            self.transfers += 1
            q = self._in[ep]
            while True:
                self._live(dev_handle)
                if ep in self._halted:
                    raise _error(_PIPE)
                now = time.monotonic()
                if q and q[0].ready <= now:
                    break
                wait = q[0].ready - now if q else None
                if deadline is not None:
                    left = deadline - now
                    if left <= 0:
                        raise _error(_TIMEOUT)
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)
            head = q[0]
            n = min(len(buff) * buff.itemsize, len(head.data))
            chunk, rest = head.data[:n], head.data[n:]
            if rest:
                head.data = rest
            else:
                q.popleft()
        pause = self._transfer_time(n)
        if pause:
            time.sleep(pause)
        buff[:n] = array.array("B", chunk)
        return n


def get_backend() -> SimBackend:
    """The installed simulator (:meth:`SimBackend.install`); with none installed, a new
    one holding the first sample card is installed and returned."""
    with SimBackend._current_lock:
        current = SimBackend._current
    if current is not None:
        return current
    from .cards import sample_cards

    sim = SimBackend()
    sim.sam.place_card(sample_cards()[0])
    return sim.install()
