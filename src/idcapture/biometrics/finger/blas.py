"""One BLAS thread for the comparator's many small matrix products.

The comparison kernel's products are small (tens of probe cylinders against a few hundred
to a few thousand columns). With the BLAS's own thread pool, every product wakes the pool's
threads, which spin while they wait: on a loaded machine a call of a few candidates then
costs 10-30 times its single-thread CPU time (measured at load 9-12: one probe against 8
prepared templates, 1.5 ms on one thread, 16-49 ms with OpenBLAS's two threads). The first
comparison therefore sets the process's BLAS to one thread and leaves it so (threadpoolctl):
a limit set and restored around each call does not hold in a worker thread, because
OpenBLAS ignores a change of its thread count made from another thread than the one that
made the last (measured: 47 ms per call in the station's kind of device thread, against
1.6 ms in the main thread). Parallelise by processes (:mod:`.compare_parallel`, the
province's workers), not by BLAS threads; an application that wants BLAS threads for its
own large products can raise the count again with threadpoolctl after the first
comparison.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

__all__ = ["limit_blas_to_one_thread", "single_blas_thread"]

_LOCK = threading.Lock()
_DONE = False


def limit_blas_to_one_thread() -> None:
    """Set every loaded BLAS library of the process to one thread (once; later calls
    return at once)."""
    global _DONE
    if _DONE:
        return
    with _LOCK:
        if not _DONE:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=1, user_api="blas")
            _DONE = True


_F = TypeVar("_F", bound=Callable[..., Any])


def single_blas_thread(fn: _F) -> _F:
    """Decorator: the process's BLAS is on one thread when ``fn`` runs."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        limit_blas_to_one_thread()
        return fn(*args, **kwargs)

    return cast(_F, inner)
