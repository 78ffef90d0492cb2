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
integrator docs on de-duplication arithmetic).

Templates of enrolled fingers are extracted from the stored images on first use and
kept in memory by image hash, in one search index.
"""

from __future__ import annotations

import json
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


def _decode(data: bytes) -> np.ndarray:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("L"))


class MinutiaeDuplicateChecker:
    """Duplicate and re-capture checks with the MCC comparator (see the module docs)."""

    method = METHOD

    def __init__(self, threshold: float = 40.0, fmr_per_search: float = 1e-3) -> None:
        from ..biometrics.finger.compare import threshold_for_fmr

        self.threshold = float(threshold)
        self.fmr_per_search = float(fmr_per_search)
        self._threshold_for_fmr = threshold_for_fmr
        self._templates: dict[str, Any] = {}        # image sha256 -> PreparedTemplate
        self._enrolled: dict[tuple[str, int], tuple[str, str]] = {}  # (id, pos) -> sha, rec
        self._loaded_from: int | None = None

    # ------------------------------------------------------------------ helpers

    def _prepare(self, image: np.ndarray, ppi: int, sha: str) -> Any:
        from ..biometrics.finger import extract
        from ..biometrics.finger.compare import prepare

        if sha not in self._templates:
            self._templates[sha] = prepare(extract(image, ppi))
        return self._templates[sha]

    def _load_store(self, store: Store) -> None:
        """Index every current finger of the store (extracting each image once)."""
        self._enrolled.clear()
        for sr in store.current_records():
            for f in sr.body.get("fingers", []):
                sha = f["image"]["sha256"]
                key = (sr.id_number, int(f["position_code"]))
                self._enrolled[key] = (sha, sr.record_id)
                if sha in self._templates:
                    continue
                try:
                    img = _decode(store.read_blob(sha))
                    self._prepare(img, int(f.get("resolution_ppi", 500)), sha)
                except (OSError, ValueError, IdCaptureError) as exc:
                    log.warning("finger image %s... not usable for comparison: %s",
                                sha[:12], exc.__class__.__name__)
        self._loaded_from = store.count_records()

    def search_threshold(self, n: int) -> float:
        """Score threshold for a search of ``n`` enrolled fingers."""
        return max(self.threshold, self._threshold_for_fmr(self.fmr_per_search / max(n, 1)))

    # ------------------------------------------------------------------ protocol

    def check(self, store: Store, id_number: str, position: FingerPosition,
              image: np.ndarray, image_sha256: str,
              this_session: dict[int, str]) -> Check:
        from ..biometrics.finger.compare import compare, compare_many

        try:
            probe = self._prepare(image, 500, image_sha256)
        except IdCaptureError as exc:
            return Check(NAME, CheckOutcome.NOT_CHECKED,
                         f"{position.slug}: no template could be made ({exc.code})", utcnow(),
                         {"method": METHOD, "position": position.slug})
        base = {"method": METHOD, "position": position.slug}
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
        # 2. every enrolled finger of other students, 3. this student's earlier capture
        if self._loaded_from != store.count_records():
            self._load_store(store)
        keys = [k for k, (sha, _) in self._enrolled.items() if sha in self._templates]
        others = [k for k in keys if k[0] != id_number]
        if others:
            from ..biometrics.finger.compare import gallery_arrays

            gal = gallery_arrays([self._templates[self._enrolled[k][0]] for k in others])
            scores = compare_many(probe, gal)
            thr = self.search_threshold(len(others))
            best = int(np.argmax(scores))
            if scores[best] >= thr:
                owner, pos_code = others[best]
                rec = self._enrolled[others[best]][1]
                return Check(NAME, CheckOutcome.FAILED,
                             f"{position.slug} matches the {FingerPosition(pos_code).slug} "
                             f"enrolled for another student (record {rec[:8]}, score "
                             f"{scores[best]:.0f})", utcnow(),
                             {**base, "score": round(float(scores[best]), 1),
                              "threshold": round(thr, 1),
                              "other_student": mask_id_number(owner)},
                             related_record=rec)
        earlier = self._enrolled.get((id_number, int(position)))
        if earlier is not None and earlier[0] in self._templates and \
                earlier[0] != image_sha256:
            s = compare(probe, self._templates[earlier[0]])
            ok = s >= self.threshold
            return Check(NAME, CheckOutcome.PASSED if ok else CheckOutcome.FAILED,
                         f"{position.slug} {'verifies' if ok else 'does NOT verify'} against "
                         f"the earlier capture (score {s:.0f})", utcnow(),
                         {**base, "verified_against_earlier": ok, "score": round(s, 1)},
                         related_record=earlier[1])
        return Check(NAME, CheckOutcome.PASSED,
                     f"{position.slug}: no match among {len(others)} enrolled fingers of other "
                     "students", utcnow(), {**base, "searched": len(others)})


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
    _ = json  # the record bodies are already parsed JSON
    return labels, out
