"""One BLAS thread for the comparator's many small matrix products.

The comparison kernel's products are small (tens of probe cylinders against a few hundred
to a few thousand columns). With the BLAS's own thread pool, every product wakes the pool's
threads, which spin while they wait: on a loaded machine a call of a few candidates then
costs 10-20 times its single-thread CPU time (measured: one probe against 2 prepared
templates, 0.6 ms on one thread, 14 ms with two BLAS threads at load 10). The kernel runs
its products on one thread; callers parallelise by processes (:mod:`.compare_parallel`).
The limit is set and restored around each call (threadpoolctl, ~30 us), so the rest of the
application keeps its own BLAS settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar, cast

__all__ = ["one_blas_thread", "single_blas_thread"]

_LOCK = threading.Lock()
_CONTROLLER: Any = None
_ACTIVE = 0
"""Calls inside :func:`one_blas_thread` now, over all threads of the process."""
_LIMITER: Any = None
"""The limit in force while any call is inside (restored when the last one leaves)."""


def _controller() -> Any:
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the enclosed block with the BLAS limited to one thread. Calls may nest and
    overlap across threads: the first one in sets the limit, the last one out restores
    the setting found before."""
    global _ACTIVE, _LIMITER
    with _LOCK:
        if _ACTIVE == 0:
            _LIMITER = _controller().limit(limits=1, user_api="blas")
        _ACTIVE += 1
    try:
        yield
    finally:
        with _LOCK:
            _ACTIVE -= 1
            if _ACTIVE == 0 and _LIMITER is not None:
                _LIMITER.restore_original_limits()
                _LIMITER = None


_F = TypeVar("_F", bound=Callable[..., Any])


def single_blas_thread(fn: _F) -> _F:
    """Decorator: ``fn`` runs under :func:`one_blas_thread`."""

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with one_blas_thread():
            return fn(*args, **kwargs)

    return cast(_F, inner)
