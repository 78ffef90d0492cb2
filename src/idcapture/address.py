"""Device address strings: ``driver:target?option=value&option=value``.

Examples: ``sam-serial:/dev/ttyUSB0?baud=115200``, ``sam-serial:COM3``, ``pcsc:0``,
``opencv:0``, ``as608:/dev/ttyS1``, ``sim:id-reader``.

The target is everything between the first ``:`` and the first ``?``; it is
percent-decoded, so a target that itself contains ``?`` (a camera URL with a query)
is written with ``%3F``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote

from .errors import AddressError

__all__ = ["Address", "parse_address"]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Address:
    """A parsed device address."""

    driver: str
    target: str = ""
    options: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        text = f"{self.driver}:{quote(self.target, safe='/:@.,-_~[]')}"
        if self.options:
            text += "?" + "&".join(f"{k}={quote(v, safe='/:.,-_~')}"
                                   for k, v in sorted(self.options.items()))
        return text

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def int_option(self, name: str, default: int) -> int:
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return int(raw, 0)
        except ValueError:
            raise AddressError(f"option {name!r} of {self.driver!r} must be an integer, "
                               f"got {raw!r}") from None

    def float_option(self, name: str, default: float) -> float:
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError:
            raise AddressError(f"option {name!r} of {self.driver!r} must be a number, "
                               f"got {raw!r}") from None

    def bool_option(self, name: str, default: bool) -> bool:
        raw = self.options.get(name)
        if raw is None:
            return default
        low = raw.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise AddressError(f"option {name!r} of {self.driver!r} must be true or false, "
                           f"got {raw!r}")


def parse_address(text: str, options: dict[str, object] | None = None) -> Address:
    """Parse ``text``; keyword ``options`` are added to (and override) those in the string."""
    if not isinstance(text, str) or not text.strip():
        raise AddressError("empty device address; expected 'driver:target?option=value'")
    text = text.strip()
    driver, sep, rest = text.partition(":")
    driver = driver.strip().lower()
    if not _NAME_RE.match(driver):
        raise AddressError(f"malformed device address {text!r}: the driver name must start "
                           "with a letter and hold only a-z, 0-9, '.', '_' or '-'")
    target, _, query = rest.partition("?") if sep else ("", "", "")
    opts: dict[str, str] = {}
    if query:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise AddressError(f"malformed options {query!r} in device address; expected "
                               "'name=value&name=value'") from None
        for k, v in pairs:
            opts[k] = v
    for key, value in (options or {}).items():
        opts[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return Address(driver, unquote(target), opts)
