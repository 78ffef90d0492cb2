"""The province's search on Ray actors that make and hold their own shard's codes.

On the Ray engine no process holds every record's code. The records are split into as
many contiguous stretches as there are actors, one stretch an actor. The driver (the
process running :func:`~.dedup.dedup`) reads the registry's current records in chunks
(:func:`chunk_size`: 4,096 records, fewer with many actors) and hands each chunk to the
actor of its stretch: a thumb goes as its ISO/IEC 19794-2 template where its code (pre-filter
keys and prepared form, :func:`.prepared.thumb_codes`) is missing or of another
scheme, as its stored code otherwise. The actor makes the missing codes (one ``prepare``
a thumb, on its own core), keeps the chunk and returns the new codes, which the driver
stores (one transaction a chunk) and drops; at most :data:`AHEAD` chunks an actor are in
flight.

The keys held by one record only or by more than ``cap`` records of the province are
then left out, as :func:`.dedup._informative` does, without gathering the keys in one
place: each actor splits its distinct keys (with how many of its records hold each) into
one part per actor by key, actor ``p`` adds up the counts of part ``p`` and returns each
actor's verdict on its keys of that part (one bit a key), and every actor cuts its codes
and builds its inverted lists (:class:`~.search.Shard`). A gate to fit is the quantile
:func:`.dedup.fit_gate` takes, of the same similarities: the sample's codes come from
their actors (:func:`gate_sample`, 256 records), each actor returns the similarities
with its records that are not zero and how many are, and :func:`sparse_quantile` is
numpy's linear quantile of them. Probe batches are made by the actors from their own
records, every batch goes to every actor and the answers are merged as a union.

Ray restarts an actor whose process dies and retries its unfinished calls; a restarted
actor holds nothing, so every call names how many chunks the actor should hold and an
actor holding another number raises :class:`ShardLost`. The driver then sends the
actor's chunks again (from the registry, their codes stored by then) and repeats the
calls that failed: a batch's answer is a pure function of the batch and the shard, and
only answers from complete shards are merged, so nothing is lost or counted twice.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .features import keep_keys, record_tokens
from .package import THUMBS
from .prepared import thumb_codes
from .registry import Registry
from .search import ProbeBatch, SearchResult, Shard

__all__ = ["CHUNK", "Chunk", "ShardBuilder", "ShardLost", "ShardedRun", "chunk_size",
           "gate_sample", "merge_key_parts", "read_chunk", "run_sharded", "sparse_quantile"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]

#: records a chunk (at most; see :func:`chunk_size`)
CHUNK = 4096
#: chunks (while building) or probe batches (while searching) in flight an actor
AHEAD = 2
#: records in flight while building, over all actors: chunks shrink as actors are added
#: (down to :data:`MIN_CHUNK`), so the driver's node holds about this many at a time
IN_FLIGHT = 32_768
MIN_CHUNK = 256
#: rounds of reloading lost actors in one stage before giving up
_ROUNDS = 8

#: a thumb sent to an actor: position, template (its code to be made) or keys and form
ThumbIn = tuple[str, bytes | None, bytes | None, bytes | None]
#: a code made by an actor: rid, position, keys, prepared form
Code = tuple[int, str, bytes, bytes]


@dataclass(frozen=True)
class Chunk:
    """Records ``rids`` (ascending) of one actor's stretch with their ID numbers and
    thumbs; ``index``: the chunk's place in the stretch."""

    index: int
    rids: I64
    id_numbers: list[str]
    thumbs: list[list[ThumbIn]]


def read_chunk(registry: Registry, index: int, rids: I64, id_numbers: list[str],
               recode: bool) -> Chunk:
    """The current records ``rids`` (ascending, non-empty; ID numbers ``id_numbers``)
    with their thumbs as chunk ``index``: a thumb's template where its code is missing
    (or every thumb's if ``recode``), its stored code otherwise."""
    thumbs: dict[int, list[ThumbIn]] = {}
    for t in registry.thumbs(after=int(rids[0]) - 1, through=int(rids[-1])):
        code = recode or t.feature is None or t.prepared is None
        thumbs.setdefault(t.rid, []).append(
            (t.position, t.template, None, None) if code
            else (t.position, None, t.feature, t.prepared))
    return Chunk(index, rids, id_numbers, [thumbs.get(int(r), []) for r in rids])


class ShardLost(RuntimeError):
    """An actor holds another number of chunks than it was sent (its process died and
    Ray restarted it empty), or is not at the stage a call needs."""


def chunk_size(actors: int) -> int:
    """Records a chunk for ``actors`` actors: :data:`CHUNK`, smaller when the chunks in
    flight would hold more than :data:`IN_FLIGHT` records."""
    return min(CHUNK, max(MIN_CHUNK, IN_FLIGHT // (AHEAD * max(1, actors))))


def gate_sample(n: int, sample: int = 256, seed: int = 0) -> I64:
    """Rows (ascending) of the records whose similarities with all others fit the gate."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, min(sample, n), replace=False)).astype(np.int64)


def sparse_quantile(positive: F32, zeros: int, q: float) -> float:
    """``numpy.quantile(values, q)`` (linear) of float32 ``values`` >= 0 given as the
    values above zero and the number of zeros, with numpy's arithmetic."""
    n = zeros + len(positive)
    if n == 0:
        raise ValueError("no similarities to take a quantile of")
    srt = np.sort(np.asarray(positive, np.float32))

    def at(i: int) -> np.float32:
        v: np.float32 = np.float32(0.0) if i < zeros else srt[i - zeros]
        return v

    virtual = float(np.float64(n - 1) * np.float64(q))
    if virtual >= n - 1:
        return float(at(n - 1))
    if virtual < 0:
        return float(at(0))
    prev = math.floor(virtual)
    gamma = virtual - prev
    a, b = at(prev), at(prev + 1)
    diff = b - a
    return float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)


def merge_key_parts(cap: int, *parts: tuple[U64, npt.NDArray[np.int32]]) -> Any:
    """Each actor's verdict on its keys of one part: kept when 2 to ``cap`` records of
    the province hold the key (packed bits, in the order of the actor's keys); one
    verdict an actor, as a tuple when there are several."""
    keys = np.concatenate([k for k, _ in parts])
    held = np.concatenate([h for _, h in parts])
    uniq, inv = np.unique(keys, return_inverse=True)
    total = np.bincount(inv, weights=held, minlength=len(uniq))
    ok = (total >= 2) & (total <= cap)
    cuts = np.cumsum([len(k) for k, _ in parts])[:-1]
    out = tuple(np.packbits(ok[i]) for i in np.split(inv, cuts))
    return out if len(out) > 1 else out[0]


class ShardBuilder:
    """One actor's stretch of records: the chunks sent to it (codes made where missing),
    then, cut to the province's informative keys, its :class:`~.search.Shard`."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.held: set[int] = set()
        self.data: dict[int, tuple[I64, list[str], list[U64], list[dict[str, bytes]]]] = {}
        self.parts: list[U64] = []
        self.shard: Shard | None = None

    def status(self) -> tuple[int, bool]:
        """Chunks held, and whether the shard is built."""
        return len(self.held), self.shard is not None

    def _check(self, expect: int, built: bool) -> Shard | None:
        if len(self.held) != expect or (self.shard is not None) != built:
            raise ShardLost(f"an actor holds {len(self.held)} of {expect} chunks "
                            f"(built: {self.shard is not None})")
        return self.shard

    def load(self, chunk: Chunk) -> tuple[list[Code], int]:
        """Keep a chunk, making the codes of the thumbs sent as templates; returns those
        codes and the number of chunks held."""
        made: list[Code] = []
        tokens: list[U64] = []
        forms: list[dict[str, bytes]] = []
        for rid, thumbs in zip(chunk.rids.tolist(), chunk.thumbs, strict=True):
            keys: dict[str, bytes] = {}
            form: dict[str, bytes] = {}
            for position, template, k, f in thumbs:
                if template is not None:
                    k, f = thumb_codes(template)
                    made.append((rid, position, k, f))
                if k is not None:
                    keys[position] = k
                if f is not None:
                    form[position] = f
            tokens.append(record_tokens([keys.get(t) for t in THUMBS]))
            forms.append(form)
        self.held.add(chunk.index)
        self.data[chunk.index] = (chunk.rids, chunk.id_numbers, tokens, forms)
        self.shard = None
        return made, len(self.held)

    def _tokens(self) -> list[U64]:
        return [t for i in sorted(self.data) for t in self.data[i][2]]

    def key_parts(self, expect: int, parts: int) -> Any:
        """This stretch's distinct keys split into ``parts`` by key (``key % parts``),
        each with the number of its records holding it; a tuple when ``parts > 1``."""
        self._check(expect, False)
        tokens = self._tokens()
        flat = np.concatenate(tokens) if tokens else np.zeros(0, np.uint64)
        keys, held = np.unique(flat, return_counts=True)
        part = keys % np.uint64(parts)
        self.parts = [keys[part == p] for p in range(parts)]
        out = tuple((self.parts[p], held[part == p].astype(np.int32)) for p in range(parts))
        return out if parts > 1 else out[0]

    def count_part(self, cap: int, *parts: tuple[U64, npt.NDArray[np.int32]]) -> Any:
        """:func:`merge_key_parts` of one part, on this actor's core."""
        return merge_key_parts(cap, *parts)

    def build(self, expect: int, *verdicts: npt.NDArray[np.uint8]) -> tuple[int, int, int]:
        """Cut the codes to the keys the verdicts keep (one per part of
        :meth:`key_parts`) and build the shard; returns its bytes, its records' key
        count (before the cut) and its records."""
        self._check(expect, False)
        if len(self.parts) != len(verdicts):
            raise ShardLost("an actor lost its key parts")
        kept = np.sort(np.concatenate(
            [k[np.unpackbits(v, count=len(k)).astype(bool)]
             for k, v in zip(self.parts, verdicts, strict=True)]))
        tokens = self._tokens()
        counts = [len(t) for t in tokens]
        flat = np.concatenate(tokens) if tokens else np.zeros(0, np.uint64)
        if len(kept):
            keep = kept[np.minimum(np.searchsorted(kept, flat), len(kept) - 1)] == flat
        else:
            keep = np.zeros(len(flat), bool)
        order = sorted(self.data)
        rids = (np.concatenate([self.data[i][0] for i in order]) if order
                else np.zeros(0, np.int64))
        shard = Shard(rids, keep_keys(tokens, keep, flat),
                      [x for i in order for x in self.data[i][1]],
                      [f for i in order for f in self.data[i][3]], counts)
        self.data, self.parts, self.shard = {}, [], shard
        return shard.nbytes, int(sum(counts)), len(shard)

    def batch(self, expect: int, rows: I64) -> ProbeBatch:
        """The records at ``rows`` of the stretch, without their thumbs."""
        shard = self._check(expect, True)
        assert shard is not None
        b = shard.batch(rows)
        return ProbeBatch(b.rids, b.tokens, b.id_numbers, [{} for _ in rows], b.counts)

    def similarities(self, expect: int, sample: ProbeBatch, own: list[tuple[int, int]]
                     ) -> tuple[F32, int]:
        """The sample's similarities with the stretch's records (a sample record with
        itself, ``own``: (sample index, row), left out): those above zero, and how many
        are zero."""
        shard = self._check(expect, True)
        assert shard is not None
        sims = shard.similarities(sample.tokens, None, sample.key_counts())
        for i, r in own:
            sims[i, r] = -np.inf
        values = sims[np.isfinite(sims)]
        return values[values != 0], int(np.count_nonzero(values == 0))

    def probes(self, expect: int, start: int, stop: int) -> ProbeBatch:
        """Rows ``[start, stop)`` of the stretch as probes."""
        shard = self._check(expect, True)
        assert shard is not None
        return shard.batch(np.arange(start, stop))

    def search(self, expect: int, batch: ProbeBatch, gate: float, threshold: float
               ) -> SearchResult:
        shard = self._check(expect, True)
        assert shard is not None
        return shard.search(batch, gate, threshold)

    def peak_rss(self) -> int:
        """Peak resident memory of the actor's process, bytes (0 where the platform does
        not report it: the ``resource`` module is Unix only)."""
        try:
            import resource
        except ImportError:
            return 0
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class ShardedRun:
    """What :func:`run_sharded` found and what it cost."""

    result: SearchResult
    gate: float
    index_bytes: int = 0
    keys_per_record: float = 0.0
    #: wall seconds making codes and building the shards, and searching
    build_seconds: float = 0.0
    search_seconds: float = 0.0
    #: each actor's peak resident memory (bytes) and the times an actor was reloaded
    actor_peak_rss: list[int] = field(default_factory=list)
    reloads: int = 0


class _Actors:
    """The driver's side: the actors, their stretches and chunks, and the reloads."""

    def __init__(self, ray: Any, actor: type[ShardBuilder], workers: int,
                 registry: Registry, rids: I64, id_numbers: list[str], stale: bool) -> None:
        self.ray, self.registry, self.rids, self.ids = ray, registry, rids, id_numbers
        self.stale = stale
        cls = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(actor)
        self.cuts = np.linspace(0, len(rids), workers + 1).astype(int)
        size = chunk_size(workers)
        self.plan = [[(s, min(s + size, int(b))) for s in range(int(a), int(b), size)]
                     for a, b in itertools.pairwise(self.cuts)]
        self.actors = [cls.remote() for _ in range(workers)]
        self.fresh: set[tuple[int, int]] = set()     # chunks whose codes this run stored
        self.verdicts: list[list[Any]] = []
        self.stats: list[tuple[int, int, int]] = []
        self.reloads = 0

    def expect(self, a: int) -> int:
        return len(self.plan[a])

    def chunk(self, a: int, c: int) -> Chunk:
        """Chunk ``c`` of actor ``a``'s stretch as read from the registry now."""
        s, e = self.plan[a][c]
        return read_chunk(self.registry, c, self.rids[s:e], self.ids[s:e],
                          self.stale and (a, c) not in self.fresh)

    def load(self, todo: list[tuple[int, int]]) -> None:
        """Send the chunks ``todo`` (actor, chunk) in order, at most :data:`AHEAD` an
        actor in flight, and store the codes each actor returns."""
        ray = self.ray
        queue = deque(todo)
        pending: dict[Any, tuple[int, int]] = {}
        while queue or pending:
            while queue and len(pending) < AHEAD * len(self.actors):
                a, c = queue.popleft()
                pending[self.actors[a].load.remote(self.chunk(a, c))] = (a, c)
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                a, c = pending.pop(ref)
                made, _held = ray.get(ref)
                if made:
                    self.registry.set_features(made)
                self.fresh.add((a, c))

    def load_all(self) -> None:
        most = max((len(p) for p in self.plan), default=0)
        self.load([(a, c) for c in range(most) for a in range(len(self.actors))
                   if c < self.expect(a)])

    def ensure(self, built: bool) -> set[int]:
        """Send again every chunk of the actors not holding all theirs (and build their
        shards again if ``built``); returns those actors."""
        ray = self.ray
        status = ray.get([x.status.remote() for x in self.actors])
        lost = {a for a, (held, done) in enumerate(status)
                if held != self.expect(a) or done != built}
        for a in sorted(lost):
            self.actors[a].reset.remote()
        self.load([(a, c) for a in sorted(lost) for c in range(self.expect(a))])
        if built and lost:
            # the key parts again (the same chunks give the same parts), then the shard
            n = len(self.actors)
            for a in sorted(lost):
                self.actors[a].key_parts.options(num_returns=n).remote(self.expect(a), n)
            got = ray.get([self.actors[a].build.remote(self.expect(a), *self.verdicts[a])
                           for a in sorted(lost)])
            for a, s in zip(sorted(lost), got, strict=True):
                self.stats[a] = s
        self.reloads += len(lost)
        return lost

    def _again(self, err: Exception, built: bool) -> None:
        """After a failed call: reload the actors that lost their chunks, or re-raise
        ``err`` when none did (the failure was not a lost actor)."""
        if not self.ensure(built):
            raise err

    def cut(self, cap: int) -> None:
        """Count every key over the province, cut the codes and build the shards."""
        ray, n = self.ray, len(self.actors)
        for _ in range(_ROUNDS):
            try:
                parts = [x.key_parts.options(num_returns=n).remote(self.expect(a), n)
                         for a, x in enumerate(self.actors)]
                if n == 1:
                    parts = [[p] for p in parts]
                verdicts = [x.count_part.options(num_returns=n).remote(
                    cap, *[parts[a][p] for a in range(n)]) for p, x in enumerate(self.actors)]
                if n == 1:
                    verdicts = [[v] for v in verdicts]
                self.verdicts = [[verdicts[p][a] for p in range(n)] for a in range(n)]
                self.stats = ray.get([x.build.remote(self.expect(a), *self.verdicts[a])
                                      for a, x in enumerate(self.actors)])
                return
            except ray.exceptions.RayError as err:
                self._again(err, False)
        raise ShardLost("actors kept losing their chunks while the shards were built")

    def fit_gate(self, penetration: float) -> float:
        """:func:`.dedup.fit_gate` over all the stretches."""
        ray = self.ray
        rows = gate_sample(len(self.rids))
        where = [np.nonzero((rows >= a) & (rows < b))[0]
                 for a, b in itertools.pairwise(self.cuts)]
        for _ in range(_ROUNDS):
            try:
                parts = ray.get([x.batch.remote(self.expect(a), rows[w] - self.cuts[a])
                                 for a, (x, w) in enumerate(zip(self.actors, where,
                                                                strict=True))])
                sample = ray.put(ProbeBatch(
                    np.concatenate([p.rids for p in parts]),
                    [t for p in parts for t in p.tokens],
                    [i for p in parts for i in p.id_numbers], [{} for _ in rows],
                    np.concatenate([p.key_counts() for p in parts])))
                got = ray.get([x.similarities.remote(
                    self.expect(a), sample,
                    [(int(i), int(rows[i] - self.cuts[a])) for i in where[a]])
                    for a, x in enumerate(self.actors)])
                break
            except ray.exceptions.RayError as err:
                self._again(err, True)
        else:
            raise ShardLost("actors kept losing their chunks while the gate was fitted")
        return sparse_quantile(np.concatenate([p for p, _ in got]),
                               sum(z for _, z in got), 1.0 - penetration)

    def search(self, after: int, gate: float, threshold: float, batch: int,
               progress: Callable[[int, int], None] | None) -> SearchResult:
        """Every record with ``rid > after`` searched against every stretch."""
        ray, n = self.ray, len(self.actors)
        work: list[tuple[int, int, int]] = []
        for a, (lo, hi) in enumerate(itertools.pairwise(self.cuts)):
            start = int(np.searchsorted(self.rids[lo:hi], after, side="right"))
            work += [(a, s, min(s + batch, int(hi - lo)))
                     for s in range(start, int(hi - lo), batch)]
        total, probes = SearchResult(), sum(e - s for _, s, e in work)
        todo = deque(range(len(work)))
        refs: dict[int, Any] = {}
        left: dict[int, int] = {}
        pending: dict[Any, tuple[int, int]] = {}
        failed: list[tuple[int, int]] = []
        done, rounds, error = 0, 0, None

        def submit(k: int, to: list[int]) -> None:
            for a in to:
                pending[self.actors[a].search.remote(self.expect(a), refs[k], gate,
                                                     threshold)] = (k, a)

        while todo or pending or failed:
            if failed and not pending:
                assert error is not None
                rounds += 1
                if rounds > _ROUNDS:
                    raise ShardLost("actors kept losing their chunks during the search")
                lost = self.ensure(True)
                if not lost:
                    raise error
                again, failed = failed, []
                for k in sorted({k for k, _ in again}):
                    owner, s, e = work[k]
                    if owner in lost:
                        refs[k] = self.actors[owner].probes.remote(self.expect(owner), s, e)
                    submit(k, [a for kk, a in again if kk == k])
            while todo and not failed and len(refs) < AHEAD * n:
                k = todo.popleft()
                owner, s, e = work[k]
                refs[k] = self.actors[owner].probes.remote(self.expect(owner), s, e)
                left[k] = n
                submit(k, list(range(n)))
            if not pending:
                continue
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                k, a = pending.pop(ref)
                try:
                    res = ray.get(ref)
                except ray.exceptions.RayError as err:
                    failed.append((k, a))
                    error = err
                    continue
                total.merge(res)
                left[k] -= 1
                if left[k] == 0:
                    del refs[k], left[k]
                    done += work[k][2] - work[k][1]
                    if progress is not None:
                        progress(done, probes)
        return total


def run_sharded(ray: Any, actor: type[ShardBuilder], workers: int, registry: Registry,
                rids: I64, id_numbers: list[str], *, after: int, stale: bool,
                gate: float | None, penetration: float, threshold: float, cap: int,
                batch: int, progress: Callable[[int, int], None] | None = None
                ) -> ShardedRun:
    """Code, shard and search the province's current records ``rids`` (ascending, with
    their ID numbers) on ``workers`` Ray actors of class ``actor`` (see the module
    docs): the records with ``rid > after`` are the probes; ``stale``: every stored
    code is of another scheme and is made again; ``gate`` None: fit it (at
    ``penetration``)."""
    t0 = time.perf_counter()
    run = _Actors(ray, actor, max(1, workers), registry, np.asarray(rids, np.int64),
                  list(id_numbers), stale)
    try:
        run.load_all()
        run.cut(cap)
        fitted = run.fit_gate(penetration) if gate is None else gate
        t1 = time.perf_counter()
        result = run.search(after, fitted, threshold, batch, progress)
        t2 = time.perf_counter()
        peaks = ray.get([x.peak_rss.remote() for x in run.actors])
    finally:
        for x in run.actors:
            ray.kill(x)
    records = sum(s[2] for s in run.stats)
    return ShardedRun(result, fitted, sum(s[0] for s in run.stats),
                      sum(s[1] for s in run.stats) / max(1, records), t1 - t0, t2 - t1,
                      peaks, run.reloads)
