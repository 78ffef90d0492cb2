"""``idfpr:`` — a vendor's ID_Fpr fingerprint algorithm (the ID-card ``FP_*`` ABI).

The library (``ID_Fpr.dll``, 32-bit ``__stdcall``; ``libID_Fpr.so`` or ``ID_Fpr.so``,
cdecl) is found like every vendor library (:func:`idcapture.transports.native.load_library`):
the ``lib`` address option, ``IDCAPTURE_IDFPR_LIB``, ``IDCAPTURE_NATIVE_PATH``, the
system folders. Opening calls ``FP_Begin`` (counted per library: ``FP_End`` runs when
the last user closes) and reads ``FP_GetVersion`` (developer code and version).

Options: ``lib``; ``scanner`` (the ``cScannerType`` byte passed to extraction, 0 by
default; vendors use 0, 0x17 or 255); ``threshold`` (the similarity a caller should
accept, :attr:`threshold`, default 0.40).

Return codes: 1 success; -9 from extraction (no usable finger in the image) raises
:class:`RetryNeeded` (LOW_QUALITY: another impression); -1 :class:`ConfigError` (the
library refused the arguments: a template that is not a GA/T 1012 record, an unknown
finger code); -2, -3, -4 and other codes :class:`DeviceFault` naming them.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import numpy as np

from ...devices.base import DeviceInfo
from ...devices.finger_algorithm import FingerAlgorithm
from ...devices.options import Option
from ...errors import ConfigError, DeviceFault, RetryNeeded, RetryOutcome, RetryReason
from ...transports.native import NativeLibrary, load_library
from .api import IMAGE_SIZE, SPEC, FprResult

__all__ = ["IdFprAlgorithm"]

_R = FprResult
_begin_lock = threading.Lock()
_begin_users: dict[str, int] = {}


class IdFprAlgorithm(FingerAlgorithm):
    """The FP_ algorithm of one library file."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("lib", "str", None, "path of the ID_Fpr library (default: searched)"),
        Option("scanner", "int", 0, "scanner type byte passed to extraction, 0-255"),
        Option("threshold", "float", None, "match threshold (default: the driver's own)"),
    )

    default_timeout: ClassVar[float] = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scanner_type = self.address.int_option("scanner", 0)
        if not 0 <= self.scanner_type <= 255:
            raise ConfigError(f"idfpr scanner type must be 0-255, got {self.scanner_type}")
        self.threshold = self.address.float_option("threshold", self.default_threshold)
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"idfpr threshold must be in (0, 1], got {self.threshold}")
        self._lib: NativeLibrary | None = None
        self.version = ""

    @classmethod
    def check_available(cls) -> None:
        load_library(SPEC)

    def _open(self) -> None:
        lib = load_library(SPEC, self.address.option("lib"))
        with _begin_lock:
            with lib.lock:
                rc = int(lib.lib.FP_Begin())
            if rc != _R.SUCCESS:
                raise DeviceFault(f"the ID_Fpr library {lib.path} failed to start (FP_Begin "
                                  f"{rc}, {_R.describe(rc)})", f"idfpr-{_R.describe(rc)}")
            _begin_users[lib.path] = _begin_users.get(lib.path, 0) + 1
        self._lib = lib
        code = lib.ffi.new("unsigned char[4]")
        if self._api("FP_GetVersion", code) == _R.SUCCESS:
            self.version = bytes(code).decode("ascii", "replace")

    def _close(self) -> None:
        lib, self._lib = self._lib, None
        if lib is None:
            return
        with _begin_lock:
            n = _begin_users.get(lib.path, 0) - 1
            _begin_users[lib.path] = max(n, 0)
            if n <= 0:
                with lib.lock:
                    lib.lib.FP_End()

    # ---------------------------------------------------------------- calls

    def _api(self, name: str, *args: Any) -> int:
        assert self._lib is not None
        with self._lib.lock:
            return int(getattr(self._lib.lib, name)(*args))

    def _check(self, rc: int, what: str) -> None:
        if rc == _R.SUCCESS:
            return
        name = _R.describe(rc)
        if rc == _R.PARAMETER:
            raise ConfigError(f"the ID_Fpr library refused the arguments of {what} ({rc}, "
                              f"{name}): not a 512-byte GA/T 1012 record or an unknown "
                              "finger code")
        raise DeviceFault(f"the ID_Fpr library failed {what} ({rc}, {name})",
                          f"idfpr-{name}")

    def _buffer(self, image: np.ndarray) -> Any:
        assert self._lib is not None and image.size == IMAGE_SIZE
        return self._lib.ffi.from_buffer(image)

    def _quality(self, image: np.ndarray) -> int:
        assert self._lib is not None
        score = self._lib.ffi.new("unsigned char *")
        self._check(self._api("FP_GetQualityScore", self._buffer(image), score),
                    "quality scoring")
        return int(score[0])

    def _extract(self, image: np.ndarray, finger_code: int) -> bytes:
        assert self._lib is not None
        out = self._lib.ffi.new("unsigned char[512]")
        rc = self._api("FP_FeatureExtract", self.scanner_type, finger_code,
                       self._buffer(image), out)
        if rc == _R.OTHER:
            raise RetryNeeded(RetryOutcome(
                RetryReason.LOW_QUALITY, "the algorithm found no usable finger in the "
                "image; place the finger again", {"fp_result": float(rc)}))
        self._check(rc, "template extraction")
        return bytes(self._lib.ffi.buffer(out, 512))

    def _similarity(self, name: str, a: Any, b: bytes, what: str) -> float:
        assert self._lib is not None
        ffi = self._lib.ffi
        sim = ffi.new("float *")
        self._check(self._api(name, a, ffi.from_buffer(b), sim), what)
        value = float(sim[0])
        if not 0.0 <= value <= 1.0:
            raise DeviceFault(f"the ID_Fpr library returned similarity {value:.3f} outside "
                              "0-1", "idfpr-similarity")
        return value

    def _match(self, a: bytes, b: bytes) -> float:
        assert self._lib is not None
        return self._similarity("FP_FeatureMatch", self._lib.ffi.from_buffer(a), b,
                                "template matching")

    def _match_image(self, image: np.ndarray, template: bytes) -> float:
        return self._similarity("FP_ImageMatch", self._buffer(image), template,
                                "image matching")

    def empty_template(self, finger_code: int, enrolment_failed: bool = True) -> bytes:
        """The library's placeholder record: enrolment failed (``FP_GenFeatureFromEmpty1``)
        or, with ``enrolment_failed=False``, not enrolled (``FP_GenFeatureFromEmpty2``)."""
        def run() -> bytes:
            assert self._lib is not None
            out = self._lib.ffi.new("unsigned char[512]")
            if enrolment_failed:
                rc = self._api("FP_GenFeatureFromEmpty1", self.scanner_type, finger_code, out)
            else:
                rc = self._api("FP_GenFeatureFromEmpty2", finger_code, out)
            self._check(rc, "making an empty record")
            return bytes(self._lib.ffi.buffer(out, 512))
        return self._call("empty record", run)

    # ---------------------------------------------------------------- info

    def _info(self) -> DeviceInfo:
        return DeviceInfo("idfpr", self.kind, "idfpr:", "ID-card fingerprint algorithm "
                          "(ID_Fpr, GA/T 1012 templates)",
                          vendor=f"developer {self.version[:2]}" if self.version else "",
                          model=f"version {self.version[2:]}" if self.version else "",
                          extra={"library": self._lib.path if self._lib else "",
                                 "threshold": f"{self.threshold:.2f}",
                                 "scanner_type": str(self.scanner_type)})

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        lib = load_library(SPEC)
        return [DeviceInfo("idfpr", cls.kind, "idfpr:", f"ID-card fingerprint algorithm "
                           f"({lib.path})")]
