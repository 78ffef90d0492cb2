"""Presentation-attack detection in the live loop: an active challenge (ISO/IEC 30107-3
terms: a bona fide presentation is a live person, an attack a photo or a screen).

``turn``: the person turns the head a little to one side. On a real head the base of
the nose moves along the eye line relative to the eyes (it stands in front of them);
on a flat photo or a phone screen, however it is turned, tilted or moved, it does not:
the nose's position along the eye line, as a share of the eye distance, is unchanged by
any affine map of a plane. A turn seen in the foreshortening of the eye line (eye
distance shrinking against the eyes-to-nose drop) without that nose shift is a flat
face, and fails at once.

``blink``: the eyes close and open again (EyesOpen below and back above its threshold).
A printed photo does not blink; a phone replaying a video of a blink does, so ``turn``
is the stronger challenge.

Passive cues run under either challenge (:mod:`.presentation`): a flat turn (the eye
line foreshortened with the nose staying put) fails at once; a screen pattern (moire)
or a broad glare (a lamp mirrored by a glossy print or a phone's glass) over the face in
the median of the frames fails the challenge even when it was met, so a phone replaying
a video of the person turning or blinking is refused.

Feed :class:`LivenessChallenge` the same frames and :class:`~.analysis.FaceAnalysis` as
the capture loop; :func:`liveness_check` turns the result into the CaptureRecord's
``liveness`` Check.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

import numpy as np

from ...errors import ConfigError
from ...i18n import N_, gettext_for
from ...record import Check, CheckOutcome, utcnow
from .analysis import FaceAnalysis
from .frames import Image, to_gray
from .presentation import (
    GLARE_AREA_LIMIT,
    SCREEN_PATTERN_LIMIT,
    face_geometry,
    screen_pattern,
    specular_glare,
)
from .profiles import CHALLENGES as PROFILE_CHALLENGES
from .quality import eye_openings

__all__ = [
    "CHALLENGES",
    "LIVENESS_CHECK",
    "LivenessChallenge",
    "LivenessResult",
    "challenge_prompt",
    "liveness_check",
]

#: The challenges an operator can switch on (per profile: ``Profile.liveness``, or the
#: ``liveness`` argument of :class:`~.autocapture.AutoCapture`).
CHALLENGES = PROFILE_CHALLENGES
#: The Check's name in a CaptureRecord.
LIVENESS_CHECK = "liveness"

#: English prompts; other languages from the idcapture catalogue (:mod:`idcapture.i18n`)
_PROMPTS = {
    "turn": N_("Slowly turn your head a little to one side, then back"),
    "blink": N_("Blink your eyes"),
}


def challenge_prompt(kind: str, language: str = "en") -> str:
    """What to tell the person for challenge ``kind`` (``en`` or ``zh``)."""
    if kind not in _PROMPTS:
        raise ConfigError(_unknown(kind))
    return gettext_for(_PROMPTS[kind], "zh" if language == "zh" else "en")


def _unknown(kind: str) -> str:
    return N_("unknown liveness challenge {kind}; choose one of {choices}").format(
        kind=repr(kind)[:40], choices=", ".join(CHALLENGES))


@dataclass(frozen=True)
class LivenessResult:
    """``live`` is True (challenge met), False (an attack was seen, or the time ran out)
    or None (still running)."""

    challenge: str
    live: bool | None
    reason: str
    frames: int
    details: dict[str, float] = field(default_factory=dict)


#: Nose shift along the eye line (share of the IED) that counts as a turn: about 8
#: degrees of yaw with the nose half an IED in front of the eyes.
MIN_NOSE_SHIFT = 0.07
#: Eye-line foreshortening (eye distance over eyes-to-nose drop, against the start) at
#: which a turn is plainly under way (about 20 degrees).
TURN_FORESHORTENING = 0.93
#: Largest nose shift a flat face shows while turned that far (landmark noise).
FLAT_NOSE_SHIFT = 0.035
#: EyesOpen values for a blink: below CLOSED, then above OPEN again.
BLINK_CLOSED = 0.25
BLINK_OPEN = 0.30
#: Frames with a screen-pattern score before the cue is judged (its median).
SCREEN_FRAMES = 5


class LivenessChallenge:
    """Runs one challenge over a stream of frames. Not thread-safe: one per stream.

    ``max_frames`` frames with a face (about 4 s at 30 fps by default) are allowed for
    the challenge; the first ``baseline_frames`` set the start.
    """

    def __init__(self, kind: str = "turn", *, max_frames: int = 120,
                 baseline_frames: int = 3) -> None:
        if kind not in CHALLENGES:
            raise ConfigError(_unknown(kind))
        self.kind = kind
        self.max_frames = max_frames
        self.baseline_frames = max(1, baseline_frames)
        self.reset()

    def reset(self) -> None:
        self._frames = 0
        self._screen: list[float] = []
        self._glare: list[float] = []
        self._shift0: list[float] = []
        self._shape0: list[float] = []
        self._max_shift = 0.0
        self._min_shape = 1.0
        self._closed = False
        self._met = ""
        self._result: LivenessResult | None = None

    @property
    def result(self) -> LivenessResult:
        if self._result is not None:
            return self._result
        return LivenessResult(self.kind, None, "running", self._frames, self._details())

    def _details(self) -> dict[str, float]:
        d = {"nose_shift": round(self._max_shift, 4),
             "foreshortening": round(self._min_shape, 4)}
        if self._screen:
            d["screen_pattern"] = round(float(np.median(self._screen)), 2)
        if self._glare:
            d["glare"] = round(float(np.median(self._glare)), 4)
        return d

    def _screen_seen(self) -> bool:
        return len(self._screen) >= SCREEN_FRAMES and \
            float(np.median(self._screen)) > SCREEN_PATTERN_LIMIT

    def _glare_seen(self) -> bool:
        return len(self._glare) >= SCREEN_FRAMES and \
            float(np.median(self._glare)) > GLARE_AREA_LIMIT

    def _end(self, live: bool, reason: str) -> LivenessResult:
        self._result = LivenessResult(self.kind, live, reason, self._frames, self._details())
        return self._result

    def feed(self, frame: Image, analysis: FaceAnalysis) -> LivenessResult:
        """Take the next frame (BGR) and its analysis; returns the state so far."""
        if self._result is not None:
            return self._result
        lm = analysis.landmarks
        if lm is None or len(analysis.faces) != 1:
            return self.result
        self._frames += 1
        gray = to_gray(frame)
        score = screen_pattern(gray, lm)
        if math.isfinite(score):
            self._screen.append(score)
        glare = specular_glare(frame, lm)
        if glare is not None:
            self._glare.append(glare.score)
        if self._screen_seen():
            return self._end(False, N_("screen pattern (moire) over the face: a phone or "
                                       "monitor"))
        if self._glare_seen():
            return self._end(False, N_("glare over the face like a flat shiny surface: a "
                                       "glossy print or a screen"))
        met = ""
        # with the eyes shut the eye corners are placed less well: no geometry then
        eyes_open = True
        if self.kind == "blink":
            opening = min(eye_openings(gray, lm))
            eyes_open = opening >= BLINK_OPEN
            if opening < BLINK_CLOSED:
                self._closed = True
            elif self._closed and eyes_open:
                met = N_("blink seen")
        shift, shape = face_geometry(lm)
        if not eyes_open:
            pass
        elif len(self._shift0) < self.baseline_frames:
            self._shift0.append(shift)
            self._shape0.append(shape)
        else:
            s0 = float(np.median(self._shift0))
            f0 = float(np.median(self._shape0))
            self._max_shift = max(self._max_shift, abs(shift - s0))
            if math.isfinite(shape) and f0 > 0:
                self._min_shape = min(self._min_shape, shape / f0)
            if self._min_shape <= TURN_FORESHORTENING and self._max_shift < FLAT_NOSE_SHIFT:
                return self._end(False, N_("flat face: turned without the nose moving "
                                           "against the eyes (a photo or a screen)"))
            if self.kind == "turn" and self._max_shift >= MIN_NOSE_SHIFT:
                met = N_("head turn seen")
        # a challenge met is accepted once the screen and glare cues have had their frames
        self._met = met or self._met
        if self._met and self._frames >= SCREEN_FRAMES:
            return self._end(True, self._met)
        if self._frames >= self.max_frames:
            return self._end(False, (N_("no blink within {frames} frames")
                                     if self.kind == "blink" else
                                     N_("no head turn within {frames} frames")).format(
                                         frames=self.max_frames))
        return self.result


def liveness_check(result: LivenessResult | None, *,
                   checked_at: _dt.datetime | None = None) -> Check:
    """The ``liveness`` Check for a CaptureRecord (``record.set_check(...)``): PASSED when
    the challenge was met, FAILED when an attack was seen or time ran out, NOT_CHECKED
    when no challenge ran (``result`` None) or it is still running."""
    when = checked_at or utcnow()
    if result is None or result.live is None:
        return Check(LIVENESS_CHECK, CheckOutcome.NOT_CHECKED,
                     N_("no liveness challenge") if result is None
                     else N_("challenge not finished"),
                     when)
    details: dict[str, float | int | str] = {"challenge": result.challenge,
                                              "frames": result.frames, **result.details}
    return Check(LIVENESS_CHECK, CheckOutcome.PASSED if result.live else CheckOutcome.FAILED,
                 result.reason, when, dict(details))
