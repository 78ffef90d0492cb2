"""Basic Access Control (Doc 9303 part 11, section 4.3), both sides, sans-IO.

The terminal side is :class:`BacTerminal`: give it the MRZ information, the chip's
challenge (RND.ICC) and, for tests, its own nonces; it builds the MUTUAL AUTHENTICATE
command and turns the chip's answer into a :class:`~.sm.SecureMessaging` session. The
chip side, :class:`BacChip`, is what the card simulator runs.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass

from .apdu import CommandApdu
from .crypto import ENC, MAC, des3_decrypt, des3_encrypt, kdf, retail_mac
from .errors import AccessDenied
from .mrz import bac_key_seed
from .sm import SecureMessaging

__all__ = [
    "GET_CHALLENGE",
    "BacChip",
    "BacKeys",
    "BacTerminal",
    "session_from_seed",
]

#: GET CHALLENGE for 8 bytes
GET_CHALLENGE = CommandApdu(0x00, 0x84, 0x00, 0x00, b"", 8)


@dataclass(frozen=True)
class BacKeys:
    """The document basic access keys K_Enc and K_MAC."""

    k_enc: bytes
    k_mac: bytes

    @classmethod
    def from_mrz_information(cls, information: str) -> BacKeys:
        seed = bac_key_seed(information)
        return cls(kdf(seed, ENC), kdf(seed, MAC))


def session_from_seed(k_ifd: bytes, k_icc: bytes, rnd_icc: bytes,
                      rnd_ifd: bytes) -> SecureMessaging:
    """Session keys from K.IFD xor K.ICC, and the SSC from the nonces' last 4 bytes."""
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_icc))
    ssc = int.from_bytes(rnd_icc[4:8] + rnd_ifd[4:8], "big")
    return SecureMessaging(kdf(seed, ENC), kdf(seed, MAC), ssc)


class BacTerminal:
    """The inspection-system side of one BAC attempt."""

    def __init__(self, keys: BacKeys, rnd_ifd: bytes | None = None,
                 k_ifd: bytes | None = None) -> None:
        self.keys = keys
        self.rnd_ifd = rnd_ifd if rnd_ifd is not None else os.urandom(8)
        self.k_ifd = k_ifd if k_ifd is not None else os.urandom(16)
        self.rnd_icc = b""

    def mutual_authenticate(self, rnd_icc: bytes) -> CommandApdu:
        """The MUTUAL AUTHENTICATE command for the chip's challenge ``rnd_icc``."""
        if len(rnd_icc) != 8:
            raise AccessDenied(f"the chip's challenge has {len(rnd_icc)} bytes, not 8",
                               "bad-challenge")
        self.rnd_icc = rnd_icc
        e_ifd = des3_encrypt(self.keys.k_enc, self.rnd_ifd + rnd_icc + self.k_ifd)
        m_ifd = retail_mac(self.keys.k_mac, e_ifd)
        return CommandApdu(0x00, 0x82, 0x00, 0x00, e_ifd + m_ifd, 40)

    def complete(self, response: bytes) -> SecureMessaging:
        """Check the chip's E.ICC || M.ICC and derive the session.

        :class:`AccessDenied` if the MAC or the returned nonce is wrong.
        """
        if len(response) != 40:
            raise AccessDenied(f"MUTUAL AUTHENTICATE answer has {len(response)} bytes, not 40",
                               "bac-failed")
        e_icc, m_icc = response[:32], response[32:]
        if not hmac.compare_digest(retail_mac(self.keys.k_mac, e_icc), m_icc):
            raise AccessDenied("the chip's authentication MAC does not verify", "bac-failed")
        r = des3_decrypt(self.keys.k_enc, e_icc)
        if r[:8] != self.rnd_icc or r[8:16] != self.rnd_ifd:
            raise AccessDenied("the chip returned other nonces than were exchanged",
                               "bac-failed")
        return session_from_seed(self.k_ifd, r[16:32], self.rnd_icc, self.rnd_ifd)


class BacChip:
    """The chip side of BAC (used by the simulator)."""

    def __init__(self, keys: BacKeys) -> None:
        self.keys = keys
        self.rnd_icc: bytes | None = None

    def challenge(self, rnd_icc: bytes | None = None) -> bytes:
        self.rnd_icc = rnd_icc if rnd_icc is not None else os.urandom(8)
        return self.rnd_icc

    def authenticate(self, data: bytes, k_icc: bytes | None = None
                     ) -> tuple[bytes, SecureMessaging] | None:
        """Answer MUTUAL AUTHENTICATE: ``(E.ICC || M.ICC, session)`` or None on failure."""
        rnd_icc, self.rnd_icc = self.rnd_icc, None
        if rnd_icc is None or len(data) != 40:
            return None
        e_ifd, m_ifd = data[:32], data[32:]
        if not hmac.compare_digest(retail_mac(self.keys.k_mac, e_ifd), m_ifd):
            return None
        s = des3_decrypt(self.keys.k_enc, e_ifd)
        if s[8:16] != rnd_icc:
            return None
        rnd_ifd, k_ifd = s[:8], s[16:32]
        k_icc = k_icc if k_icc is not None else os.urandom(16)
        e_icc = des3_encrypt(self.keys.k_enc, rnd_icc + rnd_ifd + k_icc)
        answer = e_icc + retail_mac(self.keys.k_mac, e_icc)
        return answer, session_from_seed(k_ifd, k_icc, rnd_icc, rnd_ifd)
