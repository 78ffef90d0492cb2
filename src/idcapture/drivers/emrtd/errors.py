"""Typed outcomes of an eMRTD read that is not a success.

Each is an :class:`~idcapture.errors.IdCaptureError` subclass with a stable ``code``, so a
frontend can tell the operator what to do: retype the MRZ data
(:class:`AccessDenied`), put the document back (:class:`~idcapture.errors.DeviceRemoved`
with code ``card-removed``), read again (:class:`SecureMessagingError`) or use another
reader (:class:`UnsupportedDocument`).
"""

from __future__ import annotations

from ...errors import ConfigError, IdCaptureError, ProtocolError

__all__ = [
    "AccessDenied",
    "CardStatusError",
    "MrzError",
    "SecureMessagingError",
    "UnsupportedDocument",
]


class MrzError(ConfigError):
    """A machine-readable zone or an access-key field is malformed.

    ``field`` names the MRZ field (``document_number``, ``birth_date``, ``composite`` ...).
    The message never repeats the personal data itself.
    """

    default_code = "mrz"

    def __init__(self, message: str, field: str = "", code: str | None = None) -> None:
        super().__init__(f"MRZ {field}: {message}" if field else f"MRZ: {message}", code)
        self.field = field


class AccessDenied(IdCaptureError):
    """Basic Access Control failed: the MRZ data typed or scanned does not open this chip."""

    default_code = "access-denied"


class SecureMessagingError(ProtocolError):
    """The secure-messaging session broke.

    ``code`` is ``sm-error`` when the chip answered 6987/6988 (it rejected our protection
    and dropped the session keys), ``bad-mac`` when the chip's response failed our MAC
    check, ``sm-format`` when a protected response lacked a required data object.
    ``sw`` is the status word involved, if any.
    """

    default_code = "sm-error"

    def __init__(self, message: str, sw: int | None = None, code: str | None = None) -> None:
        super().__init__(message, None, code)
        self.sw = sw


class UnsupportedDocument(IdCaptureError):
    """The card is not an eMRTD this reader can open.

    ``code`` is ``no-emrtd-application`` (no LDS1 application on the card) or
    ``pace-only`` (the chip requires PACE, which this reader does not speak).
    """

    default_code = "unsupported-document"


class CardStatusError(ProtocolError):
    """The chip answered a command with an unexpected status word ``sw``."""

    default_code = "card-status"

    def __init__(self, what: str, sw: int, code: str | None = None) -> None:
        super().__init__(f"{what} failed with status {sw:04X}", None, code)
        self.sw = sw
