"""The SAM_V device side: a sans-IO state machine answering request frames.

:class:`SamDevice` takes the bytes the host sent (:meth:`SamDevice.receive`) and
returns :class:`Reply` objects telling the transport what to send, after how long, and
whether to switch the line rate or drop the line. It reuses the host's codec
(:mod:`idcapture.drivers.sam.protocol`).

State model (spec section 7.2): no card -> card present -> found (9F) -> selected
(90) -> read. A read card is not found again until it is removed (unless
``repeat_read``). Select without find answers 0x81, a read without select 0x41; a find
after select keeps the selection (a selected type B card ignores REQB).

Faults are queued with :meth:`SamDevice.add_fault` (or from a fault script, see
docs/testers/card-files.md); each applies to the next request matching ``on``:

==================  ===================================================================
``garbage``         send ``count`` random bytes before the answer
``bad-checksum``    flip the answer's checksum byte
``drop``            send no answer
``truncate``        send only the first ``bytes`` bytes of the answer (default: half)
``slow``            add ``seconds`` before the answer
``remove-card``     the card leaves the field before the command runs
``busy``            the SAM is busy and ignores the request (no answer)
``sam-fault``       answer 0x60 (self-test failed)
``close``           the line goes down (the port disappears) instead of answering
==================  ===================================================================
"""

from __future__ import annotations

import dataclasses
import enum
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...drivers.sam import protocol as p
from ...errors import ConfigError
from .cards import SimCard

__all__ = ["FAULT_ACTIONS", "CardState", "Fault", "Reply", "SamDevice"]

FAULT_ACTIONS = ("garbage", "bad-checksum", "drop", "truncate", "slow", "remove-card",
                 "busy", "sam-fault", "close")

#: names usable in a fault's ``on``
COMMAND_NAMES: dict[str, p.Command] = {
    "reset": p.Command.RESET, "status": p.Command.SAM_STATUS, "sam-id": p.Command.SAM_ID,
    "find": p.Command.FIND, "select": p.Command.SELECT, "read": p.Command.READ_BASE,
    "read-fp": p.Command.READ_BASE_FP, "appended": p.Command.READ_APPENDED,
    "management": p.Command.READ_MANAGEMENT, "baud": p.Command.SET_BAUD,
    "rf-bytes": p.Command.SET_RF_BYTES,
}


class CardState(enum.Enum):
    NONE = "none"
    PRESENT = "present"
    FOUND = "found"
    SELECTED = "selected"
    READ = "read"


@dataclass
class Fault:
    """One scripted fault: ``action`` on the next request matching ``on`` (``any``,
    a command name such as ``read`` or ``find``, or ``read*`` for any read)."""

    action: str
    on: str = "any"
    count: int = 1
    seconds: float = 0.0
    bytes: int | None = None

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Fault:
        action = str(d.get("action", ""))
        if action not in FAULT_ACTIONS:
            raise ConfigError(f"fault action {action!r} is not one of {FAULT_ACTIONS}")
        on = str(d.get("on", "any"))
        if on not in ("any", "read*") and on not in COMMAND_NAMES:
            raise ConfigError(f"fault 'on' {on!r} names no command")
        n = d.get("bytes")
        return Fault(action, on, int(d.get("count", 1)), float(d.get("seconds", 0.0)),
                     int(n) if n is not None else None)

    def matches(self, command: p.Command | None) -> bool:
        if self.on == "any":
            return True
        if self.on == "read*":
            return command in (p.Command.READ_BASE, p.Command.READ_BASE_FP)
        return command is COMMAND_NAMES[self.on]


@dataclass
class Reply:
    """What to put on the line: ``data`` after ``delay`` extra seconds (beyond the wire
    time); then switch to ``new_baud`` or, with ``close``, drop the line."""

    data: bytes
    delay: float = 0.0
    new_baud: int | None = None
    close: bool = False
    request: p.Request | None = None
    request_bytes: int = 0


@dataclass
class SamDevice:
    """A SAM_V with an RF field where one card at a time can be placed."""

    sam_id: bytes = bytes.fromhex("05000100 67B83201 B3210D01 F68F0E88")
    fingerprint_authorised: bool = True
    repeat_read: bool = False
    baud: int = 115200
    #: extra processing time per command label (seconds), beyond the wire time
    latency: dict[p.Command, float] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._decoder = p.FrameDecoder(min_length=3)
        self._card: SimCard | None = None
        self.state = CardState.NONE
        self.faults: list[Fault] = []
        self.self_test_failed = False
        self.rf_bytes = 0x50
        self.log: list[str] = []  # command labels received, for tests
        self._rng = random.Random(self.seed)

    # ------------------------------------------------------------ control
    def place_card(self, card: SimCard) -> None:
        with self._lock:
            self._card = card
            self.state = CardState.PRESENT

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self.state = CardState.NONE

    @property
    def card(self) -> SimCard | None:
        return self._card

    def add_fault(self, fault: Fault | Mapping[str, Any]) -> None:
        """Queue ``fault`` (a copy: the device counts its uses down)."""
        with self._lock:
            self.faults.append(dataclasses.replace(fault) if isinstance(fault, Fault)
                               else Fault.from_dict(fault))

    def clear_input(self) -> None:
        self._decoder.clear()

    # ------------------------------------------------------------ protocol
    def receive(self, data: bytes) -> list[Reply]:
        """Feed bytes from the host; the replies to send, in order."""
        with self._lock:
            out: list[Reply] = []
            for ev in self._decoder.feed(data):
                if isinstance(ev, p.BadChecksum):
                    out.append(Reply(p.encode_response(0x10), request_bytes=ev.length))
                elif isinstance(ev, p.BadLength):
                    out.append(Reply(p.encode_response(0x11), request_bytes=7))
                elif isinstance(ev, p.Frame):
                    out.extend(self._answer(ev))
            return out

    def _take_fault(self, command: p.Command | None) -> Fault | None:
        for f in self.faults:
            if f.matches(command):
                f.count -= 1
                if f.count <= 0:
                    self.faults.remove(f)
                return f
        return None

    def _answer(self, frame: p.Frame) -> list[Reply]:
        size = frame.total_length
        if len(frame.body) < 2:
            return [Reply(p.encode_response(0x11), request_bytes=size)]
        req = p.Request.from_frame(frame)
        command = req.command
        self.log.append(command.name if command else f"{req.cmd:02X}{req.para:02X}")
        fault = self._take_fault(command)
        action = fault.action if fault else ""
        if action == "busy":  # ignored: nothing executed, nothing answered
            return []
        if action == "close":
            return [Reply(b"", close=True, request=req, request_bytes=size)]
        if action == "remove-card":
            self.remove_card()
        new_baud = None
        if action == "sam-fault":
            answer = p.encode_response(0x60)
        else:
            answer, new_baud = self._execute(req, command)
        delay = self.latency.get(command, 0.0) if command else 0.0
        if action == "drop":
            return []
        if action == "garbage":
            n = fault.bytes if fault and fault.bytes else 7
            answer = bytes(self._rng.randrange(256) for _ in range(n)) + answer
        elif action == "bad-checksum":
            answer = answer[:-1] + bytes([answer[-1] ^ 0x5A])
        elif action == "truncate":
            n = fault.bytes if fault and fault.bytes is not None else len(answer) // 2
            answer = answer[:n]
        elif action == "slow" and fault:
            delay += fault.seconds
        return [Reply(answer, delay, new_baud, request=req, request_bytes=size)]

    def _execute(self, req: p.Request, command: p.Command | None) -> tuple[bytes, int | None]:
        ok = p.encode_response
        if command is None:
            return ok(0x21), None
        expected_data = 1 if command is p.Command.SET_RF_BYTES else 0
        if len(req.data) != expected_data:
            return ok(0x11), None
        if self.self_test_failed and command is not p.Command.RESET:
            return ok(0x60), None
        if command is p.Command.RESET:
            self.self_test_failed = False
            if self.state is not CardState.NONE:
                self.state = CardState.PRESENT
            return ok(0x90), None
        if command is p.Command.SAM_STATUS:
            return ok(0x90), None
        if command is p.Command.SAM_ID:
            return ok(0x90, self.sam_id), None
        if command is p.Command.SET_BAUD:
            if req.para >= len(p.BAUD_RATES):
                return ok(0x21), None
            return ok(0x90), p.BAUD_RATES[req.para]
        if command is p.Command.SET_RF_BYTES:
            if req.data[0] < 24:
                return ok(0x21), None
            self.rf_bytes = req.data[0]
            return ok(0x90), None
        card = self._card
        if command is p.Command.FIND:
            if card is None or (self.state is CardState.READ and not self.repeat_read):
                return ok(0x80), None
            # a selected card ignores REQB/WUPB (ISO/IEC 14443-3 type B): it stays selected
            if self.state is not CardState.SELECTED:
                self.state = CardState.FOUND
            return ok(0x9F, bytes(4)), None
        if command is p.Command.SELECT:
            if card is None or self.state not in (CardState.FOUND, CardState.SELECTED):
                return ok(0x81), None
            self.state = CardState.SELECTED
            return ok(0x90, bytes(8)), None
        # reads
        if card is None or self.state not in (CardState.SELECTED, CardState.READ):
            return ok(0x41), None
        if command is p.Command.READ_BASE:
            self.state = CardState.READ
            return ok(0x90, p.build_base_message(card.text, card.photo)), None
        if command is p.Command.READ_BASE_FP:
            if not self.fingerprint_authorised:
                return ok(0x23), None
            self.state = CardState.READ
            return ok(0x90, p.build_base_message(card.text, card.photo,
                                                 card.fingerprint)), None
        if command is p.Command.READ_APPENDED:
            block = card.appended_block
            return (ok(0x90, block) if block else ok(0x91)), None
        if command is p.Command.READ_MANAGEMENT:
            return ok(0x90, card.management_block), None
        return ok(0x21), None  # pragma: no cover - every command is handled above
