"""Station configuration: roster mapping, registration pattern and the date windows.

A configuration is stored inside the station store (setting ``config``) when the
store is created, so every later command works with the same rules. It is plain
JSON::

    {
      "station_id": "gz-01-a",
      "year": 2025,
      "region": "440106",
      "roster_mapping": "default",
      "registration_pattern": "{yy}{region}{school:4}{seq:4}",
      "registration_window": ["2025-03-01", "2025-03-31"],
      "capture_window": ["2025-04-01", "2025-04-20"],
      "makeup_window": ["2025-04-21", "2025-04-30"],
      "export_profile": "default",
      "finger_algorithm": "idfpr:",
      "card_fingerprint_attempts": 3
    }

A window is ``[opens, closes]`` (both days included); ``null`` leaves it open.
``finger_algorithm`` (empty by default: no check) is the address of the fingerprint
algorithm that runs the ``card-fingerprint`` check, the live thumb against the card's
templates, with ``card_fingerprint_attempts`` impressions before the operator decides.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RosterError
from ..i18n import N_

__all__ = ["DateWindow", "RegistrationPattern", "StationConfig"]


@dataclass(frozen=True)
class DateWindow:
    """Days from ``opens`` to ``closes`` (inclusive); ``None`` is unbounded on that side."""

    opens: _dt.date | None = None
    closes: _dt.date | None = None

    def __post_init__(self) -> None:
        if self.opens and self.closes and self.closes < self.opens:
            raise ConfigError(N_("a window must not close before it opens"))

    def contains(self, day: _dt.date) -> bool:
        return not ((self.opens and day < self.opens) or (self.closes and day > self.closes))

    def describe(self) -> str:
        a = self.opens.isoformat() if self.opens else "any time"
        b = self.closes.isoformat() if self.closes else "no end"
        return f"{a} to {b}"

    def enforce(self, what: str, day: _dt.date) -> None:
        """Raise :class:`RosterError` (code ``window-closed``) if ``day`` is outside."""
        if self.opens and day < self.opens:
            raise RosterError(N_("{what} has not opened yet: it opens on {opens} (today is "
                                 "{today})").format(what=what, opens=self.opens.isoformat(),
                                                   today=day.isoformat()),
                              "window-not-open")
        if self.closes and day > self.closes:
            raise RosterError(N_("{what} is closed: it closed on {closes} (today is {today})"
                                 ).format(what=what, closes=self.closes.isoformat(),
                                          today=day.isoformat()), "window-closed")

    def to_json(self) -> list[str | None]:
        return [self.opens.isoformat() if self.opens else None,
                self.closes.isoformat() if self.closes else None]

    @classmethod
    def from_json(cls, value: Any, what: str) -> DateWindow:
        if value is None:
            return cls()
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ConfigError(N_("{what} must be [opens, closes]").format(what=what))
        try:
            a, b = (_dt.date.fromisoformat(v) if v else None for v in value)
        except (TypeError, ValueError):
            raise ConfigError(N_("{what} dates must be YYYY-MM-DD").format(what=what)) from None
        return cls(a, b)


_FIELD = re.compile(r"\{(\w+)(?::(\d+))?\}")
_KNOWN = {"year", "yy", "region", "school", "seq", "station"}


@dataclass(frozen=True)
class RegistrationPattern:
    """An exam-registration-number pattern such as ``{yy}{region}{school:4}{seq:4}``.

    Fields: ``{year}`` (4 digits), ``{yy}`` (2), ``{region}`` (the configured region
    code), ``{school}`` or ``{school:N}`` (the school code, last N characters),
    ``{station}`` and ``{seq:N}`` (a sequence, zero-padded to N digits, required and
    last). Everything before ``{seq}`` is the *scope*: numbers count up separately in
    each scope (for instance per school).
    """

    text: str

    def __post_init__(self) -> None:
        fields = _FIELD.findall(self.text)
        names = [f for f, _w in fields]
        unknown = set(names) - _KNOWN
        if unknown:
            raise ConfigError(N_("registration pattern names unknown field(s): {fields}"
                                 ).format(fields=", ".join(sorted(unknown))))
        if names.count("seq") != 1 or not self.text.rstrip().endswith("}") or names[-1] != "seq":
            raise ConfigError(N_("registration pattern needs exactly one {seq:N}, at the end"))
        if not dict(fields).get("seq"):
            raise ConfigError(N_("registration pattern's {seq} needs a width, e.g. {seq:4}"))

    @property
    def seq_width(self) -> int:
        return int(dict(_FIELD.findall(self.text))["seq"])

    def scope(self, *, year: int, region: str, school: str, station: str = "") -> str:
        """The pattern up to ``{seq}`` filled in."""
        def sub(m: re.Match[str]) -> str:
            name, width = m.group(1), m.group(2)
            if name == "seq":
                return ""
            value = {"year": f"{year:04d}", "yy": f"{year % 100:02d}", "region": region,
                     "school": school, "station": station}[name]
            if width:
                w = int(width)
                value = value[-w:].rjust(w, "0")
            return value
        return _FIELD.sub(sub, self.text)

    def format(self, scope: str, sequence: int) -> str:
        w = self.seq_width
        if sequence >= 10 ** w:
            raise RosterError(N_("registration numbers for this scope are used up ({count} "
                                 "allocated); widen {field}").format(
                                     count=10 ** w - 1, field=f"{{seq:{w}}}"), "seq-exhausted")
        return f"{scope}{sequence:0{w}d}"


#: values of ``face_liveness`` (the challenges of idcapture.biometrics.face.liveness)
LIVENESS_CHALLENGES = ("", "turn", "blink")


@dataclass
class StationConfig:
    """Everything a station needs to know about its roster, numbers and dates."""

    station_id: str = "station-1"
    year: int = field(default_factory=lambda: _dt.date.today().year)
    region: str = "000000"
    roster_mapping: str = "default"
    registration_pattern: str = "{yy}{region}{school:4}{seq:4}"
    registration_window: DateWindow = field(default_factory=DateWindow)
    capture_window: DateWindow = field(default_factory=DateWindow)
    makeup_window: DateWindow = field(default_factory=DateWindow)
    export_profile: str = "default"
    #: finger-quality and face profiles named in the records
    finger_profile: str = "station-default"
    face_profile: str = "cn-exam-portrait"
    #: the fingerprint algorithm of the ``card-fingerprint`` check ("" for none)
    finger_algorithm: str = ""
    #: impressions of a thumb that fails the card before the operator decides
    card_fingerprint_attempts: int = 3
    #: the live loop's liveness challenge before the portrait: "" (the portrait
    #: profile's, none for the built-in ones), "turn" or "blink"
    face_liveness: str = ""

    def __post_init__(self) -> None:
        RegistrationPattern(self.registration_pattern)
        if not re.fullmatch(r"\d{6}", self.region):
            raise ConfigError(N_("region must be a 6-digit GB/T 2260 code"))
        if not isinstance(self.card_fingerprint_attempts, int) or \
                self.card_fingerprint_attempts < 1:
            raise ConfigError(N_("card_fingerprint_attempts must be a positive integer"))
        if self.face_liveness not in LIVENESS_CHALLENGES:
            raise ConfigError(N_("face_liveness must be one of {choices}").format(
                choices=", ".join(repr(c) for c in LIVENESS_CHALLENGES)))

    @property
    def pattern(self) -> RegistrationPattern:
        return RegistrationPattern(self.registration_pattern)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("registration_window", "capture_window", "makeup_window"):
            d[k] = getattr(self, k).to_json()
        return d

    @classmethod
    def from_json(cls, data: Any) -> StationConfig:
        if not isinstance(data, dict):
            raise ConfigError(N_("station configuration must be a JSON object"))
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(N_("unknown station setting(s): {names}").format(
                names=", ".join(sorted(unknown))))
        kwargs: dict[str, Any] = dict(data)
        for k in ("registration_window", "capture_window", "makeup_window"):
            if k in kwargs:
                kwargs[k] = DateWindow.from_json(kwargs[k], k)
        if "year" in kwargs and not isinstance(kwargs["year"], int):
            raise ConfigError(N_("year must be an integer"))
        return cls(**kwargs)

    @classmethod
    def load(cls, path: str | Path) -> StationConfig:
        try:
            return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(N_("cannot read station configuration {name}: {error}").format(
                name=repr(Path(path).name), error=exc.__class__.__name__)) from None
