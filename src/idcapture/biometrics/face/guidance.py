"""Operator guidance: one instruction at a time, in Chinese or English.

:func:`guidance` turns a :class:`~idcapture.biometrics.face.quality.FaceQuality` into
the single most important thing to do now. Left and right are the photographed
person's own left and right (say them to the person as they are).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import RetryReason
from .framing import FramingBox
from .quality import Advice, FaceQuality

__all__ = ["LANGUAGES", "Instruction", "guidance", "instruction_text"]

LANGUAGES = ("en", "zh")

_TEXT: dict[tuple[RetryReason, str], tuple[str, str]] = {
    (RetryReason.NO_FACE, ""): ("Sit in front of the camera", "请坐到摄像头正前方"),
    (RetryReason.MULTIPLE_FACES, ""): ("Only one person in the picture, please",
                                       "画面中只能有一个人"),
    (RetryReason.MOVE_CLOSER, ""): ("Move closer", "请靠近一些"),
    (RetryReason.MOVE_BACK, ""): ("Move back a little", "请往后坐一点"),
    (RetryReason.MOVE_LEFT, ""): ("Move left", "请向左移动"),
    (RetryReason.MOVE_RIGHT, ""): ("Move right", "请向右移动"),
    (RetryReason.MOVE_UP, ""): ("Sit up a little higher", "请坐高一点"),
    (RetryReason.MOVE_DOWN, ""): ("Lower your head position a little", "请坐低一点"),
    (RetryReason.LOOK_STRAIGHT, ""): ("Look straight at the camera", "请正视摄像头"),
    (RetryReason.LOOK_STRAIGHT, "tilt"): ("Keep your head upright", "请保持头部端正，不要歪头"),
    (RetryReason.HOLD_STILL, ""): ("Hold still", "请保持不动"),
    (RetryReason.MORE_LIGHT, ""): ("More light on the face", "面部光线太暗，请增加照明"),
    (RetryReason.LESS_LIGHT, ""): ("Less light on the face", "面部过亮，请减弱照明"),
    (RetryReason.EVEN_LIGHT, ""): ("Light the face evenly", "请使面部光线均匀"),
    (RetryReason.EVEN_LIGHT, "left"): ("More light from the left", "请从左侧补光"),
    (RetryReason.EVEN_LIGHT, "right"): ("More light from the right", "请从右侧补光"),
    (RetryReason.OPEN_EYES, ""): ("Open your eyes", "请睁开眼睛"),
    (RetryReason.CLOSE_MOUTH, ""): ("Close your mouth", "请闭上嘴巴"),
    (RetryReason.PLAIN_BACKGROUND, ""): ("Use a plain background", "请使用纯色背景"),
    (RetryReason.OTHER, ""): ("Adjust and try again", "请调整后重试"),
}


def instruction_text(reason: RetryReason, language: str = "en", side: str = "") -> str:
    """The sentence for ``reason`` in ``language`` (``"en"`` or ``"zh"``)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    text = _TEXT.get((reason, side)) or _TEXT.get((reason, "")) or _TEXT[
        (RetryReason.OTHER, "")]
    return text[0] if language == "en" else text[1]


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


_READY = {"en": "Good, hold that position", "zh": "很好，请保持"}


def guidance(quality: FaceQuality, language: str = "en") -> Instruction:
    """The first thing to fix, in order of :data:`~.quality.MEASURE_ORDER`, with the
    framing box to draw; when all measures pass, an "all good, hold still" instruction
    whose ``reason`` is ``None``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    if not quality.advice:
        return Instruction(None, _READY[language], framing=quality.framing)
    first: Advice = quality.advice[0]
    return Instruction(first.reason, instruction_text(first.reason, language, first.side),
                       first.measure, first.side, quality.framing)
