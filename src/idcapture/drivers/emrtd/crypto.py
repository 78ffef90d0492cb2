"""The symmetric primitives of BAC and secure messaging, over ``cryptography``.

Two-key 3DES in CBC mode with a zero IV, the ISO/IEC 9797-1 MAC algorithm 3 ("retail
MAC") with DES, padding method 2, and the Doc 9303 key-derivation function. Nothing here
implements a cipher: DES and 3DES come from ``cryptography``.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:  # cryptography >= 43 keeps 3DES among the "decrepit" algorithms
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

__all__ = [
    "ENC",
    "MAC",
    "adjust_parity",
    "des3_decrypt",
    "des3_encrypt",
    "kdf",
    "pad",
    "retail_mac",
    "unpad",
]

#: counter values of the key-derivation function
ENC = 1
MAC = 2
_ZERO_IV = bytes(8)


def adjust_parity(key: bytes) -> bytes:
    """Set the low bit of each byte so that every byte has odd parity (DES convention)."""
    out = bytearray(key)
    for i, b in enumerate(out):
        high = b & 0xFE
        out[i] = high | ((bin(high).count("1") + 1) % 2)
    return bytes(out)


def kdf(seed: bytes, counter: int) -> bytes:
    """Doc 9303 key derivation: SHA-1(seed || counter), 16 bytes, parity-adjusted."""
    digest = hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()
    return adjust_parity(digest[:16])


def _des3_key(key: bytes) -> bytes:
    if len(key) == 16:
        return key + key[:8]
    if len(key) in (8, 24):
        return key * 3 if len(key) == 8 else key
    raise ValueError(f"a DES key has 8, 16 or 24 bytes, not {len(key)}")


def des3_encrypt(key: bytes, data: bytes, iv: bytes = _ZERO_IV) -> bytes:
    """3DES-CBC encryption of block-aligned ``data`` (an 8-byte key is single DES)."""
    if len(data) % 8:
        raise ValueError("3DES-CBC data must be a multiple of 8 bytes")
    enc = Cipher(TripleDES(_des3_key(key)), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def des3_decrypt(key: bytes, data: bytes, iv: bytes = _ZERO_IV) -> bytes:
    """3DES-CBC decryption of block-aligned ``data``."""
    if len(data) % 8:
        raise ValueError("3DES-CBC data must be a multiple of 8 bytes")
    dec = Cipher(TripleDES(_des3_key(key)), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2: ``80`` then ``00`` up to a multiple of 8 (always)."""
    n = len(data) + 1
    return data + b"\x80" + bytes((-n) % 8)


def unpad(data: bytes) -> bytes:
    """Remove padding method 2; :class:`ValueError` if it is not there."""
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) > 7:
        raise ValueError("padding method 2 not found")
    return stripped[:-1]


def retail_mac(key: bytes, data: bytes, padded: bool = False) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES: 8 bytes over ``data`` (padded unless told).

    CBC with single DES under Ka over every block, then the last block decrypted with Kb
    and encrypted with Ka, which is the last block's 3DES (Ka, Kb, Ka) encryption.
    """
    if len(key) != 16:
        raise ValueError("the retail MAC needs a 16-byte key")
    msg = data if padded else pad(data)
    if len(msg) % 8 or not msg:
        raise ValueError("MAC input must be a non-empty multiple of 8 bytes")
    ka = key[:8]
    head, last = msg[:-8], msg[-8:]
    chain = des3_encrypt(ka, head)[-8:] if head else _ZERO_IV
    block = bytes(a ^ b for a, b in zip(chain, last))
    return des3_encrypt(key, block)
