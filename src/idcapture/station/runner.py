"""Drive a capture session from real or simulated devices, headless.

A graphical frontend sends the session its own events; :func:`run_capture` is the
loop for the command line and the demo: it reads the card, camera frames and finger
images through the device interfaces (opened by address through the registry) and
asks a :class:`Policy` for the operator's decisions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..devices import Camera, FingerprintSensor, IdReader
from ..errors import RetryNeeded
from .session import (
    CaptureSession,
    CardPresented,
    Event,
    FingerPresented,
    FingerRetry,
    FramePresented,
    OperatorDecision,
    Prompt,
    Save,
    SessionState,
)

__all__ = ["Devices", "Policy", "run_capture"]

log = logging.getLogger("idcapture.station.runner")


@dataclass
class Devices:
    """The three devices of a station (opened by the caller, closed by the caller)."""

    reader: IdReader
    camera: Camera
    sensor: FingerprintSensor


@dataclass
class Policy:
    """The operator's standing answers when nobody is at the keyboard.

    ``accept_mismatch``: accept a card/roster disagreement (with ``note``); otherwise it
    is rejected. ``manual_portrait``: frame the portrait by hand when the session
    offers it. ``keep_low_quality``: keep a finger below the quality profile when the
    session offers it (its failed check stays in the record).
    """

    accept_mismatch: bool = False
    note: str = "checked by the operator"
    manual_portrait: bool = True
    keep_low_quality: bool = True
    #: give up after this many events in one session (a stuck device)
    max_events: int = 40


def run_capture(session: CaptureSession, devices: Devices, *, policy: Policy | None = None,
                timeout: float = 10.0, on_prompt: Callable[[Prompt], None] | None = None,
                decide: Callable[[Prompt, CaptureSession], OperatorDecision] | None = None
                ) -> Prompt:
    """Run ``session`` until it is saved, refused or cancelled; returns the last prompt."""
    pol = policy or Policy()
    prompt = session.prompt()
    for _ in range(pol.max_events):
        if prompt.finished:
            return prompt
        event: Event
        st = session.state
        if st is SessionState.CARD:
            doc = devices.reader.wait_for_card(timeout=timeout)
            event = CardPresented(doc, dict(doc.blobs))
        elif st is SessionState.DECISION:
            event = (decide(prompt, session) if decide is not None
                     else OperatorDecision(pol.accept_mismatch, pol.note))
        elif st is SessionState.PORTRAIT:
            frame = devices.camera.read_frame(timeout=timeout)
            event = FramePresented(frame.image, manual=pol.manual_portrait
                                   and "manual" in prompt.expects,
                                   device=str(devices.camera.address))
        elif st in (SessionState.RIGHT_THUMB, SessionState.LEFT_THUMB):
            from ..record import FingerPosition

            pos = FingerPosition.parse(st.value)
            try:
                img = devices.sensor.capture(pos, timeout=timeout)
            except RetryNeeded as exc:
                event = FingerRetry(exc.outcome)
            else:
                event = FingerPresented(img.image, img.resolution_ppi,
                                        str(devices.sensor.address),
                                        keep_below_quality=pol.keep_low_quality
                                        and "keep" in prompt.expects)
        else:
            event = Save()
        prompt = session.handle(event)
        if on_prompt is not None:
            on_prompt(prompt)
    log.warning("session %s stopped after %d events at step %s", session.session_id[:8],
                pol.max_events, session.state.value)
    return prompt
