"""The minutiae duplicate checker on synthetic thumbs (same-session path)."""

from __future__ import annotations

from pathlib import Path

from idcapture.record import CheckOutcome, FingerPosition
from idcapture.station import Store
from idcapture.station.finger_checks import MinutiaeDuplicateChecker
from idcapture.synth.fingerprints import generate_master, make_impression


def test_same_thumb_twice_fires_and_distinct_thumbs_stay_silent(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "store")
    checker = MinutiaeDuplicateChecker()
    m1, m2 = generate_master(21), generate_master(22)
    right = make_impression(m1, seed=1).image
    same_again = make_impression(m1, seed=2).image
    other = make_impression(m2, seed=3).image
    c1 = checker.check(store, "x", FingerPosition.RIGHT_THUMB, right, "a" * 64, {})
    assert c1.outcome is CheckOutcome.PASSED
    c2 = checker.check(store, "x", FingerPosition.LEFT_THUMB, same_again, "b" * 64,
                       {int(FingerPosition.RIGHT_THUMB): "a" * 64})
    assert c2.outcome is CheckOutcome.FAILED
    assert c2.details["same_as"] == FingerPosition.RIGHT_THUMB.slug
    c3 = checker.check(store, "x", FingerPosition.LEFT_THUMB, other, "c" * 64,
                       {int(FingerPosition.RIGHT_THUMB): "a" * 64})
    assert c3.outcome is CheckOutcome.PASSED
    store.close()


def test_flag_score_is_the_lower_directional_score() -> None:
    from idcapture.biometrics.finger import extract
    from idcapture.biometrics.finger.compare import compare, compare_many, prepare
    from idcapture.station.finger_checks import flag_score

    m1, m2 = generate_master(23), generate_master(24)
    a, b, c = (prepare(extract(make_impression(m, seed=k).image, 500))
               for m, k in ((m1, 1), (m1, 2), (m2, 3)))
    for x, y in ((a, b), (a, c)):
        ab, ba = float(compare_many(x, [y])[0]), float(compare_many(y, [x])[0])
        assert flag_score(x, y) == flag_score(y, x) == min(ab, ba)
        assert flag_score(x, y) <= compare(x, y) + 1e-9   # never above the mean of both
    assert flag_score(a, b) >= 50 > flag_score(a, c)      # same finger / another finger
