"""The capture session: an explicit state machine a frontend drives step by step.

One session captures one student::

    CARD ──card──▶ (not on roster / not registered / captured already) ─▶ REFUSED
      │
      ├─ card and roster disagree ─▶ DECISION ──accept──▶ PORTRAIT
      │                                      └─reject──▶ REFUSED
      └──────────────────────────────────────────────▶ PORTRAIT ──frame──▶ RIGHT_THUMB
    RIGHT_THUMB ──finger──▶ LEFT_THUMB ──finger──▶ REVIEW ──save──▶ SAVED

With a card-fingerprint checker in the :class:`Steps`, a thumb whose finger is on the
card and does not match it keeps the step (``card-fingerprint-retry``: another
impression); after the checker's attempts the step waits for an
:class:`OperatorDecision` (``card-fingerprint-decision``): accepted, the check is
OVERRIDDEN with the operator's note and the capture goes on; rejected, the capture is
refused.

The frontend sends events (:mod:`idcapture.station.events`: :class:`CardPresented`,
:class:`FramePresented`, :class:`FingerPresented`, :class:`FingerRetry`,
:class:`OperatorDecision`, :class:`Redo`, :class:`Save`, :class:`Cancel`) to
:meth:`CaptureSession.handle` and gets back a :class:`Prompt`: the state now, what to
tell the operator, what the session expects next. A frame that gives no portrait or a
finger below the quality profile keeps the state and says why (a retry); :class:`Redo`
goes back to any step. :mod:`idcapture.station.pump` turns what devices give into
events.

After every event the session is written to the store (its images as content-addressed
files, the draft as JSON), so :meth:`CaptureSession.resume` continues a session after a
crash at the step it was in. :class:`Save` writes the record and finishes the session
in one transaction: the record is saved whole or not at all.

Nothing personal appears in a prompt's ``message`` or in a log line: ID numbers and
names are masked; the frontend shows card and roster values from
:attr:`CaptureSession.comparison`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import uuid
from typing import Any

from .. import __version__
from ..errors import RetryOutcome, RetryReason, RosterError
from ..formats.finger_capture import add_finger_capture
from ..formats.record_json import from_dict, to_dict
from ..i18n import N_
from ..idnumbers import id_number_check
from ..privacy import mask_id_number
from ..record import (
    CaptureRecord,
    Check,
    CheckOutcome,
    FaceCapture,
    FingerPosition,
    IdentityDocument,
    RecordStatus,
    StationInfo,
    Subject,
    utcnow,
)
from .card_fingerprint import NAME as CARD_FINGERPRINT
from .card_fingerprint import CardFingerprintStep
from .events import (
    EXPECTS,
    FINGER_STEPS,
    Cancel,
    CardPresented,
    Event,
    FingerPresented,
    FingerRetry,
    FramePresented,
    OperatorDecision,
    Prompt,
    Redo,
    Save,
    SessionState,
)
from .registration import station_config
from .steps import Steps, TemplateDuplicateChecker, finger_template_of
from .store import Store, today

#: the check the live loop records (idcapture.biometrics.face.liveness.LIVENESS_CHECK)
LIVENESS_CHECK = "liveness"

__all__ = [
    "Cancel",
    "CaptureSession",
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
    "card_validity_check",
    "finger_template_of",
]

log = logging.getLogger("idcapture.station.session")


def card_validity_check(doc: IdentityDocument, day: _dt.date) -> Check:
    """``card-validity``: FAILED for an expired card, PASSED while valid."""
    if doc.long_term:
        return Check("card-validity", CheckOutcome.PASSED, N_("long-term card"), utcnow())
    if doc.valid_until is None:
        return Check("card-validity", CheckOutcome.NOT_CHECKED, N_("the card has no end date"),
                     utcnow())
    if doc.valid_until < day:
        return Check("card-validity", CheckOutcome.FAILED,
                     N_("card expired on {date}").format(date=doc.valid_until.isoformat()),
                     utcnow())
    return Check("card-validity", CheckOutcome.PASSED,
                 N_("valid until {date}").format(date=doc.valid_until.isoformat()), utcnow())


class CaptureSession:
    """One student's capture (see the module docstring).

    Create with :meth:`start` (a new capture), :meth:`correction` (re-capture one step
    of a saved record, keeping its history) or :meth:`resume` (after a crash).
    """

    max_portrait_attempts = 3
    max_finger_attempts = 3
    #: store each kept finger's minutiae template (ISO/IEC 19794-2) in the record
    store_templates = True

    def __init__(self, store: Store, session_id: str, operator: str, steps: Steps) -> None:
        self.store = store
        self.session_id = session_id
        self.operator = operator
        self.steps = steps
        self.state = SessionState.CARD
        self.record = CaptureRecord()
        self.id_number = ""
        self.attempts: dict[str, int] = {}
        self.comparison: dict[str, dict[str, str]] = {}
        self.correction_of: str = ""
        self.correction_step: str = ""
        self.note = ""
        self.day: _dt.date | None = None
        self._portrait_pixels: Any = None
        #: the impressions of the card-fingerprint check (kept in memory only: a resumed
        #: session counts its impressions afresh)
        self._card_fp: CardFingerprintStep | None = None

    # ------------------------------------------------------------------ creation

    @classmethod
    def start(cls, store: Store, operator: str = "operator", steps: Steps | None = None,
              day: _dt.date | None = None) -> CaptureSession:
        """A new session waiting for a card."""
        s = cls(store, uuid.uuid4().hex, operator, steps or Steps())
        s.day = day
        cfg = station_config(store)
        s.record.station = StationInfo(cfg.station_id, operator, f"idcapture {__version__}")
        s._persist()
        return s

    @classmethod
    def resume(cls, store: Store, session_id: str, steps: Steps | None = None
               ) -> CaptureSession:
        """The session ``session_id`` as it was after its last event."""
        loaded = store.load_session(session_id)
        if loaded is None:
            raise RosterError(N_("no capture session {session}").format(
                session=session_id[:8]), "no-session")
        state, body = loaded
        s = cls(store, session_id, body["operator"], steps or Steps())
        s.state = SessionState(state)
        s.id_number = body["id_number"]
        s.attempts = dict(body["attempts"])
        s.comparison = body["comparison"]
        s.correction_of = body.get("correction_of", "")
        s.correction_step = body.get("correction_step", "")
        s.note = body.get("note", "")
        s.day = _dt.date.fromisoformat(body["day"]) if body.get("day") else None
        s.record = from_dict(body["record"], validate=False)
        for ref in s.record.refs():
            s.record.blobs[ref.sha256] = store.read_blob(ref.sha256)
        log.info("session %s resumed at step %s", session_id[:8], s.state.value)
        return s

    @classmethod
    def correction(cls, store: Store, id_number: str, step: SessionState | str,
                   operator: str = "operator", reason: str = "",
                   steps: Steps | None = None) -> CaptureSession:
        """Re-capture ``step`` of the saved record of ``id_number``.

        The new version replaces the current one when saved; earlier versions stay in
        the store's history.
        """
        step = SessionState(step)
        if step not in (SessionState.PORTRAIT, SessionState.RIGHT_THUMB,
                        SessionState.LEFT_THUMB):
            raise RosterError(N_("a correction re-captures the portrait, right-thumb or "
                                 "left-thumb step"), "bad-step")
        current = store.current_record(id_number)
        if current is None:
            raise RosterError(N_("no saved record for {id_number} to correct").format(
                id_number=mask_id_number(id_number)), "no-record")
        s = cls(store, uuid.uuid4().hex, operator, steps or Steps())
        s.record = current.record(store)
        s.record.station.operator = operator
        s.record.status = RecordStatus.DRAFT
        s.id_number = id_number
        s.correction_of = f"{current.record_id}:{current.version}"
        s.correction_step = step.value
        s.note = reason
        s._clear(step)
        s.state = step
        store.audit(operator, "correction-started", mask_id_number(id_number),
                    f"step {step.value}: {reason}"[:200])
        s._persist()
        return s

    # ------------------------------------------------------------------ persistence

    def _persist(self) -> None:
        for ref in self.record.refs():
            if ref.sha256 in self.record.blobs:
                self.store.put_blob(self.record.blobs[ref.sha256])
        body = {"operator": self.operator, "id_number": self.id_number,
                "attempts": self.attempts, "comparison": self.comparison,
                "correction_of": self.correction_of, "correction_step": self.correction_step,
                "note": self.note, "day": self.day.isoformat() if self.day else None,
                "record": to_dict(self.record),
                "blobs": [r.sha256 for r in self.record.refs()]}
        self.store.save_session(self.session_id, self.state.value, body, self.state.finished)

    def _today(self) -> _dt.date:
        return self.day or today()

    # ------------------------------------------------------------------ driving

    def prompt(self) -> Prompt:
        """The prompt for the current state (what to show after a resume)."""
        if self._card_decision_pending():
            return self._card_decision_prompt()
        return Prompt.at(self.state)

    @property
    def finger_position(self) -> FingerPosition | None:
        """The finger the current step captures (``None`` outside the thumb steps)."""
        return self.state.finger_position

    def handle(self, event: Event) -> Prompt:
        """Apply one event; returns the prompt for what comes next.

        Every transition starts here: :class:`Cancel` and :class:`Redo` at any open
        step, each other event at the one step that takes it; anything else leaves the
        state as it was and says so (``unexpected-event``).
        """
        st = self.state
        if st.finished:
            return Prompt(st, N_("the session is finished"), (), code="finished")
        match event:
            case Cancel(reason=reason):
                self.state = SessionState.CANCELLED
                self.store.audit(self.operator, "session-cancelled",
                                 mask_id_number(self.id_number), reason[:200])
                self._persist()
                return self.prompt()
            case Redo(step=step):
                return self._redo(step)
            case CardPresented() if st is SessionState.CARD:
                prompt = self._on_card(event)
            case OperatorDecision() if st is SessionState.DECISION:
                prompt = self._on_decision(event)
            case FramePresented() if st is SessionState.PORTRAIT:
                prompt = self._on_frame(event)
            case OperatorDecision() if st in FINGER_STEPS and self._card_decision_pending():
                prompt = self._on_card_fingerprint_decision(event)
            case FingerPresented() | FingerRetry() if st in FINGER_STEPS \
                    and not self._card_decision_pending():
                prompt = self._on_finger(event)
            case Save() if st is SessionState.REVIEW:
                prompt = self._on_save()
            case _:
                p = self.prompt()
                p.message = (f"{type(event).__name__} is not expected at step "
                             f"{st.value}: {p.message}")
                p.code = "unexpected-event"
                return p
        self._persist()
        return prompt

    # ------------------------------------------------------------------ steps

    def _refuse(self, message: str, code: str) -> Prompt:
        self.state = SessionState.REFUSED
        self.record = CaptureRecord(station=self.record.station)  # nothing is kept
        log.info("capture refused (%s): %s", code, message)
        self.store.audit(self.operator, "capture-refused", mask_id_number(self.id_number),
                         f"{code}: {message}"[:200])
        return Prompt(self.state, message, (), code=code)

    def _on_card(self, ev: CardPresented) -> Prompt:
        doc = ev.document
        self.id_number = doc.id_number.strip().upper()
        masked = mask_id_number(self.id_number)
        cfg = station_config(self.store)
        day = self._today()
        makeup_set = cfg.makeup_window.opens is not None or cfg.makeup_window.closes is not None
        if not (cfg.capture_window.contains(day)
                or (makeup_set and cfg.makeup_window.contains(day))):
            return self._refuse(N_("capture is not open today ({day}): capture window "
                                   "{window}, make-up window {makeup}").format(
                day=day.isoformat(), window=cfg.capture_window.describe(),
                makeup=cfg.makeup_window.describe()), "window-closed")
        student = self.store.student(self.id_number)
        if student is None:
            return self._refuse(N_("card {card} is not on the roster: nothing captured"
                                   ).format(card=masked), "not-on-roster")
        reg = self.store.registration(self.id_number)
        if reg is None:
            return self._refuse(N_("student {student} is not registered: register before "
                                   "capture").format(student=masked), "not-registered")
        if self.store.current_record(self.id_number) is not None:
            return self._refuse(N_("student {student} is captured already: use a correction "
                                   "to re-capture a step").format(student=masked),
                                "already-captured")
        rec = self.record
        card_blobs = dict(ev.blobs) or dict(doc.blobs)
        kept_raw = {k: r for k, r in doc.raw_blocks.items() if r.sha256 in card_blobs}
        doc.raw_blocks = kept_raw
        if doc.photo is not None and doc.photo.sha256 not in card_blobs:
            doc.photo = None
        for ref in [*kept_raw.values(), *([doc.photo] if doc.photo else [])]:
            rec.blobs[ref.sha256] = card_blobs[ref.sha256]
        rec.identity = doc
        rec.subject = Subject(self.id_number, reg, student["school_code"],
                              student["class_name"])
        rec.set_check(id_number_check(doc))
        rec.set_check(card_validity_check(doc, day))
        differ: list[str] = []
        self.comparison = {}
        roster = {"name": student["name"], "sex": student["sex"],
                  "birth_date": student["birth_date"]}
        card = {"name": doc.name.strip(), "sex": doc.sex.value,
                "birth_date": doc.birth_date.isoformat() if doc.birth_date else ""}
        for k in ("name", "sex", "birth_date"):
            self.comparison[k] = {"card": card[k], "roster": roster[k]}
            if card[k] != roster[k]:
                differ.append(k)
        self.store.audit(self.operator, "card-read", masked,
                         f"registration {reg}; differs: {', '.join(differ) or 'none'}")
        if differ:
            self.state = SessionState.DECISION
            return Prompt(self.state, N_("card and roster disagree on {fields}: check the "
                                         "student and accept or reject").format(
                                             fields=", ".join(differ)),
                          EXPECTS[self.state], details={"fields": differ},
                          code="card-roster-mismatch")
        rec.set_check(Check("card-vs-roster", CheckOutcome.PASSED,
                            N_("name, sex and birth date agree with the roster"), utcnow()))
        self.state = SessionState.PORTRAIT
        return Prompt(self.state, N_("card accepted: take the portrait"), EXPECTS[self.state])

    def _on_decision(self, ev: OperatorDecision) -> Prompt:
        differ = [k for k, v in self.comparison.items() if v["card"] != v["roster"]]
        if not ev.accept:
            return self._refuse(N_("card and roster disagree; operator rejected the capture"),
                                "card-roster-rejected")
        self.record.set_check(Check(
            "card-vs-roster", CheckOutcome.OVERRIDDEN,
            f"card and roster disagree on {', '.join(differ)}; accepted by operator "
            f"{self.operator}" + (f": {ev.note}" if ev.note else ""), utcnow(),
            {"fields": differ, "operator": self.operator, "note": ev.note}))
        self.store.audit(self.operator, "mismatch-accepted", mask_id_number(self.id_number),
                         f"fields {', '.join(differ)}; {ev.note}"[:200])
        self.state = SessionState.PORTRAIT
        return Prompt(self.state, N_("mismatch accepted: take the portrait"),
                      EXPECTS[self.state])

    def _bump(self, key: str) -> int:
        self.attempts[key] = self.attempts.get(key, 0) + 1
        return self.attempts[key]

    def _on_frame(self, ev: FramePresented) -> Prompt:
        n = self._bump("portrait")
        live = ev.liveness
        if live is not None and live.outcome is CheckOutcome.FAILED:
            # a presentation attack or the challenge not met: no portrait from this
            # attempt; the failed check stays until a live person passes
            self.record.set_check(live)
            self.store.audit(self.operator, "liveness-failed",
                             mask_id_number(self.id_number), live.message[:200])
            self._persist()
            return Prompt(self.state, f"portrait: liveness check failed: {live.message} "
                          f"(attempt {n})", EXPECTS[self.state],
                          RetryOutcome(RetryReason.OTHER, live.message), code="liveness-failed")
        maker = self.steps.portrait
        result = maker.manual(ev.image) if ev.manual else maker.make(ev.image)
        if result.retry is not None:
            expects = EXPECTS[self.state]
            msg = N_("portrait: {reason} (attempt {attempt})").format(reason=result.retry,
                                                                       attempt=n)
            if n >= self.max_portrait_attempts:
                expects = (*expects, "manual")
                msg += "; the operator may frame the portrait by hand"
            return Prompt(self.state, msg, expects, result.retry, code="portrait-retry")
        rec = self.record
        ref = rec.add_blob(result.jpeg, "image/jpeg", result.width_px, result.height_px)
        rec.portrait = FaceCapture(ref, result.profile, utcnow(), ev.device,
                                   result.quality, result.crop)
        if result.check is not None:
            rec.set_check(result.check)
        self._record_liveness(ev)
        photo = None
        media = ""
        ident = rec.identity
        if ident is not None and ident.photo is not None and \
                ident.photo.media_type.startswith("image/"):
            photo = rec.blobs.get(ident.photo.sha256)
            media = ident.photo.media_type
        rec.set_check(self.steps.face_vs_card.compare(result, photo, media))
        self.state = self._next_state()
        return Prompt(self.state, N_("portrait taken: {next}").format(
            next=self.prompt().message),
                      EXPECTS[self.state])

    def _record_liveness(self, ev: FramePresented) -> None:
        """The ``liveness`` check of the portrait taken: the live loop's, or NOT_CHECKED
        when the station asks for a challenge and none ran (a frame framed by hand, a
        frontend without the live loop). A FAILED check of an earlier attempt is kept
        unless a challenge passed since."""
        if ev.liveness is not None:
            self.record.set_check(ev.liveness)
            return
        kind = station_config(self.store).face_liveness
        earlier = self.record.check(LIVENESS_CHECK)
        if not kind or (earlier is not None and earlier.outcome is CheckOutcome.FAILED):
            return
        how = (N_("portrait framed by the operator: no {challenge} challenge ran") if ev.manual
               else N_("portrait taken without the live loop: no {challenge} challenge ran"))
        self.record.set_check(Check(LIVENESS_CHECK, CheckOutcome.NOT_CHECKED,
                                    how.format(challenge=kind), utcnow(),
                                    {"challenge": kind}))

    def _on_finger(self, ev: FingerPresented | FingerRetry) -> Prompt:
        pos = self.state.finger_position
        assert pos is not None  # handle() sends fingers at the thumb steps only
        key = pos.slug
        n = self._bump(key)
        if isinstance(ev, FingerRetry):
            return Prompt(self.state, N_("{position}: {reason} (attempt {attempt}): try again"
                                         ).format(position=key, reason=ev.outcome, attempt=n),
                          EXPECTS[self.state], ev.outcome, code="finger-retry")
        verdict = self.steps.finger_quality.assess(ev.image, ev.resolution_ppi, pos)
        if verdict.retry is not None and not ev.keep_below_quality:
            expects = EXPECTS[self.state]
            msg = N_("{reason} (attempt {attempt}): try again").format(reason=verdict.retry,
                                                                        attempt=n)
            if n >= self.max_finger_attempts:
                expects = (*expects, "keep")
                msg = N_("{message}; or keep this image below the quality profile").format(
                    message=msg)
            return Prompt(self.state, msg, expects, verdict.retry, code="finger-retry")
        rec = self.record
        ppi = int(ev.resolution_ppi)
        template = (finger_template_of(ev.image, ppi, pos, verdict.analysis)
                    if self.store_templates else None)
        rec.fingers = [f for f in rec.fingers if f.position != pos]
        cap = add_finger_capture(rec, ev.image, ppi=ppi, position=pos, template=template,
                                 quality=verdict.quality, device=ev.device, attempts=n)
        if cap.minutiae_count is None:
            cap.minutiae_count = verdict.minutiae_count
        ref = cap.image
        q = verdict.check
        if verdict.retry is not None:
            q = Check(q.name, CheckOutcome.FAILED,
                      N_("{message}; kept by the operator").format(message=q.message),
                      q.checked_at, {**q.details, "kept_by": self.operator})
        rec.set_check(Check(f"finger-quality:{key}", q.outcome, q.message, q.checked_at,
                            q.details, q.related_record))
        session_hashes = {int(f.position): f.image.sha256 for f in rec.fingers
                          if f.position != pos}
        checker = self.steps.duplicates
        if template is not None and isinstance(checker, TemplateDuplicateChecker):
            dup = checker.check_template(self.store, self.id_number, pos, template,
                                         ref.sha256, session_hashes)
        else:
            dup = checker.check(self.store, self.id_number, pos, ev.image, ref.sha256,
                                session_hashes)
        rec.set_check(Check(f"finger-duplicate:{key}", dup.outcome, dup.message,
                            dup.checked_at, dup.details, dup.related_record))
        if dup.outcome is CheckOutcome.FAILED:
            self.store.audit(self.operator, "duplicate-finger",
                             mask_id_number(self.id_number), dup.message[:200])
        held = self._card_fingerprint(pos, ev.image, n)
        if held is not None:
            return held
        self.state = self._next_state()
        extra = N_(" (warning: {message})").format(message=dup.message) \
            if dup.outcome is CheckOutcome.FAILED else ""
        card_fp = rec.check(CARD_FINGERPRINT)
        if card_fp is not None and card_fp.details.get("present"):
            extra += f" ({CARD_FINGERPRINT}: {card_fp.message})"
        return Prompt(self.state, N_("{position} taken{extra}: {next}").format(
            position=key, extra=extra, next=self.prompt().message),
                      EXPECTS[self.state],
                      code="duplicate-finger" if dup.outcome is CheckOutcome.FAILED else "")

    # ------------------------------------------------------------------ card fingerprint

    def _card_fingerprint(self, pos: FingerPosition, image: Any, n: int) -> Prompt | None:
        """Match the thumb against the card; the prompt that keeps the step (another
        impression, or the operator's decision), or ``None`` to go on."""
        checker = self.steps.card_fingerprint
        rec = self.record
        done = rec.check(CARD_FINGERPRINT)
        if checker is None or (done is not None and done.outcome in (
                CheckOutcome.PASSED, CheckOutcome.OVERRIDDEN)):
            return None
        if self._card_fp is None:
            self._card_fp = CardFingerprintStep(checker)
        check = self._card_fp.on_finger(rec, pos, image)
        rec.set_check(check)
        if check.details.get("retry"):
            return Prompt(self.state, N_("{message} (attempt {attempt} of {attempts})").format(
                message=check.message, attempt=n, attempts=checker.attempts),
                EXPECTS[self.state],
                          details=dict(check.details), code="card-fingerprint-retry")
        if check.details.get("operator_decision_needed"):
            self.store.audit(self.operator, "card-fingerprint-failed",
                             mask_id_number(self.id_number), check.message[:200])
            return self._card_decision_prompt()
        return None

    def _card_decision_pending(self) -> bool:
        check = self.record.check(CARD_FINGERPRINT)
        return (self.state in FINGER_STEPS and check is not None
                and bool(check.details.get("operator_decision_needed")))

    def _card_decision_prompt(self) -> Prompt:
        check = self.record.check(CARD_FINGERPRINT)
        assert check is not None  # only while a decision is pending
        return Prompt(self.state, N_("{message} (accept or reject the capture)").format(
            message=check.message),
                      ("decision", "redo", "cancel"), details=dict(check.details),
                      code="card-fingerprint-decision")

    def _on_card_fingerprint_decision(self, ev: OperatorDecision) -> Prompt:
        check = self.record.check(CARD_FINGERPRINT)
        assert check is not None  # handle() sends decisions here only while pending
        details = {k: v for k, v in check.details.items()
                   if k != "operator_decision_needed"}
        details.update(operator_decision="accept" if ev.accept else "reject",
                       operator=self.operator, note=ev.note)
        masked = mask_id_number(self.id_number)
        if not ev.accept:
            self.store.audit(self.operator, "card-fingerprint-rejected", masked,
                             ev.note[:200])
            return self._refuse(N_("the thumb does not match the card; the operator rejected "
                                   "the capture"), "card-fingerprint-rejected")
        self.record.set_check(Check(
            CARD_FINGERPRINT, CheckOutcome.OVERRIDDEN,
            f"the thumb does not match the card after {details.get('attempts')} "
            f"impressions; accepted by operator {self.operator}"
            + (f": {ev.note}" if ev.note else ""), utcnow(), details))
        self.store.audit(self.operator, "card-fingerprint-accepted", masked, ev.note[:200])
        self.state = self._next_state()
        return Prompt(self.state, N_("card fingerprint accepted by the operator: {next}"
                                     ).format(next=self.prompt().message), EXPECTS[self.state])

    def _next_state(self) -> SessionState:
        rec = self.record
        if rec.portrait is None:
            return SessionState.PORTRAIT
        for st in FINGER_STEPS:
            pos = st.finger_position
            if pos is not None and rec.finger(pos) is None:
                return st
        return SessionState.REVIEW

    def _clear(self, step: SessionState) -> None:
        rec = self.record
        if step is SessionState.PORTRAIT:
            rec.portrait = None
            rec.checks = [c for c in rec.checks if c.name not in ("face-quality",
                                                                  "face-vs-card")]
            self.attempts.pop("portrait", None)
        elif (pos := step.finger_position) is not None:
            rec.fingers = [f for f in rec.fingers if f.position != pos]
            rec.checks = [c for c in rec.checks if not c.name.endswith(":" + pos.slug)
                          and c.name != CARD_FINGERPRINT]
            self.attempts.pop(pos.slug, None)
            if self._card_fp is not None:
                self._card_fp.tries.pop(pos, None)
        live = {r.sha256 for r in rec.refs()}
        rec.blobs = {k: v for k, v in rec.blobs.items() if k in live}

    def _redo(self, step: SessionState) -> Prompt:
        step = SessionState(step)
        if step not in (SessionState.PORTRAIT, *FINGER_STEPS) or self.state in (
                SessionState.CARD, SessionState.DECISION):
            p = self.prompt()
            p.message = f"cannot redo {step.value} now: {p.message}"
            p.code = "bad-redo"
            return p
        self._clear(step)
        self.state = step
        self.store.audit(self.operator, "step-redone", mask_id_number(self.id_number),
                         step.value)
        self._persist()
        p = self.prompt()
        p.message = f"redo: {p.message}"
        return p

    def _on_save(self) -> Prompt:
        rec = self.record
        failed = rec.failed_checks()
        rec.status = RecordStatus.COMPLETE
        rec.updated_at = utcnow()
        if self.correction_of:
            rec.extensions = {**rec.extensions, "idcapture.station": {
                **dict(rec.extensions.get("idcapture.station", {})),
                "corrected_step": self.correction_step, "corrects": self.correction_of,
                "note": self.note}}
        self.state = SessionState.SAVED
        body = {"operator": self.operator, "id_number": self.id_number, "attempts": {},
                "comparison": {}, "record": to_dict(rec), "blobs": []}
        reason = (f"correction of {self.correction_step}: {self.note}" if self.correction_of
                  else "capture")
        try:
            version = self.store.save_record_finishing_session(
                rec, self.id_number, self.session_id, self.state.value, body,
                reason=reason[:200], replaces=self.correction_of)
        except RosterError as exc:
            if exc.code != "captured-since":
                raise
            return self._refuse(f"student {mask_id_number(self.id_number)}: {exc.message}",
                                exc.code)
        self.store.audit(self.operator, "record-saved", mask_id_number(self.id_number),
                         f"record {rec.record_id[:8]} v{version}; failed checks: "
                         f"{', '.join(c.name for c in failed) or 'none'}")
        log.info("record %s v%d saved for %s", rec.record_id[:8], version,
                 mask_id_number(self.id_number))
        return Prompt(self.state, f"record saved (version {version})", (),
                      details={"record_id": rec.record_id, "version": version,
                               "failed_checks": [c.name for c in failed]})
