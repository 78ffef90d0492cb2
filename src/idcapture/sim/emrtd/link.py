"""A timing model of the contactless link (ISO/IEC 14443-3/-4, Type A) for the chip simulator.

A real passport answers at the pace of its radio link and its processor; the simulator
answers at once unless given a :class:`Link`, which makes every APDU exchange take at
least the time this model gives it:

* the bit rate is 106, 212, 424 or 848 kbit/s (``fc/128`` .. ``fc/16``, fc = 13.56 MHz);
* every byte on air is 9 bits (8 data bits and a parity bit), and a frame adds a start
  and an end bit;
* an APDU travels in ISO/IEC 14443-4 I-blocks of at most ``frame_size`` bytes (1 byte
  PCB, the information field, 2 bytes CRC_A); a longer one is chained, and each
  chained block but the last is acknowledged by an R(ACK) block (3 bytes) from the other
  side;
* each frame is followed by the frame delay time, 1172/fc (86 µs), before the other
  side answers;
* the chip spends ``chip_s`` on each command (file access, secure-messaging crypto).

So ``exchange_time(command_bytes, response_bytes)`` is a floor: real readers add their
own guard times and the host's PC/SC stack comes on top, which is what a benchmark's
ratio to this modelled time shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import ConfigError

__all__ = ["BIT_RATES", "FC", "Link"]

#: carrier frequency (Hz)
FC = 13.56e6
#: the bit rates of ISO/IEC 14443 (kbit/s, nominal) and their divisor of fc
BIT_RATES: dict[int, int] = {106: 128, 212: 64, 424: 32, 848: 16}
_FDT = 1172 / FC
_BLOCK = 3  # PCB + CRC_A around an information field


@dataclass(frozen=True)
class Link:
    """The link's bit rate (kbit/s, one of :data:`BIT_RATES`), the chip's time per APDU
    (seconds) and the largest frame (FSC/FSD, bytes)."""

    bit_rate: int = 106
    chip_s: float = 0.0
    frame_size: int = 256

    def __post_init__(self) -> None:
        if self.bit_rate not in BIT_RATES:
            raise ConfigError(f"link bit rate {self.bit_rate!r} kbit/s: ISO/IEC 14443 has "
                              f"{', '.join(map(str, BIT_RATES))}")
        if not (0 <= self.chip_s <= 10) or math.isnan(self.chip_s):
            raise ConfigError(f"link chip time {self.chip_s!r} s: must be 0 to 10 s")
        if not 16 <= self.frame_size <= 4096:
            raise ConfigError(f"link frame size {self.frame_size!r}: must be 16 to 4096 bytes")

    @property
    def bit_s(self) -> float:
        """One bit on air (seconds)."""
        return BIT_RATES[self.bit_rate] / FC

    def _frame(self, n: int) -> float:
        return (n * 9 + 2) * self.bit_s + _FDT

    def transfer_time(self, n: int) -> float:
        """Carrying an APDU of ``n`` bytes one way, chained blocks acknowledged."""
        room = self.frame_size - _BLOCK
        blocks = max(1, -(-n // room))
        last = n - (blocks - 1) * room
        return ((blocks - 1) * (self._frame(self.frame_size) + self._frame(_BLOCK))
                + self._frame(last + _BLOCK))

    def exchange_time(self, command: int, response: int) -> float:
        """One command of ``command`` bytes answered with ``response`` bytes."""
        return self.transfer_time(command) + self.chip_s + self.transfer_time(response)

    @classmethod
    def from_dict(cls, d: object) -> Link:
        """From a card file's ``link``: ``{"bit_rate": 106, "chip_ms": 2}``."""
        if not isinstance(d, dict) or set(d) - {"bit_rate", "chip_ms", "frame_size"}:
            raise ConfigError("link: expects an object with bit_rate (106/212/424/848), "
                              "chip_ms and frame_size")
        try:
            return cls(int(d.get("bit_rate", 106)), float(d.get("chip_ms", 0)) / 1000,
                       int(d.get("frame_size", 256)))
        except (TypeError, ValueError):
            raise ConfigError("link: bit_rate, chip_ms and frame_size must be numbers") \
                from None
