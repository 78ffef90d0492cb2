"""What a frontend says to a capture session, and what the session says back.

A frontend sends events (:class:`CardPresented`, :class:`FramePresented`,
:class:`FingerPresented`, :class:`FingerRetry`, :class:`OperatorDecision`,
:class:`Redo`, :class:`Save`, :class:`Cancel`) to
:meth:`CaptureSession.handle <idcapture.station.session.CaptureSession.handle>` and gets
back a :class:`Prompt`: the :class:`SessionState` now, what to tell the operator, what
the session expects next.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import RetryOutcome
from ..i18n import N_
from ..record import Check, FingerPosition, IdentityDocument

__all__ = [
    "EXPECTS",
    "FINGER_STEPS",
    "Cancel",
    "CardPresented",
    "Event",
    "FingerPresented",
    "FingerRetry",
    "FramePresented",
    "OperatorDecision",
    "Prompt",
    "Redo",
    "Save",
    "SessionState",
]


class SessionState(str, enum.Enum):
    """Where a session is."""

    CARD = "card"
    DECISION = "decision"
    PORTRAIT = "portrait"
    RIGHT_THUMB = "right-thumb"
    LEFT_THUMB = "left-thumb"
    REVIEW = "review"
    SAVED = "saved"
    REFUSED = "refused"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (SessionState.SAVED, SessionState.REFUSED, SessionState.CANCELLED)

    @property
    def finger_position(self) -> FingerPosition | None:
        """The finger this step captures (``None`` at a step that captures no finger)."""
        if self is SessionState.RIGHT_THUMB:
            return FingerPosition.RIGHT_THUMB
        if self is SessionState.LEFT_THUMB:
            return FingerPosition.LEFT_THUMB
        return None


#: the finger steps, in capture order
FINGER_STEPS = (SessionState.RIGHT_THUMB, SessionState.LEFT_THUMB)

#: what the session accepts at each open step (the names a :class:`Prompt` lists)
EXPECTS: dict[SessionState, tuple[str, ...]] = {
    SessionState.CARD: ("card", "cancel"),
    SessionState.DECISION: ("decision", "cancel"),
    SessionState.PORTRAIT: ("frame", "redo", "cancel"),
    SessionState.RIGHT_THUMB: ("finger", "redo", "cancel"),
    SessionState.LEFT_THUMB: ("finger", "redo", "cancel"),
    SessionState.REVIEW: ("save", "redo", "cancel"),
}

_TEXT = {
    SessionState.CARD: N_("place the student's ID card on the reader"),
    SessionState.DECISION: N_("card and roster disagree: accept or reject"),
    SessionState.PORTRAIT: N_("take the portrait"),
    SessionState.RIGHT_THUMB: N_("place the right thumb on the sensor"),
    SessionState.LEFT_THUMB: N_("place the left thumb on the sensor"),
    SessionState.REVIEW: N_("review and save the record"),
    SessionState.SAVED: N_("record saved"),
    SessionState.REFUSED: N_("capture refused"),
    SessionState.CANCELLED: N_("session cancelled"),
}


# --------------------------------------------------------------------------- events


@dataclass
class CardPresented:
    """A card was read. ``blobs`` holds the bytes behind the document's references."""

    document: IdentityDocument
    blobs: dict[str, bytes] = field(default_factory=dict)


@dataclass
class OperatorDecision:
    """The operator's answer to a DECISION prompt (card and roster disagree)."""

    accept: bool
    note: str = ""


@dataclass
class FramePresented:
    """A camera frame (BGR uint8). ``manual``: the operator frames the portrait by hand.
    ``liveness``: the live loop's ``liveness`` check for this frame (a FAILED one refuses
    the attempt and stays in the record)."""

    image: np.ndarray
    manual: bool = False
    device: str = ""
    liveness: Check | None = None


@dataclass
class FingerPresented:
    """A finger image for the current thumb.

    ``keep_below_quality``: the operator keeps an image below the quality profile
    (after the prompt offered it); its failed check stays in the record.
    """

    image: np.ndarray
    resolution_ppi: int = 500
    device: str = ""
    keep_below_quality: bool = False


@dataclass
class FingerRetry:
    """The sensor asked for another try (finger too light, lifted...)."""

    outcome: RetryOutcome


@dataclass
class Redo:
    """Go back to ``step`` (portrait, right-thumb, left-thumb) and capture it again."""

    step: SessionState


@dataclass
class Save:
    """Save the record (REVIEW state)."""


@dataclass
class Cancel:
    """Abandon the session; nothing is saved."""

    reason: str = ""


Event = (CardPresented | OperatorDecision | FramePresented | FingerPresented | FingerRetry
         | Redo | Save | Cancel)


# --------------------------------------------------------------------------- prompts


@dataclass
class Prompt:
    """What the session says after an event."""

    state: SessionState
    message: str
    expects: tuple[str, ...] = ()
    retry: RetryOutcome | None = None
    details: dict[str, Any] = field(default_factory=dict)
    code: str = ""

    @property
    def finished(self) -> bool:
        return self.state.finished

    @classmethod
    def at(cls, state: SessionState) -> Prompt:
        """The standing prompt of ``state`` (what to show when nothing else happened)."""
        return cls(state, _TEXT[state], EXPECTS.get(state, ()))
