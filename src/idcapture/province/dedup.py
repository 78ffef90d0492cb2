"""Cross-school checks over the province registry.

**Same ID number** at two or more schools: one SQL grouping over the current records.

**Biometric duplicates** under different ID numbers, decided on both thumbs fused. Each
thumb's comparator score is ``-10 log10(FMR)`` (:mod:`idcapture.biometrics.finger.compare`);
each thumb's score is the lower of its two directional scores; the two thumbs of a
person are different fingers, so their false matches are taken as
independent and the fused score is the sum of the right-thumb and the left-thumb scores
(``-10 log10`` of the product of the two FMRs). A pair of records is a duplicate when the
fused score reaches :func:`fused_threshold` for the province's size: the score whose
FMR, times the number of record pairs ``N (N - 1) / 2``, is the false-hit budget
(default one expected false cluster over the whole province). The arithmetic per
province size is in ``docs/integrators/province.md``.

Candidates come from the 1:N index (:class:`~idcapture.biometrics.finger.index.FingerIndex`,
one per thumb position): every probe thumb is searched, and every record among the top
hits of either thumb is scored on both thumbs. **Incremental** runs search the records
ingested since the last run against all current records; ``full`` searches every current
record and replaces the earlier biometric matches. Matches are kept in the registry and
clusters (connected groups of records with their evidence) recomputed after each run.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..biometrics.finger.compare import (
    PreparedTemplate,
    compare_many,
    prepare,
    threshold_for_fmr,
)
from ..biometrics.finger.compare_parallel import map_in_order
from ..biometrics.finger.index import FingerIndex
from ..formats import iso19794_2
from .package import THUMBS
from .registry import Match, Registry

__all__ = ["DedupReport", "dedup", "expected_false_hits", "fused_threshold", "record_pairs"]

#: how many hits per probe thumb are re-scored on both thumbs
TOP_HITS = 5
_SEARCHED = "biometric_searched_through"


def record_pairs(students: int) -> int:
    """Distinct pairs of records in a province of ``students``."""
    return students * (students - 1) // 2


def fused_threshold(students: int, false_clusters: float = 1.0) -> float:
    """Fused (two-thumb) score whose expected false hits over the province are
    ``false_clusters``: ``threshold_for_fmr(false_clusters / pairs)``."""
    pairs = max(1, record_pairs(students))
    return threshold_for_fmr(min(1.0, false_clusters / pairs))


@dataclass
class DedupReport:
    """What a run did and found."""

    mode: str
    records: int = 0
    probes: int = 0
    threshold: float = 0.0
    same_id_groups: int = 0
    biometric_matches: int = 0
    clusters: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    candidates_scored: int = 0
    #: bytes held by the two thumb indexes
    index_bytes: int = 0
    #: share of the enrolled thumbs a search re-ranks with the full comparator
    penetration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _prepare(data: bytes) -> PreparedTemplate:
    return prepare(iso19794_2.read(data).to_templates()[0])


def _pair_scores(ta: dict[str, PreparedTemplate], others: list[dict[str, PreparedTemplate]]
                 ) -> list[dict[str, float]]:
    """Each thumb's score of the pairs (``ta``, other): the lower of its two directional
    scores (as the station's duplicate checks do; a chance alignment seen from one side
    only does not count), so it does not depend on which record was the probe. The
    probe's side is one batched call per thumb."""
    out: list[dict[str, float]] = [{} for _ in others]
    for t in THUMBS:
        if t not in ta:
            continue
        which = [i for i, o in enumerate(others) if t in o]
        if not which:
            continue
        forward = compare_many(ta[t], [others[i][t] for i in which])
        for i, ab in zip(which, forward, strict=True):
            ba = float(compare_many(others[i][t], [ta[t]])[0])
            out[i][t] = round(min(float(ab), ba), 2)
    return out


def dedup(registry: Registry, *, full: bool = False, false_clusters: float = 1.0,
          jobs: int = 0, progress: Callable[[int, int], None] | None = None) -> DedupReport:
    """Run the checks; see the module docstring."""
    t0 = time.perf_counter()
    rep = DedupReport("full" if full else "incremental")
    records = {r.rid: r for r in registry.records()}
    rep.records = len(records)
    rep.threshold = fused_threshold(max(2, len(records)), false_clusters)
    after = 0 if full else int(registry.get_state(_SEARCHED, "0"))
    # same ID number: instant, always over everything current
    same: list[Match] = []
    groups = registry.same_id_groups()
    for group in groups:
        for a, b in itertools.pairwise(group):
            same.append(Match(a, b, "same-id", 0.0,
                              {"schools": [records[a].school, records[b].school]}))
    rep.same_id_groups = len(groups)
    rep.seconds["same_id"] = time.perf_counter() - t0
    # biometric: prepare every current thumb, index each position
    t1 = time.perf_counter()
    rows = list(registry.thumbs())
    prepared = map_in_order(_prepare, [r.template for r in rows], jobs)
    templates: dict[int, dict[str, PreparedTemplate]] = {}
    for r, p in zip(rows, prepared, strict=True):
        templates.setdefault(r.rid, {})[r.position] = p
    indexes: dict[str, FingerIndex] = {}
    positions: dict[str, dict[int, int]] = {}
    for t in THUMBS:
        rids = [rid for rid in sorted(templates) if t in templates[rid]]
        idx = FingerIndex()
        if rids:
            idx.add_many([str(r) for r in rids], [templates[r][t] for r in rids])
        indexes[t] = idx
        positions[t] = {rid: i for i, rid in enumerate(rids)}
    rep.index_bytes = sum(i.nbytes for i in indexes.values())
    sizes = [len(i) for i in indexes.values() if len(i)]
    rep.penetration = (sum(i.candidate_count() for i in indexes.values() if len(i))
                       / sum(sizes)) if sizes else 0.0
    rep.seconds["prepare_index"] = time.perf_counter() - t1
    # search the probes
    t2 = time.perf_counter()
    probes = [rid for rid in sorted(templates) if rid > after]
    rep.probes = len(probes)
    found: dict[tuple[int, int], Match] = {}
    for n, rid in enumerate(probes, start=1):
        hits: set[int] = set()
        for t, tpl in templates[rid].items():
            own = positions[t].get(rid)
            hits.update(int(h.label) for h in indexes[t].search(
                tpl, top=TOP_HITS, exclude=None if own is None else [own]))
        others = [o for o in sorted(hits) if (min(rid, o), max(rid, o)) not in found
                  and records[rid].id_number != records[o].id_number]
        rep.candidates_scored += len(others)
        for other, scores in zip(others, _pair_scores(templates[rid],
                                                      [templates[o] for o in others]),
                                 strict=True):
            fused = sum(scores.values())
            if fused >= rep.threshold:
                key = (min(rid, other), max(rid, other))
                found[key] = Match(key[0], key[1], "biometric", round(fused, 2),
                                   {"thumbs": scores, "fused": round(fused, 2)})
        if progress is not None:
            progress(n, len(probes))
    rep.biometric_matches = len(found)
    rep.seconds["search"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    last = max(records, default=after)
    registry.save_matches([*same, *found.values()],
                          replace_kinds=("same-id", "biometric") if full else ("same-id",),
                          state={_SEARCHED: str(max(last, after))})
    clusters = _clusters(registry, rep.threshold)
    registry.replace_clusters(clusters)
    rep.clusters = len(clusters)
    rep.seconds["clusters"] = time.perf_counter() - t3
    rep.seconds["total"] = time.perf_counter() - t0
    return rep


def _clusters(registry: Registry, threshold: float
              ) -> list[tuple[list[int], list[str], list[dict[str, Any]]]]:
    """Connected groups of current records joined by matches, with their evidence.

    A biometric match found when the province was smaller (a lower threshold) counts
    only while it reaches the threshold of the province's current size."""
    matches = [m for m in registry.current_matches()
               if m.kind != "biometric" or m.score >= threshold]
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in matches:
        parent[root(m.a)] = root(m.b)
    groups: dict[int, list[Match]] = {}
    for m in matches:
        groups.setdefault(root(m.a), []).append(m)
    rows = {r.rid: r for r in registry.records()}
    out = []
    for ms in groups.values():
        members = sorted({x for m in ms for x in (m.a, m.b)})
        kinds = sorted({m.kind for m in ms})
        evidence = [{"records": [m.a, m.b], "kind": m.kind, **m.evidence,
                     "stations": [rows[m.a].station_id, rows[m.b].station_id],
                     "registration_numbers": [rows[m.a].registration_number,
                                              rows[m.b].registration_number]}
                    for m in ms]
        out.append((members, kinds, evidence))
    out.sort(key=lambda c: c[0])
    return out


def expected_false_hits(students: int, threshold: float) -> float:
    """Expected false biometric hits over a province at a fused ``threshold``."""
    return record_pairs(students) * math.pow(10.0, -threshold / 10.0)
