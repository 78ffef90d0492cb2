"""``sdtapi:PORT``: an ID-card reader through the vendor ``sdtapi`` library (cffi, ABI mode).

Address: ``sdtapi:1001`` (first USB reader), ``sdtapi:1`` (COM1), ``sdtapi:auto``
(1001-1016, then 1-16). Options: ``lib`` (library path; also ``IDCAPTURE_SDTAPI_LIB``,
``IDCAPTURE_NATIVE_PATH`` and the usual places), ``fingerprint`` (``auto``/``true``/
``false``), ``appended`` (default true), ``decoder`` (WLT decoder library path).
The declarations are those of ``native/include/sdtapi.h`` (``__stdcall`` on 32-bit
Windows).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.id_reader import IdReader
from ...devices.options import Option
from ...errors import (
    AddressError,
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    IdCaptureError,
    ProtocolError,
)
from ...record import IdentityDocument
from ...transports.native import NativeLibrary, NativeLibrarySpec, load_library
from ..sam import protocol as p
from ..sam.document import PhotoDecoder, document_from_blocks
from .cdefs import SDTAPI_CDEF

__all__ = ["SDTAPI_SPEC", "SdtApiReader", "host_error"]

SDTAPI_SPEC = NativeLibrarySpec(
    driver="sdtapi", cdef=SDTAPI_CDEF, linux_names=("libsdtapi.so",),
    windows_names=("sdtapi.dll", "SdtApi.dll"), env_var="IDCAPTURE_SDTAPI_LIB")

_PORTS = tuple(range(1001, 1017)) + tuple(range(1, 17))


def host_error(rc: int, function: str) -> IdCaptureError:
    """The typed error of an sdtapi return code (host codes first, then SW3 values)."""
    if rc == 0x01:
        return DeviceRemoved(f"{function}: port cannot be opened or is invalid (0x01)",
                             code="removed")
    if rc == 0x02:
        return DeviceTimeout(f"{function}: no answer from the reader (0x02)",
                             awaited=function)
    if rc == 0x03:
        return ProtocolError(f"{function}: data transfer error (0x03)", code="transfer")
    return p.status_error(rc, function)


def _outcome(rc: int) -> p.Outcome:
    return p.status_of(rc).outcome


class SdtApiReader(IdReader):
    """A reader behind the sdtapi library (see the module docstring)."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("lib", "str", None, "path of the sdtapi library (default: searched)"),
        Option("fingerprint", "str", "auto", "read the fingerprint block: auto, true or false",
               choices=("auto", "true", "false")),
        Option("appended", "bool", True, "read the appended (address change) block"),
        Option("decoder", "str", None, "photo decoder: a library path or module:function"),
    )

    poll_interval: ClassVar[float] = 0.1

    def __init__(self, address: Address | str = "", *, timeout: float | None = None,
                 decoder: PhotoDecoder | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._native: NativeLibrary | None = None
        self._port = 0
        self._decoder = decoder
        self._decoder_loaded = decoder is not None
        fp = (self.address.option("fingerprint", "auto") or "auto").lower()
        self._fp: bool | None = {"true": True, "false": False}.get(fp)
        self.sam_id = ""

    @classmethod
    def check_available(cls) -> None:
        load_library(SDTAPI_SPEC)

    def _ports(self) -> tuple[int, ...]:
        target = (self.address.target or "auto").lower()
        if target == "auto":
            return _PORTS
        if target == "usb":
            return (1001,)
        if target.upper().startswith("COM"):
            target = target[3:]
        try:
            return (int(target),)
        except ValueError:
            raise AddressError(f"sdtapi port must be 1-16, 1001-1016, usb or auto, "
                               f"got {self.address.target!r}") from None

    def _lib(self) -> Any:
        if self._native is None:
            raise DeviceRemoved("sdtapi reader is not open")
        return self._native.lib

    def _open(self) -> None:
        native = load_library(SDTAPI_SPEC, self.address.option("lib"))
        lib, ffi = native.lib, native.ffi
        with native.lock:
            for port in self._ports():
                if _outcome(lib.SDT_OpenPort(port)) is p.Outcome.SUCCESS:
                    break
            else:
                raise DeviceNotFound(f"no sdtapi reader answers on port(s) "
                                     f"{self.address.target or 'auto'}")
            rc = lib.SDT_GetSAMStatus(port, 0)
            if _outcome(rc) is not p.Outcome.SUCCESS:
                lib.SDT_ClosePort(port)
                raise host_error(rc, "SDT_GetSAMStatus")
            buf = ffi.new("char[64]")
            if _outcome(lib.SDT_GetSAMIDToStr(port, buf, 0)) is p.Outcome.SUCCESS:
                self.sam_id = ffi.string(buf).decode("ascii", "replace")
        self._native, self._port = native, port

    def _close(self) -> None:
        if self._native is not None:
            with self._native.lock:
                self._native.lib.SDT_ClosePort(self._port)
            self._native = None

    def _detect_card(self, timeout: float) -> bool:
        # one find and one select; each library call blocks for its own timeout
        assert self._native is not None or self._lib()
        native = self._native
        assert native is not None
        ffi, lib = native.ffi, native.lib
        with native.lock:
            rc = lib.SDT_StartFindIDCard(self._port, ffi.new("unsigned char[8]"), 0)
            if _outcome(rc) is p.Outcome.NO_CARD:
                return False
            if _outcome(rc) is not p.Outcome.CARD_FOUND:
                raise host_error(rc, "SDT_StartFindIDCard")
            rc = lib.SDT_SelectIDCard(self._port, ffi.new("unsigned char[16]"), 0)
        if _outcome(rc) is p.Outcome.SELECT_FAILED:
            return False
        if _outcome(rc) is not p.Outcome.SUCCESS:
            raise host_error(rc, "SDT_SelectIDCard")
        self._card_consumed = False  # the SAM finds a card once per placement
        return True

    def _photo_decoder(self) -> PhotoDecoder | None:
        if not self._decoder_loaded:
            self._decoder_loaded = True
            from .wlt import find_decoder

            self._decoder = find_decoder(self.address.option("decoder"), self.sam_id)
        return self._decoder

    def _read_document(self, timeout: float) -> IdentityDocument:
        # the library's calls block for their own timeouts and are not resent here
        native = self._native
        if native is None:
            raise DeviceRemoved("sdtapi reader is not open")
        ffi, lib, port = native.ffi, native.lib, self._port
        text, photo = ffi.new("unsigned char[512]"), ffi.new("unsigned char[2048]")
        fp = ffi.new("unsigned char[2048]")
        tl, pl, fl = (ffi.new("unsigned int *") for _ in range(3))
        fingerprint: bytes | None = None
        with native.lock:
            read = False
            if self._fp is not False:
                rc = lib.SDT_ReadBaseFPMsg(port, text, tl, photo, pl, fp, fl, 0)
                if _outcome(rc) is p.Outcome.SUCCESS:
                    fingerprint = bytes(ffi.buffer(fp, min(fl[0], 1024)))
                    read = True
                elif rc in p.FINGERPRINT_REFUSED and self._fp is None:
                    self._fp = False
                else:
                    raise host_error(rc, "SDT_ReadBaseFPMsg")
            if not read:
                rc = lib.SDT_ReadBaseMsg(port, text, tl, photo, pl, 0)
                if _outcome(rc) is not p.Outcome.SUCCESS:
                    raise host_error(rc, "SDT_ReadBaseMsg")
            if tl[0] != 256 or pl[0] not in (0, 1024):
                raise ProtocolError(f"SDT_ReadBaseMsg returned text {tl[0]} and photo "
                                    f"{pl[0]} bytes, expected 256 and 1024", code="length")
            appended: bytes | None = None
            if self.address.bool_option("appended", True):
                app, al = ffi.new("unsigned char[512]"), ffi.new("unsigned int *")
                rc = lib.SDT_ReadNewAppMsg(port, app, al, 0)
                if _outcome(rc) is p.Outcome.SUCCESS:
                    appended = bytes(ffi.buffer(app, min(al[0], 280)))
                elif _outcome(rc) is not p.Outcome.NO_CONTENT:
                    raise host_error(rc, "SDT_ReadNewAppMsg")
            text_b = bytes(ffi.buffer(text, 256))
            photo_b = bytes(ffi.buffer(photo, pl[0]))
        return document_from_blocks(text_b, photo_b, fingerprint, appended,
                                    source_driver=self.address.driver,
                                    decoder=self._photo_decoder())

    def _info(self) -> DeviceInfo:
        return DeviceInfo(self.address.driver, self.kind, str(self.address),
                          f"sdtapi reader on port {self._port}", serial=self.sam_id)
