"""Many comparisons on every core: template preparation, all-pairs scores, clusters.

Work is split by probe rows across worker processes (``jobs``; 0 means all cores); each
row is one batched call (:func:`.compare.compare_many`), so there is no per-pair Python
loop. With ``jobs=1`` everything runs in the calling process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import numpy as np

from .compare import PreparedTemplate, gallery_arrays, score_from_raw
from .compare_core import GalleryArrays, raw_scores

__all__ = ["all_pair_raw", "all_pair_scores", "clusters", "clusters_from_pairs",
           "clusters_with_scores", "resolve_jobs", "symmetric_scores"]

Progress = Callable[[int, int], None]


def resolve_jobs(jobs: int) -> int:
    """Worker processes for ``jobs`` (0 or less: one per core)."""
    return max(1, jobs if jobs > 0 else (os.cpu_count() or 1))


_GALLERY: GalleryArrays | None = None
_PROBES: list[PreparedTemplate] = []


def _init(gallery: GalleryArrays, probes: list[PreparedTemplate]) -> None:
    global _GALLERY, _PROBES
    _GALLERY, _PROBES = gallery, probes


def _rows(rows: list[int]) -> list[tuple[int, np.ndarray]]:
    """Raw similarities of each probe row against every gallery row (both directions are
    needed for the symmetric score, so the whole row)."""
    assert _GALLERY is not None
    return [(i, raw_scores(_PROBES[i].arrays, _GALLERY)) for i in rows]


def all_pair_raw(items: Sequence[PreparedTemplate], jobs: int = 0,
                 progress: Progress | None = None) -> np.ndarray:
    """Directed ``(n, n)`` raw similarities: row ``i`` is template ``i`` compared from its
    own side against every template (diagonal included)."""
    n = len(items)
    raw = np.zeros((n, n))
    gallery = gallery_arrays(list(items))
    probes = list(items)
    # small chunks, so that progress moves and the workers share the rows evenly
    workers = resolve_jobs(jobs)
    step = 8 * workers
    chunks = [list(range(s, n, step)) for s in range(step)]
    chunks = [c for c in chunks if c]
    done = 0

    def put(res: list[tuple[int, np.ndarray]]) -> None:
        nonlocal done
        for i, row in res:
            raw[i] = row
        done += len(res)
        if progress:
            progress(done, n)

    if workers == 1 or n < 64:
        _init(gallery, probes)
        for c in chunks:
            put(_rows(c))
    else:
        with ProcessPoolExecutor(workers, initializer=_init,
                                 initargs=(gallery, probes)) as ex:
            for res in ex.map(_rows, chunks):
                put(res)
    return raw


def symmetric_scores(raw: np.ndarray) -> np.ndarray:
    """Calibrated symmetric scores (diagonal 100) from a directed raw matrix: each pair
    gets the score of the mean of its two directions, as :func:`.compare.compare` gives."""
    scores = np.asarray(score_from_raw(0.5 * (raw + raw.T)), dtype=np.float64)
    np.fill_diagonal(scores, 100.0)
    return scores


def all_pair_scores(items: Sequence[PreparedTemplate], jobs: int = 0,
                    progress: Progress | None = None) -> np.ndarray:
    """Symmetric ``(n, n)`` score matrix (diagonal 100) of every template against every other.

    Every template is compared from its own side against all others, and each pair gets
    the calibrated score of the mean of its two directions' raw similarities, as
    :func:`.compare.compare` gives.
    """
    return symmetric_scores(all_pair_raw(items, jobs, progress))


def clusters(scores: np.ndarray, threshold: float) -> list[list[int]]:
    """Groups (connected components, size >= 2) of indices linked by a score >= threshold."""
    ii, jj = np.nonzero(np.triu(scores >= threshold, k=1))
    return clusters_from_pairs(scores.shape[0], zip(ii.tolist(), jj.tolist(), strict=True))


def clusters_with_scores(n: int, links: Sequence[tuple[int, int, float]]
                         ) -> list[tuple[list[int], float]]:
    """Groups of ``range(n)`` joined by ``links`` ``(i, j, score)``, each with the highest
    score of the links inside it."""
    groups = clusters_from_pairs(n, ((i, j) for i, j, _ in links))
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    best = [float("-inf")] * len(groups)
    for i, _, s in links:
        g = group_of[i]
        best[g] = max(best[g], float(s))
    return list(zip(groups, best, strict=True))


def clusters_from_pairs(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Groups (connected components, size >= 2) of ``range(n)`` linked by ``pairs``."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[rj] = ri
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


_In = TypeVar("_In")
_Out = TypeVar("_Out")


def map_in_order(fn: Callable[[_In], _Out], items: Sequence[_In], jobs: int = 0,
                 progress: Progress | None = None, chunksize: int = 1,
                 min_parallel: int = 2) -> list[_Out]:
    """``fn`` of every item, in the items' order, in worker processes (``jobs``; 0 means
    all cores). With one worker, or fewer than ``min_parallel`` items, everything runs in
    the calling process. ``fn`` must be picklable (a module-level function or a
    ``functools.partial`` of one); ``progress(done, total)`` follows the results."""
    n = len(items)
    out: list[_Out] = []
    workers = resolve_jobs(jobs)
    if workers == 1 or n < min_parallel:
        for i, item in enumerate(items):
            out.append(fn(item))
            if progress:
                progress(i + 1, n)
        return out
    with ProcessPoolExecutor(workers) as ex:
        for i, res in enumerate(ex.map(fn, items, chunksize=chunksize)):
            out.append(res)
            if progress:
                progress(i + 1, n)
    return out
