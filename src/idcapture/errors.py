"""Typed errors and retry outcomes.

Every error the library raises derives from :class:`IdCaptureError`. Failures of a
device, a file or a caller are exceptions; a capture that simply needs another try
(finger too light, face off-centre, card moved) is a :class:`RetryOutcome` value
returned to the caller, or raised as :class:`RetryNeeded` by the blocking helpers
that must return a finished capture.

Messages never contain personal data unmasked: build them with
:mod:`idcapture.privacy`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "AddressError",
    "ConfigError",
    "DeviceBusy",
    "DeviceClosed",
    "DeviceFault",
    "DeviceNotFound",
    "DeviceRemoved",
    "DeviceTimeout",
    "DriverUnavailable",
    "IdCaptureError",
    "ProtocolError",
    "RecordError",
    "RetryNeeded",
    "RetryOutcome",
    "RetryReason",
    "RosterError",
    "SchemaVersionError",
    "StoreLocked",
]


class IdCaptureError(Exception):
    """Base of every error raised by idcapture.

    ``code`` is a short stable identifier (``"timeout"``, ``"checksum"`` ...) that a
    frontend can map to its own message without parsing text.
    """

    default_code: str = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code

    def __str__(self) -> str:
        return self.message


class DriverUnavailable(IdCaptureError):
    """A driver cannot be used here: its module, a dependency or a native library is missing."""

    default_code = "driver-unavailable"

    def __init__(self, driver: str, reason: str, code: str | None = None) -> None:
        super().__init__(f"driver {driver!r} is unavailable: {reason}", code)
        self.driver = driver
        self.reason = reason


class DeviceNotFound(IdCaptureError):
    """No device answers at the given address."""

    default_code = "device-not-found"


class DeviceTimeout(IdCaptureError, TimeoutError):
    """A device did not answer in time. The message names what was awaited."""

    default_code = "timeout"

    def __init__(self, message: str, awaited: str = "", timeout: float | None = None,
                 code: str | None = None) -> None:
        super().__init__(message, code)
        self.awaited = awaited
        self.timeout = timeout


class DeviceRemoved(IdCaptureError):
    """The device (or the card on it) went away during an operation."""

    default_code = "removed"


class DeviceClosed(IdCaptureError):
    """An operation was attempted on a device that has been closed."""

    default_code = "closed"


class DeviceBusy(IdCaptureError):
    """The device reports that it cannot accept the command now."""

    default_code = "busy"


class DeviceFault(IdCaptureError):
    """The device reports an internal fault (self-test failure, security module error...)."""

    default_code = "fault"


class ProtocolError(IdCaptureError):
    """Bytes from a device could not be understood.

    ``position`` is the offset in the stream or frame where the problem was found.
    The message names the field, never the personal data inside it.
    """

    default_code = "protocol"

    def __init__(self, message: str, position: int | None = None,
                 code: str | None = None) -> None:
        if position is not None:  # the catalogue translates this suffix (idcapture.i18n)
            message = f"{message} (at byte {position})"
        super().__init__(message, code)
        self.position = position


class RecordError(IdCaptureError):
    """A CaptureRecord (or another file format) is malformed.

    ``path`` names the field, for instance ``identity.document.birth_date``.
    """

    default_code = "record"

    def __init__(self, message: str, path: str = "", code: str | None = None) -> None:
        full = f"{path}: {message}" if path else message
        super().__init__(full, code)
        self.path = path
        self.reason = message


class SchemaVersionError(RecordError):
    """A record was written by a newer, incompatible schema version."""

    default_code = "schema-version"


class RosterError(IdCaptureError):
    """A roster, registration or station rule was broken."""

    default_code = "roster"


class AddressError(IdCaptureError, ValueError):
    """A device address string could not be parsed or names no known driver."""

    default_code = "address"


class ConfigError(IdCaptureError, ValueError):
    """A configuration value, option or profile is invalid."""

    default_code = "config"


class StoreLocked(ConfigError):
    """Another program (``pid`` on ``host``) is changing the station store: one writer
    at a time."""

    default_code = "store-locked"

    def __init__(self, message: str, pid: int, host: str) -> None:
        super().__init__(message)
        self.pid = pid
        self.host = host


class RetryReason(str, enum.Enum):
    """Why a capture needs another try. The values are stable identifiers."""

    # ID reader
    NO_CARD = "no-card"
    CARD_MOVED = "card-moved"
    # fingerprint
    NO_FINGER = "no-finger"
    FINGER_LIFTED = "finger-lifted"
    AREA_TOO_SMALL = "area-too-small"
    TOO_LIGHT = "too-light"
    TOO_DARK = "too-dark"
    SMUDGED = "smudged"
    OFF_CENTRE = "off-centre"
    ROTATED = "rotated"
    LOW_QUALITY = "low-quality"
    # face
    NO_FACE = "no-face"
    MULTIPLE_FACES = "multiple-faces"
    MOVE_CLOSER = "move-closer"
    MOVE_BACK = "move-back"
    MOVE_LEFT = "move-left"
    MOVE_RIGHT = "move-right"
    MOVE_UP = "move-up"
    MOVE_DOWN = "move-down"
    LOOK_STRAIGHT = "look-straight"
    OPEN_EYES = "open-eyes"
    CLOSE_MOUTH = "close-mouth"
    MORE_LIGHT = "more-light"
    LESS_LIGHT = "less-light"
    EVEN_LIGHT = "even-light"
    HOLD_STILL = "hold-still"
    PLAIN_BACKGROUND = "plain-background"
    OTHER = "other"


@dataclass(frozen=True)
class RetryOutcome:
    """A capture attempt that did not produce a usable result but may on the next try."""

    reason: RetryReason
    message: str = ""
    details: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message or self.reason.value


class RetryNeeded(IdCaptureError):
    """Raised by helpers that must return a finished capture when the device asks for a retry.

    Catch it apart from real failures: ``exc.outcome`` tells the operator what to do.
    """

    default_code = "retry"

    def __init__(self, outcome: RetryOutcome) -> None:
        super().__init__(f"capture needs another try: {outcome}", outcome.reason.value)
        self.outcome = outcome
