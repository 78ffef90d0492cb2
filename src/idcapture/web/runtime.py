"""The station behind the web frontend: one store, three devices, one capture session.

:class:`StationRuntime` is the only place the frontend touches the library. It opens the
devices by address through the registry, drives a
:class:`~idcapture.station.session.CaptureSession` with the events the devices and the
operator produce, and describes the whole state as plain JSON for the page
(:meth:`StationRuntime.snapshot`). It holds no capture data of its own: everything a
session has taken is in the store after each event, so a restarted server resumes the
unfinished session at the step it was in (:meth:`StationRuntime.start`).

Device workers (threads):

* **reader**: while the session waits for a card, waits for a newly placed card and
  sends :class:`CardPresented`; otherwise it keeps polling so a card taken off is noticed;
* **sensor**: at a thumb step, captures one image per placement (the finger must be
  lifted between two captures) and sends :class:`FingerPresented` or
  :class:`FingerRetry`;
* **camera**: see :class:`~.live.LivePreview`; at the portrait step its auto-capture
  sends :class:`FramePresented`.

A device that goes away (:class:`~idcapture.errors.DeviceRemoved`) is shown as
``removed`` and tried again every half second; its worker resumes where it was. A
worker that raises anything else is not lost (:mod:`~.workers`): the device is shown
as ``faulted`` with the masked reason, and Reconnect restarts the worker.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..devices import Camera, Device, FingerprintSensor, IdReader
from ..errors import DeviceRemoved, DeviceTimeout, IdCaptureError
from ..i18n import N_
from ..privacy import mask_id_number
from ..record import CaptureRecord, Check
from ..station import Store
from ..station.checking import REQUIRED_CHECKS
from ..station.events import (
    Cancel,
    FingerPresented,
    OperatorDecision,
    Prompt,
    Redo,
    Save,
    SessionState,
)
from ..station.pump import FingerWatch, card_event, frame_event
from ..station.registration import station_config
from ..station.session import CaptureSession
from ..station.steps import Steps
from .workers import Worker

__all__ = ["ROLES", "DeviceSlot", "StationRuntime", "WebError"]

log = logging.getLogger("idcapture.web.runtime")

#: the station's device roles and the family each must be
ROLES: dict[str, type[Device]] = {"reader": IdReader, "camera": Camera,
                                  "sensor": FingerprintSensor}


class WebError(IdCaptureError):
    """An operator action that cannot be done now (the message says why)."""

    default_code = "web"


@dataclass
class DeviceSlot:
    """One device role: its address, the open device (if any) and its state."""

    role: str
    address: str
    device: Device | None = None
    state: str = "closed"
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        info = self.device.info.as_dict() if self.device is not None else None
        return {"role": self.role, "address": self.address, "state": self.state,
                "problem": self.problem, "info": info}


def _iso(d: _dt.date | None) -> str:
    return d.isoformat() if d else ""


class StationRuntime:
    """The station a web page drives (see the module docstring). Thread-safe."""

    def __init__(self, store: Store, addresses: dict[str, str], *,
                 profile: str = "exam-480x640", steps: Steps | None = None,
                 opener: Callable[[str], Device] | None = None) -> None:
        unknown = set(addresses) - set(ROLES)
        if unknown:
            raise WebError(N_("unknown device role(s): {roles}").format(
                roles=", ".join(sorted(unknown))), "role")
        self.store = store
        self.steps = steps
        self.profile = profile
        self.slots = {role: DeviceSlot(role, addresses.get(role, "")) for role in ROLES}
        self._opener = opener
        self._lock = threading.RLock()
        self._session: CaptureSession | None = None
        self._prompt: Prompt | None = None
        self._stop = threading.Event()
        self._workers = {role: Worker(role, loop, self._stop,
                                      on_fault=functools.partial(self._fault, role),
                                      on_revive=functools.partial(self._set_state, role,
                                                                  "open", ""))
                         for role, loop in (("reader", self._reader_loop),
                                            ("sensor", self._sensor_loop))}
        self._fingers = FingerWatch()
        self._last_finger: FingerPresented | None = None
        #: the finger image the quality gate refused last, while its retry prompt stands,
        #: its number (for the page's image URL) and its picture once drawn
        self._refused: FingerPresented | None = None
        self._refused_n = 0
        self._refused_png: bytes | None = None
        self.version = 0
        from .live import LivePreview

        self.preview = LivePreview(self._camera, profile=profile,
                                   on_result=self._auto_portrait,
                                   on_status=lambda s, p: self._set_state("camera", s, p))

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Open the devices, resume an unfinished session and start the workers."""
        for role in ROLES:
            self._open(role)
        unfinished = self.store.unfinished_sessions()
        if unfinished:
            with self._lock:
                self._session = CaptureSession.resume(self.store, unfinished[-1], self.steps)
                self._prompt = self._session.prompt()
                log.info("resumed capture session %s at %s", unfinished[-1][:8],
                         self._session.state.value)
        self._sync_preview()
        self.preview.start()
        for w in self._workers.values():
            w.start()

    def stop(self) -> None:
        """Stop the workers and close the devices (the store stays open)."""
        self._stop.set()
        self.preview.stop()
        for w in self._workers.values():
            w.join(timeout=3.0)
        for slot in self.slots.values():
            if slot.device is not None:
                slot.device.close()
                slot.state = "closed"

    def _open(self, role: str) -> None:
        slot = self.slots[role]
        if not slot.address:
            slot.state, slot.problem = "unassigned", "no device address configured"
            return
        try:
            if self._opener is not None:
                dev = self._opener(slot.address)
            else:
                import idcapture

                dev = idcapture.open(slot.address)
            if not isinstance(dev, ROLES[role]):
                dev.close()
                raise WebError(N_("{driver} is not a {role} driver").format(
                    driver=slot.address.split(":")[0], role=role), "role")
        except IdCaptureError as exc:
            slot.state, slot.problem = ("removed" if isinstance(exc, DeviceRemoved)
                                        else "unavailable"), str(exc)
            log.warning("%s device could not be opened: %s", role, exc.code)
            return
        slot.device, slot.state, slot.problem = dev, "open", ""

    def _set_state(self, role: str, state: str, problem: str) -> None:
        slot = self.slots[role]
        if slot.state != state:
            log.info("%s device is %s", role, state)
            self.version += 1
        slot.state, slot.problem = state, problem

    def _fault(self, role: str, reason: str) -> None:
        """A device worker stopped on an exception: the device is ``faulted`` until the
        operator's Reconnect restarts it."""
        self._set_state(role, "faulted", f"{reason}; press Reconnect")

    def reconnect(self, role: str) -> None:
        """Reconnect (or open for the first time) the device of ``role``, and restart its
        worker if it faulted."""
        if role not in ROLES:
            raise WebError(N_("unknown device role {role}").format(role=repr(role[:40])),
                           "role")
        slot = self.slots[role]
        if slot.device is None:
            self._open(role)
        else:
            try:
                slot.device.reconnect()
                self._set_state(role, "open", "")
            except IdCaptureError as exc:
                self._set_state(role, "removed", str(exc))
        if role == "camera":
            self.preview.revive()
        else:
            self._workers[role].revive()

    def device(self, role: str) -> Device | None:
        return self.slots[role].device

    def _camera(self) -> Camera | None:
        dev = self.slots["camera"].device
        return dev if isinstance(dev, Camera) else None

    # ------------------------------------------------------------------ session driving

    @property
    def session(self) -> CaptureSession | None:
        return self._session

    def _handle(self, event: Any) -> Prompt:
        with self._lock:
            s = self._session
            if s is None:
                raise WebError(N_("no capture session: start one first"), "no-session")
            prompt = s.handle(event)
            self._prompt = prompt
            self.version += 1
            self._sync_preview()
            return prompt

    def _sync_preview(self) -> None:
        s = self._session
        portrait = s is not None and s.state is SessionState.PORTRAIT
        if portrait and not self.preview.analysing:
            # the station's challenge, or the portrait profile's when it names none
            self.preview.liveness = station_config(self.store).face_liveness or None
        self.preview.set_analysing(portrait)

    def start_session(self, operator: str) -> Prompt:
        """A new session waiting for a card (an unfinished one is kept, not replaced)."""
        with self._lock:
            if self._session is not None and not self._session.state.finished:
                raise WebError(N_("a capture session is still open: save or cancel it first"),
                               "session-open")
            self._session = CaptureSession.start(self.store, operator, self.steps)
            self._prompt = self._session.prompt()
            self._fingers.new_session()
            self.version += 1
            self._sync_preview()
            return self._prompt

    def reopen(self, record_id: str, step: str, operator: str, reason: str = "") -> Prompt:
        """Start a correction of one step of the saved record ``record_id``."""
        id_number = self.store.id_number_of(record_id)
        if id_number is None:
            raise WebError(N_("no current record with that id"), "no-record")
        with self._lock:
            if self._session is not None and not self._session.state.finished:
                raise WebError(N_("a capture session is still open: save or cancel it first"),
                               "session-open")
            self._session = CaptureSession.correction(self.store, id_number, step,
                                                      operator, reason, self.steps)
            self._prompt = self._session.prompt()
            self._fingers.new_session()
            self.version += 1
            self._sync_preview()
            return self._prompt

    def decide(self, accept: bool, note: str = "") -> Prompt:
        return self._handle(OperatorDecision(accept, note))

    def manual_portrait(self) -> Prompt:
        """Frame the portrait by hand from the newest camera frame."""
        frame = self.preview.latest_frame()
        if frame is None:
            raise WebError(N_("no camera frame yet"), "no-frame")
        return self._handle(frame_event(frame, self.slots["camera"].address, manual=True))

    def keep_finger(self) -> Prompt:
        """Keep the last finger image although it is below the quality profile."""
        with self._lock:
            last = self._last_finger
            if last is None:
                raise WebError(N_("no finger image to keep"), "no-finger")
            return self._handle(dataclasses.replace(last, keep_below_quality=True))

    def redo(self, step: str) -> Prompt:
        return self._handle(Redo(SessionState(step)))

    def save(self) -> Prompt:
        return self._handle(Save())

    def cancel(self, reason: str = "") -> Prompt:
        return self._handle(Cancel(reason))

    def _auto_portrait(self, frame: np.ndarray, liveness: Check | None = None) -> None:
        with self._lock:
            s = self._session
            if s is None or s.state is not SessionState.PORTRAIT:
                return
            prompt = self._handle(frame_event(frame, self.slots["camera"].address,
                                              liveness=liveness))
            if prompt.state is SessionState.PORTRAIT:
                self.preview.restart_capture()

    # ------------------------------------------------------------------ workers

    def _state_now(self) -> SessionState | None:
        s = self._session
        return None if s is None else s.state

    def _reader_loop(self) -> None:
        while not self._stop.is_set():
            dev = self.slots["reader"].device
            if not isinstance(dev, IdReader):
                time.sleep(0.3)
                continue
            try:
                if self._state_now() is SessionState.CARD:
                    event = card_event(dev, timeout=0.3)
                    self._set_state("reader", "open", "")
                    with self._lock:
                        if self._state_now() is SessionState.CARD:
                            self._handle(event)
                else:
                    dev.card_present()
                    self._set_state("reader", "open", "")
                    time.sleep(0.15)
            except DeviceTimeout:
                self._set_state("reader", "open", "")
            except IdCaptureError as exc:
                removed = isinstance(exc, DeviceRemoved) and exc.code != "card-removed"
                if removed:
                    self._set_state("reader", "removed", str(exc))
                else:
                    log.warning("card read failed: %s", exc.code)
                time.sleep(0.5)

    def _sensor_loop(self) -> None:
        while not self._stop.is_set():
            dev = self.slots["sensor"].device
            st = self._state_now()
            pos = None if st is None else st.finger_position
            if not isinstance(dev, FingerprintSensor) or pos is None:
                time.sleep(0.1)
                continue
            try:
                event = self._fingers.poll(dev, pos, self.slots["sensor"].address)
            except IdCaptureError as exc:
                self._set_state("sensor", "removed" if isinstance(exc, DeviceRemoved)
                                else "error", str(exc))
                time.sleep(0.5)
                continue
            self._set_state("sensor", "open", "")
            if event is not None:
                with self._lock:
                    if self._state_now() is st:
                        if isinstance(event, FingerPresented):
                            self._last_finger = event
                        prompt = self._handle(event)
                        self._note_refused(event, prompt)
            if self._fingers.idle_s > 0:
                time.sleep(self._fingers.idle_s)

    # ------------------------------------------------------------------ description

    def blob(self, sha256: str) -> tuple[bytes, str] | None:
        """A blob of the open session's record (its bytes and media type), else ``None``."""
        with self._lock:
            s = self._session
            if s is None:
                return None
            for ref in s.record.refs():
                if ref.sha256 == sha256 and sha256 in s.record.blobs:
                    return s.record.blobs[sha256], ref.media_type
        return None

    def _note_refused(self, event: Any, prompt: Prompt) -> None:
        refused = isinstance(event, FingerPresented) and prompt.code == "finger-retry"
        self._refused = event if refused else None
        self._refused_png = None
        if refused:
            self._refused_n += 1

    def refused_picture(self) -> bytes | None:
        """The refused finger image with its problem region marked (PNG), while the
        retry prompt for it stands; else ``None``."""
        import cv2

        from .overlay import draw_refused_impression

        with self._lock:
            event = self._refused
            if event is None or self._prompt is None or self._prompt.code != "finger-retry":
                return None
            if self._refused_png is None:
                picture, _ = draw_refused_impression(event.image, int(event.resolution_ppi))
                ok, data = cv2.imencode(".png", picture)
                self._refused_png = data.tobytes() if ok else None
            return self._refused_png

    def snapshot(self) -> dict[str, Any]:
        """Everything the capture page shows, as JSON-ready values."""
        with self._lock:
            s = self._session
            out: dict[str, Any] = {
                "version": self.version,
                "devices": {r: sl.as_dict() for r, sl in self.slots.items()},
                "session": None,
            }
            if s is None:
                return out
            p = self._prompt or s.prompt()
            rec = s.record
            out["session"] = {
                "state": s.state.value, "finished": s.state.finished,
                "expects": list(p.expects), "message": p.message, "code": p.code,
                "retry": None if p.retry is None else {"reason": p.retry.reason.value,
                                                       "message": p.retry.message},
                "details": _plain(p.details), "correction": s.correction_step,
                "attempts": dict(s.attempts),
            }
            if self._refused is not None and p.code == "finger-retry":
                out["refused_finger"] = {"n": self._refused_n, "state": s.state.value}
            out.update(_describe_record(self.store, s, rec))
            return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _describe_record(store: Store, s: CaptureSession, rec: CaptureRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"card": None, "roster": None, "comparison": {}, "portrait": None,
                           "card_photo": None, "fingers": {}, "checks": []}
    doc = rec.identity
    if doc is not None:
        out["card"] = {
            "id_number": mask_id_number(doc.id_number), "name": doc.name,
            "sex": doc.sex.value, "ethnicity": doc.ethnicity or "",
            "birth_date": _iso(doc.birth_date), "valid_until": _iso(doc.valid_until),
            "long_term": doc.long_term, "kind": doc.kind.value,
        }
        if doc.photo is not None:
            out["card_photo"] = doc.photo.sha256
    if s.id_number:
        row = store.student(s.id_number)
        if row is not None:
            out["roster"] = {"id_number": mask_id_number(row["id_number"]), "name": row["name"],
                             "sex": row["sex"], "birth_date": row["birth_date"],
                             "school_name": row["school_name"], "class_name": row["class_name"],
                             "registration_number": store.registration(s.id_number) or ""}
    out["comparison"] = {k: {"card": v.get("card", ""), "roster": v.get("roster", ""),
                             "differ": v.get("card") != v.get("roster")}
                         for k, v in s.comparison.items()}
    if rec.portrait is not None:
        q = rec.portrait.quality
        out["portrait"] = {"sha256": rec.portrait.image.sha256,
                           "score": None if q is None else round(q.score, 1)}
    for f in rec.fingers:
        q = f.quality
        out["fingers"][f.position.slug] = {"sha256": f.image.sha256, "attempts": f.attempts,
                                           "score": None if q is None else round(q.score, 1)}
    checks = {c.name: c for c in rec.checks}
    names = list(REQUIRED_CHECKS) + sorted(set(checks) - set(REQUIRED_CHECKS))
    out["checks"] = [{"name": n, "outcome": checks[n].outcome.value if n in checks
                      else "pending", "message": checks[n].message if n in checks else ""}
                     for n in names]
    return out
