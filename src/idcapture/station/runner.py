"""Drive a capture session from real or simulated devices, headless.

A graphical frontend sends the session its own events; :func:`run_capture` is the
loop for the command line and the demo: it reads the card, camera frames and finger
images through the device interfaces (opened by address through the registry) with
the station's pump (:mod:`idcapture.station.pump`) and asks a :class:`Policy` for the
operator's decisions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .events import OperatorDecision, Prompt
from .pump import Devices, Policy, next_event
from .session import CaptureSession

__all__ = ["Devices", "Policy", "run_capture"]

log = logging.getLogger("idcapture.station.runner")


def run_capture(session: CaptureSession, devices: Devices, *, policy: Policy | None = None,
                timeout: float = 10.0, on_prompt: Callable[[Prompt], None] | None = None,
                decide: Callable[[Prompt, CaptureSession], OperatorDecision] | None = None
                ) -> Prompt:
    """Run ``session`` until it is saved, refused or cancelled; returns the last prompt.

    Each event comes from :func:`~idcapture.station.pump.next_event` (the device of the
    current step, waiting up to ``timeout``); ``decide`` answers a card/roster
    disagreement, else ``policy`` does.
    """
    pol = policy or Policy()
    prompt = session.prompt()
    for _ in range(pol.max_events):
        if prompt.finished:
            return prompt
        event = next_event(session.state, prompt, devices, pol, timeout,
                           None if decide is None else lambda p: decide(p, session))
        prompt = session.handle(event)
        if on_prompt is not None:
            on_prompt(prompt)
    log.warning("session %s stopped after %d events at step %s", session.session_id[:8],
                pol.max_events, session.state.value)
    return prompt
