"""The device-to-event pump: what the station's devices give, as capture-session events.

Every frontend feeds a :class:`~idcapture.station.session.CaptureSession` through these
functions, so a card, a frame or a finger becomes the same event whoever reads it:

* :func:`card_event` waits for a newly placed card and carries its bytes;
* :func:`frame_event` wraps a camera frame;
* :func:`finger_event` waits for a finger on the sensor (blocking, for a headless loop);
  :class:`FingerWatch` polls a sensor without blocking and sends one event per placement
  (the finger must be lifted between two captures), for a frontend whose workers must
  notice a step change or a stop request between two polls.

The finger captured at a step is :attr:`SessionState.finger_position
<idcapture.station.events.SessionState.finger_position>`. :func:`next_event` is the whole
pump for a headless station: one event for the session's current step, from its devices
or from the operator's standing answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..devices import Camera, FingerprintSensor, IdReader
from ..errors import RetryNeeded, RetryOutcome, RetryReason
from ..record import Check, FingerPosition
from .events import (
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

__all__ = [
    "Devices",
    "FingerWatch",
    "Policy",
    "card_event",
    "finger_event",
    "frame_event",
    "next_event",
]


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
    session offers it (its failed check stays in the record). Every answer defaults to
    the safe one (refuse, keep nothing below the profile), as ``idcapture station
    capture`` does without its flags.
    ``accept_card_fingerprint``: accept a thumb that does not match the card's
    fingerprint after the attempts (recorded as OVERRIDDEN); otherwise the capture is
    refused.
    """

    accept_mismatch: bool = False
    note: str = "checked by the operator"
    manual_portrait: bool = False
    keep_low_quality: bool = False
    accept_card_fingerprint: bool = False
    #: give up after this many events in one session (a stuck device)
    max_events: int = 40


def card_event(reader: IdReader, timeout: float) -> CardPresented:
    """Wait up to ``timeout`` for a newly placed card and read it
    (:class:`~idcapture.errors.DeviceTimeout` when none comes)."""
    doc = reader.wait_for_card(timeout=timeout)
    return CardPresented(doc, dict(doc.blobs))


def frame_event(image: np.ndarray, device: str, manual: bool = False,
                liveness: Check | None = None) -> FramePresented:
    """A camera frame from ``device`` (``manual``: the operator frames it by hand;
    ``liveness``: the live loop's liveness check for it)."""
    return FramePresented(image, manual=manual, device=device, liveness=liveness)


def finger_event(sensor: FingerprintSensor, position: FingerPosition, timeout: float,
                 keep_below_quality: bool = False) -> FingerPresented | FingerRetry:
    """Wait up to ``timeout`` for a finger and capture it; a retry outcome other than "no
    finger" (too light, lifted...) becomes :class:`FingerRetry`."""
    try:
        img = sensor.capture(position, timeout=timeout)
    except RetryNeeded as exc:
        return FingerRetry(exc.outcome)
    return FingerPresented(img.image, img.resolution_ppi, str(sensor.address),
                           keep_below_quality=keep_below_quality)


class FingerWatch:
    """Non-blocking finger capture, one event per placement.

    Each :meth:`poll` makes one capture attempt. A finger image becomes
    :class:`FingerPresented` only if the sensor was seen empty since the last event (a
    finger left on the sensor is not captured twice, nor carried over to the next
    step); the first retry outcome of a placement becomes :class:`FingerRetry`.
    :attr:`idle_s` is how long to wait before the next poll.
    """

    def __init__(self) -> None:
        self.lifted = True
        self.idle_s = 0.0

    def new_session(self) -> None:
        """A session starts: wait for the sensor to be seen empty before capturing."""
        self.lifted = False

    def poll(self, sensor: FingerprintSensor, position: FingerPosition, device: str
             ) -> FingerPresented | FingerRetry | None:
        """One capture attempt at ``position``: the event to send, or ``None``."""
        result = sensor.try_capture(position)
        if isinstance(result, RetryOutcome):
            self.idle_s = max(float(getattr(sensor, "poll_interval", 0.05)), 0.02)
            if result.reason is RetryReason.NO_FINGER:
                self.lifted = True
            elif self.lifted:
                self.lifted = False
                return FingerRetry(result)
            return None
        if not self.lifted:  # the same placement: wait for the finger to lift
            self.idle_s = 0.05
            return None
        self.lifted = False
        self.idle_s = 0.0
        return FingerPresented(result.image, result.resolution_ppi, device)


def next_event(state: SessionState, prompt: Prompt, devices: Devices, policy: Policy,
               timeout: float,
               decide: Callable[[Prompt], OperatorDecision] | None = None) -> Event:
    """The event for a headless session at ``state``: read from its device (waiting up to
    ``timeout``), or the operator's answer from ``decide`` or ``policy``."""
    if state is SessionState.CARD:
        return card_event(devices.reader, timeout)
    if state is SessionState.DECISION:
        return (decide(prompt) if decide is not None
                else OperatorDecision(policy.accept_mismatch, policy.note))
    if state is SessionState.PORTRAIT:
        frame = devices.camera.read_frame(timeout=timeout)
        return frame_event(frame.image, str(devices.camera.address),
                           manual=policy.manual_portrait and "manual" in prompt.expects)
    position = state.finger_position
    if position is not None and "decision" in prompt.expects:
        return (decide(prompt) if decide is not None
                else OperatorDecision(policy.accept_card_fingerprint, policy.note))
    if position is not None:
        return finger_event(devices.sensor, position, timeout,
                            keep_below_quality=policy.keep_low_quality
                            and "keep" in prompt.expects)
    return Save()

