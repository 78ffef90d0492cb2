"""Fingerprint duplicate checks of a capture session, by minutiae comparison.

:class:`MinutiaeDuplicateChecker` implements the session's
:class:`~idcapture.station.steps.DuplicateChecker` protocol and returns one
``finger-duplicate`` check per captured thumb:

* **same finger twice**: the thumb matches the student's other thumb taken in this
  session -> FAILED ("the same finger was presented twice");
* **one person, two identities**: the thumb matches a thumb enrolled for another
  student in the store -> FAILED, naming that record (``related_record``);
* **re-capture**: the student already has a record; the thumb is compared with the
  same thumb of the earlier capture -> PASSED when it verifies, FAILED when it does not.

Thresholds: the same-session and re-capture checks are 1:1 decisions at score 40
(estimated FMR 1e-4). The search of the store is 1:N, so its threshold is raised with N
to keep the expected number of false hits per search at ``fmr_per_search`` (see the
integrator docs on de-duplication arithmetic): with the default 1e-5 and 2,000 enrolled
thumbs the threshold is 83. (With the comparator's earlier scoring, 1e-4 gave 2 false
hits on 1,000 distinct synthetic students, both chance alignments pairing 5-6 minutiae;
the comparator now discounts such scores, and this default keeps a tenfold margin.)

Enrolled fingers live in a :class:`~idcapture.biometrics.finger.index.FingerIndex`
(packed cylinders with pre-selection), kept in step with the store's current fingers:
a new image is extracted once, a superseded one is no longer searched.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IdCaptureError
from ..privacy import mask_id_number
from ..record import Check, CheckOutcome, FingerPosition, utcnow
from .store import Store

__all__ = ["MinutiaeDuplicateChecker", "store_templates"]

log = logging.getLogger("idcapture.station.finger_checks")

NAME = "finger-duplicate"
METHOD = "minutiae-mcc"
#: fewer local structures than this cannot give a meaningful score
MIN_CYLINDERS = 4


def _decode(data: bytes) -> np.ndarray:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("L"))


class MinutiaeDuplicateChecker:
    """Duplicate and re-capture checks with the MCC comparator (see the module docs).

    Not thread-safe: one checker per capture session loop (the session is single-threaded).
    """

    method = METHOD

    def __init__(self, threshold: float = 40.0, fmr_per_search: float = 1e-5,
                 index_params: Any = None) -> None:
        from ..biometrics.finger.compare import threshold_for_fmr
        from ..biometrics.finger.index import DEFAULT_INDEX_PARAMS, FingerIndex

        self.threshold = float(threshold)
        self.fmr_per_search = float(fmr_per_search)
        self._threshold_for_fmr = threshold_for_fmr
        self._templates: dict[str, Any] = {}        # image sha256 -> PreparedTemplate
        self.index = FingerIndex(index_params or DEFAULT_INDEX_PARAMS)
        # per index position: (id_number, position code, record id, image sha256)
        self._entries: list[tuple[str, int, str, str]] = []
        self._position_of: dict[tuple[str, int, str], int] = {}   # (id, pos, sha) -> pos
        self._current: dict[tuple[str, int], int] = {}            # (id, pos) -> index pos
        self._active = np.zeros(0, bool)
        self._synced: tuple[int, int] | None = None

    # ------------------------------------------------------------------ enrolment

    def _prepare(self, image: np.ndarray, ppi: int, sha: str) -> Any:
        from ..biometrics.finger import extract
        from ..biometrics.finger.compare import prepare

        if sha not in self._templates:
            self._templates[sha] = prepare(extract(image, ppi))
        return self._templates[sha]

    def enrol(self, id_number: str, position: FingerPosition | int, record_id: str,
              template: Any, image_sha256: str) -> int:
        """Make ``template`` the current finger ``position`` of ``id_number`` (searchable).

        The store's fingers are enrolled automatically; this is for callers that hold
        templates already (imports, benchmarks). Returns the index position.
        """
        from ..biometrics.finger.compare import prepare

        key = (id_number, int(position), image_sha256)
        pos = self._position_of.get(key)
        if pos is None:
            prepared = prepare(template)
            self._templates.setdefault(image_sha256, prepared)
            pos = self.index.add(f"{record_id}:{int(position)}", prepared)
            self._entries.append((id_number, int(position), record_id, image_sha256))
            self._position_of[key] = pos
            self._active = np.append(self._active, False)
        old = self._current.get((id_number, int(position)))
        if old is not None:
            self._active[old] = False
        self._current[(id_number, int(position))] = pos
        self._active[pos] = True
        return pos

    def _sync(self, store: Store) -> None:
        """Enrol every current finger of the store not yet indexed; retire superseded ones."""
        row = store.query("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM records")[0]
        stamp = (int(row[0]), int(row[1]))
        if stamp == self._synced:
            return
        rows = store.query("SELECT sha256, id_number, position, record_id FROM finger_hashes")
        current = {(r[1], int(r[2])): (r[0], r[3]) for r in rows}
        for (owner, pos_code), (sha, rec) in current.items():
            if (owner, pos_code, sha) in self._position_of:
                pos = self._position_of[(owner, pos_code, sha)]
                if self._current.get((owner, pos_code)) != pos:
                    self.enrol(owner, pos_code, rec, self._templates[sha], sha)
                continue
            try:
                if sha not in self._templates:
                    self._prepare(_decode(store.read_blob(sha)), self._ppi(store, owner, sha),
                                  sha)
                self.enrol(owner, pos_code, rec, self._templates[sha], sha)
            except (OSError, ValueError, IdCaptureError) as exc:
                log.warning("finger image %s... not usable for comparison: %s",
                            sha[:12], exc.__class__.__name__)
        for key, pos in list(self._current.items()):
            if key not in current:
                self._active[pos] = False
                del self._current[key]
        self._synced = stamp

    @staticmethod
    def _ppi(store: Store, id_number: str, sha: str) -> int:
        sr = store.current_record(id_number)
        for f in (sr.body.get("fingers", []) if sr else []):
            if f["image"]["sha256"] == sha:
                return int(f.get("resolution_ppi", 500))
        return 500

    def search_threshold(self, n: int) -> float:
        """Score threshold for a search of ``n`` enrolled fingers."""
        return max(self.threshold, self._threshold_for_fmr(self.fmr_per_search / max(n, 1)))

    # ------------------------------------------------------------------ protocol

    def check(self, store: Store, id_number: str, position: FingerPosition,
              image: np.ndarray, image_sha256: str,
              this_session: dict[int, str]) -> Check:
        """The session's duplicate check for one captured finger image (500 ppi)."""
        try:
            probe = self._prepare(image, 500, image_sha256)
        except IdCaptureError as exc:
            return Check(NAME, CheckOutcome.NOT_CHECKED,
                         f"{position.slug}: no template could be made ({exc.code})", utcnow(),
                         {"method": METHOD, "position": position.slug})
        return self.check_template(store, id_number, position, probe, image_sha256,
                                   this_session)

    def check_template(self, store: Store, id_number: str, position: FingerPosition,
                       probe: Any, image_sha256: str, this_session: dict[int, str]) -> Check:
        """As :meth:`check`, for a template (or prepared template) already made."""
        from ..biometrics.finger.compare import compare, prepare

        probe = prepare(probe)
        self._templates.setdefault(image_sha256, probe)
        base = {"method": METHOD, "position": position.slug}
        if len(probe) < MIN_CYLINDERS:
            return Check(NAME, CheckOutcome.NOT_CHECKED,
                         f"{position.slug}: too few usable minutiae to compare "
                         f"({probe.minutiae_count} found)", utcnow(),
                         {**base, "minutiae": probe.minutiae_count})
        # 1. the other thumb of this session
        for pos_code, sha in this_session.items():
            if pos_code == int(position) or sha not in self._templates:
                continue
            s = compare(probe, self._templates[sha])
            if s >= self.threshold:
                other = FingerPosition(pos_code).slug
                return Check(NAME, CheckOutcome.FAILED,
                             f"{position.slug} matches this student's {other} (score {s:.0f}):"
                             " the same finger was presented twice", utcnow(),
                             {**base, "same_as": other, "score": round(s, 1)})
        # 2. every enrolled finger of other students (1:N search)
        self._sync(store)
        searchable = self._active.copy()
        for pos_code in range(11):
            own = self._current.get((id_number, pos_code))
            if own is not None:
                searchable[own] = False
        n_others = int(searchable.sum())
        if n_others:
            thr = self.search_threshold(n_others)
            hits = self.index.search(probe, top=1, threshold=thr,
                                     exclude=np.flatnonzero(~searchable))
            if hits:
                owner, pos_code, rec, _ = self._entries[hits[0].index]
                score = hits[0].score
                return Check(NAME, CheckOutcome.FAILED,
                             f"{position.slug} matches the {FingerPosition(pos_code).slug} "
                             f"enrolled for another student (record {rec[:8]}, score "
                             f"{score:.0f})", utcnow(),
                             {**base, "score": round(score, 1), "threshold": round(thr, 1),
                              "other_student": mask_id_number(owner)},
                             related_record=rec)
        # 3. this student's earlier capture of the same finger
        earlier = self._current.get((id_number, int(position)))
        if earlier is not None and self._entries[earlier][3] != image_sha256:
            _, _, rec, sha = self._entries[earlier]
            s = compare(probe, self._templates[sha])
            ok = s >= self.threshold
            return Check(NAME, CheckOutcome.PASSED if ok else CheckOutcome.FAILED,
                         f"{position.slug} {'verifies' if ok else 'does NOT verify'} against "
                         f"the earlier capture (score {s:.0f})", utcnow(),
                         {**base, "verified_against_earlier": ok, "score": round(s, 1)},
                         related_record=rec)
        return Check(NAME, CheckOutcome.PASSED,
                     f"{position.slug}: no match among {n_others} enrolled fingers of other "
                     "students", utcnow(), {**base, "searched": n_others})


def store_templates(folder: Path) -> tuple[list[str], list[Any]]:
    """Labels (``record-id:position``) and prepared templates of every current finger."""
    from ..biometrics.finger import extract
    from ..biometrics.finger.compare import prepare

    labels: list[str] = []
    out: list[Any] = []
    with Store.open(folder) as store:
        for sr in store.current_records():
            for f in sr.body.get("fingers", []):
                try:
                    img = _decode(store.read_blob(f["image"]["sha256"]))
                    out.append(prepare(extract(img, int(f.get("resolution_ppi", 500)))))
                except (OSError, ValueError, IdCaptureError):
                    continue
                labels.append(f"{sr.record_id[:8]}:{f['position']}")
    return labels, out
