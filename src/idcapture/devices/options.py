"""The options a driver accepts in its address, declared as class-level data.

A driver lists its options in ``address_options``; the registry and ``idcapture drivers``
read them, and every device checks its address against them when it is created::

    class AcmeReader(IdReader):
        address_options = (
            Option("baud", "int", 115200, "serial speed"),
            Option("mode", "str", "fast", "reading mode", choices=("fast", "full")),
        )

Options declared by a base class (the SAM session's ``fingerprint``, the fingerprint
sensors' acceptance limits) are inherited; ``timeout`` and ``poll`` are accepted by every
device. An option that is not declared, a value of the wrong type or outside ``choices``
is an :class:`~idcapture.errors.AddressError` naming the option and listing the valid
ones. A driver that declares nothing (``address_options = None``, older plugins) is not
checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import AddressError

__all__ = ["COMMON_OPTIONS", "Option", "OptionType", "check_options"]

OptionType = Literal["str", "int", "float", "bool"]

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Option:
    """One address option: its name, type, default (``None``: none) and a line of help."""

    name: str
    type: OptionType = "str"
    default: str | int | float | bool | None = None
    help: str = ""
    #: the only values accepted (compared case-insensitively); empty: any value of the type
    choices: tuple[str, ...] = ()

    def check(self, driver: str, raw: str) -> None:
        """Raise :class:`AddressError` if ``raw`` is not a valid value of this option."""
        ok = True
        if self.type == "int":
            try:
                int(raw, 0)
            except ValueError:
                ok = False
        elif self.type == "float":
            try:
                float(raw)
            except ValueError:
                ok = False
        elif self.type == "bool":
            ok = raw.lower() in _TRUE + _FALSE
        if not ok:
            wanted = {"int": "an integer", "float": "a number",
                      "bool": "true or false"}[self.type]
            raise AddressError(f"option {self.name!r} of {driver!r} must be {wanted}, "
                               f"got {raw!r}")
        if self.choices and raw.lower() not in self.choices:
            raise AddressError(f"option {self.name!r} of {driver!r} must be one of "
                               f"{', '.join(self.choices)}; got {raw!r}")

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default,
                "help": self.help, "choices": list(self.choices)}


#: the options every device accepts (read by :class:`~idcapture.devices.base.Device`)
COMMON_OPTIONS: tuple[Option, ...] = (
    Option("timeout", "float", None, "seconds a call waits when the caller gives no timeout "
           "(default: the driver's own)"),
    Option("poll", "float", None, "seconds between two attempts of a poll "
           "(default: the driver's own)"),
)


def check_options(driver: str, declared: tuple[Option, ...], given: Mapping[str, str]) -> None:
    """Check ``given`` (an address's options) against ``declared`` for driver ``driver``."""
    by_name = {o.name: o for o in declared}
    for name, raw in given.items():
        option = by_name.get(name)
        if option is None:
            valid = ", ".join(sorted(by_name)) or "none"
            raise AddressError(f"unknown option {name!r} for driver {driver!r} "
                               f"(valid options: {valid})")
        option.check(driver, raw)
