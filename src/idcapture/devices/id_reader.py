"""The ID-reader family: readers of identity cards and travel documents."""

from __future__ import annotations

import time
from typing import ClassVar

from ..address import Address
from ..errors import DeviceTimeout
from ..record import IdentityDocument
from .base import Device, DeviceKind

__all__ = ["IdReader"]


class IdReader(Device):
    """Base of every ID reader.

    Drivers implement two primitives:

    * ``_detect_card() -> bool``: is a card on the reader and ready to read (for the
      SAM protocol: find + select)? Called repeatedly while waiting.
    * ``_read_document() -> IdentityDocument``: read the card that ``_detect_card`` just
      found. Raises :class:`~idcapture.errors.DeviceRemoved` (card pulled mid-read),
      :class:`~idcapture.errors.DeviceTimeout`, :class:`~idcapture.errors.ProtocolError`
      or :class:`~idcapture.errors.DeviceFault` as typed failures.

    :meth:`wait_for_card` reads a card once per placement: a card left on the reader is
    not read again until it has been taken off.
    """

    kind: ClassVar[DeviceKind] = DeviceKind.ID_READER
    default_timeout: ClassVar[float] = 10.0
    #: seconds between two polls while waiting for a card
    poll_interval: ClassVar[float] = 0.1

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._card_consumed = False

    def _detect_card(self) -> bool:
        raise NotImplementedError

    def _read_document(self) -> IdentityDocument:
        raise NotImplementedError

    def card_present(self) -> bool:
        """Whether a card is on the reader now (one poll)."""
        present = self._call("card detection", self._detect_card)
        if not present:
            self._card_consumed = False
        return present

    def read(self, timeout: float | None = None) -> IdentityDocument:
        """Wait up to ``timeout`` for a card (even one read before) and read it."""
        return self._wait(timeout, skip_consumed=False)

    def wait_for_card(self, timeout: float | None = None) -> IdentityDocument:
        """Wait up to ``timeout`` for a newly placed card and read it.

        Raises :class:`DeviceTimeout` naming the card placement awaited.
        """
        return self._wait(timeout, skip_consumed=True)

    def _wait(self, timeout: float | None, skip_consumed: bool) -> IdentityDocument:
        t = self.timeout if timeout is None else timeout
        left = self._deadline(t)
        interval = max(float(self.address.float_option("poll", self.poll_interval)), 0.0)
        while True:
            present = self.card_present()
            if present and not (skip_consumed and self._card_consumed):
                doc = self._call("card read", self._read_document, max(left(), 0.5))
                self._card_consumed = True
                self.log.info("read %s card", doc.kind.value)
                return doc
            remaining = left()
            if remaining <= 0:
                what = ("a new card to be placed (the card on the reader was already read; "
                        "take it off and place it again)") if present else "a card to be placed"
                raise DeviceTimeout(f"timed out after {t:.1f} s waiting for {what} on the "
                                    f"{self.address.driver} reader", awaited="card placement",
                                    timeout=t)
            time.sleep(min(interval, remaining))

    async def aread(self, timeout: float | None = None) -> IdentityDocument:
        """Coroutine twin of :meth:`read`."""
        return await self._async(self.read, timeout)

    async def await_for_card(self, timeout: float | None = None) -> IdentityDocument:
        """Coroutine twin of :meth:`wait_for_card`."""
        return await self._async(self.wait_for_card, timeout)
