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

**Enrolment** (a station searches each new capture, then enrols it). Rows are written in
place into arrays that grow by doubling. The new cylinders' keys join a small *delta*: one
sorted array of ``table * 2**bits_per_key + key`` over all tables (cylinders enrolled since
the last merge, in id order among equal keys), looked up by binary search beside the main
tables. A bucket's size for the ``max_bucket`` cap is its main plus delta size, so votes
equal those of a fully merged index. Once the delta holds more than
``IndexParams.delta_cylinders`` cylinders per table it is merged without re-sorting the main
tables: per table, the delta element of rank ``r`` with key ``k`` goes to ``offsets[k + 1] +
r``, the old elements keep their order in the remaining slots, and the offsets gain the
delta's cumulative counts (linear in the index size, once per ~100 templates). Bulk
``add_many`` takes the same path (one sort of the new keys, then a merge). An index is not
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
from .texture import DEFAULT_TEXTURE, orientation_rows

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
    #: also look up the keys one bit away from each probe key (tolerates one flipped bit)
    multiprobe: bool = False
    #: templates re-ranked by the full comparator: ``max(candidates, fraction * N)``
    candidates: int = 256
    candidate_fraction: float = 0.004
    seed: int = 20_240_521
    #: cylinders enrolled since the last merge, per table, that are looked up in a small
    #: sorted delta before being merged into the main key tables
    delta_cylinders: int = 4096

    def validate(self) -> None:
        if not 1 <= self.bits_per_key <= 24:
            raise ConfigError("bits_per_key must be 1-24", "bad-index-params")
        if self.tables < 1 or self.candidates < 1:
            raise ConfigError("tables and candidates must be positive", "bad-index-params")
        if self.delta_cylinders < 0:
            raise ConfigError("delta_cylinders must not be negative", "bad-index-params")


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
    #: texture cylinders (:mod:`.texture`): orientation steps (k, C), validity bits
    #: (k, C/8), periods (k,); ``None`` for a template without block maps
    tex_cells: U8 | None = None
    tex_valid: U8 | None = None
    tex_period: F32 | None = None


def pack_template(t: FingerTemplate | PreparedTemplate,
                  params: MccParams = DEFAULT_PARAMS) -> PackedTemplate:
    """Prepare ``t`` (if needed) and pack its cylinders into bytes."""
    p = prepare(t, params)
    cs = p.cylinders
    k = min(len(cs), MAX_CYLINDERS)
    cb = cs.bits[:k] > 0.5
    val = cs.valid[:k].reshape(k, params.ns * params.ns, params.nd)[:, :, 0] > 0.5
    tex = p.texture
    return PackedTemplate(np.packbits(cb, axis=1), np.packbits(val, axis=1),
                          cs.xy[:k].astype(np.float32), cs.angle[:k].astype(np.float32),
                          p.xy[:MAX_MINUTIAE_PAIRED].astype(np.float32),
                          p.angle[:MAX_MINUTIAE_PAIRED].astype(np.float32), cb,
                          None if tex is None else tex.cells[:k],
                          None if tex is None else np.packbits(tex.valid[:k] > 0.5, axis=1),
                          None if tex is None else tex.period[:k])


def _expand(lo: npt.NDArray[np.int64], lens: npt.NDArray[np.int64],
            tag: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """Indices ``lo[i] .. lo[i] + lens[i] - 1`` of every range, and ``tag[i]`` for each,
    without a Python loop over ranges."""
    total = int(lens.sum())
    starts = np.cumsum(lens) - lens
    flat = np.repeat(lo - starts, lens) + np.arange(total)
    return flat, np.repeat(tag, lens)


def _key_positions(ip: IndexParams, params: MccParams) -> npt.NDArray[np.intp]:
    """``(tables, bits_per_key)`` cell-bit positions in the inner disc."""
    spatial = params.cells_within(ip.inner_radius)
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
        self._nkeys = 1 << params.bits_per_key
        k, ka = MAX_CYLINDERS, MAX_MINUTIAE_PAIRED
        c2 = mcc.ns * mcc.ns
        # row arrays with spare capacity: rows [0, len(self)) are enrolled templates
        self._bits = np.zeros((0, k, mcc.cells // 8), np.uint8)
        self._valid = np.zeros((0, k, (c2 + 7) // 8), np.uint8)
        self._xy = np.zeros((0, k, 2), np.float32)
        self._angle = np.zeros((0, k), np.float32)
        self._count = np.zeros(0, np.int32)
        self._all_xy = np.zeros((0, ka, 2), np.float32)
        self._all_angle = np.zeros((0, ka), np.float32)
        self._all_count = np.zeros(0, np.int32)
        # texture cylinders (rows without them have no valid cell)
        tc = DEFAULT_TEXTURE.cells
        self._tcells = np.zeros((0, k, tc), np.uint8)
        self._tvalid = np.zeros((0, k, (tc + 7) // 8), np.uint8)
        self._tperiod = np.zeros((0, k), np.float32)
        self._with_texture = 0
        self.labels: list[str] = []
        # cylinders are numbered in enrolment order; owner template of each (with capacity)
        self._cyl_owner = np.zeros(0, np.int32)
        self._ncyl = 0
        # main key tables, per table the cylinder ids grouped by key (CSR):
        # ids[t, offsets[t, key]:offsets[t, key + 1]], cylinders [0, _nmain)
        self._offsets = np.zeros((params.tables, self._nkeys + 1), np.int32)
        self._ids = np.zeros((params.tables, 0), np.int32)
        self._nmain = 0
        # delta: cylinders [_nmain, _ncyl), one sorted array over all tables of the
        # combined keys ``table * 2**bits_per_key + key`` (ties in cylinder order) and ids
        self._dkey = np.zeros(0, np.int64)
        self._did = np.zeros(0, np.int32)

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
        """Enrol templates (prepared and packed here unless already so); returns positions.

        Rows are written in place (the row arrays grow by doubling) and the new cylinders'
        keys join a small sorted delta beside the main key tables, which is merged into
        them (without re-sorting them) once it holds more than
        :attr:`IndexParams.delta_cylinders` cylinders per table.
        """
        if len(labels) != len(templates):
            raise ConfigError("labels and templates differ in length", "bad-index-input")
        packed = [t if isinstance(t, PackedTemplate) else pack_template(t, self.mcc)
                  for t in templates]
        first = len(self.labels)
        if not packed:
            return []
        self._grow_rows(first + len(packed))
        ncyl = sum(len(p.xy) for p in packed)
        self._grow_cylinders(self._ncyl + ncyl)
        c0 = self._ncyl
        for i, p in enumerate(packed):
            r, c, a = first + i, len(p.xy), len(p.all_xy)
            self._bits[r, :c], self._valid[r, :c] = p.bits, p.valid
            self._xy[r, :c], self._angle[r, :c], self._count[r] = p.xy, p.angle, c
            self._all_xy[r, :a], self._all_angle[r, :a], self._all_count[r] = \
                p.all_xy, p.all_angle, a
            if p.tex_cells is not None and p.tex_valid is not None \
                    and p.tex_period is not None:
                self._tcells[r, :c], self._tvalid[r, :c] = p.tex_cells, p.tex_valid
                self._tperiod[r, :c] = p.tex_period
                self._with_texture += 1
            self._cyl_owner[self._ncyl:self._ncyl + c] = r
            self._ncyl += c
        self.labels.extend(str(x) for x in labels)
        if ncyl > self.params.delta_cylinders and self._nmain < ncyl:
            self._merge()       # a big batch into an empty delta: no merge of sorted runs
        if ncyl:
            keys = np.concatenate([self.keys(p.cell_bits) for p in packed])  # (ncyl, tables)
            self._add_delta(keys, np.arange(c0, c0 + ncyl, dtype=np.int32))
        if len(self._did) > self.params.delta_cylinders * self.params.tables:
            self._merge()
        return list(range(first, first + len(packed)))

    def _grow_rows(self, need: int) -> None:
        """Make room for ``need`` rows (capacity doubles), keeping the enrolled rows."""
        cap = len(self._count)
        if need <= cap:
            return
        new = max(need, 2 * cap, 16)
        n = len(self.labels)
        for name in ("_bits", "_valid", "_xy", "_angle", "_count", "_all_xy", "_all_angle",
                     "_all_count", "_tcells", "_tvalid", "_tperiod"):
            old = getattr(self, name)
            grown = np.zeros((new, *old.shape[1:]), old.dtype)
            grown[:n] = old[:n]
            setattr(self, name, grown)

    def _grow_cylinders(self, need: int) -> None:
        cap = len(self._cyl_owner)
        if need > cap:
            grown = np.zeros(max(need, 2 * cap, 1024), np.int32)
            grown[:self._ncyl] = self._cyl_owner[:self._ncyl]
            self._cyl_owner = grown

    def _add_delta(self, keys: npt.NDArray[np.uint32], ids: npt.NDArray[np.int32]) -> None:
        """Insert cylinders ``ids`` with ``keys`` (n, tables) into the sorted delta."""
        tables = self.params.tables
        kt = np.ascontiguousarray(keys.T)                               # (tables, n)
        order = np.argsort(kt, axis=1, kind="stable")                  # ties keep id order
        comb = (np.arange(tables, dtype=np.int64)[:, None] * self._nkeys
                + np.take_along_axis(kt, order, axis=1)).ravel()       # table-major, sorted
        cid = ids[order].ravel()
        if len(self._dkey) == 0:
            self._dkey, self._did = comb, cid
            return
        # merge two sorted runs: a new element goes after every equal key already there
        # (older cylinders stay first); the old elements fill the other slots in order
        at = np.searchsorted(self._dkey, comb, side="right") + np.arange(len(comb))
        old = np.ones(len(self._dkey) + len(comb), bool)
        old[at] = False
        dkey = np.empty(len(old), np.int64)
        did = np.empty(len(old), np.int32)
        dkey[at], did[at] = comb, cid
        dkey[old], did[old] = self._dkey, self._did
        self._dkey, self._did = dkey, did

    def _merge(self) -> None:
        """Fold the delta into the main CSR tables without re-sorting them.

        Per table, the delta element of rank ``r`` (in the delta's stable order) with key
        ``k`` lands at ``offsets[k + 1] + r``; the old elements fill the remaining slots in
        their old order; the new offsets are the old ones plus the delta's cumulative
        counts. The result equals a stable sort of all cylinders by key.
        """
        if len(self._did) == 0:
            return
        tables, nkeys = self.params.tables, self._nkeys
        m = self._nmain
        ncyl = m + len(self._did) // tables          # the delta holds each cylinder per table
        src_all, cap = self._ids, self._ids.shape[1]
        if ncyl > cap:      # grow by half (a fresh block of memory is slow to touch)
            self._ids = np.empty((tables, max(ncyl, cap + cap // 2, 1024)), np.int32)
        bounds = np.searchsorted(self._dkey, np.arange(tables + 1, dtype=np.int64) * nkeys)
        slot = np.empty(ncyl, bool)
        for t in range(tables):
            a, b = int(bounds[t]), int(bounds[t + 1])
            dk = self._dkey[a:b] - t * nkeys
            pos = self._offsets[t, dk + 1].astype(np.int64) + np.arange(b - a)
            slot[:] = True
            slot[pos] = False
            # in place when there is room: the old ids are read before being overwritten
            old = src_all[t, :m].copy() if src_all is self._ids else src_all[t, :m]
            row = self._ids[t, :ncyl]
            row[slot] = old
            row[pos] = self._did[a:b]
            self._offsets[t, 1:] += np.cumsum(np.bincount(dk, minlength=nkeys),
                                              dtype=np.int32)
        self._nmain = ncyl
        self._dkey = np.zeros(0, np.int64)
        self._did = np.zeros(0, np.int32)

    @property
    def nbytes(self) -> int:
        """Bytes held by the packed templates and the key tables."""
        n = len(self)
        arrays = (self._bits, self._valid, self._xy, self._angle, self._count, self._all_xy,
                  self._all_angle, self._all_count, self._tcells, self._tvalid, self._tperiod)
        return int(sum(a[:n].nbytes for a in arrays) + self._offsets.nbytes
                   + self._ids[:, :self._nmain].nbytes
                   + self._dkey.nbytes + self._did.nbytes + self._cyl_owner[:self._ncyl].nbytes)

    # ------------------------------------------------------------------ searching

    def gallery(self, rows: npt.ArrayLike) -> GalleryArrays:
        """Unpack ``rows`` into the comparator's float layout."""
        r = np.asarray(rows, dtype=np.intp)
        p = self.mcc
        bits = np.unpackbits(self._bits[r], axis=2, count=p.cells)
        valid = np.unpackbits(self._valid[r], axis=2, count=p.ns * p.ns)
        tex = None
        if self._with_texture:
            tv = np.unpackbits(self._tvalid[r], axis=2,
                               count=self._tcells.shape[2]).astype(np.float32)
            tex = (orientation_rows(self._tcells[r], tv), tv, self._tperiod[r])
        return gallery_from_cells(bits, valid, self._xy[r], self._angle[r], self._count[r],
                                  self._all_xy[r], self._all_angle[r], self._all_count[r], p,
                                  tex)

    def votes(self, probe: FingerTemplate | PreparedTemplate | PackedTemplate
              ) -> npt.NDArray[np.int64]:
        """Pre-selection votes of every enrolled template for ``probe``."""
        pt = probe if isinstance(probe, PackedTemplate) else pack_template(probe, self.mcc)
        n = len(self)
        if n == 0 or len(pt.xy) == 0:
            return np.zeros(n, np.int64)
        tables, nkeys, ncyl = self.params.tables, self._nkeys, self._ncyl
        pk = self.keys(pt.cell_bits).astype(np.int64)              # (nc, tables)
        cap = max(self.params.max_bucket, int(self.params.bucket_fraction * n))
        flips = np.concatenate([[0], self._weights]) if self.params.multiprobe else \
            np.zeros(1, np.int64)
        # the key itself and, with multi-probe, every key one bit away from it, per table
        q = pk[:, None, :] ^ flips[None, :, None]                   # (nc, flips, tables)
        pcyl_of = np.broadcast_to(np.arange(len(pk))[:, None, None], q.shape).ravel()
        t_of = np.broadcast_to(np.arange(tables)[None, None, :], q.shape).ravel()
        q = q.ravel()
        # bucket sizes in the main tables and in the delta: a merged index would see
        # their sum, so the cap applies to it
        flat_off = self._offsets.reshape(-1)
        lo = flat_off[t_of * (nkeys + 1) + q].astype(np.int64)
        hi = flat_off[t_of * (nkeys + 1) + q + 1].astype(np.int64)
        comb = t_of * nkeys + q
        dlo = np.searchsorted(self._dkey, comb, side="left")
        dhi = np.searchsorted(self._dkey, comb, side="right")
        size = (hi - lo) + (dhi - dlo)
        ok = (q > 0) & (size > 0) & (size <= cap)
        main_g, main_p = _expand(lo[ok] + t_of[ok] * self._ids.shape[1], hi[ok] - lo[ok],
                                 pcyl_of[ok])
        delta_g, delta_p = _expand(dlo[ok], dhi[ok] - dlo[ok], pcyl_of[ok])
        gcyl = np.concatenate([self._ids.reshape(-1)[main_g], self._did[delta_g]])
        pcyl = np.concatenate([main_p, delta_p])
        if len(gcyl) == 0:
            return np.zeros(n, np.int64)
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
        rank = votes / np.sqrt(np.maximum(self._count[:n], 4))
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
