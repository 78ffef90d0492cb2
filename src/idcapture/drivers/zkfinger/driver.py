"""``zkfinger:INDEX`` — ZKTeco USB readers (ZK4500, ZK9500, SLK20R...) through the ZKFinger SDK.

The SDK library (``libzkfp.so`` / ``libzkfp.dll``) is loaded with cffi in ABI mode by
:func:`idcapture.transports.native.load_library`: the ``lib`` address option, then
``IDCAPTURE_ZKFP_LIB``, then ``IDCAPTURE_NATIVE_PATH`` and the usual system folders. A
missing library makes the driver unavailable with the file names tried.

One capture attempt is one ``ZKFPM_AcquireFingerprint`` call. Results map to outcomes:
``0`` an image (then the acceptance check of
:mod:`idcapture.drivers.finger_acceptance`), ``-8`` (capture failed: nothing on the
glass) and ``-28`` (timeout) NO_FINGER, ``-10``/``-18`` (capture aborted/cancelled: the
finger left mid-capture) FINGER_LIFTED, ``-9`` (finger seen, template extraction failed)
LOW_QUALITY; ``-3``/``-6``/``-7``/``-23`` (no device, open failed, invalid handle, not
opened) raise :class:`DeviceRemoved`, ``-12`` :class:`DeviceBusy`, anything else
:class:`DeviceFault` naming the code.
"""

from __future__ import annotations

import struct
import threading
from typing import Any, ClassVar

import numpy as np

from ...devices.base import DeviceInfo
from ...devices.fingerprint import FingerprintSensor
from ...devices.options import Option
from ...errors import (
    ConfigError,
    DeviceBusy,
    DeviceFault,
    DeviceNotFound,
    DeviceRemoved,
    DriverUnavailable,
    RetryOutcome,
    RetryReason,
)
from ...transports.native import NativeLibrary, load_library
from ..finger_acceptance import ACCEPTANCE_OPTIONS, assess, limits_from_address
from .api import SPEC, TEMPLATE_BUFFER, ParamCode, ZkResult

__all__ = ["ZkFingerSensor"]

_GONE = {ZkResult.NO_DEVICE, ZkResult.OPEN_FAILED, ZkResult.INVALID_HANDLE,
         ZkResult.NOT_OPENED}
_RETRY = {
    ZkResult.CAPTURE_FAILED: (RetryReason.NO_FINGER, "no finger on the sensor"),
    ZkResult.TIMEOUT: (RetryReason.NO_FINGER, "no finger on the sensor"),
    ZkResult.ABORTED: (RetryReason.FINGER_LIFTED, "the finger left the sensor during the "
                       "capture; place it again and hold it still"),
    ZkResult.CANCELLED: (RetryReason.FINGER_LIFTED, "the finger left the sensor during the "
                         "capture; place it again and hold it still"),
    ZkResult.EXTRACT_FAILED: (RetryReason.LOW_QUALITY, "the finger was seen but the image is "
                              "too poor; clean the finger and the sensor and try again"),
}

# ZKFPM_Init/Terminate are process-wide: count the users per library
_init_lock = threading.Lock()
_init_users: dict[str, int] = {}


def _sdk_init(lib: NativeLibrary) -> None:
    with _init_lock:
        if _init_users.get(lib.path, 0) == 0:
            rc = int(lib.lib.ZKFPM_Init())
            if rc not in (ZkResult.OK, ZkResult.ALREADY_INIT):
                raise DeviceFault(f"ZKFinger SDK failed to initialise ({rc}, "
                                  f"{ZkResult.describe(rc)})", f"zkfp-{ZkResult.describe(rc)}")
        _init_users[lib.path] = _init_users.get(lib.path, 0) + 1


def _sdk_release(lib: NativeLibrary) -> None:
    with _init_lock:
        n = _init_users.get(lib.path, 0) - 1
        _init_users[lib.path] = max(n, 0)
        if n == 0:
            lib.lib.ZKFPM_Terminate()


class ZkFingerSensor(FingerprintSensor):
    """A ZKTeco reader; the address target is the device index (default 0).

    Options: ``lib`` (path of the SDK library), ``accept=off`` / ``min_area`` /
    ``max_tilt`` (the acceptance check).
    """

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("lib", "str", None, "path of the libzkfp library (default: searched)"),
        *ACCEPTANCE_OPTIONS,
    )

    default_timeout: ClassVar[float] = 15.0
    poll_interval: ClassVar[float] = 0.2  # the SDK's advice: poll every ~200 ms

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = self.address.target or "0"
        try:
            self.index = int(target)
        except ValueError:
            raise ConfigError(f"zkfinger takes a device index (zkfinger:0), got "
                              f"{target!r}") from None
        self.limits = limits_from_address(self.address)
        self._lib: NativeLibrary | None = None
        self._handle: Any = None
        self.width = self.height = 0
        self._vendor = self._product = self._serial = ""

    @classmethod
    def check_available(cls) -> None:
        load_library(SPEC)

    def _load(self) -> NativeLibrary:
        return load_library(SPEC, self.address.option("lib"))

    # ---------------------------------------------------------------- lifecycle

    def _open(self) -> None:
        lib = self._load()
        _sdk_init(lib)
        try:
            with lib.lock:
                count = int(lib.lib.ZKFPM_GetDeviceCount())
                if count <= self.index:
                    raise DeviceNotFound(f"no ZKTeco reader at index {self.index} "
                                         f"({max(count, 0)} attached)")
                handle = lib.lib.ZKFPM_OpenDevice(self.index)
                if handle == lib.ffi.NULL:
                    raise DeviceNotFound(f"ZKTeco reader {self.index} could not be opened")
            self._lib, self._handle = lib, handle
            self.width = self._int_param(ParamCode.IMAGE_WIDTH)
            self.height = self._int_param(ParamCode.IMAGE_HEIGHT)
            self.resolution_ppi = self._int_param(ParamCode.IMAGE_DPI) or 500
            self._vendor = self._text_param(ParamCode.VENDOR)
            self._product = self._text_param(ParamCode.PRODUCT)
            self._serial = self._text_param(ParamCode.SERIAL)
            if not (0 < self.width <= 5000 and 0 < self.height <= 5000):
                raise DeviceFault(f"ZKTeco reader reports an image of {self.width}x"
                                  f"{self.height} pixels", "zkfp-image-size")
        except Exception:
            self._close()
            raise

    def _close(self) -> None:
        lib, handle = self._lib, self._handle
        self._lib = self._handle = None
        if lib is None:
            # the library was initialised for this device even if opening failed
            try:
                lib = self._load()
            except DriverUnavailable:
                return
        with lib.lock:
            if handle is not None:
                lib.lib.ZKFPM_CloseDevice(handle)
        _sdk_release(lib)

    # ---------------------------------------------------------------- parameters

    def _param(self, code: int, size: int = 64) -> bytes:
        assert self._lib is not None
        ffi, lib = self._lib.ffi, self._lib.lib
        buf = ffi.new("unsigned char[]", size)
        n = ffi.new("unsigned int *", size)
        with self._lib.lock:
            rc = int(lib.ZKFPM_GetParameters(self._handle, code, buf, n))
        if rc != 0:
            return b""
        return bytes(ffi.buffer(buf, min(int(n[0]), size)))

    def _int_param(self, code: int) -> int:
        raw = self._param(code, 4)
        return struct.unpack("<i", raw[:4])[0] if len(raw) >= 4 else 0

    def _text_param(self, code: int) -> str:
        return self._param(code).split(b"\0", 1)[0].decode("utf-8", "replace")

    def set_led(self, colour: str, on: bool = True) -> None:
        """Switch the reader's ``white``, ``green`` or ``red`` LED."""
        code = {"white": ParamCode.WHITE_LED, "green": ParamCode.GREEN_LED,
                "red": ParamCode.RED_LED}.get(colour)
        if code is None:
            raise ConfigError(f"LED colour must be white, green or red, got {colour!r}")
        self._call("LED setting", lambda: self._set(code, 1 if on else 0))

    def _set(self, code: int, value: int) -> None:
        assert self._lib is not None
        ffi = self._lib.ffi
        buf = ffi.new("unsigned char[4]", list(struct.pack("<i", value)))
        with self._lib.lock:
            rc = int(self._lib.lib.ZKFPM_SetParameters(self._handle, code, buf, 4))
        self._check(rc, "parameter setting")

    def _check(self, rc: int, what: str) -> None:
        if rc == 0:
            return
        name = ZkResult.describe(rc)
        if rc in _GONE:
            raise DeviceRemoved(f"ZKTeco reader {self.index} went away during {what} "
                                f"({rc}, {name})")
        if rc == ZkResult.BUSY:
            raise DeviceBusy(f"ZKTeco reader {self.index} is busy capturing", "zkfp-busy")
        raise DeviceFault(f"ZKTeco reader {self.index} failed {what} ({rc}, {name})",
                          f"zkfp-{name}")

    # ---------------------------------------------------------------- capture

    def _try_capture(self, timeout: float) -> np.ndarray | RetryOutcome:
        # ZKFPM_AcquireFingerprint returns at once (finger or not): nothing to bound
        if self._lib is None or self._handle is None:
            raise DeviceRemoved(f"ZKTeco reader {self.index} is not connected")
        ffi, lib = self._lib.ffi, self._lib.lib
        size = self.width * self.height
        img = ffi.new("unsigned char[]", size)
        tmpl = ffi.new("unsigned char[]", TEMPLATE_BUFFER)
        tlen = ffi.new("unsigned int *", TEMPLATE_BUFFER)
        with self._lib.lock:
            rc = int(lib.ZKFPM_AcquireFingerprint(self._handle, img, size, tmpl, tlen))
        retry = _RETRY.get(rc)  # type: ignore[call-overload]
        if retry is not None:
            return RetryOutcome(retry[0], retry[1], {"sdk_result": float(rc)})
        self._check(rc, "fingerprint capture")
        image: np.ndarray = np.frombuffer(ffi.buffer(img, size), np.uint8).reshape(
            self.height, self.width).copy()
        if self.limits is not None:
            outcome = assess(image, self.limits)
            if outcome is not None:
                return outcome
        return image

    # ---------------------------------------------------------------- info

    def _info(self) -> DeviceInfo:
        return DeviceInfo("zkfinger", self.kind, f"zkfinger:{self.index}",
                          "ZKTeco fingerprint reader", vendor=self._vendor,
                          model=self._product, serial=self._serial,
                          extra={"width": str(self.width), "height": str(self.height),
                                 "resolution_ppi": str(self.resolution_ppi),
                                 "library": self._lib.path if self._lib else ""})

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        lib = load_library(SPEC)
        _sdk_init(lib)
        try:
            with lib.lock:
                count = max(int(lib.lib.ZKFPM_GetDeviceCount()), 0)
        finally:
            _sdk_release(lib)
        return [DeviceInfo("zkfinger", cls.kind, f"zkfinger:{i}", "ZKTeco fingerprint reader")
                for i in range(count)]
