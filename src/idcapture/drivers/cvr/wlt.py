"""The WLT card-photo decoder (China Vision ``unpack`` ABI) through cffi.

:func:`find_decoder` returns a function turning the 1024 WLT bytes into a 38,862-byte
BMP (102 x 126, 24 bits), or ``None`` when no decoder library is installed: the record
then keeps the WLT bytes and says the photo is undecoded, which is not an error.
The library is found through the ``decoder`` address option, ``IDCAPTURE_WLT_LIB``,
``IDCAPTURE_NATIVE_PATH`` or the usual places (:mod:`idcapture.transports.native`);
``IDCAPTURE_WLT_CODE`` sets the vendor code (default 158, the x86-64 value).
"""

from __future__ import annotations

import logging
import os

from ...errors import DriverUnavailable
from ...transports.native import NativeLibrary, NativeLibrarySpec, load_library
from .cdefs import WLT_CDEF

__all__ = ["BMP_SIZE", "WLT_SIZE", "WLT_SPEC", "WltDecoder", "find_decoder"]

WLT_SIZE = 1024
BMP_SIZE = 38862
log = logging.getLogger("idcapture.wlt")

WLT_SPEC = NativeLibrarySpec(
    driver="wlt-decoder", cdef=WLT_CDEF,
    linux_names=("libwlt.so", "libdewlt.so", "libwlt2019.so"),
    windows_names=("wlt.dll", "dewlt.dll"), env_var="IDCAPTURE_WLT_LIB")


class WltDecoder:
    """A loaded decoder. Calling it decodes one photo (``None`` on failure)."""

    def __init__(self, native: NativeLibrary, code: int) -> None:
        self.native = native
        self.code = code

    def __call__(self, wlt: bytes) -> bytes | None:
        if len(wlt) != WLT_SIZE:
            return None
        ffi, lib = self.native.ffi, self.native.lib
        src = ffi.new("char[]", bytes(wlt))
        dst = ffi.new("char[]", BMP_SIZE + 1024)
        with self.native.lock:
            rc = lib.unpack(src, dst, self.code)
        if rc != 1:
            log.warning("WLT decoder returned %s (code %s)", rc, self.code)
            return None
        out = bytes(ffi.buffer(dst, BMP_SIZE))
        return out if out[:2] == b"BM" else None


def find_decoder(path: str | None = None, sam_id: str = "") -> WltDecoder | None:
    """The installed decoder, or ``None`` (logged once at info level) when there is none."""
    try:
        native = load_library(WLT_SPEC, path)
    except DriverUnavailable as exc:
        log.info("photos stay undecoded: %s", exc.reason)
        return None
    code = int(os.environ.get("IDCAPTURE_WLT_CODE", "158"))
    return WltDecoder(native, code)
