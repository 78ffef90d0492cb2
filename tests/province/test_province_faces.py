"""The portrait as the province's second modality: embeddings stored at ingest, the exact
face search, face-only clusters under their budget, face evidence on the thumbs'
clusters, and registries made before the faces table."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from idcapture.cli import main
from idcapture.province import Registry, dedup, ingest
from idcapture.province.faces import (
    DIFFERENT_FACE,
    FMR_FLOOR,
    SAME_FACE,
    embedding_array,
    expected_face_false_hits,
    face_fmr,
    face_only_distance,
    face_score,
    face_threshold,
    near_pairs,
)
from idcapture.province.registry import DB_NAME
from idcapture.province.review import cluster_view
from idcapture.province.synthetic import SyntheticProvince, synth_province
from setup_required import need_file

BUDGET = 0.01
#: expected false face-only clusters (the default)
FACE_BUDGET = 1.0


@pytest.fixture(scope="module")
def face_province(shared_data: Path, face_extra: None,
                  tmp_path_factory: pytest.TempPathFactory) -> SyntheticProvince:
    """18 students at 3 stations, portraits from the London Set: one planted duplicate
    of each finger kind and two planted on the face alone."""
    photos = need_file(shared_data / "faces" / "frl-london-subset",
                       "faces/frl-london-subset is not in the shared data")
    return synth_province(tmp_path_factory.mktemp("faces"), students=18, duplicates=3,
                          stations=3, seed=3, faces=photos, face_duplicates=2)


def _truth(province: SyntheticProvince) -> dict[frozenset[tuple[str, str]], str]:
    data = json.loads(province.truth.read_text(encoding="utf-8"))
    return {frozenset(tuple(r) for r in p["records"]): p["kind"] for p in data["planted"]}


def _found(reg: Registry) -> dict[frozenset[tuple[str, str]], dict[str, object]]:
    rows = {r.rid: (r.station_id, r.registration_number) for r in reg.records()}
    return {frozenset(rows[m] for m in c["members"]): c for c in reg.clusters()}


def test_face_duplicates_are_found_and_thumb_clusters_carry_the_face(
        face_province: SyntheticProvince, tmp_path: Path) -> None:
    truth = _truth(face_province)
    assert sorted(truth.values()) == ["biometric", "face", "face", "same-id", "shared-thumb"]
    with Registry(tmp_path / "reg") as reg:
        results = ingest(reg, face_province.packages, jobs=1, faces=True)
        assert sum(r.faces for r in results) == face_province.students == reg.count()
        rep = dedup(reg, full=True, false_clusters=BUDGET, jobs=1, face_clusters=FACE_BUDGET)
        found = _found(reg)
        assert set(found) == set(truth)
        for members, kind in truth.items():
            c = found[members]
            evidence = c["evidence"]
            assert isinstance(evidence, list)
            if kind == "face":
                # a face-only cluster: no thumb or ID evidence, a strong face score
                assert c["kinds"] == ["face"]
                [e] = evidence
                assert e["face"] == "same" and e["face_score"] >= face_threshold(
                    reg.count(), FACE_BUDGET)
                # with the pair's thumb scores: another person's thumbs, chance scores
                assert set(e["thumbs"]) == {"right_thumb", "left_thumb"}
                assert e["fused"] < rep.threshold
                view = cluster_view(reg, int(c["cluster"]))   # type: ignore[call-overload]
                assert view is not None and view.kinds == ["face-only"]
                assert all(m.face is not None and m.images["photo"] for m in view.members)
            elif kind == "shared-thumb":
                # one person's thumb under another's face: the face disagrees
                assert c["kinds"] == ["biometric"]
                [e] = evidence
                assert e["face_distance"] > SAME_FACE and e["face"] != "same"
            else:
                # one person twice: the thumbs (or the ID) and the face agree
                want = "same-id" if kind == "same-id" else "biometric"
                assert c["kinds"] == sorted([want, "face"])
                thumbs = next(e for e in evidence if e["kind"] == want)
                assert thumbs["face"] == "same" and thumbs["face_distance"] < SAME_FACE
        assert rep.face_matches == 4           # two face-only, and the two one-person pairs
    assert expected_face_false_hits(face_province.students,
                                    face_only_distance(face_province.students, FACE_BUDGET)
                                    ) == pytest.approx(FACE_BUDGET)


def test_incremental_face_search_agrees_with_full(face_province: SyntheticProvince,
                                                  tmp_path: Path) -> None:
    pk = face_province.packages
    with Registry(tmp_path / "inc") as reg:
        ingest(reg, pk[:1], jobs=1, faces=True)
        dedup(reg, false_clusters=BUDGET, jobs=1, face_clusters=FACE_BUDGET)
        ingest(reg, pk[1:], jobs=1, faces=True)
        second = dedup(reg, false_clusters=BUDGET, jobs=1, face_clusters=FACE_BUDGET)
        assert second.probes == reg.count() - sum(1 for r in reg.records()
                                                  if r.station_id == "ST01")
        inc = sorted(json.dumps(c["evidence"], sort_keys=True) for c in reg.clusters())
    with Registry(tmp_path / "full") as reg:
        ingest(reg, pk, jobs=1, faces=True)
        dedup(reg, full=True, false_clusters=BUDGET, jobs=1, face_clusters=FACE_BUDGET)
        assert sorted(json.dumps(c["evidence"], sort_keys=True)
                      for c in reg.clusters()) == inc
        # without the faces: only the thumbs' and the ID's clusters, no face evidence
        dedup(reg, full=True, false_clusters=BUDGET, jobs=1, faces=False)
        assert all("face" not in c["kinds"] and all("face_score" not in e
                                                    for e in c["evidence"])
                   for c in reg.clusters())
        assert len(reg.clusters()) == 3


def test_cli_faces_are_opt_in_and_synth_needs_photos(
        face_province: SyntheticProvince, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the face embedding is opt-in (it costs 0.2-0.7 s of CPU a portrait)
    for flags in ([], ["--no-faces"]):
        reg_dir = tmp_path / f"reg{len(flags)}"
        assert main(["province", "ingest", *map(str, face_province.packages[:1]),
                     "--registry", str(reg_dir), "--jobs", "1", *flags]) == 0
        assert "0 faces" in capsys.readouterr().out
        with Registry(reg_dir) as reg:
            assert reg.faces() == [] and reg.count() > 0
    assert main(["province", "ingest", *map(str, face_province.packages[:1]),
                 "--registry", str(tmp_path / "with"), "--jobs", "1", "--faces"]) == 0
    capsys.readouterr()
    with Registry(tmp_path / "with") as reg:
        assert len(reg.faces()) == reg.count() > 0
    assert main(["province", "synth", str(tmp_path / "p"), "--students", "8",
                 "--face-duplicates", "1"]) != 0
    assert "face duplicates need a folder of photos" in capsys.readouterr().err


def test_a_registry_made_before_the_faces_table_opens_and_gains_it(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    with Registry(folder) as reg:
        reg.add_package(sha256="ab" * 32, name="p.zip", station_id="ST01",
                        created_at="2026-01-01T00:00:00Z",
                        records=[({"registration_number": "1", "id_number": "x"}, {})])
    db = sqlite3.connect(folder / DB_NAME)
    db.execute("DROP TABLE faces")
    db.commit()
    db.close()
    with Registry(folder) as reg:
        assert reg.count() == 1 and reg.faces() == []
        assert dedup(reg, full=True).face_matches == 0


def test_the_face_search_is_exact_and_counts_each_pair_once() -> None:
    rng = np.random.default_rng(7)
    n = 2500
    g = rng.standard_normal((n, 128)).astype(np.float32)
    g *= 0.8 / np.linalg.norm(g, axis=1, keepdims=True)
    for a, b, eps in ((5, 100, 0.01), (7, 2000, 0.05), (2400, 2450, 0.1), (30, 2300, 0.3)):
        g[b] = g[a] + eps * rng.standard_normal(128).astype(np.float32) / math.sqrt(128)
    rids = np.arange(100, 100 + n, dtype=np.int64)
    probes = np.zeros(n, bool)
    probes[1200:] = True
    got = near_pairs(g, rids, probes, 0.2, block=97, gallery_block=301)
    x = g.astype(np.float64)
    sq = (x * x).sum(axis=1)
    d = np.sqrt(np.maximum(0.0, sq[:, None] + sq[None, :] - 2.0 * x @ x.T))
    upper = np.triu(np.ones((n, n), bool), 1) & (probes[:, None] | probes[None, :])
    i, j = np.nonzero((d <= 0.2) & upper)
    assert [(p.a, p.b) for p in got] == sorted(zip(rids[i].tolist(), rids[j].tolist()))
    assert [(p.a, p.b) for p in got] == [(107, 2100), (2500, 2550)]
    assert all(p.distance == pytest.approx(d[p.a - 100, p.b - 100]) for p in got)
    with pytest.raises(ValueError, match="128 values"):
        near_pairs(g[:, :64], rids, probes, 0.2)
    assert embedding_array([g[0].tobytes(), g[1].tobytes()]).tolist() == g[:2].tolist()


def test_the_face_budget_arithmetic() -> None:
    # the face score is -10 log10 of the worst group's modelled FMR, floored
    assert face_score(0.0) == pytest.approx(-10 * math.log10(FMR_FLOOR))
    assert face_fmr(DIFFERENT_FACE) > face_fmr(SAME_FACE) > face_fmr(0.2)
    for n, budget in ((1_000, 1.0), (60_000, 100.0)):
        d = face_only_distance(n, budget)
        assert expected_face_false_hits(n, d) == pytest.approx(budget, rel=1e-6)
    # beyond the floor no face-only match is trusted
    assert face_only_distance(60_000, 1.0) == -math.inf
    assert face_only_distance(1_200_000, 100.0) == -math.inf


def test_embeddings_are_written_with_their_package_or_not_at_all(tmp_path: Path) -> None:
    with Registry(tmp_path / "reg") as reg:
        rows = [({"registration_number": str(i), "id_number": f"x{i}"}, {}) for i in (1, 2)]
        emb = np.ones(128, np.float32).tobytes()
        # one embedding too few: the package's transaction is rolled back whole
        with pytest.raises(ValueError):
            reg.add_package(sha256="cd" * 32, name="p.zip", station_id="ST01",
                            created_at="2026-01-01T00:00:00Z", records=rows, faces=[emb])
        assert reg.count() == 0 and reg.packages() == [] and reg.faces() == []
        reg.add_package(sha256="cd" * 32, name="p.zip", station_id="ST01",
                        created_at="2026-01-01T00:00:00Z", records=rows, faces=[None, emb])
        [(rid, got)] = reg.faces()
        assert got == emb and reg.record(rid).registration_number == "2"
        assert reg.faces(rids=[rid + 10]) == [] and reg.faces(rids=[rid]) == [(rid, emb)]


def test_a_portrait_without_a_face_or_not_an_image_gives_no_embedding(
        face_extra: None) -> None:
    from idcapture.formats.images import encode_png
    from idcapture.province.faces import portrait_embedding

    assert portrait_embedding(b"not an image at all") is None
    assert portrait_embedding(encode_png(np.full((640, 480, 3), 128, np.uint8))) is None
