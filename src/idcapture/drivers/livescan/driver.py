"""``livescan:CHANNEL`` — ID-card fingerprint scanners (GA/T 1011) through ID_FprCap.

The vendor's capture library (``ID_FprCap.dll``, 32-bit ``__stdcall``; ``libID_FprCap.so``
or ``ID_FprCap.so``, cdecl) is loaded with cffi by
:func:`idcapture.transports.native.load_library`: the ``lib`` address option, then
``IDCAPTURE_LIVESCAN_LIB``, then ``IDCAPTURE_NATIVE_PATH`` and the usual system folders.

The ABI has no finger-detection call: one capture attempt blanks the frame buffer
(``LIVESCAN_SetBufferEmpty``), reads a frame (``LIVESCAN_GetFPRawData``, 256 x 360 grey,
or ``GetFPBmpData`` with ``frame=bmp``) and looks at it. A buffer left blank, or a
frame without a finger (scanners fill it with 0xFA), is NO_FINGER, so
:meth:`~idcapture.devices.FingerprintSensor.capture` keeps polling (every 200 ms by
default, ``poll=`` to change); a finger goes through the acceptance check of
:mod:`idcapture.drivers.finger_acceptance` (too light, too dark, partial...).

Return codes: 1 success; -4 (no device) and -5 (not initialised: the library lost the
scanner) raise :class:`DeviceRemoved`, and the next call re-initialises; -9 (other) on a
frame is one lost frame (NO_FINGER), five in a row raise :class:`DeviceFault`; -7 (no
licence) at start-up raises :class:`DriverUnavailable`; -3 (not implemented) from a
brightness or contrast setter raises :class:`ConfigError`; -1, -2, -6 and vendor codes
(-101 and below, with the library's own text) raise :class:`DeviceFault` naming them.

Options: ``lib``, ``bright`` and ``contrast`` (0-255, set at open), ``frame=raw|bmp``,
``poll``, and the acceptance options ``accept=off`` / ``min_area`` / ``max_tilt``.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import numpy as np

from ...devices.base import DeviceInfo
from ...devices.fingerprint import FingerprintSensor
from ...devices.options import Option
from ...errors import (
    ConfigError,
    DeviceFault,
    DeviceNotFound,
    DeviceRemoved,
    DriverUnavailable,
    RetryOutcome,
    RetryReason,
)
from ...transports.native import NativeLibrary, load_library
from ..finger_acceptance import ACCEPTANCE_OPTIONS, assess, limits_from_address
from .api import HEIGHT, SPEC, WIDTH, LiveScanResult

__all__ = ["BMP_HEADER", "LiveScanSensor", "error_text"]

#: bytes before the pixels of GetFPBmpData: file and info headers, 256-entry palette
BMP_HEADER = 1078
_BLANK_STD = 3.0
_MAX_LOST_FRAMES = 5
_R = LiveScanResult

_init_lock = threading.Lock()
_init_users: dict[str, int] = {}


def error_text(lib: NativeLibrary, rc: int) -> str:
    """The library's own text for ``rc`` (LIVESCAN_GetErrorInfo), or ''."""
    buf = lib.ffi.new("char[256]")
    try:
        with lib.lock:
            ok = int(lib.lib.LIVESCAN_GetErrorInfo(rc, buf))
    except Exception:
        return ""
    if ok != _R.SUCCESS:
        return ""
    return str(lib.ffi.string(buf, 255).decode("gbk", "replace")).strip()


def _describe(lib: NativeLibrary, rc: int) -> str:
    text = error_text(lib, rc)
    return f"{rc}, {_R.describe(rc)}" + (f": {text}" if text else "")


def _init(lib: NativeLibrary) -> None:
    """LIVESCAN_Init, counted per library so that Close runs after the last user."""
    with _init_lock:
        with lib.lock:
            rc = int(lib.lib.LIVESCAN_Init())
        if rc == _R.SUCCESS:
            _init_users[lib.path] = _init_users.get(lib.path, 0) + 1
            return
    if rc == _R.NO_DEVICE:
        raise DeviceNotFound(f"no ID-card fingerprint scanner is connected "
                             f"({_describe(lib, rc)})")
    if rc == _R.NO_LICENCE:
        raise DriverUnavailable("livescan", f"the capture library {lib.path} refused to start: "
                                f"no licence for this scanner ({_describe(lib, rc)})",
                                "no-licence")
    raise DeviceFault(f"the capture library failed to initialise ({_describe(lib, rc)})",
                      f"livescan-{_R.describe(rc)}")


def _release(lib: NativeLibrary) -> None:
    with _init_lock:
        n = _init_users.get(lib.path, 0) - 1
        _init_users[lib.path] = max(n, 0)
        if n <= 0:
            with lib.lock:
                lib.lib.LIVESCAN_Close()


class LiveScanSensor(FingerprintSensor):
    """An ID-card fingerprint scanner; the address target is the channel (default 0).

    Thread-safe like every device (one lock per device, and calls into one library are
    serialised).
    """

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("lib", "str", None, "path of the ID_FprCap library (default: searched)"),
        Option("frame", "str", "raw", "image the library returns", choices=("raw", "bmp")),
        Option("bright", "int", None, "brightness to set, 0-255"),
        Option("contrast", "int", None, "contrast to set, 0-255"),
        *ACCEPTANCE_OPTIONS,
    )

    default_timeout: ClassVar[float] = 10.0
    poll_interval: ClassVar[float] = 0.2  # what applications do: a frame every 200 ms

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = self.address.target or "0"
        try:
            self.channel = int(target)
        except ValueError:
            raise ConfigError(f"livescan takes a channel number (livescan:0), got "
                              f"{target!r}") from None
        frame = (self.address.option("frame") or "raw").lower()
        if frame not in ("raw", "bmp"):
            raise ConfigError(f"livescan frame option must be raw or bmp, got {frame!r}")
        self.bmp = frame == "bmp"
        self.limits = limits_from_address(self.address)
        self._levels = {name: self._level_option(name) for name in ("bright", "contrast")}
        self._lib: NativeLibrary | None = None
        self._capturing = False
        self._lost = 0
        self.width, self.height = WIDTH, HEIGHT
        self.description = ""
        self.version = 0

    def _level_option(self, name: str) -> int | None:
        if self.address.option(name) is None:
            return None
        v = self.address.int_option(name, 128)
        if not 0 <= v <= 255:
            raise ConfigError(f"livescan {name} must be 0-255, got {v}")
        return v

    @classmethod
    def check_available(cls) -> None:
        load_library(SPEC)

    # ---------------------------------------------------------------- lifecycle

    def _open(self) -> None:
        lib = load_library(SPEC, self.address.option("lib"))
        _init(lib)
        self._lib = lib
        try:
            with lib.lock:
                count = int(lib.lib.LIVESCAN_GetChannelCount())
            if count < 0:
                self._check(count, "reading the channel count")
            if self.channel >= count:
                raise DeviceNotFound(f"the scanner has {count} channel(s); channel "
                                     f"{self.channel} does not exist")
            w, h = self._window()
            if (w, h) != (WIDTH, HEIGHT):
                self._check(self._api("LIVESCAN_SetCaptWindow", self.channel, 0, 0, WIDTH,
                                      HEIGHT), "setting the 256 x 360 capture window")
                w, h = self._window()
            if w < WIDTH or h < HEIGHT or w > 4 * WIDTH or h > 4 * HEIGHT:
                raise DeviceFault(f"the scanner's capture window is {w} x {h}, not the "
                                  "ID-card 256 x 360", "livescan-window")
            self.width, self.height = w, h
            for name, value in self._levels.items():
                if value is not None:
                    self._set_level(name, value)
            desc = lib.ffi.new("char[1024]")
            if self._api("LIVESCAN_GetDesc", desc) == _R.SUCCESS:
                self.description = lib.ffi.string(desc, 1023).decode("gbk", "replace")
            self.version = max(self._api("LIVESCAN_GetVersion"), 0)
        except BaseException:
            self._close()
            raise

    def _close(self) -> None:
        lib, self._lib = self._lib, None
        if lib is None:
            return
        if self._capturing:
            with lib.lock:
                lib.lib.LIVESCAN_EndCapture(self.channel)
            self._capturing = False
        _release(lib)

    # ---------------------------------------------------------------- calls

    def _api(self, name: str, *args: Any) -> int:
        if self._lib is None:
            raise DeviceRemoved(f"ID-card fingerprint scanner channel {self.channel} is not "
                                "connected")
        with self._lib.lock:
            return int(getattr(self._lib.lib, name)(*args))

    def _check(self, rc: int, what: str) -> None:
        if rc == _R.SUCCESS:
            return
        assert self._lib is not None
        detail = _describe(self._lib, rc)
        if rc in (_R.NO_DEVICE, _R.NOT_INITIALISED):
            raise DeviceRemoved(f"the ID-card fingerprint scanner went away while {what} "
                                f"({detail})")
        if rc == _R.NO_LICENCE:
            raise DriverUnavailable("livescan", f"no licence while {what} ({detail})",
                                    "no-licence")
        raise DeviceFault(f"the ID-card fingerprint scanner failed while {what} ({detail})",
                          f"livescan-{_R.describe(rc)}")

    def _window(self) -> tuple[int, int]:
        assert self._lib is not None
        ffi = self._lib.ffi
        x, y, w, h = (ffi.new("int *") for _ in range(4))
        self._check(self._api("LIVESCAN_GetCaptWindow", self.channel, x, y, w, h),
                    "reading the capture window")
        return int(w[0]), int(h[0])

    # ---------------------------------------------------------------- brightness, contrast

    def _set_level(self, name: str, value: int) -> None:
        if not 0 <= value <= 255:
            raise ConfigError(f"{name} must be 0-255, got {value}")
        fn = "LIVESCAN_SetBright" if name == "bright" else "LIVESCAN_SetContrast"
        rc = self._api(fn, self.channel, value)
        if rc == _R.NOT_IMPLEMENTED:
            raise ConfigError(f"this scanner's library cannot set the "
                              f"{'brightness' if name == 'bright' else 'contrast'} "
                              f"({fn} returns -3)")
        self._check(rc, f"setting the {name}ness" if name == "bright" else
                    "setting the contrast")

    def _get_level(self, name: str) -> int | None:
        assert self._lib is not None
        out = self._lib.ffi.new("int *")
        fn = "LIVESCAN_GetBright" if name == "bright" else "LIVESCAN_GetContrast"
        rc = self._api(fn, self.channel, out)
        if rc == _R.NOT_IMPLEMENTED:
            return None
        self._check(rc, f"reading the {name}")
        return int(out[0])

    def set_levels(self, brightness: int | None = None, contrast: int | None = None) -> None:
        """Set the scanner's brightness and/or contrast (0-255).

        :class:`ConfigError` when the library does not support it (returns -3).
        """
        def run() -> None:
            if brightness is not None:
                self._set_level("bright", brightness)
            if contrast is not None:
                self._set_level("contrast", contrast)
        self._call("level setting", run)

    def levels(self) -> tuple[int | None, int | None]:
        """(brightness, contrast), ``None`` for what the library cannot report."""
        return self._call("level reading", lambda: (self._get_level("bright"),
                                                    self._get_level("contrast")))

    # ---------------------------------------------------------------- capture

    def _frame(self) -> np.ndarray | None:
        """One frame, or ``None`` when the library returned no new frame."""
        assert self._lib is not None
        ffi = self._lib.ffi
        size = self.width * self.height
        if not self._capturing:
            self._check(self._api("LIVESCAN_BeginCapture", self.channel), "starting capture")
            self._capturing = True
        buf = ffi.new("unsigned char[]", size + (BMP_HEADER if self.bmp else 0))
        pixels = ffi.cast("unsigned char *", buf) + (BMP_HEADER if self.bmp else 0)
        if self._api("LIVESCAN_SetBufferEmpty", pixels, size) != _R.SUCCESS:
            ffi.memmove(pixels, b"\xff" * size, size)
        fn = "LIVESCAN_GetFPBmpData" if self.bmp else "LIVESCAN_GetFPRawData"
        rc = self._api(fn, self.channel, buf)
        if rc == _R.OTHER:
            self._lost += 1
            if self._lost >= _MAX_LOST_FRAMES:
                self._lost = 0
                self._check(rc, f"reading {_MAX_LOST_FRAMES} frames in a row")
            return None
        if rc in (_R.NO_DEVICE, _R.NOT_INITIALISED):
            self._capturing = False
        self._check(rc, "reading a frame")
        self._lost = 0
        # copy: the array must not outlive ``buf`` as a view of it
        image = np.frombuffer(ffi.buffer(pixels, size), np.uint8).reshape(
            self.height, self.width)
        out: np.ndarray = (image[::-1] if self.bmp else image).copy()
        return out

    def _try_capture(self, timeout: float) -> np.ndarray | RetryOutcome:
        # one LIVESCAN_GetFPRawData call per poll: a single frame, nothing further to bound
        image = self._frame()
        if image is None or float(image.std()) < _BLANK_STD:
            return RetryOutcome(RetryReason.NO_FINGER, "no finger on the scanner")
        if self.limits is not None:
            outcome = assess(image, self.limits)
            if outcome is not None:
                return outcome
        return image

    # ---------------------------------------------------------------- info

    def _info(self) -> DeviceInfo:
        return DeviceInfo("livescan", self.kind, f"livescan:{self.channel}",
                          "ID-card fingerprint scanner (ID_FprCap)",
                          model=self.description,
                          extra={"width": str(self.width), "height": str(self.height),
                                 "resolution_ppi": str(self.resolution_ppi),
                                 "interface_version": str(self.version),
                                 "library": self._lib.path if self._lib else ""})

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        lib = load_library(SPEC)
        try:
            _init(lib)
        except (DeviceNotFound, DeviceFault):
            return []
        try:
            with lib.lock:
                count = max(int(lib.lib.LIVESCAN_GetChannelCount()), 0)
        finally:
            _release(lib)
        return [DeviceInfo("livescan", cls.kind, f"livescan:{i}",
                           "ID-card fingerprint scanner (ID_FprCap)") for i in range(count)]
