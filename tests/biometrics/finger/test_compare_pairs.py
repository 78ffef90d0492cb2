"""Batched comparison entry points: galleries joined from prepared templates, many probes
each against its own references, and the one-thread BLAS limit around the kernel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import (
    MAX_CYLINDERS,
    MAX_MINUTIAE_PAIRED,
    PreparedTemplate,
    compare_many,
    compare_pairs,
    gallery_arrays,
    prepare,
    raw_pairs,
)
from idcapture.biometrics.finger.compare_core import raw_scores, stack_gallery
from idcapture.biometrics.finger.template import FingerTemplate, Minutia, MinutiaKind
from idcapture.errors import ConfigError
from idcapture.synth.fingerprints import generate_master, make_impression


@pytest.fixture(scope="module")
def prepared() -> list[PreparedTemplate]:
    out = []
    for m in (5, 6, 7):
        master = generate_master(m)
        for k in (1, 2):
            imp = make_impression(master, seed=10 * m + k)
            out.append(prepare(extract(imp.image, imp.ppi)))
    return out


def _tiny() -> PreparedTemplate:
    """A template with one minutia: too few cylinders to score."""
    return prepare(FingerTemplate(300, 300, 500, (Minutia(150.0, 150.0, 1.0,
                                                          MinutiaKind.ENDING, 60),)))


def test_gallery_joined_from_prepared_templates_equals_the_stacked_one(
        prepared: list[PreparedTemplate]) -> None:
    for items in (prepared, prepared[:1], prepared[2:4] * 3, [_tiny(), *prepared]):
        joined = gallery_arrays(items)
        stacked = stack_gallery([(p.cylinders, p.xy, p.angle) for p in items],
                                k=MAX_CYLINDERS, k_all=MAX_MINUTIAE_PAIRED,
                                textures=[p.texture for p in items])
        for name in joined.__dataclass_fields__:
            a, b = getattr(joined, name), getattr(stacked, name)
            if not isinstance(a, np.ndarray):
                assert a == b, name
                continue
            assert a.dtype == b.dtype and a.shape == b.shape, name
            np.testing.assert_array_equal(a, b, err_msg=name)


def _each_alone(probes: list[PreparedTemplate], refs: list[PreparedTemplate]) -> np.ndarray:
    return np.array([compare_many(p, [r])[0] for p, r in zip(probes, refs, strict=True)])


def test_pairs_score_as_each_probe_alone(prepared: list[PreparedTemplate]) -> None:
    n = len(prepared)
    empty = prepare(FingerTemplate(300, 300, 500, ()))
    probes = [prepared[i] for i in range(n) for _ in range(n)] + [_tiny(), prepared[0], empty]
    refs = [prepared[j] for _ in range(n) for j in range(n)] + [prepared[0], _tiny(),
                                                                prepared[1]]
    got = compare_pairs(probes, refs)
    np.testing.assert_allclose(got, _each_alone(probes, refs), rtol=0, atol=1e-6)
    # mates (impressions of one master) score high, the tiny and empty templates nothing
    grid = got[:n * n].reshape(n, n)
    assert all(grid[i, i ^ 1] >= 40 for i in range(n))
    assert got[-3] == got[-2] == got[-1] == 0.0
    # and a probe listed once per candidate scores as in one batched call of its own
    whole = compare_many(prepared[0], gallery_arrays(prepared))
    np.testing.assert_allclose(grid[0], whole, rtol=0, atol=1e-6)


def test_pairs_on_real_prints_match_the_single_pair_kernel(shared_data: Path) -> None:
    from idcapture.cli.finger_tools import _load

    root = shared_data / "fingerprints"
    sets = {"FVC2002_DB1_B": 500, "FVC2002_DB3_B": 500, "FVC2004_DB3_B": 512,
            "FVC2000_DB4_B": 500}
    tpl = [prepare(extract(_load(root / name / f"{finger}_{k}.tif"), ppi))
           for name, ppi in sets.items() for finger in (101, 102) for k in (1, 2, 3)]
    n = len(tpl)
    probes = [tpl[i] for i in range(n) for j in range(n) if i != j]
    refs = [tpl[j] for i in range(n) for j in range(n) if i != j]
    raw = raw_pairs(probes, refs)
    alone = np.array([raw_scores(p.arrays, gallery_arrays([r]))[0]
                      for p, r in zip(probes, refs, strict=True)])
    np.testing.assert_allclose(raw, alone, rtol=0, atol=1e-6)
    assert (raw > 0).mean() > 0.9


def test_cylinders_with_a_limit_are_the_first_of_all(prepared: list[PreparedTemplate]) -> None:
    from idcapture.biometrics.finger.mcc import cylinders

    for m in (8, 9):
        t = extract(make_impression(generate_master(m), seed=1).image)
        full = cylinders(t)
        assert len(full) > 12
        for limit in (0, 5, 12, len(full) + 3):
            cut = cylinders(t, limit=limit)
            assert cut.minutiae_count == full.minutiae_count
            for name in ("xy", "angle", "kind", "bits", "valid", "index"):
                np.testing.assert_array_equal(getattr(cut, name), getattr(full, name)[:limit])


def test_pairs_need_one_reference_per_probe(prepared: list[PreparedTemplate]) -> None:
    with pytest.raises(ConfigError):
        compare_pairs(prepared[:2], prepared[:3])
    assert compare_pairs([], []).shape == (0,)


def test_comparisons_run_on_one_blas_thread_in_any_thread(
        prepared: list[PreparedTemplate]) -> None:
    """After the first comparison the process's BLAS is on one thread, as a worker thread
    (a station's device loop) sees it too."""
    import threading

    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]

    compare_many(prepared[0], prepared[1:3])
    assert blas_threads() and all(n == 1 for n in blas_threads())
    seen: list[list[int]] = []

    def worker() -> None:
        compare_pairs(prepared[:2], prepared[2:4])
        seen.append(blas_threads())

    t = threading.Thread(target=worker)
    t.start()
    t.join(30)
    assert seen and all(n == 1 for n in seen[0])
