"""``termb:PORT``: an ID-card reader through the China Vision termb/CVR library (cffi).

Address: ``termb:1001`` (first USB reader), ``termb:1`` (COM1), ``termb:auto``.
Options: ``lib`` (also ``IDCAPTURE_TERMB_LIB``), ``fingerprint`` (read with
``CVR_Read_FPContent``, default true), ``appended`` (read the appended addresses with
``GetNewAppMsg`` when the library exports it, default true), ``decoder`` (WLT decoder;
the CVR API does not hand out the WLT bytes, so the photo is ``absent`` unless the
library's own ``GetBMPData`` returns a bitmap).

The CVR API returns decoded GBK fields, not the raw text block. The driver rebuilds
the 256-byte block from them (sex and ethnic names mapped back to their codes) and
parses it like every other driver, so documents look the same whichever driver read
them; ``raw_blocks["text"]`` is that rebuilt block and ``extra["text_source"]`` says so.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.id_reader import IdReader
from ...devices.options import Option
from ...errors import AddressError, DeviceNotFound, DeviceRemoved, ProtocolError
from ...record import DocumentKind, IdentityDocument, PhotoStatus
from ...transports.native import NativeLibrary, NativeLibrarySpec, load_library
from ..sam.cardtext import MARKERS, build_text_block
from ..sam.codes import ethnic_code_for
from ..sam.document import document_from_blocks
from .cdefs import TERMB_CDEF

__all__ = ["TERMB_SPEC", "TermbReader"]

TERMB_SPEC = NativeLibrarySpec(
    driver="termb", cdef=TERMB_CDEF, linux_names=("libtermb.so",),
    windows_names=("termb.dll", "Termb.dll"), env_var="IDCAPTURE_TERMB_LIB")

_PORTS = tuple(range(1001, 1017)) + tuple(range(1, 17))
_SEX = {"男": "1", "女": "2", "未知": "0", "未说明": "9"}


class TermbReader(IdReader):
    """A reader behind the China Vision CVR library (see the module docstring)."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("lib", "str", None, "path of the termb library (default: searched)"),
        Option("fingerprint", "bool", True, "read the fingerprint block"),
        Option("appended", "bool", True, "read the appended (address change) block"),
    )

    poll_interval: ClassVar[float] = 0.1

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._native: NativeLibrary | None = None
        self._port = 0

    @classmethod
    def check_available(cls) -> None:
        load_library(TERMB_SPEC)

    def _ports(self) -> tuple[int, ...]:
        target = (self.address.target or "auto").lower()
        if target == "auto":
            return _PORTS
        try:
            return (int(target[3:] if target.startswith("com") else target),)
        except ValueError:
            raise AddressError(f"termb port must be 1-16, 1001-1016 or auto, got "
                               f"{self.address.target!r}") from None

    def _open(self) -> None:
        native = load_library(TERMB_SPEC, self.address.option("lib"))
        with native.lock:
            for port in self._ports():
                if native.lib.CVR_InitComm(port) == 1:
                    break
            else:
                raise DeviceNotFound(f"no CVR reader answers on port(s) "
                                     f"{self.address.target or 'auto'}")
        self._native, self._port = native, port

    def _close(self) -> None:
        if self._native is not None:
            with self._native.lock:
                self._native.lib.CVR_CloseComm()
            self._native = None

    def _n(self) -> NativeLibrary:
        if self._native is None:
            raise DeviceRemoved("termb reader is not open")
        return self._native

    def _detect_card(self, timeout: float) -> bool:
        # one CVR_Authenticate; the library call blocks for its own timeout
        n = self._n()
        with n.lock:
            rc = n.lib.CVR_Authenticate()
        if rc == 1:
            self._card_consumed = False  # the library judges "same card" itself
            return True
        if rc in (2, 3):
            return False
        raise DeviceRemoved(f"CVR_Authenticate returned {rc} (reader not initialised)",
                            code="removed")

    def _get(self, fn: Any, ffi: Any, size: int = 512) -> bytes:
        buf, ln = ffi.new(f"char[{size}]"), ffi.new("int *")
        if fn(buf, ln) != 1:
            return b""
        return bytes(ffi.buffer(buf, max(min(ln[0], size), 0)))

    def _appended(self, lib: Any, ffi: Any) -> bytes | None:
        """The appended-address block (70 bytes UCS-2LE per entry) rebuilt from
        ``GetNewAppMsg`` (GBK, one address per line); ``None`` when the option is off or
        the library has no such getter."""
        if not self.address.bool_option("appended", True):
            return None
        try:
            fn = lib.GetNewAppMsg
        except AttributeError:  # older builds do not export it
            return None
        text = self._get(fn, ffi, 1024).decode("gbk", errors="replace")
        block = b""
        for line in text.splitlines():
            raw = line.rstrip(" \x00").encode("utf-16-le")
            if not raw:
                continue
            if len(raw) > 70:
                raise ProtocolError("GetNewAppMsg returned an address longer than the card's "
                                    "35-character slot", code="field")
            block += raw + " ".encode("utf-16-le") * ((70 - len(raw)) // 2)
        return block or None

    def _read_document(self, timeout: float) -> IdentityDocument:
        # one read call, not resent; the library bounds its own wait
        n = self._n()
        ffi, lib = n.ffi, n.lib
        with n.lock:
            fp_wanted = self.address.bool_option("fingerprint", True)
            rc = lib.CVR_Read_FPContent() if fp_wanted else lib.CVR_Read_Content(1)
            if rc != 1:
                if rc == 99:
                    raise ProtocolError("CVR_Read_Content raised an exception (99)")
                raise DeviceRemoved(f"CVR read failed ({rc}); keep the card still and "
                                    "place it again", code="card-removed")

            def text(fn: Any) -> str:
                return self._get(fn, ffi).decode("gbk", errors="replace").rstrip(" \x00")

            marker = text(lib.GetCertType)[:1] or " "
            kind = MARKERS.get(marker, DocumentKind.RESIDENT_ID)
            f = {"sex": _SEX.get(text(lib.GetPeopleSex), "0"),
                 "birth_date": text(lib.GetPeopleBirthday),
                 "id_number": text(lib.GetPeopleIDCode),
                 "valid_from": text(lib.GetStartDate), "valid_until": text(lib.GetEndDate)}
            name, dept = text(lib.GetPeopleName), text(lib.GetDepartment)
            if kind is DocumentKind.FOREIGNER_PERMANENT_2017:
                f.update(name_en=name, name=text(lib.GetPeopleChineseName),
                         nationality=text(lib.GetNationCode), authority_code=dept)
            elif kind is DocumentKind.FOREIGNER_PERMANENT_2023:
                f.update(name_en=name, name=text(lib.GetPeopleChineseName),
                         nationality=text(lib.GetNationCode), issuing_authority=dept)
            else:
                f.update(name=name, address=text(lib.GetPeopleAddress),
                         issuing_authority=dept)
                if kind is DocumentKind.HMT_RESIDENCE_PERMIT:
                    f.update(pass_number=text(lib.GetPassCheckID),
                             issue_count=text(lib.GetIssuesNum))
                else:
                    nation = text(lib.GetPeopleNation)
                    f["ethnicity"] = ethnic_code_for(nation) or nation[:2]
            fingerprint = self._get(lib.GetFPDate, ffi, 2048) if fp_wanted else None
            bmp = self._get(lib.GetBMPData, ffi, 40000)
            appended = self._appended(lib, ffi)
        try:
            block = build_text_block(kind, {k: v for k, v in f.items() if v})
        except ValueError as exc:
            raise ProtocolError(f"CVR library returned a field that does not fit the card "
                                f"layout: {exc}", code="field") from None
        doc = document_from_blocks(block, None, fingerprint, appended,
                                   source_driver=self.address.driver)
        doc.extra["text_source"] = "rebuilt from CVR getters"
        if bmp[:2] == b"BM":
            doc.photo = doc.add_blob(bmp, "image/bmp", 102, 126)
            doc.photo_status = PhotoStatus.DECODED
        return doc

    def _info(self) -> DeviceInfo:
        return DeviceInfo(self.address.driver, self.kind, str(self.address),
                          f"China Vision CVR reader on port {self._port}")

