"""The province's biometric search, one shard at a time.

A :class:`Shard` holds some of the province's records: their pre-filter codes
(:mod:`.features`, both thumbs' cylinder keys), inverted (for every key, the records
holding it) and their thumbs' stored prepared forms (:mod:`.prepared`, made once per
thumb and kept in the registry). :meth:`Shard.search` takes a
:class:`ProbeBatch` and

1. counts, for a block of probes at once, the keys each shard record shares with each
   probe (the probes' keys looked up in the inverted lists, then one ``bincount``), and
   divides by the geometric mean of the two key counts: the *similarity*; the pairs at
   or above the *gate* are the candidates; only shard records ingested before the probe
   (smaller ``rid``) and with another ID number take part, so every pair of records is
   considered once over all batches;
2. scores each candidate pair with the full comparator on both thumbs: first from the
   probe's side, then, only where the probe-side fused score reaches the decision
   threshold, from the candidate's side: one paired comparator call (``compare_pairs``)
   per thumb and direction for a block of probes with all their candidates. Each
   thumb's score is the lower of its two directional scores and the fused score their
   sum (:mod:`.dedup`); as the lower score cannot exceed the probe-side one, pairs that fail
   from the probe's side cannot pass, and skipping their other side changes no result.

A thumb's prepared template is rebuilt from its stored form only when it takes part in
a comparison (the cylinders are never computed again here). The result
of a batch depends only on the probes and the records of the shard, so a province split
into shards in any way, searched by any engine (a local process pool, Ray actors) and
merged as a union gives the same matches as one shard.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..biometrics.finger.compare import PreparedTemplate, compare_pairs, prepare
from ..formats import iso19794_2
from .package import THUMBS
from .prepared import unpack

__all__ = ["PairFound", "ProbeBatch", "SearchResult", "Shard", "prepare_thumb"]

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
U64 = npt.NDArray[np.uint64]

#: probes per block of the pre-filter
_BLOCK = 64
#: prepared candidate templates a shard keeps (~175 kB each; rebuilding one from its
#: stored form costs ~0.3 ms)
_PREPARED = 512


def prepare_thumb(data: bytes) -> PreparedTemplate:
    """The comparator's prepared form of one ISO/IEC 19794-2 thumb template."""
    return prepare(iso19794_2.read(data).to_templates()[0])


@dataclass(frozen=True)
class ProbeBatch:
    """Records to search: ``rid``, pre-filter code, ID number and thumbs' stored prepared
    forms (:mod:`.prepared`) each, and each code's key count before uninformative keys
    were left out (None: the codes' lengths)."""

    rids: I64
    tokens: list[U64]
    id_numbers: list[str]
    templates: list[dict[str, bytes]]
    counts: npt.NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.rids)

    def key_counts(self) -> npt.NDArray[np.float64]:
        if self.counts is not None:
            return np.asarray(self.counts, np.float64)
        return np.array([len(t) for t in self.tokens], np.float64)


@dataclass(frozen=True)
class PairFound:
    """Two records (``a < b``) whose fused score reached the threshold."""

    a: int
    b: int
    fused: float
    thumbs: dict[str, float]


@dataclass
class SearchResult:
    """Pairs found in a batch and what the search cost."""

    pairs: list[PairFound] = field(default_factory=list)
    #: pairs of records the pre-filter looked at, and those it passed to the comparator
    considered: int = 0
    candidates: int = 0
    #: thumb comparisons made (each direction of a pair counted once)
    comparisons: int = 0
    #: inverted-list entries the pre-filter read (its work)
    postings: int = 0
    #: CPU seconds spent in the pre-filter and in the comparator (where the work ran)
    prefilter_cpu: float = 0.0
    compare_cpu: float = 0.0

    def merge(self, other: SearchResult) -> None:
        self.pairs.extend(other.pairs)
        self.considered += other.considered
        self.candidates += other.candidates
        self.comparisons += other.comparisons
        self.postings += other.postings
        self.prefilter_cpu += other.prefilter_cpu
        self.compare_cpu += other.compare_cpu


class Shard:
    """Records ``rids`` (ascending) with their pre-filter codes, ID numbers and thumbs'
    stored prepared forms (position to bytes, :mod:`.prepared`; a record may hold none
    when it takes no part in the comparisons);
    ``counts``: each code's key count before uninformative keys were left out (default:
    the codes' lengths), the similarity's normaliser."""

    def __init__(self, rids: npt.ArrayLike, tokens: list[U64], id_numbers: list[str],
                 templates: list[dict[str, bytes]],
                 counts: npt.ArrayLike | None = None) -> None:
        self.rids = np.asarray(rids, np.int64)
        if len(self.rids) and np.any(np.diff(self.rids) <= 0):
            raise ValueError("shard records must be in ascending rid order")
        self.tokens = tokens
        self.id_numbers = np.asarray(id_numbers, dtype=object)
        self.templates = templates
        self.count = (np.array([len(t) for t in tokens], np.float64) if counts is None
                      else np.asarray(counts, np.float64))
        # inverted lists: the rows holding each key, keys ascending
        flat = np.concatenate(tokens) if tokens else np.zeros(0, np.uint32)
        owner = np.repeat(np.arange(len(tokens), dtype=np.int32),
                          [len(t) for t in tokens])
        order = np.argsort(flat, kind="stable")
        self._keys, self._rows = flat[order], owner[order]
        # prepared templates of recent candidates (~110 kB each, so a bounded number)
        self._prepared: OrderedDict[tuple[int, str], PreparedTemplate] = OrderedDict()
        # candidates found ahead of the search: gate -> probe rid -> (rows, entries read)
        self._known: dict[float, dict[int, tuple[I64, int]]] = {}
        #: CPU seconds :meth:`find_ahead` spent
        self.ahead_cpu = 0.0

    def __len__(self) -> int:
        return len(self.rids)

    def batch(self, rows: npt.ArrayLike) -> ProbeBatch:
        """The shard's records at positions ``rows`` as probes."""
        r = np.asarray(rows, np.int64)
        return ProbeBatch(self.rids[r], [self.tokens[i] for i in r],
                          list(self.id_numbers[r]), [self.templates[i] for i in r],
                          self.count[r])

    def part(self, start: int, stop: int) -> Shard:
        """Records ``[start, stop)`` as a shard of their own."""
        return Shard(self.rids[start:stop], self.tokens[start:stop],
                     list(self.id_numbers[start:stop]), self.templates[start:stop],
                     self.count[start:stop])

    @property
    def nbytes(self) -> int:
        """Bytes of the inverted lists and stored prepared thumbs held."""
        return int(self._keys.nbytes + self._rows.nbytes + sum(
            len(b) for t in self.templates for b in t.values()))

    def _thumb(self, row: int, t: str) -> PreparedTemplate:
        key = (row, t)
        p = self._prepared.get(key)
        if p is None:
            p = self._prepared[key] = unpack(self.templates[row][t])
            if len(self._prepared) > _PREPARED:
                self._prepared.popitem(last=False)
        else:
            self._prepared.move_to_end(key)
        return p

    def similarities(self, tokens: list[U64], end: int | None = None,
                     counts: npt.ArrayLike | None = None) -> F32:
        """``(len(tokens), end)`` similarities of codes ``tokens`` (key counts ``counts``,
        default their lengths) with rows ``[0, end)``."""
        n = len(self) if end is None else end
        out = np.zeros((len(tokens), n), np.float32)
        if n == 0 or not tokens:
            return out
        pt = np.concatenate(tokens)
        tag = np.repeat(np.arange(len(tokens)), [len(t) for t in tokens])
        lo = np.searchsorted(self._keys, pt, side="left")
        hi = np.searchsorted(self._keys, pt, side="right")
        flat, who = _expand(lo, hi - lo, tag)
        rows = self._rows[flat]
        keep = rows < n
        shared = np.bincount(who[keep] * n + rows[keep], minlength=len(tokens) * n)
        pc = (np.array([len(t) for t in tokens], np.float64) if counts is None
              else np.asarray(counts, np.float64))
        norm = np.sqrt(np.maximum(pc[:, None] * self.count[None, :n], 1.0))
        return np.asarray(shared.reshape(len(tokens), n) / norm, np.float32)

    def _shared(self, tokens: list[U64], pc: npt.NDArray[np.float64], end: int
                ) -> tuple[I64, I64, npt.NDArray[np.float64], I64]:
        """(probe index, row, similarity) of every pair of a code in ``tokens`` and a row
        in ``[0, end)`` sharing at least one key, and the inverted-list entries read for
        each code (the work, which grows with the lists read, not with
        ``len(tokens) * end``)."""
        pt = np.concatenate(tokens)
        tag = np.repeat(np.arange(len(tokens)), [len(t) for t in tokens])
        lo = np.searchsorted(self._keys, pt, side="left")
        hi = np.searchsorted(self._keys, pt, side="right")
        flat, who = _expand(lo, hi - lo, tag)
        rows = self._rows[flat].astype(np.int64)
        keep = rows < end
        pair, shared = np.unique(who[keep] * end + rows[keep], return_counts=True)
        pi, row = pair // end, pair % end
        sim = shared / np.sqrt(np.maximum(pc[pi] * self.count[row], 1.0))
        return pi, row, sim, np.bincount(who, minlength=len(tokens)).astype(np.int64)

    def candidates(self, probes: ProbeBatch, gate: float,
                   result: SearchResult | None = None) -> list[tuple[int, I64]]:
        """(probe index, shard rows) of every probe's candidates (see the module docs);
        the inverted-list entries read are added to ``result``. Probes whose candidates
        at ``gate`` were found beforehand (:meth:`find_ahead`) are not looked up again."""
        known = self._known.get(gate, {})
        if len(probes) and all(int(r) in known for r in probes.rids.tolist()):
            out = []
            for i, r in enumerate(probes.rids.tolist()):
                rows, read = known[r]
                if result is not None:
                    result.postings += read
                if len(rows):
                    out.append((i, rows))
            return out
        return self._candidates(probes, gate, result)

    def find_ahead(self, probes: ProbeBatch, gate: float) -> list[tuple[int, I64]]:
        """:meth:`candidates` of ``probes``, kept in the shard (with the entries each
        probe read, and the CPU seconds spent, :attr:`ahead_cpu`) so that the search of
        these probes at ``gate`` does not run the pre-filter again."""
        c = time.process_time()
        reads: list[int] = []
        found = self._candidates(probes, gate, None, reads)
        rows = dict(found)
        self._known[gate] = {int(r): (rows.get(i, np.zeros(0, np.int64)), reads[i])
                             for i, r in enumerate(probes.rids.tolist())}
        self.ahead_cpu += time.process_time() - c
        return found

    def _candidates(self, probes: ProbeBatch, gate: float, result: SearchResult | None,
                    reads: list[int] | None = None) -> list[tuple[int, I64]]:
        out: list[tuple[int, I64]] = []
        counts = probes.key_counts()
        for s in range(0, len(probes), _BLOCK):
            rids = probes.rids[s:s + _BLOCK]
            # only records ingested before the probe: one column range per block
            end = int(np.searchsorted(self.rids, rids.max()))
            if (end == 0 or gate <= 0) and reads is not None:
                reads.extend([0] * len(rids))
            if end == 0:
                continue
            if gate > 0:        # pairs sharing no key cannot reach it: sparse counts
                pi, row, sim, read = self._shared(probes.tokens[s:s + _BLOCK],
                                                  counts[s:s + _BLOCK], end)
                if result is not None:
                    result.postings += int(read.sum())
                if reads is not None:
                    reads.extend(read.tolist())
                sel = (sim >= gate) & (self.rids[row] < rids[pi])
                pi, row = pi[sel], row[sel]
            else:
                ok = self.similarities(probes.tokens[s:s + _BLOCK], end,
                                       counts[s:s + _BLOCK]) >= gate
                pi, row = np.nonzero(ok & (self.rids[None, :end] < rids[:, None]))
            for i, rows in _rows_by_probe(pi, row):
                ids = self.id_numbers[rows]
                rows = rows[ids != probes.id_numbers[s + i]]
                if len(rows):
                    out.append((s + i, rows))
        return out

    def search(self, probes: ProbeBatch, gate: float, threshold: float) -> SearchResult:
        """Pairs of a probe and an earlier shard record with fused score >= ``threshold``
        among the pre-filter's candidates (inner product >= ``gate``)."""
        res = SearchResult()
        res.considered = int(np.searchsorted(self.rids, probes.rids).sum())
        c0 = time.process_time()
        found = self.candidates(probes, gate, res)
        c1 = time.process_time()
        res.prefilter_cpu = c1 - c0
        for s in range(0, len(found), _BLOCK):
            self._score(probes, found[s:s + _BLOCK], threshold, res)
        res.compare_cpu = time.process_time() - c1
        return res

    def _score(self, probes: ProbeBatch, found: list[tuple[int, I64]], threshold: float,
               res: SearchResult) -> None:
        """Score the candidates ``found`` (probe index, shard rows) on both thumbs with
        paired comparator calls: one per thumb from the probes' side, then one per thumb
        from the candidates' side for the pairs whose probe-side fused score passes."""
        pi = np.concatenate([np.full(len(rows), i, np.int64) for i, rows in found])
        row = np.concatenate([rows for _, rows in found])
        res.candidates += len(pi)
        ptpl = {i: {t: unpack(b) for t, b in probes.templates[i].items()}
                for i, _ in found}
        both = {t: np.array([t in ptpl[i] and t in self.templates[r]
                             for i, r in zip(pi.tolist(), row.tolist(), strict=True)], bool)
                for t in THUMBS}
        forward = {t: self._pairs(ptpl, pi, row, both[t], t, res, back=False) for t in THUMBS}
        passed = np.sum([forward[t] for t in THUMBS], axis=0) >= threshold
        back = {t: self._pairs(ptpl, pi, row, both[t] & passed, t, res, back=True)
                for t in THUMBS}
        for j in np.nonzero(passed)[0]:
            thumbs = {t: round(min(float(forward[t][j]), float(back[t][j])), 2)
                      for t in THUMBS if both[t][j]}
            fused = round(sum(thumbs.values()), 2)
            if fused >= threshold:
                a, b = sorted((int(probes.rids[pi[j]]), int(self.rids[row[j]])))
                res.pairs.append(PairFound(a, b, fused, thumbs))

    def _pairs(self, ptpl: dict[int, dict[str, PreparedTemplate]], pi: I64, row: I64,
               sel: npt.NDArray[np.bool_], t: str, res: SearchResult, back: bool
               ) -> npt.NDArray[np.float64]:
        """Thumb ``t`` scores of the pairs (probe ``pi``, row ``row``) where ``sel``, from
        the probes' side (or the rows' side if ``back``), in one paired call; 0 elsewhere."""
        out = np.zeros(len(pi))
        idx = np.nonzero(sel)[0]
        if len(idx) == 0:
            return out
        probe_side = [ptpl[int(pi[j])][t] for j in idx]
        row_side = [self._thumb(int(row[j]), t) for j in idx]
        out[idx] = (compare_pairs(row_side, probe_side) if back
                    else compare_pairs(probe_side, row_side))
        res.comparisons += len(idx)
        return out


def _rows_by_probe(pi: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]
                   ) -> list[tuple[int, I64]]:
    """Pairs (probe ``pi``, ``rows``), sorted by probe, grouped by probe."""
    if len(pi) == 0:
        return []
    cuts = np.nonzero(np.diff(pi))[0] + 1
    return [(int(g[0]), r.astype(np.int64))
            for g, r in zip(np.split(pi, cuts), np.split(rows, cuts), strict=True)]


def _expand(lo: npt.NDArray[np.int64], lens: npt.NDArray[np.int64],
            tag: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices ``lo[i] .. lo[i] + lens[i] - 1`` of every range, with ``tag[i]`` for each."""
    total = int(lens.sum())
    starts = np.cumsum(lens) - lens
    flat = np.repeat(lo - starts, lens) + np.arange(total)
    return flat, np.repeat(tag, lens)
