"""Masking of personal data for messages and logs.

Nothing the library logs or puts into an exception message contains an ID number, a
name or an address in clear. Build such text with these helpers::

    >>> mask_id_number("630102199001011234")
    '630102********1234'
    >>> mask_name("张三丰")
    '张**'
    >>> mask_address("北京市东城区景山前街4号")
    '北京市********'

An exception that leaves the library (a CLI message, a web response, an export's
status, a log line) is described with :func:`describe_error`: the library's own errors
are built masked and are shown as they are; any other exception (a third-party library
quoting the value it choked on, ``IllegalCharacterError: 北京示范中学 cannot be used``)
is shown by its class name only.
"""

from __future__ import annotations

__all__ = ["MASK_CHAR", "describe_error", "mask", "mask_address", "mask_id_number",
           "mask_name"]

MASK_CHAR = "*"


def mask_id_number(value: str | None) -> str:
    """Keep the region code (first 6) and the last 4 characters of an ID number.

    Shorter numbers (passports, permits) keep at most a third of their characters.
    """
    if not value:
        return ""
    value = str(value)
    n = len(value)
    if n >= 15:
        return value[:6] + MASK_CHAR * (n - 10) + value[-4:]
    keep = n // 3
    head = keep // 2
    tail = keep - head
    return value[:head] + MASK_CHAR * (n - keep) + (value[n - tail:] if tail else "")


def mask_name(value: str | None) -> str:
    """Keep the first character of a name (the family name for Chinese names)."""
    if not value:
        return ""
    value = str(value).strip()
    if not value:
        return ""
    return value[0] + MASK_CHAR * max(len(value) - 1, 1)


def mask_address(value: str | None) -> str:
    """Keep at most the first three characters of an address (the province)."""
    if not value:
        return ""
    value = str(value).strip()
    return value[:3] + MASK_CHAR * 8


def mask(value: str | None, kind: str = "id") -> str:
    """Mask ``value`` as ``kind`` (``id``, ``name`` or ``address``)."""
    if kind == "id":
        return mask_id_number(value)
    if kind == "name":
        return mask_name(value)
    if kind == "address":
        return mask_address(value)
    raise ValueError(f"unknown mask kind {kind!r}")


def describe_error(exc: BaseException) -> str:
    """A one-line description of ``exc`` that carries no personal data.

    :class:`~idcapture.errors.IdCaptureError` messages are built masked and are
    returned as they are; other exceptions give their class name only, since their
    text may quote the data they failed on.
    """
    from .errors import IdCaptureError

    if isinstance(exc, IdCaptureError):
        return str(exc)
    return f"{exc.__class__.__name__} (details withheld: they may quote personal data)"
