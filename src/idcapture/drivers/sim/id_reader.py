"""``sim:id-reader``: an in-process ID-card reader with a card that can be placed and removed.

Options: ``card=none`` starts with no card on the reader (default: the sample card).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import threading
from typing import ClassVar

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.id_reader import IdReader
from ...errors import DeviceRemoved
from ...record import DocumentKind, IdentityDocument, PhotoStatus, Sex, utcnow

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


class SimIdReader(IdReader):
    """A reader whose card is set from Python with :meth:`place_card` / :meth:`remove_card`."""

    poll_interval: ClassVar[float] = 0.01
    default_timeout: ClassVar[float] = 5.0

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._card_lock = threading.Lock()
        start_empty = (self.address.option("card", "") or "").lower() == "none"
        self._card: IdentityDocument | None = None if start_empty else sample_document()
        self._unplugged = False
        self.reads = 0

    # control, from the test or the scenario driving the simulator
    def place_card(self, document: IdentityDocument) -> None:
        with self._card_lock:
            self._card = document

    def remove_card(self) -> None:
        with self._card_lock:
            self._card = None

    def unplug(self, unplugged: bool = True) -> None:
        """Make the reader behave as if its cable were pulled (or put back)."""
        self._unplugged = unplugged

    # primitives
    def _open(self) -> None:
        if self._unplugged:
            raise DeviceRemoved("simulated reader is unplugged")

    def _detect_card(self) -> bool:
        if self._unplugged:
            raise DeviceRemoved("simulated reader was unplugged")
        with self._card_lock:
            return self._card is not None

    def _read_document(self) -> IdentityDocument:
        with self._card_lock:
            card = self._card
        if card is None:
            raise DeviceRemoved("card was removed during the read", code="card-removed")
        doc = dataclasses.replace(card, extra=dict(card.extra),
                                  appended_addresses=list(card.appended_addresses),
                                  raw_blocks=dict(card.raw_blocks))
        doc.source_driver = "sim"
        doc.read_at = utcnow()
        if doc.photo is None:
            doc.photo_status = PhotoStatus.ABSENT
        self.reads += 1
        return doc

    def _info(self) -> DeviceInfo:
        return DeviceInfo("sim", self.kind, "sim:id-reader", "in-process ID-card reader",
                          vendor="idcapture", model="sim",
                          serial=hashlib.sha256(b"sim-id-reader").hexdigest()[:8])

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        return [DeviceInfo("sim", cls.kind, "sim:id-reader", "in-process ID-card reader",
                           vendor="idcapture", model="sim")]
