"""Operator guidance: one instruction at a time, in Chinese or English.

:func:`guidance` turns a :class:`~idcapture.biometrics.face.quality.FaceQuality` into
the single most important thing to do now. Left and right are the photographed
person's own left and right (say them to the person as they are).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import RetryReason
from ...i18n import N_, gettext_for
from .framing import FramingBox
from .quality import Advice, FaceQuality

__all__ = ["LANGUAGES", "Instruction", "guidance", "instruction_text"]

LANGUAGES = ("en", "zh")

#: English sentences; the Chinese comes from the idcapture catalogue (:mod:`idcapture.i18n`)
_TEXT: dict[tuple[RetryReason, str], str] = {
    (RetryReason.NO_FACE, ""): N_("Sit in front of the camera"),
    (RetryReason.MULTIPLE_FACES, ""): N_("Only one person in the picture, please"),
    (RetryReason.MOVE_CLOSER, ""): N_("Move closer"),
    (RetryReason.MOVE_BACK, ""): N_("Move back a little"),
    (RetryReason.MOVE_LEFT, ""): N_("Move left"),
    (RetryReason.MOVE_RIGHT, ""): N_("Move right"),
    (RetryReason.MOVE_UP, ""): N_("Sit up a little higher"),
    (RetryReason.MOVE_DOWN, ""): N_("Lower your head position a little"),
    (RetryReason.LOOK_STRAIGHT, ""): N_("Look straight at the camera"),
    (RetryReason.LOOK_STRAIGHT, "tilt"): N_("Keep your head upright"),
    (RetryReason.HOLD_STILL, ""): N_("Hold still"),
    (RetryReason.MORE_LIGHT, ""): N_("More light on the face"),
    (RetryReason.LESS_LIGHT, ""): N_("Less light on the face"),
    (RetryReason.EVEN_LIGHT, ""): N_("Light the face evenly"),
    (RetryReason.EVEN_LIGHT, "left"): N_("More light from the left"),
    (RetryReason.EVEN_LIGHT, "right"): N_("More light from the right"),
    (RetryReason.OPEN_EYES, ""): N_("Open your eyes"),
    (RetryReason.CLOSE_MOUTH, ""): N_("Close your mouth"),
    (RetryReason.PLAIN_BACKGROUND, ""): N_("Use a plain background"),
    (RetryReason.OTHER, ""): N_("Adjust and try again"),
}


def instruction_text(reason: RetryReason, language: str = "en", side: str = "") -> str:
    """The sentence for ``reason`` in ``language`` (``"en"`` or ``"zh"``)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    text = _TEXT.get((reason, side)) or _TEXT.get((reason, "")) or _TEXT[
        (RetryReason.OTHER, "")]
    return gettext_for(text, language)


@dataclass(frozen=True)
class Instruction:
    """What to tell the person now. ``reason`` is ``None`` when everything passes."""

    reason: RetryReason | None
    text: str
    measure: str = ""
    side: str = ""
    framing: FramingBox | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


_READY = N_("Good, hold that position")


def guidance(quality: FaceQuality, language: str = "en") -> Instruction:
    """The first thing to fix, in order of :data:`~.quality.MEASURE_ORDER`, with the
    framing box to draw; when all measures pass, an "all good, hold still" instruction
    whose ``reason`` is ``None``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    if not quality.advice:
        return Instruction(None, gettext_for(_READY, language), framing=quality.framing)
    first: Advice = quality.advice[0]
    return Instruction(first.reason, instruction_text(first.reason, language, first.side),
                       first.measure, first.side, quality.framing)
