"""Timing helpers shared by the benchmark scripts (run from benchmarks/, as scripts)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(fn: Callable[[], object], repeat: int,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """Median milliseconds of ``repeat`` calls of ``fn`` on ``clock`` (wall by default;
    pass ``time.process_time`` for the CPU time of this process)."""
    ts = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    return statistics.median(ts) * 1000.0


def cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median CPU milliseconds of ``repeat`` calls of ``fn``."""
    return median_ms(fn, repeat, time.process_time)
