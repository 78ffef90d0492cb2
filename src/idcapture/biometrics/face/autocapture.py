"""Automatic capture over a stream of frames.

Feed frames one by one to :class:`AutoCapture` (each step returns the measures and the
instruction to show), or hand an iterable to :func:`auto_capture`. A frame is a BGR
array or anything with an ``image`` array and a ``timestamp`` (a camera's
:class:`~idcapture.devices.Frame`), so ``for frame in camera.frames(): cap.feed(frame)``
works as it is; :meth:`AutoCapture.afeed` runs the analysis in a worker thread for an
asyncio frontend. Capture happens when
every measure has passed on ``steady_frames`` consecutive frames; the next ``burst``
passing frames are kept and the best of them is the result. After ``timeout_s`` the
best frame seen so far is returned with the measures it fails.

With a liveness challenge (the profile's ``liveness``, or the ``liveness`` argument:
``"turn"``, ``"blink"`` or a :class:`~.liveness.LivenessChallenge` of one's own) the
person first meets the challenge, prompted by the instruction (``measure``
``"Liveness"``, the challenge in ``side``); the portrait is taken only after it. A
presentation attack seen (a flat photo turned, a screen pattern) or the challenge not
met ends the capture refused, with ``"Liveness"`` among the failing measures;
:meth:`CaptureResult.liveness_check` is the CaptureRecord's ``liveness`` check either
way.

The frames are not kept beyond the best one and the burst; time comes from the
timestamps passed in (or a monotonic clock), so a recorded stream replays identically.
"""

from __future__ import annotations

import asyncio
import enum
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ...errors import RetryReason
from ...record import Check
from .analysis import FaceAnalysis, analyze_face
from .detection import FaceTracker
from .frames import FaceInputError, Image, check_bgr
from .framing import framing_box
from .guidance import Instruction, guidance
from .liveness import LivenessChallenge, LivenessResult, challenge_prompt, liveness_check
from .profiles import Profile, get_profile
from .quality import FaceQuality, assess_quality

__all__ = ["LIVENESS_MEASURE", "AutoCapture", "CaptureResult", "CaptureState", "FrameLike",
           "LiveStep", "auto_capture"]


@runtime_checkable
class FrameLike(Protocol):
    """A frame with its time: what a camera's ``read_frame()`` gives
    (:class:`idcapture.devices.Frame`). ``timestamp`` is :func:`time.monotonic` seconds."""

    @property
    def image(self) -> Image: ...

    @property
    def timestamp(self) -> float: ...


class CaptureState(str, enum.Enum):
    """Where the capture is."""

    GUIDING = "guiding"      # measures failing: show the instruction
    STEADYING = "steadying"  # all pass: waiting for the face to stay still
    BURST = "burst"          # collecting the burst
    DONE = "done"


@dataclass(frozen=True)
class LiveStep:
    """The outcome of one frame: what was measured and what to show."""

    state: CaptureState
    analysis: FaceAnalysis
    quality: FaceQuality
    instruction: Instruction
    #: the liveness challenge so far (None when the capture runs none)
    liveness: LivenessResult | None = None


@dataclass
class CaptureResult:
    """The chosen frame (a copy), its analysis and quality; ``failing`` names the measures
    the frame fails (empty when ``accepted``)."""

    accepted: bool
    timed_out: bool
    frame: Image | None
    analysis: FaceAnalysis | None
    quality: FaceQuality | None
    frames_seen: int
    elapsed_s: float
    failing: list[str] = field(default_factory=list)
    #: the liveness challenge's outcome (None when the capture ran none)
    liveness: LivenessResult | None = None

    def liveness_check(self) -> Check | None:
        """The CaptureRecord's ``liveness`` check, or None when no challenge ran."""
        return None if self.liveness is None else liveness_check(self.liveness)


#: The measure named in an instruction and among the failing measures for liveness.
LIVENESS_MEASURE = "Liveness"


def _rank(q: FaceQuality) -> tuple[int, float]:
    return (1 if q.passed else 0, q.report.score)


class AutoCapture:
    """The capture state machine for one person. Not thread-safe; one per stream."""

    def __init__(self, profile: str | Profile = "exam-480x640", *, steady_frames: int = 5,
                 burst: int = 5, timeout_s: float = 30.0, language: str = "en",
                 clock: Callable[[], float] = time.monotonic,
                 liveness: str | LivenessChallenge | None = None) -> None:
        if steady_frames < 1 or burst < 1 or timeout_s <= 0:
            raise FaceInputError("steady_frames and burst must be >= 1 and timeout_s > 0")
        self.profile = get_profile(profile)
        # the challenge run before the portrait: ``liveness`` ("turn", "blink", "" for
        # none, or a LivenessChallenge of one's own) or, when it is None, the profile's
        kind = self.profile.liveness if liveness is None else liveness
        self._challenge = (kind if isinstance(kind, LivenessChallenge) else
                           LivenessChallenge(kind) if kind else None)
        self.steady_frames = steady_frames
        self.burst = burst
        self.timeout_s = timeout_s
        self.language = language
        self._clock = clock
        self._tracker: FaceTracker | None = None
        self._frame_size: tuple[int, int] | None = None
        self.reset()

    def reset(self) -> None:
        """Start again (for the next person)."""
        self._start: float | None = None
        self._seen = 0
        self._steady = 0
        self._prev_mid: tuple[float, float] | None = None
        self._best: tuple[tuple[int, float], Image, FaceAnalysis, FaceQuality] | None = None
        self._burst: list[tuple[float, Image, FaceAnalysis, FaceQuality]] = []
        self._result: CaptureResult | None = None
        if self._tracker is not None:
            self._tracker.reset()
        if self._challenge is not None:
            self._challenge.reset()

    @property
    def liveness(self) -> str:
        """The liveness challenge this capture runs ("" for none)."""
        return "" if self._challenge is None else self._challenge.kind

    @property
    def result(self) -> CaptureResult | None:
        """The result once :attr:`done`."""
        return self._result

    @property
    def done(self) -> bool:
        return self._result is not None

    def _tracker_for(self, size: tuple[int, int]) -> FaceTracker:
        if self._tracker is None or self._frame_size != size:
            fb = framing_box(self.profile, size)
            # find faces down to 65 % of the target size (HOG boxes are about 1.9 IED
            # wide), so that "move closer" can be said before the face is big enough
            self._tracker = FaceTracker(min_face_px=max(40.0, 0.65 * fb.target_ied * 1.9))
            self._frame_size = size
        return self._tracker

    def feed(self, frame: Image | FrameLike, timestamp: float | None = None) -> LiveStep:
        """Analyse the next frame: a BGR array, or a camera's :class:`~idcapture.devices.Frame`
        (whose ``timestamp`` is used when the clock is the default monotonic one and no
        ``timestamp`` is given). After the capture is done, further frames are only
        measured (the result does not change until :meth:`reset`)."""
        if isinstance(frame, FrameLike) and not isinstance(frame, np.ndarray):
            if timestamp is None and self._clock is time.monotonic:
                timestamp = float(frame.timestamp)
            frame = frame.image
        frame = check_bgr(frame)
        now = self._clock() if timestamp is None else timestamp
        if self._start is None:
            self._start = now
        size = (frame.shape[1], frame.shape[0])
        analysis = analyze_face(frame, tracker=self._tracker_for(size))
        motion = None
        lm = analysis.landmarks
        if lm is not None:
            mid = lm.eye_midpoint
            if self._prev_mid is not None:
                motion = math.hypot(mid[0] - self._prev_mid[0],
                                    mid[1] - self._prev_mid[1]) / lm.inter_eye_distance
            self._prev_mid = mid
        else:
            self._prev_mid = None
        quality = assess_quality(frame, analysis, self.profile, motion=motion)
        instruction = guidance(quality, self.language)
        live = None if self._challenge is None else self._challenge.result
        if self._result is not None:
            return LiveStep(CaptureState.DONE, analysis, quality, instruction, live)
        self._seen += 1
        rank = _rank(quality)
        if self._best is None or rank > self._best[0]:
            self._best = (rank, np.array(frame, copy=True), analysis, quality)
        if self._challenge is not None and live is not None and live.live is not True:
            live = self._challenge.feed(frame, analysis)
            if live.live is False:
                self._finish_refused(now)
                return LiveStep(CaptureState.DONE, analysis, quality, instruction, live)
            if live.live is None and analysis.found:
                kind = self._challenge.kind
                instruction = Instruction(RetryReason.OTHER,
                                          challenge_prompt(kind, self.language),
                                          LIVENESS_MEASURE, kind, quality.framing)
        challenged = live is not None and live.live is not True
        # a frame without a motion measure (first with a face) cannot count as steady
        if quality.passed and motion is not None and not challenged:
            self._steady += 1
        else:
            self._steady = 0
            self._burst = []
        state = CaptureState.GUIDING if self._steady == 0 else CaptureState.STEADYING
        if self._steady >= self.steady_frames:
            state = CaptureState.BURST
            self._burst.append((quality.report.score, np.array(frame, copy=True),
                                analysis, quality))
            if len(self._burst) >= self.burst:
                _, bf, ba, bq = max(self._burst, key=lambda b: b[0])
                self._result = CaptureResult(True, False, bf, ba, bq, self._seen,
                                             now - self._start, [])
                state = CaptureState.DONE
        if self._result is None and now - self._start >= self.timeout_s:
            self._finish_timeout(now)
            state = CaptureState.DONE
        if self._result is not None:
            self._result.liveness = live
        return LiveStep(state, analysis, quality, instruction, live)

    async def afeed(self, frame: Image | FrameLike, timestamp: float | None = None
                    ) -> LiveStep:
        """Coroutine twin of :meth:`feed`: the analysis (face detection, landmarks,
        quality) runs in a worker thread, so an asyncio loop stays free while a frame is
        measured. Await one ``afeed`` at a time (the state machine is not thread-safe)."""
        return await asyncio.to_thread(self.feed, frame, timestamp)

    def _finish_timeout(self, now: float) -> None:
        start = self._start if self._start is not None else now
        live = None if self._challenge is None else self._challenge.result
        unmet = [LIVENESS_MEASURE] if live is not None and live.live is not True else []
        if self._best is None:
            self._result = CaptureResult(False, True, None, None, None, self._seen,
                                         now - start, ["SingleFacePresent", *unmet], live)
            return
        _, f, a, q = self._best
        failing = [m.name for m in q.report.measures if m.passed is False] + unmet
        self._result = CaptureResult(not failing, True, f, a, q, self._seen, now - start,
                                     failing, live)

    def _finish_refused(self, now: float) -> None:
        """The liveness challenge saw an attack or ran out: refused, with the best frame
        seen as evidence."""
        start = self._start if self._start is not None else now
        assert self._best is not None and self._challenge is not None
        _, f, a, q = self._best
        self._result = CaptureResult(False, False, f, a, q, self._seen, now - start,
                                     [LIVENESS_MEASURE], self._challenge.result)

    def finish(self, timestamp: float | None = None) -> CaptureResult:
        """End now (the stream ran out): the best frame so far, as on a timeout."""
        if self._result is None:
            self._finish_timeout(self._clock() if timestamp is None else timestamp)
        assert self._result is not None
        return self._result


def auto_capture(frames: Iterable[Image | FrameLike], profile: str | Profile = "exam-480x640", *,
                 timeout_s: float = 30.0, fps: float | None = None,
                 on_step: Callable[[LiveStep], None] | None = None,
                 **kwargs: object) -> CaptureResult:
    """Run :class:`AutoCapture` over ``frames`` until it is done or they run out.

    With ``fps`` the timestamps are frame numbers / fps (replay of a recorded stream);
    without, the monotonic clock. ``on_step`` sees every :class:`LiveStep` (to draw the
    preview). Other keyword arguments go to :class:`AutoCapture`.
    """
    cap = AutoCapture(profile, timeout_s=timeout_s, **kwargs)  # type: ignore[arg-type]
    for i, frame in enumerate(frames):
        step = cap.feed(frame, None if fps is None else i / fps)
        if on_step is not None:
            on_step(step)
        if cap.done:
            break
    return cap.finish(None if fps is None else cap._seen / fps)
