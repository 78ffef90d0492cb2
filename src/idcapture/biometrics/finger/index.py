"""1:N fingerprint search: a compact index of MCC cylinders with candidate pre-selection.

    from idcapture.biometrics.finger.index import FingerIndex
    index = FingerIndex()
    index.add_many(labels, templates)          # FingerTemplate or PreparedTemplate
    hits = index.search(probe_template, top=10)
    for h in hits:                             # ranked, best first
        print(h.label, h.score)                # score as compare(): 40 ~ FMR 1e-4

**Storage.** Each enrolled template is kept as packed bits: its (at most
:data:`~.compare.MAX_CYLINDERS`) cylinders as 48 bytes of cell bits and 8 bytes of
spatial validity each, plus minutia positions and directions for the global step:
about 2.8 kB per template, and ~3.9 kB of key tables (24 tables x 4 bytes x 40
cylinders), so 100,000 templates take ~700 MB (:attr:`FingerIndex.nbytes`).

**Pre-selection** (locality-sensitive hashing of cylinders, after Cappelli, Ferrara &
Maltoni's MCC indexing). ``tables`` hash functions each read ``bits_per_key`` cell bits
at fixed random positions in the inner part of the cylinder (cells that are valid for
nearly every minutia) and pack them into a key. Two cylinders of the same minutia seen
in two impressions agree on most bits, so they often share a key in some table; two
unrelated cylinders rarely do. For every table the index holds the enrolled cylinder ids
grouped by key (offsets into one id array: 4 bytes per cylinder and table, plus 1 MB of
offsets per table), so a probe key is looked up directly. A probe cylinder votes for a
template with the number of tables in which its best-colliding cylinder there shares its
key. Keys with no bit set, and buckets shared by more than ``max_bucket`` cylinders, carry
little information and are skipped. The cost of a look-up grows with the size of the
buckets touched (proportional to N but with a small constant), not with N comparisons.

**Re-ranking.** The ``candidates`` templates with the most votes (divided by the square
root of their cylinder count, since big templates collect more chance votes) are unpacked and scored
by the full comparator kernel (:func:`.compare_core.raw_scores`, one batched call); the
result is a ranked list of :class:`Candidate` with calibrated scores. Templates not
pre-selected are not scored: a mate missed by the pre-selection is a missed hit, and
the search benchmark reports how often that happens.

Adds are cheap (arrays are appended); the key tables are rebuilt on the first search
after adds (a stable sort per table: seconds at 100,000 templates, milliseconds at a few
thousand). An index is not
thread-safe for concurrent adds; concurrent searches on an unchanged index are fine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...errors import ConfigError
from .compare import (
    MAX_CYLINDERS,
    MAX_MINUTIAE_PAIRED,
    PreparedTemplate,
    prepare,
    score_from_raw,
)
from .compare_core import GalleryArrays, gallery_from_cells, raw_scores
from .mcc import DEFAULT_PARAMS, MccParams
from .template import FingerTemplate

__all__ = ["Candidate", "FingerIndex", "IndexParams", "pack_template"]

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class IndexParams:
    """Hashing and pre-selection parameters (see the module docs)."""

    tables: int = 24
    bits_per_key: int = 18
    #: cells whose centre lies within this radius (pixels at 500 ppi) feed the keys
    inner_radius: float = 52.0
    #: buckets holding more cylinders than ``max(max_bucket, bucket_fraction * N)`` are skipped
    max_bucket: int = 256
    bucket_fraction: float = 0.002
    #: templates re-ranked by the full comparator: ``max(candidates, fraction * N)``
    #: also look up the keys one bit away from each probe key (tolerates one flipped bit)
    multiprobe: bool = False
    candidates: int = 256
    candidate_fraction: float = 0.004
    seed: int = 20_240_521

    def validate(self) -> None:
        if not 1 <= self.bits_per_key <= 24:
            raise ConfigError("bits_per_key must be 1-24", "bad-index-params")
        if self.tables < 1 or self.candidates < 1:
            raise ConfigError("tables and candidates must be positive", "bad-index-params")


DEFAULT_INDEX_PARAMS = IndexParams()


@dataclass(frozen=True)
class Candidate:
    """One search hit: position in the index, its label, calibrated score, votes."""

    index: int
    label: str
    score: float
    votes: int


@dataclass(frozen=True)
class PackedTemplate:
    """One template in the index's storage layout (see :func:`pack_template`)."""

    bits: U8          # (k, cells/8)
    valid: U8         # (k, ns*ns/8)
    xy: F32           # (k, 2)
    angle: F32        # (k,)
    all_xy: F32       # (ka, 2)
    all_angle: F32    # (ka,)
    cell_bits: npt.NDArray[np.bool_]   # (k, cells), for key computation


def pack_template(t: FingerTemplate | PreparedTemplate,
                  params: MccParams = DEFAULT_PARAMS) -> PackedTemplate:
    """Prepare ``t`` (if needed) and pack its cylinders into bytes."""
    p = prepare(t, params)
    cs = p.cylinders
    k = min(len(cs), MAX_CYLINDERS)
    cb = cs.bits[:k] > 0.5
    val = cs.valid[:k].reshape(k, params.ns * params.ns, params.nd)[:, :, 0] > 0.5
    return PackedTemplate(np.packbits(cb, axis=1), np.packbits(val, axis=1),
                          cs.xy[:k].astype(np.float32), cs.angle[:k].astype(np.float32),
                          p.xy[:MAX_MINUTIAE_PAIRED].astype(np.float32),
                          p.angle[:MAX_MINUTIAE_PAIRED].astype(np.float32), cb)


def _key_positions(ip: IndexParams, params: MccParams) -> npt.NDArray[np.intp]:
    """``(tables, bits_per_key)`` cell-bit positions in the inner disc."""
    g = (np.arange(params.ns) - (params.ns - 1) / 2.0) * params.cell_size
    r = np.sqrt(g[:, None] ** 2 + g[None, :] ** 2).ravel()
    spatial = np.flatnonzero(r <= ip.inner_radius)
    cells = (spatial[:, None] * params.nd + np.arange(params.nd)[None, :]).ravel()
    if len(cells) < ip.bits_per_key:
        raise ConfigError("inner_radius leaves fewer cells than bits_per_key",
                          "bad-index-params")
    rng = np.random.default_rng(ip.seed)
    return np.stack([rng.choice(cells, ip.bits_per_key, replace=False)
                     for _ in range(ip.tables)])


class FingerIndex:
    """Enrolled templates, packed, with LSH tables for candidate pre-selection."""

    def __init__(self, params: IndexParams = DEFAULT_INDEX_PARAMS,
                 mcc: MccParams = DEFAULT_PARAMS) -> None:
        params.validate()
        self.params = params
        self.mcc = mcc
        self._pos = _key_positions(params, mcc)
        self._weights = (1 << np.arange(params.bits_per_key)).astype(np.int64)
        k, ka = MAX_CYLINDERS, MAX_MINUTIAE_PAIRED
        c2 = mcc.ns * mcc.ns
        self._bits = np.zeros((0, k, mcc.cells // 8), np.uint8)
        self._valid = np.zeros((0, k, (c2 + 7) // 8), np.uint8)
        self._xy = np.zeros((0, k, 2), np.float32)
        self._angle = np.zeros((0, k), np.float32)
        self._count = np.zeros(0, np.int32)
        self._all_xy = np.zeros((0, ka, 2), np.float32)
        self._all_angle = np.zeros((0, ka), np.float32)
        self._all_count = np.zeros(0, np.int32)
        self.labels: list[str] = []
        # per-cylinder keys awaiting the next table build: (n_cyl, tables) and owners
        # keys of cylinders added since the last table build, (n_cyl, tables) each
        self._new_keys: list[npt.NDArray[np.uint32]] = []
        self._cyl_owner = np.zeros(0, np.int32)                  # template of each cylinder
        self._owner_parts: list[npt.NDArray[np.int32]] = []
        self._pending: list[PackedTemplate] = []
        # per table, the cylinder ids grouped by key (CSR): ids[t, offsets[t, key]:...+1]
        nkeys = 1 << params.bits_per_key
        self._offsets = np.zeros((params.tables, nkeys + 1), np.int32)
        self._ids = np.zeros((params.tables, 0), np.int32)

    def __len__(self) -> int:
        return len(self.labels)

    # ------------------------------------------------------------------ building

    def keys(self, cell_bits: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint32]:
        """``(n, tables)`` hash keys of ``n`` cylinders' cell bits (0: no bit set, unused)."""
        sampled = cell_bits[:, self._pos]                      # (n, tables, bits)
        return np.asarray((sampled.astype(np.int64) * self._weights).sum(-1), np.uint32)

    def add(self, label: str, template: FingerTemplate | PreparedTemplate | PackedTemplate
            ) -> int:
        """Enrol one template under ``label``; returns its position in the index."""
        return self.add_many([label], [template])[0]

    def add_many(self, labels: Sequence[str],
                 templates: Sequence[FingerTemplate | PreparedTemplate | PackedTemplate]
                 ) -> list[int]:
        """Enrol templates (prepared and packed here unless already so); returns positions."""
        if len(labels) != len(templates):
            raise ConfigError("labels and templates differ in length", "bad-index-input")
        first = len(self.labels)
        for i, t in enumerate(templates):
            pt = t if isinstance(t, PackedTemplate) else pack_template(t, self.mcc)
            self._pending.append(pt)
            self._new_keys.append(self.keys(pt.cell_bits))
            self._owner_parts.append(np.full(len(pt.xy), first + i, np.int32))
        self.labels.extend(str(x) for x in labels)
        self._flush_arrays()
        return list(range(first, first + len(templates)))

    def _flush_arrays(self) -> None:
        if not self._pending:
            return
        n = len(self._pending)
        k, ka = self._bits.shape[1], self._all_xy.shape[1]
        bits = np.zeros((n, k, self._bits.shape[2]), np.uint8)
        valid = np.zeros((n, k, self._valid.shape[2]), np.uint8)
        xy = np.zeros((n, k, 2), np.float32)
        ang = np.zeros((n, k), np.float32)
        cnt = np.zeros(n, np.int32)
        axy = np.zeros((n, ka, 2), np.float32)
        aang = np.zeros((n, ka), np.float32)
        acnt = np.zeros(n, np.int32)
        for i, p in enumerate(self._pending):
            c, a = len(p.xy), len(p.all_xy)
            bits[i, :c], valid[i, :c], xy[i, :c], ang[i, :c], cnt[i] = \
                p.bits, p.valid, p.xy, p.angle, c
            axy[i, :a], aang[i, :a], acnt[i] = p.all_xy, p.all_angle, a
        self._bits = np.concatenate([self._bits, bits])
        self._valid = np.concatenate([self._valid, valid])
        self._xy = np.concatenate([self._xy, xy])
        self._angle = np.concatenate([self._angle, ang])
        self._count = np.concatenate([self._count, cnt])
        self._all_xy = np.concatenate([self._all_xy, axy])
        self._all_angle = np.concatenate([self._all_angle, aang])
        self._all_count = np.concatenate([self._all_count, acnt])
        self._pending.clear()

    def _tables(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """The CSR key tables, merging cylinders added since the last build."""
        if self._new_keys:
            new = np.concatenate(self._new_keys)                  # (n_new, tables)
            first = len(self._cyl_owner)
            self._cyl_owner = np.concatenate([self._cyl_owner, *self._owner_parts])
            self._new_keys, self._owner_parts = [], []
            nkeys = self._offsets.shape[1] - 1
            ids = np.zeros((self.params.tables, len(self._cyl_owner)), np.int32)
            new_ids = np.arange(first, first + len(new), dtype=np.int32)
            for t in range(self.params.tables):
                old_keys = np.repeat(np.arange(nkeys, dtype=np.uint32),
                                     np.diff(self._offsets[t]))
                keys = np.concatenate([old_keys, new[:, t]])
                order = np.argsort(keys, kind="stable")
                ids[t] = np.concatenate([self._ids[t], new_ids])[order]
                counts = np.bincount(keys, minlength=nkeys)
                self._offsets[t, 1:] = np.cumsum(counts)
            self._ids = ids
        return self._offsets, self._ids

    @property
    def nbytes(self) -> int:
        """Bytes held by the packed templates and the key tables."""
        arrays = (self._bits, self._valid, self._xy, self._angle, self._count, self._all_xy,
                  self._all_angle, self._all_count)
        offsets, ids = self._tables()
        return int(sum(a.nbytes for a in arrays) + offsets.nbytes + ids.nbytes +
                   self._cyl_owner.nbytes)

    # ------------------------------------------------------------------ searching

    def gallery(self, rows: npt.ArrayLike) -> GalleryArrays:
        """Unpack ``rows`` into the comparator's float layout."""
        r = np.asarray(rows, dtype=np.intp)
        p = self.mcc
        bits = np.unpackbits(self._bits[r], axis=2, count=p.cells)
        valid = np.unpackbits(self._valid[r], axis=2, count=p.ns * p.ns)
        return gallery_from_cells(bits, valid, self._xy[r], self._angle[r], self._count[r],
                                  self._all_xy[r], self._all_angle[r], self._all_count[r], p)

    def votes(self, probe: FingerTemplate | PreparedTemplate | PackedTemplate
              ) -> npt.NDArray[np.int64]:
        """Pre-selection votes of every enrolled template for ``probe``."""
        pt = probe if isinstance(probe, PackedTemplate) else pack_template(probe, self.mcc)
        n = len(self)
        if n == 0 or len(pt.xy) == 0:
            return np.zeros(n, np.int64)
        offsets, ids = self._tables()
        pk = self.keys(pt.cell_bits).astype(np.int64)              # (nc, tables)
        cap = max(self.params.max_bucket, int(self.params.bucket_fraction * n))
        ncyl = ids.shape[1]
        lo_parts, hi_parts, cyl_parts = [], [], []
        flips = np.concatenate([[0], self._weights]) if self.params.multiprobe else \
            np.zeros(1, np.int64)
        cyl_ids = np.repeat(np.arange(len(pk)), len(flips))
        for t in range(self.params.tables):
            # the key itself and, with multi-probe, every key one bit away from it
            q = (pk[:, t][:, None] ^ flips[None, :]).ravel()
            lo = offsets[t, q].astype(np.int64)
            hi = offsets[t, q + 1].astype(np.int64)
            ok = (q > 0) & (hi > lo) & (hi - lo <= cap)
            lo_parts.append(lo[ok] + t * ncyl)
            hi_parts.append(hi[ok] + t * ncyl)
            cyl_parts.append(cyl_ids[ok])
        lo_all = np.concatenate(lo_parts)
        lens = np.concatenate(hi_parts) - lo_all
        total = int(lens.sum())
        if total == 0:
            return np.zeros(n, np.int64)
        # indices lo..hi-1 of every range, without a Python loop over ranges
        first = np.repeat(lo_all - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        flat = first + np.arange(total)
        gcyl = ids.reshape(-1)[flat]                             # enrolled cylinder ids
        pcyl = np.repeat(np.concatenate(cyl_parts), lens)         # probe cylinder ids
        # collisions per (probe cylinder, enrolled cylinder) over all tables; a probe
        # cylinder votes for a template with its best-colliding cylinder there
        pair = np.unique(pcyl.astype(np.int64) * ncyl + gcyl, return_counts=True)
        owner = self._cyl_owner[pair[0] % ncyl]
        pc = pair[0] // ncyl
        key = pc * n + owner
        order = np.lexsort((-pair[1], key))
        key_s = key[order]
        head = np.ones(len(key_s), bool)
        head[1:] = key_s[1:] != key_s[:-1]
        best = pair[1][order][head]
        return np.bincount(owner[order][head], weights=best, minlength=n).astype(np.int64)

    def candidate_count(self) -> int:
        """How many templates a search re-ranks at the index's current size."""
        p = self.params
        return min(len(self), max(p.candidates, math.ceil(p.candidate_fraction * len(self))))

    def search(self, probe: FingerTemplate | PreparedTemplate, top: int = 10,
               threshold: float | None = None, candidates: int | None = None,
               exclude: npt.ArrayLike | None = None) -> list[Candidate]:
        """The ``top`` best-scoring enrolled templates for ``probe``, best first.

        ``threshold`` keeps only hits at or above that score; ``candidates`` overrides how
        many pre-selected templates are re-ranked; ``exclude`` lists positions never to
        return (for example the probe's own entry).
        """
        if len(self) == 0:
            return []
        prepared = prepare(probe, self.mcc)
        packed = pack_template(prepared, self.mcc)
        return self._search(prepared.arrays, packed, top, threshold, candidates, exclude)

    def _search(self, arrays: GalleryArrays, packed: PackedTemplate, top: int,
                threshold: float | None, candidates: int | None,
                exclude: npt.ArrayLike | None) -> list[Candidate]:
        n = len(self)
        votes = self.votes(packed)
        # templates with many cylinders collect more chance votes: rank by votes/sqrt(count)
        rank = votes / np.sqrt(np.maximum(self._count, 4))
        if exclude is not None:
            rank[np.asarray(exclude, dtype=np.intp)] = -1.0
        c = min(n, candidates if candidates is not None else self.candidate_count())
        cand = np.argpartition(-rank, c - 1)[:c] if c < n else np.arange(n)
        cand = cand[rank[cand] > 0]
        if len(cand) == 0:
            return []
        scores = score_from_raw(raw_scores(arrays, self.gallery(cand), self.mcc))
        order = np.argsort(-scores, kind="stable")[:top]
        out = [Candidate(int(cand[i]), self.labels[int(cand[i])], float(scores[i]),
                         int(votes[cand[i]])) for i in order]
        if threshold is not None:
            out = [h for h in out if h.score >= threshold]
        return out

    def self_matches(self, threshold: float, top: int = 5,
                     progress: Callable[[int, int], None] | None = None
                     ) -> list[tuple[int, int, float]]:
        """Pairs ``(i, j, score)``, ``i < j``, of enrolled templates that match each other.

        Every entry is searched against the others (pre-selection, then re-ranking); a
        pair is reported when either direction scores at least ``threshold``, with the
        higher of the two scores. This is batch de-duplication in ``N`` searches instead
        of ``N * (N - 1) / 2`` comparisons.
        """
        best: dict[tuple[int, int], float] = {}
        n = len(self)
        for i in range(n):
            arrays = self.gallery([i])
            bits = np.unpackbits(self._bits[i], axis=1, count=self.mcc.cells).astype(bool)
            k = int(self._count[i])
            packed = PackedTemplate(self._bits[i, :k], self._valid[i, :k], self._xy[i, :k],
                                    self._angle[i, :k], self._all_xy[i], self._all_angle[i],
                                    bits[:k])
            for h in self._search(arrays, packed, top, threshold, None, [i]):
                key = (min(i, h.index), max(i, h.index))
                best[key] = max(best.get(key, 0.0), h.score)
            if progress is not None:
                progress(i + 1, n)
        return sorted((i, j, s) for (i, j), s in best.items())

    def score_all(self, probe: FingerTemplate | PreparedTemplate,
                  chunk: int = 2048) -> npt.NDArray[np.float64]:
        """Exhaustive scores of ``probe`` against every entry (no pre-selection)."""
        prepared = prepare(probe, self.mcc)
        out = np.zeros(len(self))
        for s in range(0, len(self), chunk):
            rows = np.arange(s, min(len(self), s + chunk))
            out[rows] = score_from_raw(raw_scores(prepared.arrays, self.gallery(rows),
                                                  self.mcc))
        return out
