"""Encryption at rest of a station store: the personal columns and every blob.

A store is encrypted with a random 256-bit data key. The data key is kept in the store
only wrapped (AES-GCM) under a key derived from the operator's passphrase with scrypt,
so the store folder alone gives nothing away: the passphrase (or the data key) never
lies beside the data. From the data key, HKDF derives:

* an **AES-GCM** key for the blobs (image and template files, the file's SHA-256 name
  as associated data) and the personal columns (roster name, sex, birth date and
  ethnicity; record and session bodies, which hold the whole CaptureRecord), each with
  its table and column as associated data, a fresh 96-bit nonce each time;
* an **AES-SIV** key for the ID-number columns: deterministic authenticated encryption,
  so an ID number always gives the same value and the store can still look students up,
  join and keep ID numbers unique, while the value reveals nothing without the key.

Left in clear, because the station sorts and allocates by them: school code and name,
class, student-status number, registration number, record ids, status and times, the
settings and the (already masked) audit log. Blob files keep their SHA-256 names (the
record's references), which identify an image only to someone who holds it already.

Values carry a prefix (``enc1:``, ``det1:``, blob magic ``IDCB1``), so a store being
migrated from clear (:meth:`~idcapture.station.store.Store.encrypt`) reads either
form.
"""

from __future__ import annotations

import base64
import functools
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..errors import ConfigError, RecordError
from ..i18n import N_

__all__ = ["PASSPHRASE_ENV", "StoreCipher", "new_key_record", "unlock"]

#: environment variable a store's passphrase is read from when none is given
PASSPHRASE_ENV = "IDCAPTURE_STORE_PASSPHRASE"

BLOB_MAGIC = b"IDCB1"
SEALED = "enc1:"
TOKEN = "det1:"
#: scrypt cost: 2**15 x 8 x 1 (32 MiB, ~0.1 s on a station PC), per opening of a store
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
_WRAP_AAD = b"idcapture station store data key v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


class StoreCipher:
    """The keys of one encrypted store (derived from its data key)."""

    def __init__(self, data_key: bytes) -> None:
        keys = HKDF(hashes.SHA256(), 96, None, b"idcapture store keys v1").derive(data_key)
        self._gcm = AESGCM(keys[:32])
        self._siv = AESSIV(keys[32:])

    # blobs ---------------------------------------------------------------------------

    def seal_blob(self, data: bytes, sha256: str) -> bytes:
        nonce = os.urandom(12)
        return BLOB_MAGIC + nonce + self._gcm.encrypt(nonce, data, sha256.encode())

    def open_blob(self, raw: bytes, sha256: str) -> bytes:
        if not raw.startswith(BLOB_MAGIC):
            return raw  # written before the store was encrypted
        n = len(BLOB_MAGIC)
        try:
            return self._gcm.decrypt(raw[n:n + 12], raw[n + 12:], sha256.encode())
        except InvalidTag:
            raise RecordError(N_("blob file does not decrypt (damaged, or not this store's)"),
                              f"blobs/{sha256[:12]}...") from None

    # columns -------------------------------------------------------------------------

    def seal(self, value: str, column: str) -> str:
        """Randomised encryption of one personal column value."""
        nonce = os.urandom(12)
        return SEALED + _b64(nonce + self._gcm.encrypt(nonce, value.encode("utf-8"),
                                                       column.encode()))

    def open(self, value: Any, column: str) -> Any:
        if not isinstance(value, str) or not value.startswith(SEALED):
            return value
        raw = _unb64(value[len(SEALED):])
        try:
            return self._gcm.decrypt(raw[:12], raw[12:], column.encode()).decode("utf-8")
        except InvalidTag:
            raise RecordError(N_("a stored value does not decrypt (damaged, or not this "
                                 "store's)"), column) from None

    def token(self, id_number: str) -> str:
        """Deterministic encryption of an ID number (equal numbers, equal tokens)."""
        return TOKEN + _b64(self._siv.encrypt(id_number.encode("utf-8"), [b"id_number"]))

    def untoken(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(TOKEN):
            return value
        try:
            return self._siv.decrypt(_unb64(value[len(TOKEN):]), [b"id_number"]).decode()
        except InvalidTag:
            raise RecordError(N_("a stored ID number does not decrypt"), "id_number") from None


@functools.lru_cache(maxsize=8)
def _kek(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def new_key_record(passphrase: str) -> tuple[dict[str, Any], StoreCipher]:
    """A fresh data key wrapped under ``passphrase``: the record to keep in the store's
    settings (no key in it, only the wrapped one and the scrypt parameters) and the
    cipher."""
    if not passphrase:
        raise ConfigError(N_("an empty passphrase cannot protect a store"), "passphrase")
    salt, nonce, data_key = os.urandom(16), os.urandom(12), AESGCM.generate_key(256)
    kek = _kek(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    record = {"cipher": "AES-256-GCM + AES-SIV", "kdf": "scrypt", "n": SCRYPT_N,
              "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt),
              "wrapped_key": _b64(nonce + AESGCM(kek).encrypt(nonce, data_key, _WRAP_AAD))}
    return record, StoreCipher(data_key)


def unlock(record: dict[str, Any], passphrase: str) -> StoreCipher:
    """The cipher of a store whose key record is ``record``; :class:`ConfigError`
    (``wrong-passphrase``) if ``passphrase`` is not the store's."""
    try:
        kek = _kek(passphrase, _unb64(record["salt"]), int(record["n"]), int(record["r"]),
                   int(record["p"]))
        wrapped = _unb64(record["wrapped_key"])
        data_key = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD)
    except InvalidTag:
        raise ConfigError(N_("wrong passphrase for the encrypted station store"),
                          "wrong-passphrase") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(N_("the store's key record is damaged ({error})").format(
            error=exc.__class__.__name__), "key-record") from None
    return StoreCipher(data_key)
