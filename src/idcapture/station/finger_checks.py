"""Fingerprint duplicate checks of a capture session, by minutiae comparison.

:class:`MinutiaeDuplicateChecker` is the session's default
:class:`~idcapture.station.steps.DuplicateChecker` and returns one ``finger-duplicate``
check per captured thumb:

* **same finger twice**: the thumb matches the student's other thumb taken in this
  session -> FAILED ("the same finger was presented twice");
* **one person, two identities**: the thumb matches a thumb enrolled for another
  student in the store -> FAILED, naming that record (``related_record``);
* **re-capture**: the student already has a record; the thumb is compared with the
  same thumb of the earlier capture -> PASSED when it verifies, FAILED when it does not
  (unless the earlier capture failed its own duplicate check: a correction replacing
  someone else's finger is not verified against it).

An identical image (same SHA-256) enrolled elsewhere is caught first, without comparison.

Thresholds (scores are the comparator's calibrated ``-10 log10(FMR)``; a duplicate is
flagged on :func:`flag_score`, the lower of the two directional scores, a re-capture
verified on the symmetric :func:`~idcapture.biometrics.finger.compare.compare`; see the
integrator docs for the arithmetic):

* same-session check: one comparison per student at ``same_session_fmr`` (default 1e-5,
  score 50): 0.01 expected false hits per 1,000 students;
* store search: the threshold rises with the number N of enrolled fingers of other
  students so that one search has ``fmr_per_search`` (default 1e-5) expected false hits:
  ``max(threshold, -10 log10(fmr_per_search / N))``, 83 at N = 2,000. A session of 1,000
  students makes 2,000 searches: 0.02 expected false hits. The index pre-selects
  candidates; the best ``confirm`` are re-scored with :func:`flag_score` and the decision
  rests on that score;
* re-capture verification: a genuine 1:1 decision at ``threshold`` (default 40, FMR 1e-4).

Enrolled fingers live in a :class:`~idcapture.biometrics.finger.index.FingerIndex` kept in
step with the store's current fingers. The index is shared by every checker of the same
store in this process (a station makes a new session, and often new steps, per student), and
a finger is enrolled from the ISO/IEC 19794-2 template stored in its record, so nothing is
extracted again after a restart; an image stored without a template is extracted once.
"""

from __future__ import annotations

import collections
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IdCaptureError
from ..formats.images import decode_image
from ..formats.record_json import from_dict
from ..i18n import N_
from ..privacy import mask_id_number
from ..record import Check, CheckOutcome, FingerPosition, utcnow
from .store import DB_NAME, Store, StoredRecord

__all__ = ["DEFAULT_FMR_PER_SEARCH", "DEFAULT_SAME_SESSION_FMR", "MinutiaeDuplicateChecker",
           "flag_score", "store_templates"]

log = logging.getLogger("idcapture.station.finger_checks")

NAME = "finger-duplicate"
METHOD = "minutiae-mcc"
#: fewer local structures than this cannot give a meaningful score
MIN_CYLINDERS = 4
#: expected false hits of one search of the store (the 1:N threshold follows from it)
DEFAULT_FMR_PER_SEARCH = 1e-5
#: false-match rate of the comparison of a student's two thumbs
DEFAULT_SAME_SESSION_FMR = 1e-5
#: the comparator's highest score: the search threshold never exceeds it
SCORE_CAP = 100.0
#: stores whose enrolled fingers are kept in memory by this process
_SHARED_STORES = 4


class _Enrolled:
    """The searchable fingers of one store: index, labels and which entry is current."""

    def __init__(self, index_params: Any) -> None:
        from ..biometrics.finger.index import FingerIndex

        self.lock = threading.RLock()
        self.templates: dict[str, Any] = {}        # image sha256 -> PreparedTemplate
        self.index = FingerIndex(index_params)
        # per index position: (id_number, position code, record id, image sha256)
        self.entries: list[tuple[str, int, str, str]] = []
        self.position_of: dict[tuple[str, int, str], int] = {}   # (id, pos, sha) -> pos
        self.current: dict[tuple[str, int], int] = {}            # (id, pos) -> index pos
        self.active = np.zeros(0, bool)
        self.synced: tuple[int, int] | None = None


_shared: collections.OrderedDict[tuple[str, int, str], _Enrolled] = collections.OrderedDict()
_shared_lock = threading.Lock()


def _enrolled_for(store: Store, index_params: Any) -> _Enrolled:
    """The enrolment state shared by the checkers of ``store`` in this process."""
    key = (str(store.path.resolve()), (store.path / DB_NAME).stat().st_ino, repr(index_params))
    with _shared_lock:
        state = _shared.get(key)
        if state is None:
            state = _shared[key] = _Enrolled(index_params)
            while len(_shared) > _SHARED_STORES:
                _shared.popitem(last=False)
        _shared.move_to_end(key)
        return state


def flag_score(a: Any, b: Any) -> float:
    """The score a duplicate flag rests on: the lower of the two directional scores.

    The comparator's calibration is per direction (one template against another), so the
    false-match rate of "both directions reach t" is at most that of one direction:
    the calibrated rate is an upper bound. A chance alignment often scores high from one
    side only (on 1,000 synthetic students: 100 one way, 62 the other), while a second
    impression of the same finger scores high both ways.
    """
    from ..biometrics.finger.compare import compare_many

    return float(min(compare_many(a, [b])[0], compare_many(b, [a])[0]))


def _record_templates(store: Store, sr: StoredRecord, wanted: set[str]) -> dict[str, Any]:
    """Prepared templates of the fingers ``wanted`` (image hashes) of one stored record:
    from the stored minutiae template, else extracted from the stored image."""
    from ..biometrics.finger import extract
    from ..biometrics.finger.compare import prepare
    from ..formats.finger_capture import finger_template

    rec = from_dict(sr.body, validate=False)
    out: dict[str, Any] = {}
    for cap in rec.fingers:
        sha = cap.image.sha256
        if sha not in wanted:
            continue
        try:
            tpl = None
            if cap.template is not None:
                rec.blobs[cap.template.sha256] = store.read_blob(cap.template.sha256)
                tpl = finger_template(rec, cap)
            if tpl is None:
                tpl = extract(decode_image(store.read_blob(sha), "L"),
                              int(cap.resolution_ppi or 500))
            out[sha] = prepare(tpl)
        except (OSError, ValueError, IdCaptureError) as exc:
            log.warning("finger image %s... not usable for comparison: %s",
                        sha[:12], exc.__class__.__name__)
    return out


class MinutiaeDuplicateChecker:
    """Duplicate and re-capture checks with the MCC comparator (see the module docs).

    Args:
        threshold: score for the re-capture verification (and the floor of the others).
        fmr_per_search: expected false hits of one search of the store.
        same_session_fmr: false-match rate of the comparison of a student's two thumbs.
        confirm: search candidates re-scored with :func:`flag_score`.
        index_params: :class:`~idcapture.biometrics.finger.index.IndexParams`.
        shared: share the enrolled index with other checkers of the same store in this
            process (the default); ``False`` keeps a private one.

    Safe to use from several threads: the shared state is locked per store.
    """

    method = METHOD

    def __init__(self, threshold: float = 40.0,
                 fmr_per_search: float = DEFAULT_FMR_PER_SEARCH,
                 same_session_fmr: float = DEFAULT_SAME_SESSION_FMR, confirm: int = 3,
                 index_params: Any = None, shared: bool = True) -> None:
        from ..biometrics.finger.compare import threshold_for_fmr
        from ..biometrics.finger.index import DEFAULT_INDEX_PARAMS

        self.threshold = float(threshold)
        self.fmr_per_search = float(fmr_per_search)
        self.same_session_fmr = float(same_session_fmr)
        self.same_session_threshold = max(self.threshold, threshold_for_fmr(same_session_fmr))
        self.confirm = max(1, int(confirm))
        self.shared = shared
        self._threshold_for_fmr = threshold_for_fmr
        self._index_params = index_params or DEFAULT_INDEX_PARAMS
        self._own: _Enrolled | None = None if shared else _Enrolled(self._index_params)
        self._last: _Enrolled | None = self._own

    # ------------------------------------------------------------------ state

    def _state(self, store: Store | None) -> _Enrolled:
        if self._own is not None:
            return self._own
        if store is None:
            if self._last is None:
                self._last = _Enrolled(self._index_params)
            return self._last
        self._last = _enrolled_for(store, self._index_params)
        return self._last

    @property
    def index(self) -> Any:
        """The :class:`FingerIndex` of the store last checked (its enrolled fingers)."""
        return self._state(None).index

    # ------------------------------------------------------------------ enrolment

    def enrol(self, id_number: str, position: FingerPosition | int, record_id: str,
              template: Any, image_sha256: str, store: Store | None = None) -> int:
        """Make ``template`` the current finger ``position`` of ``id_number`` (searchable).

        The store's fingers are enrolled automatically; this is for callers that hold
        templates already (imports, benchmarks). Returns the index position.
        """
        st = self._state(store)
        with st.lock:
            return self._enrol(st, id_number, int(position), record_id, template, image_sha256)

    @staticmethod
    def _enrol(st: _Enrolled, id_number: str, pos_code: int, record_id: str, template: Any,
               image_sha256: str) -> int:
        from ..biometrics.finger.compare import prepare

        key = (id_number, pos_code, image_sha256)
        pos = st.position_of.get(key)
        if pos is None:
            prepared = prepare(template)
            st.templates.setdefault(image_sha256, prepared)
            pos = st.index.add(f"{record_id}:{pos_code}", prepared)
            st.entries.append((id_number, pos_code, record_id, image_sha256))
            st.position_of[key] = pos
            st.active = np.append(st.active, False)
        old = st.current.get((id_number, pos_code))
        if old is not None:
            st.active[old] = False
        st.current[(id_number, pos_code)] = pos
        st.active[pos] = True
        return pos

    def _sync(self, store: Store, st: _Enrolled) -> None:
        """Enrol every current finger of the store not yet indexed; retire superseded ones."""
        stamp = store.records_stamp()
        if stamp == st.synced:
            return
        current = {(f.id_number, f.position): (f.sha256, f.record_id)
                   for f in store.current_fingers()}
        missing: dict[str, set[str]] = {}
        for (owner, pos_code), (sha, rec) in current.items():
            if (owner, pos_code, sha) not in st.position_of and sha not in st.templates:
                missing.setdefault(rec, set()).add(sha)
        for rec, shas in missing.items():
            sr = store.record_by_id(rec)
            if sr is not None:
                st.templates.update(_record_templates(store, sr, shas))
        for (owner, pos_code), (sha, rec) in current.items():
            if (owner, pos_code, sha) in st.position_of or sha in st.templates:
                self._enrol(st, owner, pos_code, rec, st.templates.get(sha), sha)
        for key, pos in list(st.current.items()):
            if key not in current:
                st.active[pos] = False
                del st.current[key]
        st.synced = stamp

    def sync(self, store: Store) -> int:
        """Enrol the store's current fingers now; returns how many are searchable.

        Checks do this themselves when the store has changed; a station calls it at
        start-up so that the first student does not wait for it.
        """
        st = self._state(store)
        with st.lock:
            self._sync(store, st)
            return int(st.active.sum())

    def search_threshold(self, n: int) -> float:
        """Score threshold for a search of ``n`` enrolled fingers.

        Held at :data:`SCORE_CAP` (the comparator's highest score) once the target would
        exceed it (from about 100,000 enrolled fingers at the default rate), so that a
        search can still match; the per-search rate is then above ``fmr_per_search``.
        """
        t = self._threshold_for_fmr(self.fmr_per_search / max(n, 1))
        return min(SCORE_CAP, max(self.threshold, t))

    # ------------------------------------------------------------------ protocol

    def check(self, store: Store, id_number: str, position: FingerPosition,
              image: np.ndarray, image_sha256: str,
              this_session: dict[int, str]) -> Check:
        """The session's duplicate check for one captured finger image (500 ppi)."""
        from ..biometrics.finger import extract
        from ..biometrics.finger.compare import prepare

        st = self._state(store)
        with st.lock:
            probe = st.templates.get(image_sha256)
            if probe is None:
                try:
                    probe = prepare(extract(image, 500))
                except IdCaptureError as exc:
                    return Check(NAME, CheckOutcome.NOT_CHECKED,
                                 N_("{position}: no template could be made ({code})").format(
                                     position=position.slug, code=exc.code),
                                 utcnow(), {"method": METHOD, "position": position.slug})
            return self._check(store, st, id_number, position, probe, image_sha256,
                               this_session)

    def check_template(self, store: Store, id_number: str, position: FingerPosition,
                       probe: Any, image_sha256: str, this_session: dict[int, str]) -> Check:
        """As :meth:`check`, for a template (or prepared template) already made."""
        st = self._state(store)
        with st.lock:
            return self._check(store, st, id_number, position, probe, image_sha256,
                               this_session)

    def _check(self, store: Store, st: _Enrolled, id_number: str, position: FingerPosition,
               probe: Any, image_sha256: str, this_session: dict[int, str]) -> Check:
        from ..biometrics.finger.compare import compare, prepare

        probe = prepare(probe)
        st.templates.setdefault(image_sha256, probe)
        base: dict[str, Any] = {"method": METHOD, "position": position.slug}
        # 0. the very same image enrolled for someone else (no comparison needed)
        for owner, pos_code, rec in store.finger_owners(image_sha256):
            if owner == id_number and pos_code == int(position):
                continue
            same = (N_("{position} is the same image as this student's enrolled {other} "
                       "(record {record})") if owner == id_number else
                    N_("{position} is the same image as another student's enrolled {other} "
                       "(record {record})"))
            return Check(NAME, CheckOutcome.FAILED,
                         same.format(position=position.slug,
                                     other=FingerPosition(pos_code).slug, record=rec[:8]),
                         utcnow(),
                         {**base, "identical_image": True, "score": 100.0,
                          "other_student": mask_id_number(owner)}, related_record=rec)
        if len(probe) < MIN_CYLINDERS:
            return Check(NAME, CheckOutcome.NOT_CHECKED,
                         N_("{position}: too few usable minutiae to compare ({count} found)"
                            ).format(position=position.slug, count=probe.minutiae_count),
                         utcnow(),
                         {**base, "minutiae": probe.minutiae_count})
        # 1. the other thumb of this session
        same_best = 0.0
        for pos_code, sha in this_session.items():
            if pos_code == int(position):
                continue
            if sha == image_sha256:
                s = 100.0
            elif sha in st.templates:
                s = flag_score(probe, st.templates[sha])
            else:
                continue
            same_best = max(same_best, s)
            if s >= self.same_session_threshold:
                other = FingerPosition(pos_code).slug
                return Check(NAME, CheckOutcome.FAILED,
                             N_("{position} matches this student's {other} (score {score}, "
                                "threshold {threshold}): the same finger was presented twice"
                                ).format(position=position.slug, other=other, score=f"{s:.0f}",
                                         threshold=f"{self.same_session_threshold:.0f}"),
                             utcnow(),
                             {**base, "same_as": other, "score": round(s, 1),
                              "threshold": round(self.same_session_threshold, 1)})
        if this_session:
            base["same_session_score"] = round(same_best, 1)
            base["same_session_threshold"] = round(self.same_session_threshold, 1)
        # 2. every enrolled finger of other students (1:N search)
        self._sync(store, st)
        searchable = st.active.copy()
        for pos_code in range(11):
            own = st.current.get((id_number, pos_code))
            if own is not None:
                searchable[own] = False
        n_others = int(searchable.sum())
        thr = self.search_threshold(n_others)
        best = 0.0
        if n_others:
            hits = st.index.search(probe, top=self.confirm,
                                   exclude=np.flatnonzero(~searchable))
            scored = [(flag_score(probe, st.templates[st.entries[h.index][3]]), h)
                      for h in hits if st.entries[h.index][3] in st.templates]
            if scored:
                score, hit = max(scored, key=lambda x: x[0])
                best = score
                if score >= thr:
                    owner, pos_code, rec, _ = st.entries[hit.index]
                    return Check(NAME, CheckOutcome.FAILED,
                                 N_("{position} matches the {other} enrolled for another "
                                    "student (record {record}, score {score}, threshold "
                                    "{threshold})").format(
                                     position=position.slug,
                                     other=FingerPosition(pos_code).slug, record=rec[:8],
                                     score=f"{score:.0f}", threshold=f"{thr:.0f}"),
                                 utcnow(),
                                 {**base, "score": round(score, 1), "threshold": round(thr, 1),
                                  "searched": n_others, "other_student": mask_id_number(owner)},
                                 related_record=rec)
        search = {"searched": n_others, "best_score": round(best, 1),
                  "threshold": round(thr, 1)}
        # 3. this student's earlier capture of the same finger
        earlier = st.current.get((id_number, int(position)))
        if earlier is not None and st.entries[earlier][3] != image_sha256 \
                and st.entries[earlier][3] in st.templates:
            _, _, rec, sha = st.entries[earlier]
            if self._earlier_failed(store, id_number, position):
                return Check(NAME, CheckOutcome.PASSED,
                             N_("{position}: replaces an earlier capture that failed its "
                                "duplicate check (not verified against it); no match among "
                                "{count} enrolled fingers of other students").format(
                                 position=position.slug, count=n_others),
                             utcnow(),
                             {**base, **search, "verified_against_earlier": None,
                              "earlier_failed_duplicate_check": True}, related_record=rec)
            s = compare(probe, st.templates[sha])
            ok = s >= self.threshold
            return Check(NAME, CheckOutcome.PASSED if ok else CheckOutcome.FAILED,
                         (N_("{position} verifies against the earlier capture (score "
                             "{score}, threshold {threshold})") if ok else
                          N_("{position} does NOT verify against the earlier capture (score "
                             "{score}, threshold {threshold})")).format(
                             position=position.slug, score=f"{s:.0f}",
                             threshold=f"{self.threshold:.0f}"),
                         utcnow(),
                         {**base, **search, "verified_against_earlier": ok,
                          "score": round(s, 1), "verify_threshold": round(self.threshold, 1)},
                         related_record=rec)
        return Check(NAME, CheckOutcome.PASSED,
                     N_("{position}: no match among {count} enrolled fingers of other "
                        "students (best score {score}, threshold {threshold})").format(
                         position=position.slug, count=n_others, score=f"{best:.0f}",
                         threshold=f"{thr:.0f}"),
                     utcnow(),
                     {**base, **search})


    @staticmethod
    def _earlier_failed(store: Store, id_number: str, position: FingerPosition) -> bool:
        """Did the current record's capture of this finger fail its duplicate check?"""
        sr = store.current_record(id_number)
        for c in (sr.body.get("checks", []) if sr is not None else []):
            if c.get("name") == f"{NAME}:{position.slug}":
                return bool(c.get("outcome") == CheckOutcome.FAILED.value)
        return False


def store_templates(folder: Path) -> tuple[list[str], list[Any]]:
    """Labels (``registration-number:position``, or ``record-id:position`` for a record
    without a registration number) and prepared templates of every current finger.

    Each finger's stored minutiae template is used; an image stored without one is
    extracted.
    """
    labels: list[str] = []
    out: list[Any] = []
    with Store.open(folder) as store:
        for sr in store.current_records():
            fingers = sr.body.get("fingers", [])
            got = _record_templates(store, sr, {f["image"]["sha256"] for f in fingers})
            for f in fingers:
                t = got.get(f["image"]["sha256"])
                if t is not None:
                    name = sr.registration_number or sr.record_id[:8]
                    labels.append(f"{name}:{f['position']}")
                    out.append(t)
    return labels, out

