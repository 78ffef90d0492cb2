"""The live camera preview: frames at the camera's rate, the guidance overlay, auto-capture.

Three parts run in two threads:

* the **camera thread** reads every frame from the :class:`~idcapture.devices.Camera`,
  draws the overlay from the latest guidance (:func:`~.overlay.draw_overlay`), encodes a
  JPEG and hands it to every subscriber (the page's WebSocket). Frames are never queued
  behind a slow viewer: each subscriber holds the latest frame only;
* the **analysis thread** runs :class:`~idcapture.biometrics.face.AutoCapture` on the
  newest frame whenever it is free (about 20 analyses a second on one core), so the
  preview keeps the camera's rate while the overlay follows the face a frame or two
  behind; when the auto-capture is done, ``on_capture`` gets the chosen frame.

With a liveness challenge (``liveness``, or the portrait profile's) the overlay first
prompts the challenge (reason ``liveness``); ``on_result`` then gets the chosen frame
with the CaptureRecord's ``liveness`` check, or, when the challenge saw an attack or
was not met, the best frame seen with the FAILED check, and the capture starts afresh.

A message to a subscriber is ``len(meta) (4 bytes, big-endian) | meta JSON | JPEG``,
where ``meta`` holds the frame number, the wall-clock time (ms) the frame was read,
the overlay state and the instruction (reason code and text in Chinese and English).
A removed camera is reported through ``on_status`` and read again once it is back; a
thread that raises is reported ``faulted`` and restarted by :meth:`LivePreview.revive`
(:mod:`~.workers`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ..devices import Camera
from ..errors import DeviceRemoved, DeviceTimeout, IdCaptureError
from ..record import Check
from .overlay import draw_overlay
from .workers import Worker

__all__ = ["Guidance", "LivePreview", "Subscriber", "pack_frame", "unpack_frame"]

log = logging.getLogger("idcapture.web.live")


def pack_frame(meta: dict[str, Any], jpeg: bytes) -> bytes:
    """One WebSocket message: meta length, meta JSON, JPEG bytes."""
    head = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return struct.pack(">I", len(head)) + head + jpeg


def unpack_frame(message: bytes) -> tuple[dict[str, Any], bytes]:
    """The inverse of :func:`pack_frame` (for tests and clients written in Python)."""
    if len(message) < 4:
        raise ValueError("frame message is shorter than its header")
    (n,) = struct.unpack(">I", message[:4])
    if 4 + n > len(message):
        raise ValueError("frame message is shorter than its meta length says")
    meta: dict[str, Any] = json.loads(message[4:4 + n].decode("utf-8"))
    return meta, message[4 + n:]


@dataclass
class Guidance:
    """The latest guidance for the overlay (from the analysis thread)."""

    state: str = "idle"
    reason: str | None = None
    text: dict[str, str] = field(default_factory=dict)
    box: Any = None
    face: tuple[float, float, float, float] | None = None
    at: float = 0.0


class Subscriber:
    """A viewer of the preview: holds the newest message and wakes its asyncio task."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        self.message: bytes | None = None
        self.sent = 0

    def offer(self, message: bytes) -> None:
        self.message = message
        self.loop.call_soon_threadsafe(self.event.set)

    async def next(self) -> bytes:
        """Wait for the next message (the newest one when several arrived)."""
        while True:
            await self.event.wait()
            self.event.clear()
            msg = self.message
            if msg is not None:
                self.message = None
                self.sent += 1
                return msg


READY = {"zh": "很好，请保持", "en": "Good, hold that position"}


class LivePreview:
    """Camera thread + analysis thread (see the module docstring)."""

    def __init__(self, camera: Callable[[], Camera | None], *, profile: str = "exam-480x640",
                 on_capture: Callable[[np.ndarray], None] | None = None,
                 on_status: Callable[[str, str], None] | None = None,
                 jpeg_quality: int = 80, auto_timeout_s: float = 20.0,
                 liveness: str | None = None,
                 on_result: Callable[[np.ndarray, Check | None], None] | None = None) -> None:
        self._camera = camera
        self.profile = profile
        #: the liveness challenge ("turn", "blink", "" for none; None: the profile's);
        #: takes effect at the next capture
        self.liveness = liveness
        self.on_capture = on_capture
        self.on_result = on_result
        self.on_status = on_status
        self.jpeg_quality = jpeg_quality
        self.auto_timeout_s = auto_timeout_s
        self._subs: list[Subscriber] = []
        self._subs_lock = threading.Lock()
        self._stop = threading.Event()
        self._new_frame = threading.Event()
        self._latest: tuple[np.ndarray, int, float] | None = None
        self._latest_lock = threading.Lock()
        self.guidance = Guidance()
        self._analysing = False
        self._gen = 0
        self._workers = [Worker(name, fn, self._stop, on_fault=self._faulted,
                                on_revive=self._revived)
                         for name, fn in (("camera", self._camera_loop),
                                          ("analysis", self._analysis_loop))]
        self.frames_read = 0
        self.analyses = 0
        self._box_cache: dict[tuple[int, int], Any] = {}

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        for w in self._workers:
            w.start()

    def stop(self) -> None:
        self._stop.set()
        self._new_frame.set()
        for w in self._workers:
            w.join(timeout=3.0)

    @property
    def fault(self) -> str:
        """Why a preview thread stopped (``""`` while both run)."""
        return next((f"{w.name}: {w.fault}" for w in self._workers if w.fault), "")

    def revive(self) -> None:
        """Restart the preview threads that stopped on an exception (Reconnect)."""
        for w in self._workers:
            w.revive()

    def set_analysing(self, on: bool) -> None:
        """Run the auto-capture (portrait step) or not; switching on starts afresh."""
        if on and not self._analysing:
            self._gen += 1
        self._analysing = on
        if not on:
            self.guidance = Guidance()

    def restart_capture(self) -> None:
        """Forget the auto-capture so far (after a portrait the session refused)."""
        self._gen += 1

    @property
    def analysing(self) -> bool:
        return self._analysing

    def latest_frame(self) -> np.ndarray | None:
        with self._latest_lock:
            return None if self._latest is None else self._latest[0].copy()

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscriber:
        sub = Subscriber(loop)
        with self._subs_lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._subs_lock:
            if sub in self._subs:
                self._subs.remove(sub)

    # ------------------------------------------------------------------ threads

    def _status(self, state: str, message: str) -> None:
        if self.on_status is not None and (state == "faulted" or not self.fault):
            self.on_status(state, message)

    def _faulted(self, reason: str) -> None:
        self._status("faulted", f"{self.fault}; press Reconnect")

    def _revived(self) -> None:
        if not self.fault:
            self._status("open", "")

    def _framing(self, size: tuple[int, int]) -> Any:
        if size not in self._box_cache:
            from ..biometrics.face import framing_box, get_profile

            self._box_cache[size] = framing_box(get_profile(self.profile), size)
        return self._box_cache[size]

    def _camera_loop(self) -> None:
        ok = True
        while not self._stop.is_set():
            cam = self._camera()
            if cam is None:
                time.sleep(0.2)
                continue
            try:
                frame = cam.read_frame(timeout=1.0)
            except DeviceTimeout:
                continue
            except (DeviceRemoved, IdCaptureError) as exc:
                if ok:
                    self._status("removed", getattr(exc, "code", "error"))
                ok = False
                time.sleep(0.3)
                continue
            if not ok:
                ok = True
                self._status("open", "")
            wall = time.time()
            image = frame.image
            with self._latest_lock:
                self._latest = (image, frame.index, wall)
            self.frames_read += 1
            if self._analysing:
                self._new_frame.set()
            with self._subs_lock:
                subs = list(self._subs)
            if subs:
                self._publish(subs, image, frame.index, wall)

    def _publish(self, subs: list[Subscriber], image: np.ndarray, index: int,
                 wall: float) -> None:
        g = self.guidance
        h, w = image.shape[:2]
        if self._analysing:
            stale = time.monotonic() - g.at > 1.0
            state = "guiding" if stale else g.state
            shown = draw_overlay(image, g.box if g.box is not None and not stale
                                 else self._framing((w, h)), state,
                                 None if stale else g.face)
        else:
            state = "idle"
            shown = image
        ok, buf = cv2.imencode(".jpg", shown, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
            return
        meta = {"i": index, "t": round(wall * 1000.0, 1), "w": w, "h": h, "state": state,
                "reason": g.reason if self._analysing else None,
                "text": g.text if self._analysing else {}}
        msg = pack_frame(meta, buf.tobytes())
        for s in subs:
            s.offer(msg)

    def _analysis_loop(self) -> None:
        from ..biometrics.face import LIVENESS_MEASURE, AutoCapture, instruction_text
        from ..errors import RetryReason
        from .i18n import translate

        cap: AutoCapture | None = None
        gen = -1
        last_index = -1
        while not self._stop.is_set():
            self._new_frame.wait(timeout=0.5)
            self._new_frame.clear()
            if not self._analysing:
                continue
            with self._latest_lock:
                latest = self._latest
            if latest is None or latest[1] == last_index:
                continue
            image, last_index, _wall = latest
            if cap is None or gen != self._gen:
                cap = AutoCapture(self.profile, timeout_s=self.auto_timeout_s, language="en",
                                  liveness=self.liveness)
                gen = self._gen
            try:
                step = cap.feed(image)
            except IdCaptureError as exc:  # face models missing: the operator frames by hand
                self.guidance = Guidance("guiding", RetryReason.OTHER.value,
                                         {"en": str(exc), "zh": str(exc)},
                                         self._framing((image.shape[1], image.shape[0])),
                                         None, time.monotonic())
                time.sleep(0.5)
                continue
            self.analyses += 1
            ins = step.instruction
            reason = ins.reason.value if ins.reason is not None else None
            if ins.measure == LIVENESS_MEASURE:
                reason = "liveness"
                text = {lang: translate(f"capture.liveness.{ins.side}", lang)
                        for lang in ("zh", "en")}
            else:
                text = (dict(READY) if ins.reason is None else
                        {lang: instruction_text(ins.reason, lang, ins.side)
                         for lang in ("zh", "en")})
            face = step.analysis.primary
            self.guidance = Guidance(step.state.value, reason, text, ins.framing,
                                     None if face is None else
                                     (face.x, face.y, face.width, face.height),
                                     time.monotonic())
            if cap.done:
                result = cap.result
                cap = None
                if result is None or result.frame is None or gen != self._gen:
                    continue
                refused = result.liveness is not None and result.liveness.live is False
                if refused:
                    self.guidance = Guidance(
                        "guiding", "liveness-failed",
                        {lang: translate("capture.liveness.failed", lang)
                         for lang in ("zh", "en")},
                        self.guidance.box, self.guidance.face, time.monotonic())
                try:
                    if self.on_result is not None and (result.accepted or refused):
                        self.on_result(np.asarray(result.frame), result.liveness_check())
                    elif self.on_capture is not None and result.accepted:
                        self.on_capture(np.asarray(result.frame))
                except Exception:  # never let a session error kill the preview
                    log.exception("portrait hand-over failed")
