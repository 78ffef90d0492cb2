"""Sans-IO codec of the AS60x serial fingerprint-module protocol (AS608, ZFM-20, R30x, R503).

Shared by the :mod:`driver <idcapture.drivers.as608.driver>` and the device-side simulator.
Nothing here opens a port, sleeps or reads a clock: bytes in, typed packets out, and back.

A packet on the wire (multi-byte fields big-endian)::

    EF 01 | address (4) | PID (1) | length L (2) | content (L-2) | checksum (2)

``L`` counts the content and the checksum; the checksum is the low 16 bits of the sum of the
PID, both length bytes and every content byte (header and address are not summed).

* :class:`Packet` encodes and holds one packet; :class:`PacketDecoder` turns a byte stream
  into packets or raises :class:`~idcapture.errors.ProtocolError` with the stream offset.
* :class:`Instruction` lists every instruction code; :func:`command` builds a command packet
  with its parameters laid out as the module expects.
* :class:`ConfirmationCode` lists every confirmation code; :func:`confirmation` maps each to a
  :class:`Confirmation`: success, a *retry outcome* ("no finger" is one), a negative answer
  (no match) or a typed error.
* :func:`unpack_image` / :func:`pack_image` convert the 4-bit packed image of ``UpImage``.

Why this module is long: it is the whole codec of one protocol (every instruction and
confirmation code, the packed image), shared by the driver and the simulator.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...errors import (
    ConfigError,
    DeviceFault,
    IdCaptureError,
    ProtocolError,
    RetryOutcome,
    RetryReason,
)

__all__ = [
    "DEFAULT_ADDRESS",
    "HEADER",
    "IMAGE_HEIGHT",
    "IMAGE_PPI",
    "IMAGE_WIDTH",
    "MAX_CONTENT",
    "PACKET_SIZES",
    "Ack",
    "Confirmation",
    "ConfirmationCode",
    "Instruction",
    "OutcomeKind",
    "Packet",
    "PacketDecoder",
    "PacketId",
    "SysParam",
    "SystemParameters",
    "ack",
    "baud_multiplier",
    "checksum",
    "command",
    "confirmation",
    "data_packets",
    "join_data",
    "pack_image",
    "packet_size_code",
    "unpack_image",
]

HEADER = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF
#: the optical AS608 / R30x / ZFM-20 sensor image
IMAGE_WIDTH = 256
IMAGE_HEIGHT = 288
IMAGE_PPI = 500
#: data-packet payload size by its SetSysPara/ReadSysPara code
PACKET_SIZES: dict[int, int] = {0: 32, 1: 64, 2: 128, 3: 256}
#: the largest content a packet may carry (a 256-byte data packet)
MAX_CONTENT = 256
_PREFIX = 9  # header (2) + address (4) + PID (1) + length (2)


class PacketId(enum.IntEnum):
    """The packet identifier byte."""

    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END_DATA = 0x08


class Instruction(enum.IntEnum):
    """Instruction codes (host -> module, in a COMMAND packet)."""

    GEN_IMG = 0x01
    IMG2TZ = 0x02
    MATCH = 0x03
    SEARCH = 0x04
    REG_MODEL = 0x05
    STORE = 0x06
    LOAD_CHAR = 0x07
    UP_CHAR = 0x08
    DOWN_CHAR = 0x09
    UP_IMAGE = 0x0A
    DOWN_IMAGE = 0x0B
    DELETE_CHAR = 0x0C
    EMPTY = 0x0D
    SET_SYS_PARA = 0x0E
    READ_SYS_PARA = 0x0F
    SET_PWD = 0x12
    VFY_PWD = 0x13
    GET_RANDOM_CODE = 0x14
    SET_ADDER = 0x15
    HIGH_SPEED_SEARCH = 0x1B
    TEMPLATE_NUM = 0x1D
    READ_INDEX_TABLE = 0x1F
    AURA_LED = 0x35
    SOFT_RESET = 0x3D
    HANDSHAKE = 0x53


#: struct layout of each instruction's parameters (after the code byte)
PARAMETER_LAYOUT: dict[Instruction, str] = {
    Instruction.GEN_IMG: "",
    Instruction.IMG2TZ: ">B",
    Instruction.MATCH: "",
    Instruction.SEARCH: ">BHH",
    Instruction.REG_MODEL: "",
    Instruction.STORE: ">BH",
    Instruction.LOAD_CHAR: ">BH",
    Instruction.UP_CHAR: ">B",
    Instruction.DOWN_CHAR: ">B",
    Instruction.UP_IMAGE: "",
    Instruction.DOWN_IMAGE: "",
    Instruction.DELETE_CHAR: ">HH",
    Instruction.EMPTY: "",
    Instruction.SET_SYS_PARA: ">BB",
    Instruction.READ_SYS_PARA: "",
    Instruction.SET_PWD: ">I",
    Instruction.VFY_PWD: ">I",
    Instruction.GET_RANDOM_CODE: "",
    Instruction.SET_ADDER: ">I",
    Instruction.HIGH_SPEED_SEARCH: ">BHH",
    Instruction.TEMPLATE_NUM: "",
    Instruction.READ_INDEX_TABLE: ">B",
    Instruction.AURA_LED: ">BBBB",
    Instruction.SOFT_RESET: "",
    Instruction.HANDSHAKE: "",
}

#: struct layout of each instruction's reply results (after the confirmation code)
REPLY_LAYOUT: dict[Instruction, str] = {
    Instruction.MATCH: ">H",
    Instruction.SEARCH: ">HH",
    Instruction.HIGH_SPEED_SEARCH: ">HH",
    Instruction.READ_SYS_PARA: ">HHHHIHH",
    Instruction.GET_RANDOM_CODE: ">I",
    Instruction.TEMPLATE_NUM: ">H",
    Instruction.READ_INDEX_TABLE: ">32s",
}


class SysParam(enum.IntEnum):
    """SetSysPara parameter numbers."""

    BAUD = 4
    SECURITY_LEVEL = 5
    PACKET_SIZE = 6


class ConfirmationCode(enum.IntEnum):
    """The first content byte of every acknowledge."""

    OK = 0x00
    RECEIVE_ERROR = 0x01
    NO_FINGER = 0x02
    CAPTURE_FAILED = 0x03
    IMAGE_DISORDERED = 0x06
    TOO_FEW_FEATURES = 0x07
    NO_MATCH = 0x08
    NOT_FOUND = 0x09
    COMBINE_FAILED = 0x0A
    PAGE_OUT_OF_RANGE = 0x0B
    INVALID_TEMPLATE = 0x0C
    TEMPLATE_UPLOAD_ERROR = 0x0D
    CANNOT_RECEIVE_DATA = 0x0E
    IMAGE_UPLOAD_ERROR = 0x0F
    DELETE_FAILED = 0x10
    CLEAR_FAILED = 0x11
    WRONG_PASSWORD = 0x13
    NO_VALID_IMAGE = 0x15
    FLASH_ERROR = 0x18
    UNDEFINED_ERROR = 0x19
    INVALID_REGISTER = 0x1A
    BAD_REGISTER_CONFIG = 0x1B
    BAD_NOTEPAD_PAGE = 0x1C
    PORT_FAILURE = 0x1D
    ADDRESS_MISMATCH = 0x20
    PASSWORD_REQUIRED = 0x21
    #: the handshake's "module OK" on firmware that answers it
    HANDSHAKE_OK = 0x55


class OutcomeKind(str, enum.Enum):
    """How a caller should treat a confirmation code."""

    OK = "ok"
    #: the operator can fix it: present the finger again (RetryOutcome)
    RETRY = "retry"
    #: a valid negative answer (no match, not in the library): not a failure
    NEGATIVE = "negative"
    #: the module or the command is broken: a typed error
    ERROR = "error"


@dataclass(frozen=True)
class Confirmation:
    """A confirmation code and what it means for the caller."""

    code: int
    kind: OutcomeKind
    meaning: str
    retry_reason: RetryReason | None = None
    error_type: type[IdCaptureError] | None = None

    @property
    def name(self) -> str:
        try:
            return ConfirmationCode(self.code).name.lower().replace("_", "-")
        except ValueError:
            return f"unknown-0x{self.code:02x}"

    def retry_outcome(self) -> RetryOutcome:
        """The retry outcome of a RETRY confirmation."""
        if self.retry_reason is None:
            raise ValueError(f"confirmation 0x{self.code:02x} is not a retry outcome")
        return RetryOutcome(self.retry_reason, self.meaning, {"confirmation_code": self.code})

    def error(self, what: str = "") -> IdCaptureError:
        """The typed error of an ERROR confirmation (``what`` names the command)."""
        etype = self.error_type or DeviceFault
        suffix = f" during {what}" if what else ""
        text = f"fingerprint module answered 0x{self.code:02x} ({self.meaning}){suffix}"
        code = f"as608-{self.name}"
        if etype is ProtocolError:
            return ProtocolError(text, code=code)
        return etype(text, code)


def _c(code: ConfirmationCode, kind: OutcomeKind, meaning: str,
       retry: RetryReason | None = None, err: type[IdCaptureError] | None = None
       ) -> tuple[int, Confirmation]:
    return int(code), Confirmation(int(code), kind, meaning, retry, err)


_R, _E, _N = OutcomeKind.RETRY, OutcomeKind.ERROR, OutcomeKind.NEGATIVE
CC = ConfirmationCode
CONFIRMATIONS: dict[int, Confirmation] = dict([
    _c(CC.OK, OutcomeKind.OK, "ok"),
    _c(CC.HANDSHAKE_OK, OutcomeKind.OK, "module ok"),
    _c(CC.RECEIVE_ERROR, _E, "the module could not receive the packet", err=ProtocolError),
    _c(CC.NO_FINGER, _R, "no finger on the sensor", RetryReason.NO_FINGER),
    _c(CC.CAPTURE_FAILED, _R, "the image could not be captured; place the finger flat and "
       "hold it still", RetryReason.FINGER_LIFTED),
    _c(CC.IMAGE_DISORDERED, _R, "the image is too disordered to extract features; clean the "
       "finger and the sensor", RetryReason.SMUDGED),
    _c(CC.TOO_FEW_FEATURES, _R, "too few features; cover more of the sensor with the finger",
       RetryReason.AREA_TOO_SMALL),
    _c(CC.NO_MATCH, _N, "the fingers do not match"),
    _c(CC.NOT_FOUND, _N, "no match in the library"),
    _c(CC.COMBINE_FAILED, _R, "the captures could not be combined; present the same finger "
       "again", RetryReason.LOW_QUALITY),
    _c(CC.PAGE_OUT_OF_RANGE, _E, "page number beyond the library", err=ConfigError),
    _c(CC.INVALID_TEMPLATE, _E, "error reading the template or invalid template",
       err=DeviceFault),
    _c(CC.TEMPLATE_UPLOAD_ERROR, _E, "error uploading the template", err=ProtocolError),
    _c(CC.CANNOT_RECEIVE_DATA, _E, "the module cannot receive the following data packets",
       err=ProtocolError),
    _c(CC.IMAGE_UPLOAD_ERROR, _E, "error uploading the image", err=ProtocolError),
    _c(CC.DELETE_FAILED, _E, "failed to delete the template", err=DeviceFault),
    _c(CC.CLEAR_FAILED, _E, "failed to clear the library", err=DeviceFault),
    _c(CC.WRONG_PASSWORD, _E, "wrong module password", err=ConfigError),
    _c(CC.NO_VALID_IMAGE, _R, "no valid image in the buffer; capture again",
       RetryReason.NO_FINGER),
    _c(CC.FLASH_ERROR, _E, "flash read/write error", err=DeviceFault),
    _c(CC.UNDEFINED_ERROR, _E, "undefined error", err=DeviceFault),
    _c(CC.INVALID_REGISTER, _E, "invalid register number", err=ConfigError),
    _c(CC.BAD_REGISTER_CONFIG, _E, "incorrect register configuration", err=ConfigError),
    _c(CC.BAD_NOTEPAD_PAGE, _E, "wrong notepad page number", err=ConfigError),
    _c(CC.PORT_FAILURE, _E, "communication port failure", err=DeviceFault),
    _c(CC.ADDRESS_MISMATCH, _E, "module address mismatch", err=ConfigError),
    _c(CC.PASSWORD_REQUIRED, _E, "the module password must be verified first",
       err=ConfigError),
])


def confirmation(code: int) -> Confirmation:
    """What confirmation ``code`` means; unknown codes are errors naming the code."""
    known = CONFIRMATIONS.get(code)
    if known is not None:
        return known
    return Confirmation(code, OutcomeKind.ERROR, "unknown confirmation code", None, DeviceFault)


def checksum(pid: int, content: bytes) -> int:
    """Low 16 bits of PID + both length bytes + every content byte."""
    length = len(content) + 2
    return (pid + (length >> 8) + (length & 0xFF) + sum(content)) & 0xFFFF


@dataclass(frozen=True)
class Packet:
    """One packet. ``content`` excludes the checksum."""

    pid: int
    content: bytes
    address: int = DEFAULT_ADDRESS

    def encode(self) -> bytes:
        if not 0 <= self.address <= 0xFFFFFFFF:
            raise ValueError("module address must fit in 32 bits")
        if len(self.content) > MAX_CONTENT:
            raise ValueError(f"packet content of {len(self.content)} bytes exceeds "
                             f"{MAX_CONTENT}")
        return (HEADER + struct.pack(">IBH", self.address, self.pid, len(self.content) + 2)
                + self.content + struct.pack(">H", checksum(self.pid, self.content)))

    @property
    def is_data(self) -> bool:
        return self.pid in (PacketId.DATA, PacketId.END_DATA)


class PacketDecoder:
    """Incremental decoder: :meth:`feed` bytes, get the complete packets.

    Raises :class:`ProtocolError` (with the offset in the whole stream) on a bad header,
    an unknown packet identifier, an impossible length, a checksum mismatch, or, when
    ``address`` is given, a packet from another module address. After an error, call
    :meth:`reset` (or :meth:`resync`) before feeding more.
    """

    def __init__(self, address: int | None = None) -> None:
        self.address = address
        self._buf = bytearray()
        self._offset = 0  # stream offset of _buf[0]

    @property
    def pending(self) -> int:
        """Bytes held that do not make a complete packet yet."""
        return len(self._buf)

    def reset(self) -> None:
        """Drop any partial packet."""
        self._offset += len(self._buf)
        self._buf.clear()

    def resync(self) -> None:
        """Skip to the next header (used after an error to recover mid-stream)."""
        idx = self._buf.find(HEADER, 1)
        drop = len(self._buf) if idx < 0 else idx
        if idx < 0 and self._buf.endswith(HEADER[:1]):
            drop -= 1
        del self._buf[:drop]
        self._offset += drop

    def feed(self, data: bytes) -> list[Packet]:
        self._buf += data
        return list(self._drain())

    def _drain(self) -> Iterator[Packet]:
        while True:
            buf = self._buf
            if len(buf) >= 1 and buf[0] != HEADER[0]:
                raise ProtocolError("bad packet header", self._offset, "as608-header")
            if len(buf) >= 2 and buf[1] != HEADER[1]:
                raise ProtocolError("bad packet header", self._offset + 1, "as608-header")
            if len(buf) < _PREFIX:
                return
            address, pid, length = struct.unpack_from(">IBH", buf, 2)
            if pid not in PacketId._value2member_map_:
                raise ProtocolError(f"unknown packet identifier 0x{pid:02x}",
                                    self._offset + 6, "as608-pid")
            minimum = 2 if pid in (PacketId.DATA, PacketId.END_DATA) else 3
            if not minimum <= length <= MAX_CONTENT + 2:
                raise ProtocolError(f"impossible packet length {length}", self._offset + 7,
                                    "as608-length")
            if self.address is not None and address != self.address:
                raise ProtocolError(f"packet from module address 0x{address:08x}, expected "
                                    f"0x{self.address:08x}", self._offset + 2, "as608-address")
            total = _PREFIX + length
            if len(buf) < total:
                return
            content = bytes(buf[_PREFIX:total - 2])
            (got,) = struct.unpack_from(">H", buf, total - 2)
            if got != checksum(pid, content):
                raise ProtocolError("packet checksum mismatch", self._offset + total - 2,
                                    "checksum")
            del buf[:total]
            self._offset += total
            yield Packet(pid, content, address)


def command(instruction: Instruction | int, *params: int | bytes,
            address: int = DEFAULT_ADDRESS) -> Packet:
    """A COMMAND packet for ``instruction`` with its parameters laid out per the protocol."""
    ins = Instruction(instruction)
    layout = PARAMETER_LAYOUT[ins]
    try:
        body = struct.pack(layout, *params) if layout else b""
    except struct.error as exc:
        raise ValueError(f"bad parameters for {ins.name}: {exc}") from None
    if not layout and params:
        raise ValueError(f"{ins.name} takes no parameters")
    return Packet(PacketId.COMMAND, bytes([ins]) + body, address)


def ack(code: int, results: bytes = b"", address: int = DEFAULT_ADDRESS) -> Packet:
    """An ACK packet (the module's reply)."""
    return Packet(PacketId.ACK, bytes([code & 0xFF]) + results, address)


@dataclass(frozen=True)
class Ack:
    """A decoded acknowledge: the confirmation and the raw results after it."""

    code: int
    results: bytes

    @classmethod
    def parse(cls, packet: Packet) -> Ack:
        if packet.pid != PacketId.ACK:
            raise ProtocolError(f"expected an acknowledge, got packet identifier "
                                f"0x{packet.pid:02x}", code="as608-unexpected-packet")
        if not packet.content:
            raise ProtocolError("empty acknowledge", code="as608-length")
        return cls(packet.content[0], packet.content[1:])

    @property
    def confirmation(self) -> Confirmation:
        return confirmation(self.code)

    def fields(self, instruction: Instruction) -> tuple[int | bytes, ...]:
        """The reply results of ``instruction`` unpacked per its layout."""
        layout = REPLY_LAYOUT.get(instruction, "")
        if not layout:
            return ()
        need = struct.calcsize(layout)
        if len(self.results) < need:
            raise ProtocolError(f"{instruction.name} reply has {len(self.results)} result "
                                f"bytes, expected {need}", code="as608-length")
        return struct.unpack_from(layout, self.results)


@dataclass(frozen=True)
class SystemParameters:
    """The 16 bytes of the ReadSysPara reply."""

    status: int = 0
    system_id: int = 0x0009
    library_size: int = 300
    security_level: int = 3
    address: int = DEFAULT_ADDRESS
    packet_size_code: int = 2
    baud_multiplier: int = 6

    @property
    def packet_size(self) -> int:
        """Data-packet payload size in bytes (32, 64, 128 or 256)."""
        try:
            return PACKET_SIZES[self.packet_size_code]
        except KeyError:
            raise ProtocolError(f"module reports packet size code {self.packet_size_code}, "
                                "expected 0-3", code="as608-sys-para") from None

    @property
    def baud(self) -> int:
        return 9600 * self.baud_multiplier

    @classmethod
    def parse(cls, results: bytes) -> SystemParameters:
        if len(results) < 16:
            raise ProtocolError(f"system parameters have {len(results)} bytes, expected 16",
                                code="as608-length")
        fields = struct.unpack_from(REPLY_LAYOUT[Instruction.READ_SYS_PARA], results)
        return cls(*(int(f) for f in fields))

    def encode(self) -> bytes:
        return struct.pack(REPLY_LAYOUT[Instruction.READ_SYS_PARA], self.status, self.system_id,
                           self.library_size, self.security_level, self.address,
                           self.packet_size_code, self.baud_multiplier)


def packet_size_code(size: int) -> int:
    """The SetSysPara code of a data-packet payload size (32, 64, 128, 256)."""
    for code, value in PACKET_SIZES.items():
        if value == size:
            return code
    raise ConfigError(f"packet size must be one of 32, 64, 128, 256 bytes, got {size}")


def baud_multiplier(baud: int) -> int:
    """The SetSysPara multiplier N of a baud rate (9600 x N, N = 1..12)."""
    n, rem = divmod(baud, 9600)
    if rem or not 1 <= n <= 12:
        raise ConfigError(f"baud must be 9600 x N with N = 1..12, got {baud}")
    return n


def data_packets(payload: bytes, packet_size: int, address: int = DEFAULT_ADDRESS
                 ) -> list[Packet]:
    """Split ``payload`` into DATA packets of ``packet_size`` ending with one END_DATA."""
    if packet_size not in PACKET_SIZES.values():
        raise ConfigError(f"packet size must be one of 32, 64, 128, 256 bytes, got "
                          f"{packet_size}")
    chunks = [payload[i:i + packet_size] for i in range(0, len(payload), packet_size)] or [b""]
    last = len(chunks) - 1
    return [Packet(PacketId.END_DATA if i == last else PacketId.DATA, c, address)
            for i, c in enumerate(chunks)]


def join_data(packets: Iterable[Packet]) -> bytes:
    """The payload of a data-packet sequence (must end with END_DATA)."""
    out = bytearray()
    ended = False
    for p in packets:
        if ended:
            raise ProtocolError("data packet after the last data packet",
                                code="as608-unexpected-packet")
        if not p.is_data:
            raise ProtocolError(f"expected a data packet, got packet identifier 0x{p.pid:02x}",
                                code="as608-unexpected-packet")
        out += p.content
        ended = p.pid == PacketId.END_DATA
    if not ended:
        raise ProtocolError("data sequence did not end with a last-data packet",
                            code="as608-unexpected-packet")
    return bytes(out)


def unpack_image(data: bytes, width: int = IMAGE_WIDTH, height: int = IMAGE_HEIGHT
                 ) -> npt.NDArray[np.uint8]:
    """8-bit greyscale image from 4-bit packed pixels (high nibble = left pixel), x17."""
    need = width * height // 2
    if len(data) != need:
        raise ProtocolError(f"image upload has {len(data)} bytes, expected {need} for "
                            f"{width}x{height} at 4 bits per pixel", code="as608-image-size")
    packed = np.frombuffer(data, np.uint8)
    out = np.empty(need * 2, np.uint8)
    out[0::2] = packed >> 4
    out[1::2] = packed & 0x0F
    out *= 17
    return out.reshape(height, width)


def pack_image(image: npt.NDArray[np.uint8]) -> bytes:
    """4-bit packed pixels of an 8-bit image (rounded to the nearest of 16 levels)."""
    if image.dtype != np.uint8 or image.ndim != 2 or image.shape[1] % 2:
        raise ValueError("expected a 2-D uint8 image with an even width")
    levels = ((image.astype(np.uint16) + 8) // 17).astype(np.uint8).ravel()
    return bytes((levels[0::2] << 4) | levels[1::2])
