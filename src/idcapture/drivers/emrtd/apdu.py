"""ISO/IEC 7816-4 command and response APDUs: encoding and decoding, short and extended.

``ne`` is the number of response bytes expected: ``None`` for none (case 1/3),
1-256 for a short Le (``00`` means 256), up to 65536 for an extended Le. A command is
encoded in the short form when both its data and its ``ne`` fit, extended otherwise
(or when ``extended=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ProtocolError

__all__ = ["SW_OK", "CommandApdu", "ResponseApdu"]

SW_OK = 0x9000


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int | None = None
    extended: bool = False

    @property
    def header(self) -> bytes:
        return bytes([self.cla, self.ins, self.p1, self.p2])

    @property
    def is_extended(self) -> bool:
        return self.extended or len(self.data) > 255 or (self.ne or 0) > 256

    def encode(self) -> bytes:
        """The APDU bytes (short or extended form)."""
        if len(self.data) > 65535:
            raise ValueError("command data longer than 65535 bytes")
        if self.ne is not None and not 1 <= self.ne <= 65536:
            raise ValueError("ne must be 1..65536 or None")
        out = bytearray(self.header)
        if not self.is_extended:
            if self.data:
                out += bytes([len(self.data)]) + self.data
            if self.ne is not None:
                out.append(self.ne & 0xFF)
            return bytes(out)
        if self.data:
            out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
        if self.ne is not None:
            le = (self.ne & 0xFFFF).to_bytes(2, "big")
            out += le if self.data else b"\x00" + le
        return bytes(out)

    @classmethod
    def decode(cls, raw: bytes) -> CommandApdu:
        """Parse any of the seven APDU cases; :class:`ProtocolError` names the problem."""
        if len(raw) < 4:
            raise ProtocolError("command APDU shorter than its 4-byte header", len(raw))
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, b"", body[0] or 256)
        if body[0] != 0:
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, body[1:])
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, body[1:1 + lc], body[-1] or 256)
            raise ProtocolError(f"short Lc {lc} does not match {len(body) - 1} body bytes", 4)
        if len(body) == 3:
            return cls(cla, ins, p1, p2, b"", int.from_bytes(body[1:3], "big") or 65536,
                       True)
        if len(body) < 3:
            raise ProtocolError("extended APDU length is cut short", 4)
        lc = int.from_bytes(body[1:3], "big")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, body[3:3 + lc], None, True)
        if len(body) == 5 + lc:
            return cls(cla, ins, p1, p2, body[3:3 + lc],
                       int.from_bytes(body[-2:], "big") or 65536, True)
        raise ProtocolError(f"extended Lc {lc} does not match {len(body) - 3} body bytes", 5)


@dataclass(frozen=True)
class ResponseApdu:
    """A response APDU: data and the status word."""

    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def decode(cls, raw: bytes) -> ResponseApdu:
        if len(raw) < 2:
            raise ProtocolError("response APDU shorter than its status word", len(raw))
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))
