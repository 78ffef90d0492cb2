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

Candidates come from a pre-filter (:mod:`.features`): each thumb's cylinder keys, kept in
the registry since ingest; a record's code holds both thumbs' keys, so the keys two
records share are summed over their thumbs. Keys held by more than
``max(COMMON_KEYS, COMMON_SHARE * N)`` records say little and are left out. Every pair of
records whose similarity (shared keys over the geometric mean of their key counts)
reaches the *gate* is scored with the full comparator on both thumbs (:mod:`.search`);
the gate is the similarity that the pairs of a sample of records with all others
exceed with probability ``penetration`` (default ``CANDIDATES / N``: about one pair
per record searched; a full run fits it and keeps it in the registry; incremental runs
reuse it). Provinces of at most :data:`EXHAUSTIVE_BELOW` records score
every pair. The search runs on an :mod:`.engine` (a local process pool by default, Ray
actors beyond one machine).

**Incremental** runs search the records ingested since the last run against all current
records; ``full`` searches every current record and replaces the earlier biometric
matches. Matches are kept in the registry and clusters (connected groups of records with
their evidence) recomputed after each run.
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..biometrics.finger.compare import threshold_for_fmr
from ..biometrics.finger.compare_parallel import map_in_order
from .engine import Engine, LocalEngine, RayEngine
from .faces import FACE_KIND, annotate_clusters, search_faces
from .features import KEYS_VERSION, keep_keys, record_tokens
from .package import THUMBS
from .prepared import PREPARED_VERSION, thumb_codes
from .registry import Match, Registry
from .search import SearchResult, Shard
from .sharded import gate_sample

__all__ = ["DedupReport", "dedup", "expected_false_hits", "fit_gate", "fused_threshold",
           "record_pairs"]

#: provinces of at most this many records score every pair (no pre-filter)
EXHAUSTIVE_BELOW = 2000
#: pairs passed to the comparator per record searched: the gate's penetration is
#: ``CANDIDATES / N`` (at most 1)
CANDIDATES = 1.0
#: probes per batch handed to an engine
BATCH = 512
_SEARCHED = "biometric_searched_through"
#: keys held by more than this many records are left out
COMMON_KEYS = 32
_GATE = "prefilter_gate"
_KEYS = "prefilter_keys"
_PREPARED = "prepared_version"
#: thumbs coded (keys and prepared form) and stored per transaction
_CODE_CHUNK = 8192


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
    #: bytes of the pre-filter's inverted lists and the templates the search holds
    index_bytes: int = 0
    #: share of the record pairs looked at that the pre-filter passed to the comparator
    penetration: float = 0.0
    #: the pre-filter's gate (None: every pair scored)
    gate: float | None = None
    #: CPU seconds of the search's two parts, summed over the engine's workers
    prefilter_cpu: float = 0.0
    compare_cpu: float = 0.0
    #: inverted-list entries the pre-filter read (its work; per probe nearly constant
    #: as the province grows, the common keys being capped)
    postings: int = 0
    #: mean pre-filter keys of a record (both thumbs, common keys left out)
    keys_per_record: float = 0.0
    #: pairs of records matched on the faces alone (:mod:`.faces`)
    face_matches: int = 0
    #: each Ray actor's peak resident memory, bytes (empty on the embedded engine)
    actor_peak_rss: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def dedup(registry: Registry, *, full: bool = False, false_clusters: float = 1.0,
          jobs: int = 0, progress: Callable[[int, int], None] | None = None,
          engine: Engine | None = None, penetration: float | None = None,
          faces: bool = True, face_clusters: float = 1.0) -> DedupReport:
    """Run the checks; see the module docstring. ``penetration`` (default ``CANDIDATES /
    N``) is the share of record pairs the gate passes, when a full run fits it. With
    ``faces``, the portraits' embeddings are searched too (``face_clusters``: expected
    false face-only matches over the province) and their evidence added (:mod:`.faces`)."""
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
    # biometric: the pre-filter's codes of every current record
    t1 = time.perf_counter()
    if penetration is None:
        penetration = min(1.0, CANDIDATES / max(1, len(records)))
    if isinstance(engine, RayEngine):
        result, gate = _sharded(registry, records, full, penetration, after, engine, rep,
                                progress)
        ahead = 0.0
    else:
        shard, gate = _province_shard(registry, records, full, penetration, jobs, after)
        rows = np.nonzero(shard.rids > after)[0]
        rep.index_bytes = shard.nbytes
        rep.keys_per_record = float(shard.count.mean()) if len(shard) else 0.0
        rep.seconds["prefilter"] = time.perf_counter() - t1
        # search the probes
        t2 = time.perf_counter()
        rep.probes = len(rows)
        batches = [shard.batch(rows[s:s + BATCH]) for s in range(0, len(rows), BATCH)]
        result = (engine or LocalEngine(jobs)).run(shard, batches, gate, rep.threshold,
                                                   progress)
        ahead = shard.ahead_cpu
        rep.seconds["search"] = time.perf_counter() - t2
    rep.candidates_scored = result.candidates
    rep.gate = gate if math.isfinite(gate) else None
    rep.prefilter_cpu, rep.compare_cpu = result.prefilter_cpu + ahead, result.compare_cpu
    rep.postings = result.postings
    rep.penetration = result.candidates / max(1, result.considered)
    found = {(p.a, p.b): Match(p.a, p.b, "biometric", p.fused,
                               {"thumbs": p.thumbs, "fused": p.fused})
             for p in result.pairs}
    rep.biometric_matches = len(found)
    t3 = time.perf_counter()
    face_found = search_faces(registry, after, face_clusters) if faces else []
    rep.face_matches = len(face_found)
    rep.seconds["faces"] = time.perf_counter() - t3
    t3 = time.perf_counter()
    last = max(records, default=after)
    registry.save_matches([*same, *found.values(), *face_found],
                          replace_kinds=(("same-id", "biometric", FACE_KIND) if full
                                         else ("same-id",)),
                          state={_SEARCHED: str(max(last, after))})
    clusters = _clusters(registry, rep.threshold)
    if faces:
        annotate_clusters(registry, clusters)
    registry.replace_clusters(clusters)
    rep.clusters = len(clusters)
    rep.seconds["clusters"] = time.perf_counter() - t3
    rep.seconds["total"] = time.perf_counter() - t0
    return rep


def _sharded(registry: Registry, records: dict[int, Any], full: bool, penetration: float,
             after: int, engine: RayEngine, rep: DedupReport,
             progress: Callable[[int, int], None] | None) -> tuple[SearchResult, float]:
    """The biometric search on Ray actors that make and hold their own shards' codes
    (:mod:`.sharded`): the same codes stored, gate kept and matches found as
    :func:`_province_shard` and the embedded search, with no process holding every
    record's code. (An incremental run searches the new records against codes cut by the
    whole province's key counts rather than by :func:`_informative_for`: a new record
    shares the same keys with every record either way.)"""
    rids = np.array(sorted(records), np.int64)
    stale = _stale(registry)
    kept = registry.get_state(_GATE)
    if len(rids) <= EXHAUSTIVE_BELOW:
        plan: float | None = -math.inf
    elif full or stale or not kept or kept == "-inf":
        plan = None
    else:
        plan = float(kept)
    run = engine.search_registry(
        registry, rids, [records[r].id_number for r in rids.tolist()], after=after,
        stale=stale, gate=plan, penetration=penetration, threshold=rep.threshold,
        cap=COMMON_KEYS, batch=BATCH, progress=progress)
    if stale:
        registry.set_state({_KEYS: KEYS_VERSION, _PREPARED: PREPARED_VERSION})
    if plan is None:
        registry.set_state({_GATE: repr(run.gate)})
    rep.probes = int(np.count_nonzero(rids > after))
    rep.index_bytes, rep.keys_per_record = run.index_bytes, run.keys_per_record
    rep.seconds["prefilter"], rep.seconds["search"] = run.build_seconds, run.search_seconds
    rep.actor_peak_rss = run.actor_peak_rss
    return run.result, run.gate


def _stale(registry: Registry) -> bool:
    """Whether the registry's stored codes are of another scheme than this version's."""
    return (registry.get_state(_KEYS) != KEYS_VERSION
            or registry.get_state(_PREPARED) != PREPARED_VERSION)


def _province_shard(registry: Registry, records: dict[int, Any], full: bool,
                    penetration: float, jobs: int, after: int = 0) -> tuple[Shard, float]:
    """Every current record's code and the prepared thumbs the search needs
    (:func:`_load_prepared`), and the gate.

    Keys and prepared forms missing from the registry (thumbs ingested since the last
    run, or kept under an earlier scheme) are computed and stored (:func:`_code_thumbs`).
    A full run (or the first run above the exhaustive size, or after a change of key
    scheme) fits the gate and keeps it; other runs reuse it, and search only the records
    with ``rid > after``: the codes of the records before are then cut to the keys the
    new records hold (:func:`_informative_for`), which gives the new records the
    similarities of the whole codes."""
    rids = sorted(records)
    stale = _code_thumbs(registry, jobs, after, rids)
    at = {rid: i for i, rid in enumerate(rids)}
    keys: list[list[bytes | None]] = [[None] * len(THUMBS) for _ in rids]
    for rid, position, feature in registry.thumb_features():
        if position in THUMBS:
            keys[at[rid]][THUMBS.index(position)] = feature
    tokens = [record_tokens(k) for k in keys]
    del keys
    counts = [len(t) for t in tokens]
    kept = registry.get_state(_GATE)
    fitted = full or stale or not kept or (kept == "-inf" and len(rids) > EXHAUSTIVE_BELOW)
    new = np.asarray(rids, np.int64) > after
    cut = not fitted and after > 0
    informative = (_informative_for(tokens, new, COMMON_KEYS) if cut
                   else _informative(tokens, COMMON_KEYS))
    shard = Shard(rids, informative, [records[r].id_number for r in rids],
                  [{} for _ in rids], counts)
    if len(rids) <= EXHAUSTIVE_BELOW:
        gate = -math.inf
    elif fitted:
        gate = fit_gate(shard, penetration)
        registry.set_state({_GATE: repr(gate)})
    else:
        gate = float(kept)
    _load_prepared(registry, shard, np.nonzero(shard.rids > after)[0], gate, cut)
    return shard, gate


def _code_thumbs(registry: Registry, jobs: int, after: int, rids: list[int]) -> bool:
    """Compute and store the keys and prepared forms (:func:`.prepared.thumb_codes`, one
    ``prepare`` per thumb, on ``jobs`` cores) of the current thumbs (of the current
    records ``rids``, ascending) that lack them, or of all when the registry's are of
    another scheme (returned: True then). Read and stored in chunks of at most
    :data:`_CODE_CHUNK` thumbs, each stored in its own transaction, so that only one
    chunk's templates are held at a time. The records up to ``after`` were coded by the
    run that searched them: only the later ones are looked at."""
    stale = _stale(registry)
    todo = rids[bisect.bisect_right(rids, 0 if stale else after):]
    step = max(1, _CODE_CHUNK // len(THUMBS))
    for s in range(0, len(todo), step):
        part = [(r.rid, r.position, r.template) for r in registry.thumbs(
            uncoded=not stale, after=todo[s] - 1, through=todo[min(s + step, len(todo)) - 1])]
        if not part:
            continue
        made = map_in_order(thumb_codes, [t for _r, _p, t in part], jobs, chunksize=32)
        registry.set_features([(rid, pos, f, p)
                               for (rid, pos, _t), (f, p) in zip(part, made, strict=True)])
    if stale:
        registry.set_state({_KEYS: KEYS_VERSION, _PREPARED: PREPARED_VERSION})
    return stale


def _load_prepared(registry: Registry, shard: Shard, probes: np.ndarray, gate: float,
                   cut: bool) -> None:
    """Put the stored prepared thumbs the search needs into ``shard``: every record's, or
    when the codes were cut to the new records' keys (an incremental run), only those of
    the probes ``probes`` (rows) and of their candidates (the pre-filter run here, ahead
    of the search, which reuses its candidates: :meth:`.search.Shard.find_ahead`)."""
    need: np.ndarray | None = None
    if cut:
        found = shard.find_ahead(shard.batch(probes), gate) if len(probes) else []
        need = shard.rids[np.union1d(probes, np.concatenate(
            [np.zeros(0, np.int64), *[rows for _i, rows in found]]))]
    at = {int(r): i for i, r in enumerate(shard.rids)}
    for rid, position, form in registry.prepared_thumbs(None if need is None else
                                                        need.tolist()):
        shard.templates[at[rid]][position] = form


def _informative(tokens: list[np.ndarray], cap: int) -> list[np.ndarray]:
    """Codes without the keys no other record holds (they cannot make a record share a
    key with another; most keys, at 30 bits) and those held by more than ``cap``
    records. (One argsort; no per-key inverse, whose index arrays would take several
    times the codes' memory.)"""
    if not tokens:
        return tokens
    flat = np.concatenate(tokens)
    order = np.argsort(flat)
    srt = flat[order]
    first = np.empty(len(srt), bool)
    first[:1] = True
    np.not_equal(srt[1:], srt[:-1], out=first[1:])
    del srt
    starts = np.flatnonzero(first)
    del first
    held = np.diff(starts, append=len(flat))
    ok = (held >= 2) & (held <= cap)
    keep = np.empty(len(flat), bool)
    keep[order] = np.repeat(ok, held)
    del order, starts, held, ok
    return keep_keys(tokens, keep, flat)


#: records per chunk of :func:`_informative_for`
_CHUNK = 4096
#: bits of the hash of a key that :class:`_KeyIndex` addresses
_TABLE_BITS = 24
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class _KeyIndex:
    """Where keys are in a sorted array of distinct ``keys``: a table addressed by a
    multiplicative hash of the key holds one key's position (one gather and one compare
    per lookup); the few keys whose slot another took are found by binary search."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys
        self.shift = np.uint64(64 - _TABLE_BITS)
        slot = self._slot(keys)
        self.table = np.full(1 << _TABLE_BITS, -1, np.int32)
        self.table[slot] = np.arange(len(keys), dtype=np.int32)
        lost = self.table[slot] != np.arange(len(keys))
        self.clash = np.zeros(1 << _TABLE_BITS, bool)
        self.clash[slot[lost]] = True
        self.lost = np.flatnonzero(lost)

    def _slot(self, flat: np.ndarray) -> np.ndarray:
        return np.asarray((flat * _GOLDEN) >> self.shift)

    def find(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``flat`` of the keys held, and their index in ``keys``."""
        if len(self.keys) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        slot = self._slot(flat)
        pos = self.table[slot].astype(np.int64)
        hit = (pos >= 0) & (self.keys[np.maximum(pos, 0)] == flat)
        at = np.flatnonzero(hit)
        other = np.flatnonzero(~hit & self.clash[slot])
        if len(other) == 0 or len(self.lost) == 0:
            return at, pos[at]
        lost = self.keys[self.lost]
        j = np.minimum(np.searchsorted(lost, flat[other]), len(lost) - 1)
        ok = lost[j] == flat[other]
        return (np.concatenate([at, other[ok]]),
                np.concatenate([pos[at], self.lost[j[ok]]]))


def _informative_for(tokens: list[np.ndarray], new: np.ndarray, cap: int
                     ) -> list[np.ndarray]:
    """The codes an incremental run needs to search the ``new`` records against all:
    each new record's informative keys (those :func:`_informative` keeps: held by 2 to
    ``cap`` records of the whole province) and every other record's code cut to the
    informative keys some new record holds. A new record shares with any record exactly
    the keys it shares under :func:`_informative`, so its similarities are unchanged;
    the inverted lists hold only the new records' keys. Every code is streamed in chunks
    past an index of the new records' keys (:class:`_KeyIndex`), once: the memory is
    the index and the places of the keys found (8 bytes each)."""
    fresh = [tokens[i] for i in np.flatnonzero(new)]
    if not fresh:
        return [t[:0] for t in tokens]
    keys = np.sort(np.concatenate(fresh))
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    index = _KeyIndex(keys)
    held = np.zeros(len(keys), np.int64)
    found: list[tuple[np.ndarray, np.ndarray]] = []     # (place in chunk, key), per chunk
    for s in range(0, len(tokens), _CHUNK):
        at, pos = index.find(np.concatenate(tokens[s:s + _CHUNK]))
        held += np.bincount(pos, minlength=len(keys))
        found.append((at.astype(np.int32), pos.astype(np.int32)))
    del index
    ok = (held >= 2) & (held <= cap)
    out: list[np.ndarray] = []
    for s, (at, pos) in zip(range(0, len(tokens), _CHUNK), found, strict=True):
        part = tokens[s:s + _CHUNK]
        flat = np.concatenate(part)
        keep = np.zeros(len(flat), bool)
        keep[at[ok[pos]]] = True
        out.extend(keep_keys(part, keep, flat))
    return out


def fit_gate(shard: Shard, penetration: float, sample: int = 256, seed: int = 0) -> float:
    """The similarity that pairs of ``sample`` random records with every other record
    exceed with probability ``penetration``."""
    n = len(shard)
    rows = gate_sample(n, sample, seed)
    sims = shard.similarities([shard.tokens[i] for i in rows], None, shard.count[rows])
    sims[np.arange(len(rows)), rows] = -np.inf          # a record with itself
    values = sims[np.isfinite(sims)]
    return float(np.quantile(values, 1.0 - penetration))


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
