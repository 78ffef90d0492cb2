"""Sans-IO codec of the SAM_V frame protocol (GA 467), for the host and the device side.

A frame is ``AA AA AA 96 69`` (preamble), a big-endian length counting every byte
after it, the body, and an XOR checksum of every byte from the length to the last
body byte. A request body is ``CMD PARA data``; a response body is ``SW1 SW2 SW3
data``.

* :class:`Request` and the constructors (:func:`find_card`, :func:`read_base` ...)
  encode every command of the spec; :func:`encode_response` builds device answers.
* :class:`FrameDecoder` turns any chunking of a byte stream into events:
  :class:`Frame` (checksum verified), :class:`Garbage` (bytes skipped while looking
  for a preamble), :class:`BadChecksum` and :class:`BadLength`. It never raises on
  input and resynchronises on the next preamble.
* :data:`STATUS` maps every SW3 to a :class:`Status` with its :class:`Outcome`;
  :func:`status_error` turns a failing status into the typed error of
  :mod:`idcapture.errors`.

No I/O, no clock: the same code drives the serial and USB drivers and the simulator.

Why this module is long: it is the whole codec of one protocol, every command, status
and the decoder, kept together so that driver and simulator share one definition.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from functools import reduce
from operator import xor

from ...errors import DeviceFault, DeviceRemoved, IdCaptureError, ProtocolError

__all__ = [
    "BAUD_RATES",
    "FINGERPRINT_REFUSED",
    "MAX_LENGTH",
    "PREAMBLE",
    "STATUS",
    "BadChecksum",
    "BadLength",
    "BaseMessage",
    "Command",
    "Event",
    "Frame",
    "FrameDecoder",
    "Garbage",
    "Outcome",
    "Request",
    "Response",
    "Status",
    "answer_fits",
    "build_base_message",
    "checksum",
    "encode_frame",
    "encode_response",
    "find_card",
    "format_sam_id",
    "parse_appended_addresses",
    "parse_base_message",
    "read_appended_address",
    "read_base",
    "read_base_with_fingerprint",
    "read_management_info",
    "reset_sam",
    "sam_id",
    "sam_status",
    "select_card",
    "set_baud_rate",
    "set_max_rf_bytes",
    "status_error",
    "status_of",
]

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
#: largest Len accepted; a real SAM answers at most 2314 (read with two fingerprints)
MAX_LENGTH = 0x1000
#: the UART rates of command 0x60, indexed by its PARA byte
BAUD_RATES: tuple[int, ...] = (115200, 57600, 38400, 19200, 9600)


def checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of ``data`` (the length bytes and body of a frame)."""
    if len(data) > 64:
        # XOR eight bytes at a time, then fold: about 10x faster than byte by byte.
        n = len(data) // 8 * 8
        acc = 0
        for (word,) in struct.iter_unpack("<Q", bytes(data[:n])):
            acc ^= word
        folded = reduce(xor, acc.to_bytes(8, "little"), 0)
        return reduce(xor, bytes(data[n:]), folded)
    return reduce(xor, bytes(data), 0)


def encode_frame(body: bytes) -> bytes:
    """Preamble, big-endian length, ``body`` and the checksum."""
    length = len(body) + 1
    if length > 0xFFFF:
        raise ValueError("frame body too long")
    head = length.to_bytes(2, "big") + body
    return PREAMBLE + head + bytes([checksum(head)])


class Command(enum.Enum):
    """The commands of the spec, by (CMD, PARA); PARA ``None`` means it varies."""

    RESET = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND = (0x20, 0x01)
    SELECT = (0x20, 0x02)
    READ_BASE = (0x30, 0x01)
    READ_APPENDED = (0x30, 0x03)
    READ_MANAGEMENT = (0x30, 0x05)
    READ_BASE_FP = (0x30, 0x10)
    SET_BAUD = (0x60, None)
    SET_RF_BYTES = (0x61, 0xFF)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def lookup(cls, cmd: int, para: int) -> Command | None:
        """The command of ``(cmd, para)``, or ``None`` when the SAM would not know it."""
        if cmd == 0x60:
            return cls.SET_BAUD
        for c in cls:
            if c.value == (cmd, para):
                return c
        return None


_LABELS = {
    Command.RESET: "SAM reset", Command.SAM_STATUS: "SAM status", Command.SAM_ID: "SAM ID",
    Command.FIND: "find card", Command.SELECT: "select card",
    Command.READ_BASE: "read base message", Command.READ_APPENDED: "read appended address",
    Command.READ_MANAGEMENT: "read management info",
    Command.READ_BASE_FP: "read base message with fingerprint",
    Command.SET_BAUD: "set baud rate", Command.SET_RF_BYTES: "set max RF frame bytes",
}


@dataclass(frozen=True)
class Request:
    """One host request: ``cmd``, ``para`` and optional ``data``."""

    cmd: int
    para: int
    data: bytes = b""

    @property
    def command(self) -> Command | None:
        return Command.lookup(self.cmd, self.para)

    @property
    def label(self) -> str:
        c = self.command
        return c.label if c is not None else f"command {self.cmd:02X} {self.para:02X}"

    def encode(self) -> bytes:
        return encode_frame(bytes([self.cmd, self.para]) + self.data)

    @staticmethod
    def from_frame(frame: Frame) -> Request:
        """The request a device received; :class:`ProtocolError` if the body is too short."""
        if len(frame.body) < 2:
            raise ProtocolError("request body shorter than CMD and PARA", 7, "length")
        return Request(frame.body[0], frame.body[1], bytes(frame.body[2:]))


def reset_sam() -> Request:
    return Request(0x10, 0xFF)


def sam_status() -> Request:
    return Request(0x11, 0xFF)


def sam_id() -> Request:
    return Request(0x12, 0xFF)


def find_card() -> Request:
    return Request(0x20, 0x01)


def select_card() -> Request:
    return Request(0x20, 0x02)


def read_base() -> Request:
    return Request(0x30, 0x01)


def read_appended_address() -> Request:
    return Request(0x30, 0x03)


def read_management_info() -> Request:
    return Request(0x30, 0x05)


def read_base_with_fingerprint() -> Request:
    return Request(0x30, 0x10)


def set_baud_rate(baud: int) -> Request:
    """Command 0x60; ``baud`` must be one of :data:`BAUD_RATES`."""
    if baud not in BAUD_RATES:
        raise ValueError(f"baud rate {baud} is not one of {BAUD_RATES}")
    return Request(0x60, BAUD_RATES.index(baud))


def set_max_rf_bytes(n: int) -> Request:
    """Command 0x61 FF with one data byte, 24-255."""
    if not 24 <= n <= 255:
        raise ValueError("max RF frame bytes must be 24-255")
    return Request(0x61, 0xFF, bytes([n]))


# ------------------------------------------------------------------------ status


class Outcome(enum.Enum):
    """What a status code means to the host."""

    SUCCESS = "success"
    CARD_FOUND = "card-found"
    NO_CONTENT = "no-content"
    NO_CARD = "no-card"
    SELECT_FAILED = "select-failed"
    REQUEST_REJECTED = "request-rejected"      # 0x10 checksum, 0x11 length
    BAD_COMMAND = "bad-command"                # 0x21
    NOT_PERMITTED = "not-permitted"            # 0x23
    AUTHENTICATION_FAILED = "authentication-failed"  # 0x31 0x32 0x33
    READ_FAILED = "read-failed"                # 0x24 0x40 0x41 0x47
    SAM_FAULT = "sam-fault"                    # 0x60 0x66
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Status:
    """One SW3 value: its code, the SDK's Chinese label, an English label, the outcome."""

    code: int
    label_zh: str
    label: str
    outcome: Outcome

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.SUCCESS, Outcome.CARD_FOUND)


STATUS: dict[int, Status] = {s.code: s for s in (
    Status(0x90, "操作成功", "success", Outcome.SUCCESS),
    Status(0x91, "证/卡中此项无内容", "the card has no content for this item",
           Outcome.NO_CONTENT),
    Status(0x9F, "寻找证/卡成功", "card found", Outcome.CARD_FOUND),
    Status(0x10, "接收数据校验和错", "checksum error in the request", Outcome.REQUEST_REJECTED),
    Status(0x11, "接收数据长度错", "length error in the request", Outcome.REQUEST_REJECTED),
    Status(0x21, "接收数据命令错", "unknown or invalid command", Outcome.BAD_COMMAND),
    Status(0x23, "越权操作", "operation not permitted", Outcome.NOT_PERMITTED),
    Status(0x24, "无法识别的错误", "unrecognised error", Outcome.READ_FAILED),
    Status(0x31, "证/卡认证SAM失败", "card failed to authenticate the SAM",
           Outcome.AUTHENTICATION_FAILED),
    Status(0x32, "SAM认证证/卡失败", "SAM failed to authenticate the card",
           Outcome.AUTHENTICATION_FAILED),
    Status(0x33, "信息验证错误", "information verification error",
           Outcome.AUTHENTICATION_FAILED),
    Status(0x40, "无法识别的卡类型", "unrecognised card type", Outcome.READ_FAILED),
    Status(0x41, "读证/卡操作失败", "card read failed", Outcome.READ_FAILED),
    Status(0x47, "取随机数失败", "get-random failed", Outcome.READ_FAILED),
    Status(0x60, "SAM自检失败", "SAM self-test failed", Outcome.SAM_FAULT),
    Status(0x66, "SAM未经授权", "SAM not authorised", Outcome.SAM_FAULT),
    Status(0x80, "寻找证/卡失败", "no card found", Outcome.NO_CARD),
    Status(0x81, "选取证/卡失败", "card selection failed", Outcome.SELECT_FAILED),
)}


#: answers to a read with fingerprint from a SAM that may not read fingerprints: the
#: operation is not permitted (0x23), the SAM is not authorised (0x66) or does not know
#: the command (0x21); the host falls back to the base read
FINGERPRINT_REFUSED = frozenset({0x21, 0x23, 0x66})


def status_of(code: int) -> Status:
    """The :class:`Status` of SW3 ``code`` (an UNKNOWN one for codes not in the table)."""
    found = STATUS.get(code)
    if found is None:
        return Status(code, "", f"unknown status 0x{code:02X}", Outcome.UNKNOWN)
    return found


#: data length of each command's success answer (``None``: any, at least one byte)
_SUCCESS_DATA: dict[Command, int | None] = {
    Command.RESET: 0, Command.SAM_STATUS: 0, Command.SET_BAUD: 0, Command.SET_RF_BYTES: 0,
    Command.SAM_ID: 16, Command.FIND: 4, Command.SELECT: 8, Command.READ_BASE: None,
    Command.READ_BASE_FP: None, Command.READ_APPENDED: None, Command.READ_MANAGEMENT: None,
}
#: statuses that answer one kind of command only
_OWN_STATUS = {0x9F: (Command.FIND,), 0x80: (Command.FIND,), 0x81: (Command.SELECT,),
               0x91: (Command.READ_APPENDED, Command.READ_MANAGEMENT)}


def answer_fits(command: Command | None, sw3: int, data: bytes) -> bool:
    """Whether an answer with ``sw3`` and ``data`` can be the SAM's answer to ``command``.

    A late answer to an earlier request (one the host gave up on and resent) can arrive
    while the host awaits the next command's; this tells such strays apart wherever the
    shape differs: a success status or a command-specific failure (0x80, 0x81, 0x91) of
    another command, or a success with the wrong data length. Generic failures (0x10,
    0x41, 0x60 ...) fit every command.
    """
    if command is None:
        return True
    owners = _OWN_STATUS.get(sw3)
    if owners is not None:
        return command in owners and (sw3 != 0x9F or len(data) == 4)
    if sw3 != 0x90:
        return True
    if command is Command.FIND:
        return False
    if command in (Command.READ_BASE, Command.READ_BASE_FP):  # its length words add up
        head = 6 if command is Command.READ_BASE_FP else 4
        words = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, head, 2))
        return len(data) >= head and len(data) == head + words
    want = _SUCCESS_DATA[command]
    return len(data) >= 1 if want is None else len(data) == want


def status_error(code: int, awaited: str) -> IdCaptureError:
    """The typed error for a failing SW3 ``code`` answering ``awaited`` (a command label).

    Card-level failures (read, authentication, selection) become
    :class:`DeviceRemoved` with code ``card-removed``: the card moved or left the field.
    SAM faults become :class:`DeviceFault`; rejected or unknown requests and unknown
    statuses :class:`ProtocolError`.
    """
    st = status_of(code)
    text = f"{awaited}: SAM answered 0x{code:02X} ({st.label})"
    if st.outcome in (Outcome.READ_FAILED, Outcome.AUTHENTICATION_FAILED,
                      Outcome.SELECT_FAILED, Outcome.NO_CARD):
        return DeviceRemoved(text + "; keep the card still on the reader and place it again",
                             code="card-removed")
    if st.outcome is Outcome.SAM_FAULT:
        return DeviceFault(text, code="sam-fault")
    if st.outcome is Outcome.NOT_PERMITTED:
        return DeviceFault(text, code="not-permitted")
    if st.outcome is Outcome.REQUEST_REJECTED:
        return ProtocolError(text, code="request-rejected")
    return ProtocolError(text, code="bad-status")


# ------------------------------------------------------------------------ frames


@dataclass(frozen=True)
class Frame:
    """A complete frame whose checksum verified. ``body`` excludes Len and CHK."""

    body: bytes
    position: int

    @property
    def total_length(self) -> int:
        return len(self.body) + 8


@dataclass(frozen=True)
class Garbage:
    """``count`` bytes skipped at stream offset ``position`` while looking for a preamble."""

    count: int
    position: int


@dataclass(frozen=True)
class BadChecksum:
    """A frame of ``length`` bytes at ``position`` whose XOR check failed (dropped whole)."""

    position: int
    length: int


@dataclass(frozen=True)
class BadLength:
    """A preamble at ``position`` followed by an impossible Len (the preamble is skipped)."""

    position: int
    length: int


Event = Frame | Garbage | BadChecksum | BadLength


class FrameDecoder:
    """Incremental decoder: :meth:`feed` bytes in any chunks, get events out.

    ``min_length`` is the smallest valid Len (4 for responses, 3 for requests);
    ``max_length`` the largest. :meth:`pending` tells how many bytes are buffered,
    :meth:`awaiting` how many more the frame in progress needs (0 when none is).
    """

    def __init__(self, *, min_length: int = 4, max_length: int = MAX_LENGTH) -> None:
        self.min_length = min_length
        self.max_length = max_length
        self._buf = bytearray()
        self._offset = 0  # stream position of _buf[0]

    def pending(self) -> int:
        return len(self._buf)

    def awaiting(self) -> int:
        """Bytes still needed to finish the frame whose header has been seen (else 0)."""
        buf = self._buf
        if len(buf) >= 7 and buf[:5] == PREAMBLE:
            n = (buf[5] << 8) | buf[6]
            if self.min_length <= n <= self.max_length:
                return max(7 + n - len(buf), 0)
        return 0

    def clear(self) -> None:
        """Drop everything buffered (after a timeout, before a resend)."""
        self._offset += len(self._buf)
        self._buf.clear()

    def _drop(self, n: int) -> None:
        del self._buf[:n]
        self._offset += n

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Add ``data`` and return the events it completes, in stream order."""
        self._buf += data
        events: list[Event] = []
        buf = self._buf
        while buf:
            start = buf.find(PREAMBLE)
            if start < 0:
                # keep a tail that may be the start of a preamble
                keep = 0
                for k in range(min(4, len(buf)), 0, -1):
                    if buf.endswith(PREAMBLE[:k]):
                        keep = k
                        break
                if len(buf) > keep:
                    events.append(Garbage(len(buf) - keep, self._offset))
                    self._drop(len(buf) - keep)
                break
            if start > 0:
                events.append(Garbage(start, self._offset))
                self._drop(start)
            if len(buf) < 7:
                break
            n = (buf[5] << 8) | buf[6]
            if not self.min_length <= n <= self.max_length:
                events.append(BadLength(self._offset, n))
                self._drop(1)
                continue
            if len(buf) < 7 + n:
                break
            if checksum(memoryview(buf)[5:7 + n]) != 0:
                events.append(BadChecksum(self._offset, 7 + n))
                self._drop(7 + n)
                continue
            events.append(Frame(bytes(buf[7:6 + n]), self._offset))
            self._drop(7 + n)
        return events


@dataclass(frozen=True)
class Response:
    """A SAM answer: the three status bytes and the data."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def status(self) -> Status:
        return status_of(self.sw3)

    @property
    def ok(self) -> bool:
        return self.status.ok

    @staticmethod
    def from_frame(frame: Frame) -> Response:
        if len(frame.body) < 3:
            raise ProtocolError("response body shorter than SW1 SW2 SW3", frame.position + 7,
                                "length")
        b = frame.body
        return Response(b[0], b[1], b[2], bytes(b[3:]))

    def encode(self) -> bytes:
        return encode_frame(bytes([self.sw1, self.sw2, self.sw3]) + self.data)


def encode_response(sw3: int, data: bytes = b"") -> bytes:
    """A device answer with SW1 = SW2 = 0."""
    return encode_frame(bytes([0, 0, sw3]) + data)


# ------------------------------------------------------------------------ payloads


def format_sam_id(data: bytes) -> str:
    """The 36-character SAM ID string (``dd.dd-dddddddd-dddddddddd-dddddddddd``)."""
    if len(data) < 16:
        raise ProtocolError(f"SAM ID has {len(data)} bytes, expected 16", 10, "length")
    a, b, c, d, e = struct.unpack_from("<HHIII", data)
    return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"


@dataclass(frozen=True)
class BaseMessage:
    """The blocks of a base read: 256-byte text, 1024-byte WLT photo, fingerprint (0-1024)."""

    text: bytes
    photo: bytes
    fingerprint: bytes | None = None


def parse_base_message(data: bytes, *, with_fingerprint: bool) -> BaseMessage:
    """Split the data of a 30 01 (or 30 10) answer; :class:`ProtocolError` on bad lengths."""
    head = 6 if with_fingerprint else 4
    if len(data) < head:
        raise ProtocolError("base message shorter than its length words", 10, "length")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    fp_len = int.from_bytes(data[4:6], "big") if with_fingerprint else 0
    if text_len != 256 or photo_len not in (0, 1024) or fp_len not in (0, 512, 1024):
        raise ProtocolError(f"unexpected block lengths text={text_len} photo={photo_len} "
                            f"fingerprint={fp_len}", 10, "length")
    if len(data) != head + text_len + photo_len + fp_len:
        raise ProtocolError(f"base message has {len(data)} data bytes, its length words "
                            f"announce {head + text_len + photo_len + fp_len}", 10, "length")
    text = data[head:head + text_len]
    photo = data[head + text_len:head + text_len + photo_len]
    fp = data[head + text_len + photo_len:] if with_fingerprint else None
    return BaseMessage(bytes(text), bytes(photo), bytes(fp) if fp is not None else None)


def build_base_message(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """The data of a 30 01 answer (``fingerprint=None``) or a 30 10 answer."""
    out = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    if fingerprint is not None:
        out += len(fingerprint).to_bytes(2, "big")
    out += text + photo
    if fingerprint is not None:
        out += fingerprint
    return out


def parse_appended_addresses(data: bytes) -> list[str]:
    """The appended addresses of a 30 03 answer (70 bytes UCS-2LE each, space padded)."""
    out = []
    for i in range(0, len(data) - len(data) % 70, 70):
        text = data[i:i + 70].decode("utf-16-le", errors="replace").rstrip(" \x00")
        if text:
            out.append(text)
    return out
