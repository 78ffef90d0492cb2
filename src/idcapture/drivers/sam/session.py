"""The host side of the SAM protocol over any byte transport, and the common driver base.

:class:`SamSession` sends one request at a time and waits for its answer, with a
per-command timeout scaled by the line rate, bounded resends after a bad checksum, a
rejected request or a silent/truncated answer, and typed errors when the resends are
spent (:class:`~idcapture.errors.DeviceTimeout` naming the command
awaited, :class:`~idcapture.errors.ProtocolError` with code ``checksum``). A late answer
to a request the session gave up on and resent is recognised by its shape
(:func:`~idcapture.drivers.sam.protocol.answer_fits`) and skipped, so it is never taken
for the answer to the next command. Inside :meth:`SamSession.until` the session
honours the caller's overall deadline: a command is never cut short, but no resend
starts once the deadline has passed, so a call ends within its deadline plus one
command's time.

:class:`SamReader` is the :class:`~idcapture.devices.IdReader` shared by the
``sam-serial`` and ``sam-usb`` drivers: find + select to detect a card, base read
(with fingerprint when the SAM is authorised), appended address, document parsing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, Protocol

from ...devices.base import DeviceInfo
from ...devices.id_reader import IdReader
from ...devices.options import Option
from ...errors import DeviceRemoved, DeviceTimeout, IdCaptureError, ProtocolError
from ...record import IdentityDocument
from . import protocol as p
from .document import PhotoDecoder, document_from_blocks

__all__ = ["ByteTransport", "SamReader", "SamSession", "command_timeout"]


class ByteTransport(Protocol):
    """What the session needs from a serial port or a USB link."""

    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout: float) -> bytes: ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


#: largest answer per command (bytes), to scale timeouts with the line rate
_ANSWER_BYTES = {
    p.Command.SAM_ID: 27, p.Command.FIND: 15, p.Command.SELECT: 19,
    p.Command.READ_BASE: 1295, p.Command.READ_BASE_FP: 2321,
    p.Command.READ_APPENDED: 7 + 4 + 280, p.Command.READ_MANAGEMENT: 39,
}
#: SAM processing allowance per command (seconds), from the figures of working readers
_BASE_TIMEOUT = {
    p.Command.FIND: 0.3, p.Command.SELECT: 0.3, p.Command.READ_BASE: 1.5,
    p.Command.READ_BASE_FP: 2.0, p.Command.READ_APPENDED: 1.0,
    p.Command.READ_MANAGEMENT: 1.0,
}


def command_timeout(command: p.Command | None, baud: int | None, scale: float = 1.0) -> float:
    """How long to wait for the answer to ``command`` at ``baud`` (``None``: USB)."""
    base = _BASE_TIMEOUT.get(command, 0.3) if command else 0.3
    wire = 0.0
    if baud:
        wire = (_ANSWER_BYTES.get(command, 11) + 11) * 10.0 / baud if command else 0.0
    return (base + 2.0 * wire) * scale


class SamSession:
    """Request/answer exchanges with a SAM over ``transport``."""

    def __init__(self, transport: ByteTransport, *, baud: int | None = None,
                 retries: int = 2, timeout_scale: float = 1.0) -> None:
        self.transport = transport
        self.baud = baud
        self.retries = retries
        self.timeout_scale = timeout_scale
        self.decoder = p.FrameDecoder()
        self.bytes_sent = 0
        self.bytes_received = 0
        self.resends = 0
        self.strays = 0
        #: time.monotonic() after which no resend starts (None: no overall deadline)
        self.deadline: float | None = None

    @contextmanager
    def until(self, timeout: float) -> Iterator[None]:
        """Commands inside honour one overall deadline ``timeout`` seconds from now: each
        gets its first attempt in full, resends only while the deadline has not passed.
        Nested deadlines keep the earlier one."""
        saved = self.deadline
        end = time.monotonic() + max(timeout, 0.0)
        self.deadline = end if saved is None else min(saved, end)
        try:
            yield
        finally:
            self.deadline = saved

    def _may_resend(self) -> bool:
        return self.deadline is None or time.monotonic() < self.deadline

    def command(self, request: p.Request, timeout: float | None = None,
                retries: int | None = None) -> p.Response:
        """Send ``request`` and return the SAM's answer (whatever its status)."""
        label = request.label
        t = timeout if timeout is not None else command_timeout(request.command, self.baud,
                                                                self.timeout_scale)
        attempts = 1 + (self.retries if retries is None else retries)
        failure = "timeout"
        got = 0
        made = 0
        for attempt in range(attempts):
            if attempt:
                if not self._may_resend():
                    break
                self.resends += 1
            made += 1
            self.transport.discard_input()
            self.decoder.clear()
            frame = request.encode()
            self.transport.write(frame)
            self.bytes_sent += len(frame)
            result = self._await(t, request.command)
            if isinstance(result, p.Response):
                if result.status.outcome is p.Outcome.REQUEST_REJECTED:
                    failure = "rejected"  # the SAM saw our request corrupted
                    continue
                return result
            failure, got = result
        tries = f"{made} attempts" if made > 1 else "1 attempt"
        if made < attempts:
            tries += " (the call's deadline passed before a resend)"
        if failure == "checksum":
            raise ProtocolError(f"answer to {label} failed its checksum ({tries})",
                                code="checksum")
        if failure == "rejected":
            raise ProtocolError(f"the SAM rejected the {label} request ({tries}; checksum "
                                "or length error on the line)", code="request-rejected")
        detail = f" (an incomplete answer of {got} bytes)" if got else ""
        raise DeviceTimeout(f"no answer to {label} within {t:.2f} s after {tries}{detail}",
                            awaited=label, timeout=t)

    def _await(self, timeout: float,
               command: p.Command | None) -> p.Response | tuple[str, int]:
        end = time.monotonic() + timeout
        dec = self.decoder
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return ("timeout", dec.pending())
            need = dec.awaiting() or max(7 - dec.pending(), 1)
            chunk = self.transport.read(need, left)
            if not chunk:
                continue
            self.bytes_received += len(chunk)
            for ev in dec.feed(chunk):
                if isinstance(ev, p.Frame):
                    try:
                        response = p.Response.from_frame(ev)
                    except ProtocolError:
                        return ("checksum", 0)
                    if p.answer_fits(command, response.sw3, response.data):
                        return response
                    # a late answer to an earlier request: skip it, keep waiting
                    self.strays += 1
                if isinstance(ev, p.BadChecksum):
                    return ("checksum", 0)

    def expect(self, request: p.Request, *ok: p.Outcome) -> p.Response:
        """:meth:`command`, raising the typed error of an answer whose outcome is not in
        ``ok`` (default: success)."""
        r = self.command(request)
        if r.status.outcome not in (ok or (p.Outcome.SUCCESS,)):
            raise p.status_error(r.sw3, request.label)
        return r


def _answered(r: p.Response, yes: p.Outcome, no: p.Outcome, what: str) -> bool:
    """Whether ``r`` has outcome ``yes`` (``False`` for ``no``); the typed error of any
    other answer to ``what``."""
    outcome = r.status.outcome
    if outcome is yes or outcome is no:
        return outcome is yes
    raise p.status_error(r.sw3, what)


class SamReader(IdReader):
    """Common base of the SAM drivers. Subclasses provide :meth:`_make_transport`.

    Address options: ``fingerprint`` (``auto`` default: read it when the SAM is
    authorised; ``true``/``false``), ``appended`` (read appended addresses, default
    true), ``retries`` (resends per command, default 2), ``timeout_scale`` (scales
    every command timeout), ``decoder`` (path of the WLT decoder library; default:
    searched, see :mod:`idcapture.drivers.cvr.wlt`), ``poll`` (seconds between polls).
    """

    finds_card_once: ClassVar[bool] = True
    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("fingerprint", "str", "auto", "read the fingerprint block: auto, yes or no",
               choices=("auto", "true", "false", "yes", "no", "1", "0")),
        Option("appended", "bool", True, "read the appended (address change) block"),
        Option("retries", "int", 2, "times a command is repeated after a bad frame"),
        Option("timeout_scale", "float", 1.0, "multiplies the protocol's reply timeouts"),
        Option("decoder", "str", None, "photo decoder: a library path or module:function"),
    )

    poll_interval: ClassVar[float] = 0.1
    default_timeout: ClassVar[float] = 10.0
    baud: int | None = None

    def __init__(self, address: object = "", *, timeout: float | None = None,
                 decoder: PhotoDecoder | None = None) -> None:
        super().__init__(address, timeout=timeout)  # type: ignore[arg-type]
        self._session: SamSession | None = None
        self._decoder = decoder
        self._decoder_loaded = decoder is not None
        fp = (self.address.option("fingerprint", "auto") or "auto").lower()
        self._fp_mode = fp
        self._fp_authorised: bool | None = {"true": True, "1": True, "yes": True,
                                            "false": False, "0": False, "no": False
                                            }.get(fp)
        self._read_appended = self.address.bool_option("appended", True)
        self.sam_id: str = ""

    # -------------------------------------------------------------- subclass hooks
    def _make_transport(self) -> ByteTransport:
        raise NotImplementedError

    def _start_session(self, transport: ByteTransport) -> SamSession:
        return SamSession(transport, baud=self.baud,
                          retries=self.address.int_option("retries", 2),
                          timeout_scale=self.address.float_option("timeout_scale", 1.0))

    # -------------------------------------------------------------- primitives
    def _open(self) -> None:
        transport = self._make_transport()
        try:
            session = self._start_session(transport)
            session.expect(p.sam_status())
            self.sam_id = p.format_sam_id(session.expect(p.sam_id()).data)
        except IdCaptureError:
            transport.close()
            raise
        self._session = session

    def _close(self) -> None:
        if self._session is not None:
            self._session.transport.close()
            self._session = None

    @property
    def session(self) -> SamSession:
        if self._session is None:
            raise DeviceRemoved(f"{self.address.driver} reader is not connected")
        return self._session

    def _detect_card(self, timeout: float) -> bool:
        s = self.session
        with s.until(timeout):
            if not _answered(s.command(p.find_card()), p.Outcome.CARD_FOUND,
                             p.Outcome.NO_CARD, "find card"):
                return False
            # a found card is selected even past the deadline: left found, it would not
            # be found again until it leaves the field
            if not _answered(s.command(p.select_card()), p.Outcome.SUCCESS,
                             p.Outcome.SELECT_FAILED, "select card"):
                return False
        # The SAM finds a card only once per placement (a read card stays ACTIVE and
        # is not found again until it leaves the field), so a successful find is a
        # new placement even if the poll never saw the field empty.
        self._card_consumed = False
        return True

    def _photo_decoder(self) -> PhotoDecoder | None:
        if not self._decoder_loaded:
            self._decoder_loaded = True
            from ..cvr.wlt import find_decoder

            self._decoder = find_decoder(self.address.option("decoder"), self.sam_id)
        return self._decoder

    def _read_document(self, timeout: float) -> IdentityDocument:
        """Read the selected card. Each command gets one attempt even after ``timeout``
        has passed (the SAM would not find an abandoned card again until it is placed
        again); resends only while time is left."""
        s = self.session
        with s.until(timeout):
            msg = self._read_base(s)
            appended: bytes | None = None
            if self._read_appended:
                r = s.command(p.read_appended_address())
                if _answered(r, p.Outcome.SUCCESS, p.Outcome.NO_CONTENT,
                             "read appended address"):
                    appended = r.data
        return document_from_blocks(msg.text, msg.photo, msg.fingerprint, appended,
                                    source_driver=self.address.driver,
                                    decoder=self._photo_decoder())

    def _read_base(self, s: SamSession) -> p.BaseMessage:
        """The base message, with fingerprints while the SAM may read them."""
        if self._fp_authorised is not False:
            r = s.command(p.read_base_with_fingerprint())
            if r.status.outcome is p.Outcome.SUCCESS:
                self._fp_authorised = True
                return p.parse_base_message(r.data, with_fingerprint=True)
            if r.sw3 not in p.FINGERPRINT_REFUSED or self._fp_mode != "auto":
                raise p.status_error(r.sw3, "read base message with fingerprint")
            self.log.info("SAM is not authorised for fingerprints (0x%02X); base read "
                          "only from now on", r.sw3)
            self._fp_authorised = False
        r = s.expect(p.read_base())
        return p.parse_base_message(r.data, with_fingerprint=False)

    def _info(self) -> DeviceInfo:
        return DeviceInfo(self.address.driver, self.kind, str(self.address),
                          "SAM_V ID-card reader", serial=self.sam_id)
