"""The minutiae duplicate checker against a populated store (scripted simulator cases)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from idcapture.formats.images import encode_png
from idcapture.record import (
    CaptureRecord,
    CheckOutcome,
    FingerCapture,
    FingerPosition,
    utcnow,
)
from idcapture.station import Store
from idcapture.station.finger_checks import MinutiaeDuplicateChecker
from idcapture.synth.fingerprints import generate_master, make_impression

RT, LT = FingerPosition.RIGHT_THUMB, FingerPosition.LEFT_THUMB
STUDENT_A = "110101200801011237"
STUDENT_B = "110101200802021234"


@pytest.fixture(scope="module")
def images() -> dict[str, np.ndarray]:
    """Two impressions of finger f1, one each of f2 and f3 (synthetic sensor images)."""
    m = {k: generate_master(s) for k, s in (("f1", 61), ("f2", 62), ("f3", 63))}
    return {"f1a": make_impression(m["f1"], seed=1).image,
            "f1b": make_impression(m["f1"], seed=2).image,
            "f2": make_impression(m["f2"], seed=3).image,
            "f3": make_impression(m["f3"], seed=4).image}


def _save(store: Store, id_number: str, thumbs: dict[FingerPosition, np.ndarray]) -> str:
    rec = CaptureRecord()
    for pos, img in thumbs.items():
        ref = rec.add_blob(encode_png(img), "image/png", img.shape[1], img.shape[0])
        rec.fingers.append(FingerCapture(pos, ref, 500, utcnow()))
    store.save_record(rec, id_number)
    return rec.record_id


def _sha(img: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(encode_png(img)).hexdigest()


def test_one_finger_under_two_students_names_the_other_record(
        tmp_path: Path, images: dict[str, np.ndarray]) -> None:
    with Store.create(tmp_path / "store") as store:
        rec_a = _save(store, STUDENT_A, {RT: images["f1a"], LT: images["f2"]})
        checker = MinutiaeDuplicateChecker()
        # student B presents student A's right thumb (another impression of it)
        hit = checker.check(store, STUDENT_B, RT, images["f1b"], _sha(images["f1b"]), {})
        assert hit.outcome is CheckOutcome.FAILED
        assert hit.related_record == rec_a
        assert hit.details["other_student"] != STUDENT_A          # masked
        assert STUDENT_A[-4:] not in hit.message
        assert hit.details["score"] >= hit.details["threshold"]
        # a finger nobody has enrolled stays silent
        quiet = checker.check(store, STUDENT_B, LT, images["f3"], _sha(images["f3"]), {})
        assert quiet.outcome is CheckOutcome.PASSED
        assert quiet.details["searched"] == 2


def test_recapture_verifies_against_the_earlier_capture(
        tmp_path: Path, images: dict[str, np.ndarray]) -> None:
    with Store.create(tmp_path / "store") as store:
        rec_a = _save(store, STUDENT_A, {RT: images["f1a"], LT: images["f2"]})
        checker = MinutiaeDuplicateChecker()
        ok = checker.check(store, STUDENT_A, RT, images["f1b"], _sha(images["f1b"]), {})
        assert ok.outcome is CheckOutcome.PASSED
        assert ok.details["verified_against_earlier"] is True
        assert ok.related_record == rec_a
        bad = checker.check(store, STUDENT_A, RT, images["f3"], _sha(images["f3"]), {})
        assert bad.outcome is CheckOutcome.FAILED
        assert bad.details["verified_against_earlier"] is False


def test_superseded_fingers_are_no_longer_searched(
        tmp_path: Path, images: dict[str, np.ndarray]) -> None:
    with Store.create(tmp_path / "store") as store:
        _save(store, STUDENT_A, {RT: images["f1a"]})
        checker = MinutiaeDuplicateChecker()
        first = checker.check(store, STUDENT_B, RT, images["f1b"], _sha(images["f1b"]), {})
        assert first.outcome is CheckOutcome.FAILED
        # student A's record is replaced: the right thumb is now finger f3
        _save(store, STUDENT_A, {RT: images["f3"]})
        again = checker.check(store, STUDENT_B, RT, images["f1b"], _sha(images["f1b"]), {})
        assert again.outcome is CheckOutcome.PASSED
        other = checker.check(store, STUDENT_B, LT, images["f3"], _sha(images["f3"]), {})
        assert other.outcome is CheckOutcome.FAILED


def test_search_threshold_grows_with_the_store() -> None:
    from idcapture.biometrics.finger.compare import MATCH_THRESHOLD, threshold_for_fmr

    checker = MinutiaeDuplicateChecker()
    # one search of n enrolled fingers is n comparisons: each must be held to
    # fmr_per_search / n on the comparator's own score calibration
    for n in (1, 10, 2_000, 50_000):
        want = threshold_for_fmr(checker.fmr_per_search / n)
        assert checker.search_threshold(n) == pytest.approx(max(want, checker.threshold))
    assert checker.search_threshold(50_000) > checker.search_threshold(2_000)
    # a lenient per-search rate never lowers the threshold below the verification one
    lenient = MinutiaeDuplicateChecker(fmr_per_search=1.0)
    assert lenient.search_threshold(1) == lenient.threshold == MATCH_THRESHOLD
    # beyond the score cap the threshold stays at the cap, so a search can still match
    assert checker.search_threshold(120_000) == checker.search_threshold(10**7) == 100.0


def test_a_print_without_usable_minutiae_is_not_checked(tmp_path: Path) -> None:
    blank = np.full((300, 300), 200, np.uint8)
    with Store.create(tmp_path / "store") as store:
        c = MinutiaeDuplicateChecker().check(store, STUDENT_A, RT, blank, "0" * 64, {})
    assert c.outcome is CheckOutcome.NOT_CHECKED
    assert "minutiae" in c.message
