"""A demo ID reader whose card is placed and removed from Python: ``example-reader:``."""

from __future__ import annotations

import datetime as dt

from idcapture.devices import DeviceInfo, IdReader
from idcapture.record import DocumentKind, IdentityDocument, Sex


class ExampleReader(IdReader):
    poll_interval = 0.01
    address_options = ()  # no options beyond the common timeout and poll

    def _open(self) -> None:
        self.card: IdentityDocument | None = None

    def place(self) -> None:
        self.card = IdentityDocument(
            kind=DocumentKind.RESIDENT_ID, id_number="11010519491231002X", name="样例",
            sex=Sex.FEMALE, birth_date=dt.date(1949, 12, 31), source_driver="example-reader")

    def remove(self) -> None:
        self.card = None

    def _detect_card(self, timeout: float) -> bool:
        return self.card is not None

    def _read_document(self, timeout: float) -> IdentityDocument:
        assert self.card is not None
        return self.card

    def _info(self) -> DeviceInfo:
        return DeviceInfo("example-reader", self.kind, "example-reader:", "demo reader")
