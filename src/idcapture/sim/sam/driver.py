"""``sim:id-reader``: an in-process ID-card reader with a card that can be placed and removed.

Every read goes through the real SAM frame protocol: the driver side
(:class:`~idcapture.drivers.sam.session.SamReader`, the same code as ``sam-serial``)
talks over an in-memory byte pipe to the device side of the simulator
(:class:`~idcapture.sim.sam.device.SamDevice`), so encoding, decoding, checksums and
the card's text-block layout are exercised on every read. Faults can be scripted with
:meth:`SimIdReader.add_fault` as on the wire-level simulator.

The simulated reader has a photo decoder: a card placed with a decoded photo
(``IdentityDocument.photo`` with its bytes in ``doc.blobs``) reads back with that photo
decoded; otherwise the record keeps the WLT bytes, undecoded.

As on a real SAM, a card that has been read is not found again until it leaves the
field, so :meth:`~idcapture.devices.IdReader.read` of a card left on the reader waits
for it to be placed again; ``repeat=true`` makes the simulated SAM find it again
(convenient for load tests).

Options: ``card=none`` starts with no card on the reader (default: the sample card);
``repeat``; ``baud`` paces the in-memory link at a line rate (default: unpaced);
``fingerprint``, ``retries`` as for ``sam-serial``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.options import Option
from ...drivers.sam.session import ByteTransport, SamReader
from ...errors import DeviceRemoved
from ...record import DocumentKind, IdentityDocument, Sex

__all__ = ["SimIdReader", "sample_document"]


def sample_document() -> IdentityDocument:
    """A made-up resident ID card with a valid ID number (check digit included)."""
    return IdentityDocument(
        kind=DocumentKind.RESIDENT_ID,
        id_number="110108200803151231",
        name="李明华",
        sex=Sex.MALE,
        ethnicity_code="01",
        ethnicity="汉",
        birth_date=_dt.date(2008, 3, 15),
        address="北京市海淀区学院路12号",
        issuing_authority="北京市公安局海淀分局",
        valid_from=_dt.date(2023, 5, 1),
        valid_until=_dt.date(2033, 5, 1),
    )


class _Pipe:
    """An in-memory byte link: what the host writes goes to the simulated SAM, and its
    replies come back to be read. Pacing at a line rate is optional (``baud``)."""

    def __init__(self, device: Any, baud: int = 0) -> None:
        self._device = device
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._baud = baud
        self.unplugged = False
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.unplugged or self.closed:
            raise DeviceRemoved("simulated reader was unplugged")
        replies = self._device.receive(bytes(data))
        with self._cond:
            for r in replies:
                if r.delay:
                    time.sleep(r.delay)
                if self._baud:
                    time.sleep(len(r.data) * 10 / self._baud)
                self._buf.extend(r.data)
            self._cond.notify_all()

    def read(self, size: int, timeout: float) -> bytes:
        end = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            while not self._buf:
                if self.unplugged or self.closed:
                    raise DeviceRemoved("simulated reader was unplugged")
                left = end - time.monotonic()
                if left <= 0:
                    return b""
                self._cond.wait(left)
            out = bytes(self._buf[:size])
            del self._buf[:size]
            return out

    def discard_input(self) -> None:
        with self._cond:
            self._buf.clear()
        self._device.clear_input()

    def close(self) -> None:
        self.closed = True


def card_from_document(doc: IdentityDocument) -> Any:
    """The simulator's card (text-block fields, WLT bytes) for a typed document; a
    ``fingerprint`` raw block with its bytes in ``doc.blobs`` fills the card's
    fingerprint block."""
    from ...drivers.sam.codes import sex_code
    from .cards import SimCard, wlt_photo

    def day(d: _dt.date | None) -> str:
        return d.strftime("%Y%m%d") if d else ""

    f: dict[str, str] = {
        "name": doc.name, "sex": sex_code(doc.sex), "birth_date": day(doc.birth_date),
        "id_number": doc.id_number, "valid_from": day(doc.valid_from),
        "valid_until": "长期" if doc.long_term else day(doc.valid_until),
    }
    if doc.kind in (DocumentKind.RESIDENT_ID, DocumentKind.HMT_RESIDENCE_PERMIT,
                    DocumentKind.FOREIGNER_PERMANENT_2023):
        f["address"] = doc.address or ""
        f["issuing_authority"] = doc.issuing_authority or ""
    if doc.kind is DocumentKind.RESIDENT_ID:
        f["ethnicity"] = doc.ethnicity_code or ""
    if doc.kind in (DocumentKind.FOREIGNER_PERMANENT_2017, DocumentKind.FOREIGNER_PERMANENT_2023):
        f["name_en"] = doc.name_en or ""
        f["nationality"] = doc.nationality_code or ""
    if doc.kind is DocumentKind.FOREIGNER_PERMANENT_2017:
        f.pop("address", None)
        f["authority_code"] = doc.extra.get("authority_code", doc.issuing_authority or "")
    for key in ("pass_number", "issue_count", "card_version", "renewal_count", "previous_link"):
        if key in doc.extra:
            f[key] = doc.extra[key]
    wlt = wlt_photo(doc.id_number)
    fp_ref = doc.raw_blocks.get("fingerprint")
    fingerprint = doc.blobs.get(fp_ref.sha256, b"") if fp_ref is not None else b""
    return SimCard(doc.kind, {k: v for k, v in f.items() if v}, wlt, fingerprint,
                   list(doc.appended_addresses), "", "sim:id-reader")


class SimIdReader(SamReader):
    """A reader whose card is set from Python with :meth:`place_card` / :meth:`remove_card`."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("card", "str", "sample", "card on the reader at first: sample or none",
               choices=("sample", "none")),
        Option("repeat", "bool", False, "the SAM answers a card read twice without lifting"),
        Option("baud", "int", 0, "simulated serial speed (0: no transfer delay)"),
    )

    poll_interval: ClassVar[float] = 0.01
    default_timeout: ClassVar[float] = 5.0

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        from .device import SamDevice

        self._photos: dict[bytes, bytes] = {}
        super().__init__(address, timeout=timeout, decoder=self._decode_photo)
        self.device = SamDevice(repeat_read=self.address.bool_option("repeat", False))
        self._pipe: _Pipe | None = None
        self._unplugged = False
        self.reads = 0
        start_empty = (self.address.option("card", "") or "").lower() == "none"
        if not start_empty:
            self.place_card(sample_document())

    # control, from the test or the scenario driving the simulator
    def place_card(self, document: IdentityDocument) -> None:
        """Put ``document`` on the reader (it must fit the card's text-block layout)."""
        card = card_from_document(document)
        if document.photo is not None and document.photo.sha256 in document.blobs:
            self._photos[card.photo] = document.blobs[document.photo.sha256]
        self.device.place_card(card)

    def remove_card(self) -> None:
        self.device.remove_card()

    def add_fault(self, fault: Mapping[str, Any]) -> None:
        """Script a fault on the simulated SAM (same keys as the card-file fault scripts)."""
        self.device.add_fault(fault)

    def unplug(self, unplugged: bool = True) -> None:
        """Make the reader behave as if its cable were pulled (or put back)."""
        self._unplugged = unplugged
        if self._pipe is not None and unplugged:
            self._pipe.unplugged = True

    def _decode_photo(self, wlt: bytes) -> bytes | None:
        return self._photos.get(bytes(wlt))

    # primitives
    def _make_transport(self) -> ByteTransport:
        if self._unplugged:
            raise DeviceRemoved("simulated reader is unplugged")
        self._pipe = _Pipe(self.device, self.address.int_option("baud", 0))
        return self._pipe

    def _read_document(self, timeout: float) -> IdentityDocument:
        doc = super()._read_document(timeout)
        self.reads += 1
        return doc

    def _info(self) -> DeviceInfo:
        return DeviceInfo("sim", self.kind, "sim:id-reader", "in-process ID-card reader "
                          "(SAM protocol over an in-memory link)", vendor="idcapture",
                          model="sim", serial=hashlib.sha256(b"sim-id-reader").hexdigest()[:8])

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        return [DeviceInfo("sim", cls.kind, "sim:id-reader", "in-process ID-card reader",
                           vendor="idcapture", model="sim")]
