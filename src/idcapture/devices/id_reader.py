"""The ID-reader family: readers of identity cards and travel documents."""

from __future__ import annotations

from typing import ClassVar

from ..address import Address
from ..errors import DeviceTimeout
from ..i18n import N_
from ..record import IdentityDocument
from .base import Device, DeviceKind
from .events import DeviceEventKind, EventStream
from .polling import Deadline

__all__ = ["IdReader"]


class IdReader(Device):
    """Base of every ID reader.

    Drivers implement two primitives, each given ``timeout``, the seconds left of the
    caller's deadline (see :mod:`idcapture.devices.polling`):

    * ``_detect_card(timeout) -> bool``: is a card on the reader and ready to read (for
      the SAM protocol: find + select)? Called repeatedly while waiting.
    * ``_read_document(timeout) -> IdentityDocument``: read the card that
      ``_detect_card`` just found. Raises :class:`~idcapture.errors.DeviceRemoved` (card
      pulled mid-read), :class:`~idcapture.errors.DeviceTimeout`,
      :class:`~idcapture.errors.ProtocolError` or :class:`~idcapture.errors.DeviceFault`
      as typed failures. A reader that finds a card only once per placement (a SAM)
      finishes the read of a found card with one attempt per command even when the
      deadline passes during it, rather than abandon a card the operator would have to
      place again.

    :meth:`wait_for_card` reads a card once per placement: a card left on the reader is
    not read again until it has been taken off.
    """

    kind: ClassVar[DeviceKind] = DeviceKind.ID_READER
    default_timeout: ClassVar[float] = 10.0
    #: seconds between two polls while waiting for a card
    poll_interval: ClassVar[float] = 0.1
    timed_primitives: ClassVar[tuple[str, ...]] = ("_detect_card", "_read_document")
    #: the reader finds a card once per placement (a SAM): a card left on it after a
    #: read looks like no card, so a timeout tells the operator to lift and place it again
    finds_card_once: ClassVar[bool] = False

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._card_consumed = False
        self._reads = 0

    def _detect_card(self, timeout: float) -> bool:
        raise NotImplementedError

    def _read_document(self, timeout: float) -> IdentityDocument:
        raise NotImplementedError

    def _poll_card(self, timeout: float) -> bool:
        present = self._detect_card(timeout)
        if not present:
            self._card_consumed = False
        return present

    def card_present(self) -> bool:
        """Whether a card is on the reader now (one poll)."""
        return self._call("card detection", lambda: self._poll_card(self.timeout))

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
        deadline = Deadline(t)
        present = False

        def attempt(left: float) -> IdentityDocument | None:
            nonlocal present
            present = self._poll_card(left)
            if not present or (skip_consumed and self._card_consumed):
                return None
            doc = self._read_document(deadline.left())
            self._card_consumed = True
            self._reads += 1
            return doc

        def expired() -> DeviceTimeout:
            if present:
                text = N_("timed out after {seconds} s waiting for a new card to be placed (the "
                          "card on the reader was already read; take it off and place it "
                          "again) on the {driver} reader")
            elif self.finds_card_once:
                text = N_("timed out after {seconds} s waiting for a card to be placed on the "
                          "{driver} reader; a card left on the reader since it was last read "
                          "is not found again: lift the card and place it again")
            else:
                text = N_("timed out after {seconds} s waiting for a card to be placed on the "
                          "{driver} reader")
            return DeviceTimeout(text.format(seconds=f"{t:.1f}", driver=self.address.driver),
                                 awaited="card placement", timeout=t)

        doc = self._poll("card read", attempt, deadline, expired)
        self.log.info("read %s card", doc.kind.value)
        return doc

    def events(self, interval: float | None = None, duration: float | None = None
               ) -> EventStream:
        """Card placed / removed and device removed / back, polled every ``interval``
        seconds (default: :attr:`poll_interval`, address option ``poll``) for
        ``duration`` seconds (``None``: until the caller stops). Iterate with ``for``
        or ``async for``; see :mod:`idcapture.devices.events`.

        A reader that finds a card once per placement (:attr:`finds_card_once`, a SAM)
        cannot see a card leave once it has been read: after a read, the next event is
        the next ``card-placed``."""
        reads_seen = self._reads

        def read_since() -> bool:
            nonlocal reads_seen
            fresh = self.finds_card_once and self._reads != reads_seen
            reads_seen = self._reads
            return fresh

        step = self.address.float_option("poll", self.poll_interval)
        return EventStream(str(self.address.driver),
                           lambda: self._call("card events",
                                              lambda: self._poll_card(self.timeout)),
                           DeviceEventKind.CARD_PLACED, DeviceEventKind.CARD_REMOVED,
                           step if interval is None else interval, duration,
                           lambda: self.closed, read_since)

    async def acard_present(self) -> bool:
        """Coroutine twin of :meth:`card_present`."""
        return await self._async(self.card_present)

    async def aread(self, timeout: float | None = None) -> IdentityDocument:
        """Coroutine twin of :meth:`read`."""
        return await self._async(self.read, timeout)

    async def await_for_card(self, timeout: float | None = None) -> IdentityDocument:
        """Coroutine twin of :meth:`wait_for_card`."""
        return await self._async(self.wait_for_card, timeout)
