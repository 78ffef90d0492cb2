"""Where the province's search runs: a local process pool, or Ray actors.

Both engines take the same :class:`~.search.Shard` (every current record) and the same
probe batches, call the same :meth:`Shard.search` and merge the results as a union, so
their matches are identical (see :mod:`.search`).

``LocalEngine(jobs)``
    the embedded default: one worker process per core, each holding the whole province
    (codes and templates, sent once when the pool starts), probe batches handed out in
    order; ``jobs=1`` runs in the calling process.
``RayEngine(address, workers)``
    the records are split into ``workers`` contiguous shards, each held by a Ray actor;
    every probe batch is sent to every actor and the answers merged. Ray places the
    actors on the cluster's nodes; an actor whose process dies is restarted from the
    same shard and its unfinished calls are retried (``max_restarts``,
    ``max_task_retries``), and as a batch's answer is a pure function of the batch and
    the shard, a retried call adds nothing twice. Needs the ``province-ray`` extra.
    :meth:`RayEngine.run` searches a shard built by the caller;
    :meth:`RayEngine.search_registry` (what :func:`~.dedup.dedup` uses) has the actors
    make their own shards' codes from the registry's records, streamed to them in chunks,
    so that no process holds every record's code (:mod:`.sharded`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..biometrics.finger.compare_parallel import resolve_jobs
from ..errors import ConfigError
from .registry import Registry
from .search import ProbeBatch, SearchResult, Shard
from .sharded import ShardBuilder, ShardedRun, run_sharded

__all__ = ["Engine", "LocalEngine", "RayEngine", "make_engine", "split_shard"]

Progress = Callable[[int, int], None]


class Engine(Protocol):
    """Runs every probe batch against a province's records and merges the results."""

    name: str

    def run(self, shard: Shard, batches: Sequence[ProbeBatch], gate: float,
            threshold: float, progress: Progress | None = None) -> SearchResult: ...


_SHARD: Shard | None = None


def _init(shard: Shard) -> None:
    global _SHARD
    _SHARD = shard


def _search(args: tuple[ProbeBatch, float, float]) -> SearchResult:
    assert _SHARD is not None
    return _SHARD.search(*args)


def split_shard(shard: Shard, parts: int) -> list[Shard]:
    """``parts`` contiguous shards of ``shard``'s records (as equal in size as can be)."""
    cuts = np.linspace(0, len(shard), max(1, parts) + 1).astype(int)
    return [shard.part(int(a), int(b)) for a, b in itertools.pairwise(cuts)]


class LocalEngine:
    """A process pool on this machine's cores (``jobs``; 0 means one per core)."""

    name = "embedded"

    def __init__(self, jobs: int = 0) -> None:
        self.jobs = resolve_jobs(jobs)

    def run(self, shard: Shard, batches: Sequence[ProbeBatch], gate: float,
            threshold: float, progress: Progress | None = None) -> SearchResult:
        total = SearchResult()
        work = [(b, gate, threshold) for b in batches]
        n = sum(len(b) for b in batches)
        done = 0
        if self.jobs == 1 or len(batches) < 2:
            _init(shard)
            results: Any = map(_search, work)
            pool = None
        else:
            pool = ProcessPoolExecutor(self.jobs, initializer=_init, initargs=(shard,))
            results = pool.map(_search, work)
        try:
            for b, r in zip(batches, results, strict=True):
                total.merge(r)
                done += len(b)
                if progress is not None:
                    progress(done, n)
        finally:
            if pool is not None:
                pool.shutdown()
        return total


class RayEngine:
    """Ray actors on the cluster at ``address`` (``None``: a local Ray started here),
    each holding one of ``workers`` shards; ``actor`` is the actor class
    (:class:`ShardActor` or a subclass)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int = 2,
                 actor: type[ShardActor] | None = None,
                 builder: type[ShardBuilder] | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError("the Ray engine needs the province-ray extra "
                              "(pip install 'idcapture[province-ray]')", "no-ray") from None
        self.ray = ray
        self.address = address
        self.workers = max(1, workers)
        self.actor = actor or ShardActor
        self.builder = builder or ShardBuilder

    def _init(self) -> None:
        if not self.ray.is_initialized():
            self.ray.init(address=self.address, log_to_driver=False)

    def search_registry(self, registry: Registry, rids: npt.NDArray[np.int64],
                        id_numbers: list[str], **kw: Any) -> ShardedRun:
        """Code, shard and search the registry's records ``rids`` on the actors
        (:func:`.sharded.run_sharded`, which takes ``kw``)."""
        self._init()
        return run_sharded(self.ray, self.builder, self.workers, registry, rids,
                           id_numbers, **kw)

    def run(self, shard: Shard, batches: Sequence[ProbeBatch], gate: float,
            threshold: float, progress: Progress | None = None) -> SearchResult:
        ray = self.ray
        self._init()
        actor = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(self.actor)
        # the shards stay referenced here for the whole run: an actor restarted after its
        # process died is built again from the same object
        shards = [ray.put(s) for s in split_shard(shard, self.workers)]
        actors = [actor.remote(ref) for ref in shards]
        pending: dict[Any, int] = {}
        batch_refs = [ray.put(b) for b in batches]
        for k, ref in enumerate(batch_refs):
            for a in actors:
                pending[a.search.remote(ref, gate, threshold)] = k
        total = SearchResult()
        left = {k: len(actors) for k in range(len(batches))}
        n = sum(len(b) for b in batches)
        done = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                k = pending.pop(ref)
                total.merge(ray.get(ref))
                left[k] -= 1
                if left[k] == 0:
                    done += len(batches[k])
                    if progress is not None:
                        progress(done, n)
        for a in actors:
            ray.kill(a)
        del shards, batch_refs
        return total


class ShardActor:
    """Holds one shard in a Ray worker process (see :class:`RayEngine`)."""

    def __init__(self, shard: Shard) -> None:
        self.shard = shard

    def search(self, batch: ProbeBatch, gate: float, threshold: float) -> SearchResult:
        return self.shard.search(batch, gate, threshold)



def make_engine(name: str = "embedded", *, jobs: int = 0, address: str | None = None,
                workers: int = 2) -> Engine:
    """The engine called ``name`` (``embedded`` or ``ray``)."""
    if name == "embedded":
        return LocalEngine(jobs)
    if name == "ray":
        return RayEngine(address, workers)
    raise ConfigError(f"unknown engine {name!r} (embedded or ray)", "bad-engine")
