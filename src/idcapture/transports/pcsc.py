"""PC/SC over pyscard: readers, connections, APDU exchange, and a monitor that survives.

pyscard is imported lazily, so ``import idcapture`` works without it; the first call
here raises :class:`~idcapture.errors.DriverUnavailable` naming what to install.

pyscard raises two unrelated exception families: ``smartcard.Exceptions.SmartcardException``
(``CardConnectionException``, ``NoCardException`` ...) from connections, and
``smartcard.pcsc.PCSCExceptions.BaseSCardException`` (``EstablishContextException``,
``ListReadersException`` ...) from contexts. :func:`map_error` turns both, by their
PC/SC result code, into the library's typed errors:

==========================================  ==========================================
PC/SC result                                error (code)
==========================================  ==========================================
card removed / reset / no card              :class:`DeviceRemoved` (``card-removed``)
reader unknown / unavailable / none         :class:`DeviceRemoved` (``reader-removed``)
service not available / stopped / RPC       :class:`DeviceRemoved` (``pcsc-service``)
timeout                                     :class:`DeviceTimeout`
sharing violation                           :class:`DeviceBusy`
anything else                               :class:`DeviceFault` (``pcsc-error``)
==========================================  ==========================================

:class:`PcscMonitor` is our own card/reader monitor loop (pyscard's ``CardMonitor``
thread dies when pcscd restarts): it re-establishes the context and reports
``monitor-lost`` / ``monitor-restored`` besides reader and card events.

Why this module is long: the error mapping, connections and the monitor share pyscard's
lazy import and its two exception families; split apart, each would repeat them.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ..errors import (
    DeviceBusy,
    DeviceFault,
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    DriverUnavailable,
    IdCaptureError,
)

__all__ = [
    "EventKind",
    "PcscConnection",
    "PcscEvent",
    "PcscMonitor",
    "Protocol",
    "card_present",
    "list_readers",
    "map_error",
    "resolve_reader",
]

log = logging.getLogger("idcapture.transports.pcsc")

# PC/SC result codes (winscard.h), as unsigned 32-bit values
SCARD_E_INVALID_HANDLE = 0x80100003
SCARD_E_UNKNOWN_READER = 0x80100009
SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_SHARING_VIOLATION = 0x8010000B
SCARD_E_NO_SMARTCARD = 0x8010000C
SCARD_F_COMM_ERROR = 0x80100013
SCARD_E_READER_UNAVAILABLE = 0x80100017
SCARD_E_NO_SERVICE = 0x8010001D
SCARD_E_SERVICE_STOPPED = 0x8010001E
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_W_UNRESPONSIVE_CARD = 0x80100066
SCARD_W_UNPOWERED_CARD = 0x80100067
SCARD_W_RESET_CARD = 0x80100068
SCARD_W_REMOVED_CARD = 0x80100069

_CARD_GONE = {SCARD_E_NO_SMARTCARD, SCARD_W_REMOVED_CARD, SCARD_W_RESET_CARD,
              SCARD_W_UNPOWERED_CARD}
_READER_GONE = {SCARD_E_UNKNOWN_READER, SCARD_E_READER_UNAVAILABLE,
                SCARD_E_NO_READERS_AVAILABLE}
_SERVICE_GONE = {SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED, SCARD_F_COMM_ERROR,
                 SCARD_E_INVALID_HANDLE}

#: the pseudo reader whose state changes when readers come and go
PNP_READER = "\\\\?PnP?\\Notification"


def _pyscard() -> ModuleType:
    try:
        import smartcard.scard as scard
    except ImportError as exc:
        raise DriverUnavailable(
            "pcsc", "pyscard is not installed (pip install 'idcapture[pcsc]'; on Linux it "
            "builds from source and needs swig and the pcsc-lite headers)",
            "library-missing") from exc
    module: ModuleType = scard
    return module


def _u32(value: int) -> int:
    return value & 0xFFFFFFFF


def _hresult(exc: BaseException) -> int | None:
    h = getattr(exc, "hresult", None)
    if isinstance(h, int) and h not in (-1, 0):
        return _u32(h)
    return None


def _describe(code: int) -> str:
    try:
        scard = _pyscard()
        return str(scard.SCardGetErrorMessage(code)).strip().rstrip(".")
    except Exception:  # pragma: no cover
        return "PC/SC error"


def map_error(exc: BaseException, what: str) -> IdCaptureError:
    """The typed error for a pyscard exception (either family) raised during ``what``."""
    from smartcard.Exceptions import NoCardException, NoReadersException

    code = _hresult(exc)
    text = f"{what}: {_describe(code)} (0x{code:08X})" if code is not None else \
        f"{what}: {exc.__class__.__name__}: {exc}"
    if isinstance(exc, NoCardException) or code in _CARD_GONE:
        return DeviceRemoved(text, "card-removed")
    if isinstance(exc, NoReadersException) or code in _READER_GONE:
        return DeviceRemoved(text, "reader-removed")
    if code in _SERVICE_GONE:
        return DeviceRemoved(text, "pcsc-service")
    if code == SCARD_E_TIMEOUT:
        return DeviceTimeout(text, awaited=what)
    if code == SCARD_E_SHARING_VIOLATION:
        return DeviceBusy(text)
    if code == SCARD_W_UNRESPONSIVE_CARD:
        return DeviceFault(text, "card-unresponsive")
    return DeviceFault(text, "pcsc-error")


def _families() -> tuple[type[BaseException], ...]:
    from smartcard.Exceptions import SmartcardException
    from smartcard.pcsc.PCSCExceptions import BaseSCardException

    return (SmartcardException, BaseSCardException)


def list_readers() -> list[str]:
    """Names of the readers PC/SC sees now (a fresh context each call).

    :class:`DeviceRemoved` with code ``pcsc-service`` if the service is not running.
    """
    _pyscard()
    from smartcard.System import readers

    try:
        return [str(r) for r in readers()]
    except _families() as exc:
        err = map_error(exc, "listing PC/SC readers")
        if err.code == "reader-removed":
            return []
        raise err from None


def resolve_reader(target: str, names: list[str] | None = None) -> str:
    """A reader name from an index (``0``), an exact name or a unique name prefix."""
    names = list_readers() if names is None else names
    t = target.strip()
    if t.isdigit():
        i = int(t)
        if i < len(names):
            return names[i]
        raise DeviceNotFound(f"PC/SC reader index {i} does not exist ({len(names)} reader(s) "
                             "attached)")
    if t in names:
        return t
    matches = [n for n in names if n.lower().startswith(t.lower())]
    if len(matches) == 1:
        return matches[0]
    raise DeviceNotFound(f"no PC/SC reader is named {t!r}" if not matches else
                         f"PC/SC reader name {t!r} is ambiguous ({len(matches)} match)")


class Protocol(str, enum.Enum):
    """The transmission protocol to connect with."""

    T0 = "T0"
    T1 = "T1"
    ANY = "any"

    @classmethod
    def parse(cls, value: str) -> Protocol:
        key = value.strip().upper().replace("=", "")
        for p in cls:
            if p.value.upper() == key:
                return p
        raise ValueError(f"unknown protocol {value!r}; expected T0, T1 or any")

    def pcsc_flags(self) -> int:
        scard = _pyscard()
        return int({Protocol.T0: scard.SCARD_PROTOCOL_T0, Protocol.T1: scard.SCARD_PROTOCOL_T1,
                    Protocol.ANY: scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1}[self])


def card_present(reader: str) -> bool:
    """One status poll of ``reader`` (no connection is made)."""
    scard = _pyscard()
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr != 0:
        raise map_error(_ScardError(hr), "checking for a card")
    try:
        hr, states = scard.SCardGetStatusChange(ctx, 0,
                                                [(reader, scard.SCARD_STATE_UNAWARE)])
        if _u32(hr) in _READER_GONE:
            raise DeviceRemoved(f"PC/SC reader {reader!r} is gone", "reader-removed")
        if hr != 0 and _u32(hr) != SCARD_E_TIMEOUT:
            raise map_error(_ScardError(hr), "checking for a card")
        state = states[0][1]
        return bool(state & scard.SCARD_STATE_PRESENT) and not state & scard.SCARD_STATE_MUTE
    finally:
        scard.SCardReleaseContext(ctx)


class _ScardError(Exception):
    """A raw result code from the low-level API, to go through :func:`map_error`."""

    def __init__(self, hresult: int) -> None:
        super().__init__(f"0x{_u32(hresult):08X}")
        self.hresult = hresult


class PcscConnection:
    """A connection to the card in one reader.

    Not thread-safe by itself: the device owning it serialises calls with its lock.
    ``transmit`` follows ``61xx`` with GET RESPONSE (chaining of long responses) and
    re-sends on ``6Cxx`` with the right Le; extended-length APDUs are passed through.
    """

    def __init__(self, reader: str, protocol: Protocol = Protocol.ANY) -> None:
        _pyscard()
        self.reader = reader
        self.protocol = protocol
        self._conn: Any = None
        self.atr = b""

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def connect(self, settle: float = 1.0) -> bytes:
        """Connect (shared mode) and return the ATR.

        A card that was just placed may show as present before it is powered; for up to
        ``settle`` seconds "no card" / "unpowered" answers are retried.
        """
        end = time.monotonic() + settle
        while True:
            try:
                return self._connect_once()
            except DeviceRemoved as exc:
                if exc.code != "card-removed" or time.monotonic() >= end:
                    raise
            time.sleep(0.05)

    def _connect_once(self) -> bytes:
        from smartcard.System import readers

        conn: Any = None
        try:
            match = [r for r in readers() if str(r) == self.reader]
            if not match:
                raise DeviceRemoved(f"PC/SC reader {self.reader!r} is gone", "reader-removed")
            conn = match[0].createConnection()
            conn.connect(protocol=self.protocol.pcsc_flags())
        except _families() as exc:
            if conn is not None:
                self._conn = conn
                self.disconnect()
            raise map_error(exc, f"connecting to the card in {self.reader!r}") from None
        self._conn = conn
        self.atr = bytes(conn.getATR())
        return self.atr

    def disconnect(self) -> None:
        """Disconnect and release the context (explicitly: pyscard's __del__ is noisy)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        for name in ("disconnect", "release"):
            fn = getattr(conn, name, None)
            if fn is None:
                continue
            try:
                fn()
            except Exception:
                pass
        # if the service went away, the handles are dead: drop them so that pyscard's
        # __del__ does not try (and fail noisily) to release them again
        inner = getattr(conn, "component", conn)
        for attr in ("hcard", "hcontext"):
            if getattr(inner, attr, None) is not None:
                setattr(inner, attr, None)

    def _raw(self, apdu: bytes) -> tuple[bytes, int]:
        if self._conn is None:
            raise DeviceRemoved("no card connection (connect first)", "card-removed")
        try:
            data, sw1, sw2 = self._conn.transmit(list(apdu))
        except _families() as exc:
            err = map_error(exc, "exchanging an APDU")
            if isinstance(err, DeviceFault) and self._card_went_away():
                err = DeviceRemoved(f"the card was removed during an APDU exchange "
                                    f"({err.message})", "card-removed")
            raise err from None
        return bytes(data), (sw1 << 8) | sw2

    def _card_went_away(self, within: float = 1.5) -> bool:
        """After a failed exchange without a result code: did the card leave the reader?

        A card pulled in the middle of an exchange often shows as "no valid response"
        first; the reader reports the removal a few hundred milliseconds later.
        """
        end = time.monotonic() + within
        while True:
            try:
                if not card_present(self.reader):
                    return True
            except IdCaptureError:
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)

    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU, return the full response (data + SW)."""
        data, sw = self._raw(apdu)
        if sw >> 8 == 0x6C and len(apdu) >= 5:
            data, sw = self._raw(apdu[:-1] + bytes([sw & 0xFF]))
        out = bytearray(data)
        rounds = 0
        while sw >> 8 == 0x61:
            rounds += 1
            if rounds > 1024:
                raise DeviceFault("card keeps answering 61xx; response chaining never ends",
                                  "pcsc-error")
            more, sw = self._raw(bytes([apdu[0] & 0x03, 0xC0, 0x00, 0x00, sw & 0xFF]))
            out += more
        return bytes(out) + sw.to_bytes(2, "big")


# ---------------------------------------------------------------------------- monitor


class EventKind(str, enum.Enum):
    READER_ADDED = "reader-added"
    READER_REMOVED = "reader-removed"
    CARD_INSERTED = "card-inserted"
    CARD_REMOVED = "card-removed"
    MONITOR_LOST = "monitor-lost"
    MONITOR_RESTORED = "monitor-restored"


@dataclass(frozen=True)
class PcscEvent:
    """One monitor event. ``reason`` says why monitoring was lost."""

    kind: EventKind
    reader: str = ""
    atr: bytes = b""
    reason: str = ""
    at: float = 0.0


class PcscMonitor:
    """Watch readers and cards with SCardGetStatusChange, in a thread of its own.

    Events go to ``callback`` (called in the monitor thread; it must not block) and to a
    queue read with :meth:`get`. When the PC/SC service goes away (pcscd stopped or
    restarted) the monitor emits ``monitor-lost``, keeps trying to establish a new
    context every ``retry`` seconds, and emits ``monitor-restored`` when it has one,
    followed by the card and reader changes that happened meanwhile. It never dies
    silently: an unexpected error is logged, reported as ``monitor-lost`` and retried.
    """

    def __init__(self, callback: Callable[[PcscEvent], None] | None = None,
                 poll: float = 0.5, retry: float = 0.2) -> None:
        self._scard = _pyscard()
        self.callback = callback
        self.poll = poll
        self.retry = retry
        self._events: queue.Queue[PcscEvent] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._known: dict[str, tuple[bool, bytes]] = {}
        self.lost = False
        self._ctx: Any = None

    def __enter__(self) -> PcscMonitor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="idcapture-pcsc-monitor",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread (it wakes within ``poll`` seconds) and release the context."""
        self._stop.set()
        ctx = self._ctx
        if ctx is not None:
            try:
                self._scard.SCardCancel(ctx)
            except Exception:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def get(self, timeout: float) -> PcscEvent:
        """The next event; :class:`DeviceTimeout` if none comes within ``timeout``."""
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            raise DeviceTimeout(f"no PC/SC monitor event within {timeout:.1f} s",
                                awaited="PC/SC monitor event", timeout=timeout) from None

    def wait_for(self, kind: EventKind, timeout: float, reader: str | None = None
                 ) -> PcscEvent:
        """Skip events until one of ``kind`` (for ``reader``, if given) arrives."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise DeviceTimeout(f"no {kind.value} event within {timeout:.1f} s",
                                    awaited=f"PC/SC {kind.value}", timeout=timeout)
            ev = self.get(left)
            if ev.kind is kind and (reader is None or ev.reader == reader):
                return ev

    def _emit(self, kind: EventKind, reader: str = "", atr: bytes = b"",
              reason: str = "") -> None:
        ev = PcscEvent(kind, reader, atr, reason, time.monotonic())
        log.info("PC/SC %s %s %s", kind.value, reader, reason)
        self._events.put(ev)
        if self.callback is not None:
            try:
                self.callback(ev)
            except Exception:  # a faulty callback must not kill the monitor
                log.exception("PC/SC monitor callback failed")

    def _lose(self, reason: str) -> None:
        self._release()
        if not self.lost:
            self.lost = True
            self._emit(EventKind.MONITOR_LOST, reason=reason)

    def _release(self) -> None:
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            try:
                self._scard.SCardReleaseContext(ctx)
            except Exception:
                pass

    def _update(self, reader: str, present: bool, atr: bytes) -> None:
        before = self._known.get(reader)
        self._known[reader] = (present, atr)
        was_present = before[0] if before else False
        if before is None:
            self._emit(EventKind.READER_ADDED, reader)
        if present and (not was_present or (before and before[1] != atr)):
            self._emit(EventKind.CARD_INSERTED, reader, atr)
        elif not present and was_present:
            self._emit(EventKind.CARD_REMOVED, reader)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._cycle()
            except Exception as exc:  # keep monitoring whatever happens
                log.exception("PC/SC monitor error")
                self._lose(f"unexpected error: {exc.__class__.__name__}")
            if self._ctx is None and not self._stop.is_set():
                self._stop.wait(self.retry)
        self._release()

    def _cycle(self) -> None:
        s = self._scard
        if self._ctx is None:
            hr, ctx = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
            if hr != 0:
                self._lose(f"PC/SC service not available ({_describe(_u32(hr))})")
                return
            self._ctx = ctx
            if self.lost:
                self.lost = False
                self._emit(EventKind.MONITOR_RESTORED)
        hr, names = s.SCardListReaders(self._ctx, [])
        if _u32(hr) in (SCARD_E_NO_READERS_AVAILABLE,):
            names = []
        elif hr != 0:
            self._lose(f"listing readers failed ({_describe(_u32(hr))})")
            return
        for gone in [r for r in self._known if r not in names]:
            if self._known[gone][0]:
                self._emit(EventKind.CARD_REMOVED, gone)
            del self._known[gone]
            self._emit(EventKind.READER_REMOVED, gone)
        states = [(n, s.SCARD_STATE_UNAWARE) for n in names]
        hr, result = s.SCardGetStatusChange(self._ctx, 0, states) if states else (0, [])
        if hr != 0 and _u32(hr) != SCARD_E_TIMEOUT:
            self._fail(hr)
            return
        current: list[tuple[str, int]] = []
        for name, event, atr in result:
            present = bool(event & s.SCARD_STATE_PRESENT)
            self._update(name, present, bytes(atr) if present else b"")
            current.append((name, event & ~s.SCARD_STATE_CHANGED))
        # block until something changes (or poll time passes, to see stop requests)
        while not self._stop.is_set() and self._ctx is not None:
            watch = [*current, (PNP_READER, len(names) << 16)]
            hr, result = s.SCardGetStatusChange(self._ctx, int(self.poll * 1000), watch)
            code = _u32(hr)
            if code == SCARD_E_TIMEOUT:
                continue
            if code == 0x80100002:  # SCARD_E_CANCELLED (stop)
                return
            if hr != 0:
                self._fail(hr)
                return
            changed_readers = False
            fresh: list[tuple[str, int]] = []
            for name, event, atr in result:
                if name == PNP_READER:
                    changed_readers = bool(event & s.SCARD_STATE_CHANGED)
                    continue
                if event & (s.SCARD_STATE_UNKNOWN | s.SCARD_STATE_UNAVAILABLE):
                    changed_readers = True
                    continue
                present = bool(event & s.SCARD_STATE_PRESENT)
                self._update(name, present, bytes(atr) if present else b"")
                fresh.append((name, event & ~s.SCARD_STATE_CHANGED))
            if changed_readers:
                return  # list readers again
            current = fresh

    def _fail(self, hr: int) -> None:
        code = _u32(hr)
        if code in _READER_GONE:
            return  # the next cycle lists readers again
        self._lose(f"PC/SC service lost ({_describe(code)}, 0x{code:08X})")
