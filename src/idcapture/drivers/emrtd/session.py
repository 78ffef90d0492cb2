"""One complete eMRTD read over any ``transmit(apdu_bytes) -> response_bytes`` function.

:class:`EmrtdSession` runs the command sequence (EF.CardAccess probe, SELECT of the LDS1
application, BAC, protected SELECT + READ BINARY of EF.COM, EF.SOD and the data
groups) and then passive authentication. It knows nothing of PC/SC: the driver gives it
the reader's transmit, the unit tests give it the simulator's ``apdu`` method.

Typed outcomes: :class:`~.errors.AccessDenied` (wrong MRZ data),
:class:`~.errors.SecureMessagingError` (6987/6988, bad MAC),
:class:`~.errors.UnsupportedDocument` (no LDS1 application, PACE only),
:class:`~idcapture.errors.DeviceRemoved` from the transport (card pulled) and
:class:`~idcapture.errors.DeviceTimeout` when the read's deadline passes.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ...errors import DeviceTimeout, ProtocolError
from ...record import (
    BlobRef,
    CaptureRecord,
    DocumentKind,
    IdentityDocument,
    PhotoStatus,
    Sex,
    utcnow,
)
from .apdu import CommandApdu, ResponseApdu
from .bac import GET_CHALLENGE, BacKeys, BacTerminal
from .errors import AccessDenied, CardStatusError, UnsupportedDocument
from .lds import (
    DG_FID,
    EF_COM_FID,
    EF_SOD_FID,
    EfCom,
    FaceImage,
    decode_dg1,
    decode_dg2,
    decode_ef_com,
    file_length,
)
from .mrz import MrzFields, mrz_information, parse_mrz
from .passive_auth import PassiveAuthResult, TrustStore, verify
from .sm import SecureMessaging

__all__ = ["AID_LDS1", "AccessKey", "EmrtdReading", "EmrtdSession", "Transmit"]

Transmit = Callable[[bytes], bytes]
AID_LDS1 = bytes.fromhex("A0000002471001")
_EAC_GROUPS = frozenset({3, 4})


@dataclass(frozen=True)
class AccessKey:
    """The BAC password (MRZ information). Build it from a zone or from typed fields."""

    information: str

    @classmethod
    def from_mrz(cls, mrz: str) -> AccessKey:
        return cls(parse_mrz(mrz).mrz_information())

    @classmethod
    def from_fields(cls, document_number: str, birth_date: str, expiry_date: str) -> AccessKey:
        return cls(mrz_information(document_number, birth_date, expiry_date))

    def __repr__(self) -> str:
        return "AccessKey(<hidden>)"


@dataclass
class EmrtdReading:
    """Everything read from one document, decoded and checked."""

    mrz: MrzFields
    ef_com: EfCom
    files: dict[str, bytes]
    groups: dict[int, bytes]
    faces: list[FaceImage]
    passive_auth: PassiveAuthResult
    pace_supported: bool
    read_at: _dt.datetime = field(default_factory=utcnow)

    def identity(self, source_driver: str = "pcsc") -> tuple[IdentityDocument, dict[str, bytes]]:
        """The :class:`IdentityDocument` and the bytes its blob references point to."""
        blobs: dict[str, bytes] = {}

        def ref(data: bytes, media: str, w: int | None = None,
                h: int | None = None) -> BlobRef:
            r = BlobRef.for_bytes(data, media, w, h)
            blobs[r.sha256] = data
            return r

        m = self.mrz
        doc = IdentityDocument(
            kind=DocumentKind.PASSPORT if m.document_code.startswith("P") else
            DocumentKind.OTHER,
            id_number=m.document_number,
            name=f"{m.surname} {m.given_names}".strip(),
            name_en=f"{m.surname} {m.given_names}".strip(),
            source_driver=source_driver,
            sex={"M": Sex.MALE, "F": Sex.FEMALE}.get(m.sex, Sex.UNSPECIFIED),
            nationality_code=m.nationality,
            birth_date=m.birth,
            valid_until=m.expiry,
            issuing_authority=m.issuing_state,
            read_at=self.read_at,
        )
        doc.extra.update({
            "mrz": m.text, "mrz_format": m.format.value, "document_code": m.document_code,
            "issuing_state": m.issuing_state, "optional_data": m.optional_data,
            "lds_version": self.ef_com.lds_version, "access_control": "bac",
            "passive_authentication": self.passive_auth.outcome.value,
            "pace_supported": "true" if self.pace_supported else "false",
        })
        if m.optional_data_2:
            doc.extra["optional_data_2"] = m.optional_data_2
        for name, content in self.files.items():
            doc.raw_blocks[name.lower()] = ref(content, "application/octet-stream")
        if self.faces:
            face = self.faces[0]
            photo, media, size, status = _decode_face(face)
            doc.photo = ref(photo, media, *size) if size else ref(photo, media)
            doc.photo_status = status
        return doc, blobs

    def to_record(self, source_driver: str = "pcsc") -> CaptureRecord:
        """A draft :class:`CaptureRecord` with the document and the passive-auth check."""
        doc, blobs = self.identity(source_driver)
        record = CaptureRecord(identity=doc)
        record.blobs.update(blobs)
        record.set_check(self.passive_auth.to_check())
        return record


#: largest face image decoded from a chip (ICAO portraits are well under 1 Mpx); a
#: larger one is kept undecoded rather than decoded into memory
MAX_FACE_PIXELS = 4_000_000


def _decode_face(face: FaceImage) -> tuple[bytes, str, tuple[int, int] | None, PhotoStatus]:
    """Decode with Pillow; JPEG is kept as read, JPEG 2000 becomes PNG. The header is
    read first: an image over :data:`MAX_FACE_PIXELS` is not decoded."""
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(face.data))  # the header only
        if img.width * img.height > MAX_FACE_PIXELS:
            return face.data, face.media_type, None, PhotoStatus.UNDECODED
        img.load()
    except Exception:
        return face.data, face.media_type, None, PhotoStatus.UNDECODED
    if face.media_type == "image/jpeg":
        return face.data, "image/jpeg", img.size, PhotoStatus.DECODED
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue(), "image/png", img.size, PhotoStatus.DECODED


_FILE_NAMES = {EF_COM_FID: "EF.COM", EF_SOD_FID: "EF.SOD",
               **{fid: f"DG{n}" for n, fid in DG_FID.items()}}


class EmrtdSession:
    """Read one document through ``transmit``. See the module docstring.

    ``groups`` are the data groups to read when EF.COM lists them (DG3/DG4 need EAC and
    are never read); ``chunk`` is the READ BINARY size (223 keeps protected responses
    in a short APDU); ``time_left`` returns the seconds left before the read must stop.
    """

    def __init__(self, transmit: Transmit, key: AccessKey, trust: TrustStore | None = None,
                 groups: Iterable[int] = (1, 2), chunk: int = 0xDF,
                 time_left: Callable[[], float] | None = None) -> None:
        if not 1 <= chunk <= 65536:
            raise ValueError("chunk must be 1..65536")
        self._transmit = transmit
        self.key = key
        self.trust = trust
        self.groups = sorted(set(groups) - _EAC_GROUPS)
        self.chunk = chunk
        self._time_left = time_left
        self._sm: SecureMessaging | None = None
        self._what = "the read"
        self.apdus = 0

    # ---------------------------------------------------------------- exchange

    def _send(self, cmd: CommandApdu) -> ResponseApdu:
        if self._time_left is not None and self._time_left() <= 0:
            raise DeviceTimeout(f"the document read timed out during {self._what}",
                                awaited=f"eMRTD {self._what}")
        self.apdus += 1
        return ResponseApdu.decode(self._transmit(cmd.encode()))

    def _send_sm(self, cmd: CommandApdu) -> ResponseApdu:
        sm = self._sm
        assert sm is not None
        return sm.unprotect(self._send(sm.protect(cmd)))

    # ---------------------------------------------------------------- steps

    def probe_card_access(self) -> bool:
        """Whether the chip has EF.CardAccess (so it offers PACE)."""
        self._what = "the EF.CardAccess probe"
        resp = self._send(CommandApdu(0x00, 0xB0, 0x80 | 0x1C, 0x00, b"", 256))
        return resp.sw in (0x9000, 0x6282) and bool(resp.data)

    def select_application(self, pace: bool) -> None:
        self._what = "SELECT of the eMRTD application"
        resp = self._send(CommandApdu(0x00, 0xA4, 0x04, 0x0C, AID_LDS1))
        if resp.sw == 0x6A82:
            raise UnsupportedDocument("the card has no eMRTD (LDS1) application",
                                      "no-emrtd-application")
        if not resp.ok:
            raise CardStatusError("SELECT of the eMRTD application", resp.sw)

    def basic_access_control(self, pace: bool) -> None:
        self._what = "basic access control"
        terminal = BacTerminal(BacKeys.from_mrz_information(self.key.information))
        resp = self._send(GET_CHALLENGE)
        if not resp.ok:
            if pace:
                raise UnsupportedDocument("the chip refuses BAC and offers PACE only",
                                          "pace-only")
            raise CardStatusError("GET CHALLENGE", resp.sw)
        resp = self._send(terminal.mutual_authenticate(resp.data))
        if resp.sw in (0x6300, 0x6982) or (resp.sw & 0xFFF0) == 0x63C0:
            raise AccessDenied("the document number, birth date or expiry date does not "
                               "open this chip (BAC was refused); check them against the "
                               "data page", "bac-failed")
        if not resp.ok:
            if pace:
                raise UnsupportedDocument("the chip refuses BAC and offers PACE only",
                                          "pace-only")
            raise CardStatusError("MUTUAL AUTHENTICATE", resp.sw)
        self._sm = terminal.complete(resp.data)

    def read_file(self, fid: int) -> bytes | None:
        """A whole elementary file under SM, or None if the chip does not have it."""
        name = _FILE_NAMES.get(fid, f"file {fid:04X}")
        self._what = f"the read of {name}"
        resp = self._send_sm(CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
        if resp.sw == 0x6A82:
            return None
        if not resp.ok:
            raise CardStatusError(f"SELECT of {name}", resp.sw)
        head = self._read_binary(0, 4, name)
        try:
            total = file_length(head)
        except ProtocolError as exc:
            raise ProtocolError(f"{name} does not start with a BER-TLV header: {exc}",
                                0) from None
        out = bytearray(head)
        while len(out) < total:
            part = self._read_binary(len(out), min(self.chunk, total - len(out)), name)
            if not part:
                raise ProtocolError(f"{name} ended early", len(out))
            out += part
        return bytes(out[:total])

    def _read_binary(self, offset: int, n: int, name: str) -> bytes:
        if offset > 0x7FFF:
            raise ProtocolError(f"{name} is larger than 32 KB, which needs READ BINARY "
                                "with an odd INS (not supported)", offset)
        resp = self._send_sm(CommandApdu(0x00, 0xB0, offset >> 8, offset & 0xFF, b"", n))
        if resp.sw not in (0x9000, 0x6282):
            raise CardStatusError(f"READ BINARY of {name} at offset {offset}", resp.sw)
        return resp.data

    # ---------------------------------------------------------------- all

    def read(self) -> EmrtdReading:
        """Run the whole read; see the module docstring for the outcomes."""
        pace = self.probe_card_access()
        self.select_application(pace)
        self.basic_access_control(pace)
        files: dict[str, bytes] = {}
        com = self.read_file(EF_COM_FID)
        if com is None:
            raise UnsupportedDocument("the chip has no EF.COM", "no-ef-com")
        files["EF.COM"] = com
        ef_com = decode_ef_com(com)
        sod = self.read_file(EF_SOD_FID)
        groups: dict[int, bytes] = {}
        for n in self.groups:
            if n not in ef_com.data_groups and n != 1:
                continue
            content = self.read_file(DG_FID[n])
            if content is None:
                if n == 1:
                    raise UnsupportedDocument("the chip has no DG1 (MRZ)", "no-dg1")
                continue
            groups[n] = content
            files[f"DG{n}"] = content
        mrz = decode_dg1(groups[1])
        faces = decode_dg2(groups[2]) if 2 in groups else []
        if sod is None:
            from .passive_auth import PaOutcome

            pa = PassiveAuthResult(PaOutcome.NOT_CHECKED, "the chip has no EF.SOD")
        else:
            files["EF.SOD"] = sod
            pa = verify(sod, groups, self.trust)
        return EmrtdReading(mrz, ef_com, files, groups, faces, pa, pace)
