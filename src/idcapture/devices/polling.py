"""Deadlines and the one poll loop every device family uses.

A public call such as ``read(timeout=t)`` makes one :class:`Deadline` and hands the time
left on it to each primitive it calls (``_detect_card(timeout)``, ``_read_document(timeout)``,
``_read_frame(timeout)``, ``_try_capture(timeout)``), the way python-can passes the
remaining time to ``_recv_internal(timeout)`` and recomputes it after every message.
:func:`poll` repeats one attempt until it gives a result or the deadline passes.

What a primitive does with its ``timeout``: start no new exchange with the device (a
resend, another poll) once it has run out, and let an exchange already under way finish.
A call therefore returns within its timeout plus the time of one exchange. A primitive
called with ``timeout`` 0 still makes its one attempt, so ``timeout=0`` means "poll once".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Deadline", "poll"]

_R = TypeVar("_R")


class Deadline:
    """A moment ``timeout`` seconds after its creation, on :func:`time.monotonic`."""

    __slots__ = ("end", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = float(timeout)
        self.end = time.monotonic() + self.timeout

    def left(self) -> float:
        """Seconds until the deadline (0 once it has passed)."""
        return max(self.end - time.monotonic(), 0.0)

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end

    def __repr__(self) -> str:
        return f"Deadline({self.timeout:g} s, {self.left():.3f} s left)"


def poll(attempt: Callable[[float], _R | None], deadline: Deadline, interval: float,
         expired: Callable[[], BaseException]) -> _R:
    """Call ``attempt(seconds_left)`` until it returns something other than ``None``.

    The first attempt is always made; after an attempt that gave nothing, the loop sleeps
    ``interval`` seconds (never past the deadline) and tries again, or raises
    ``expired()`` when the deadline has passed. Errors raised by ``attempt`` propagate.
    """
    while True:
        result = attempt(deadline.left())
        if result is not None:
            return result
        left = deadline.left()
        if left <= 0:
            raise expired()
        time.sleep(min(max(interval, 0.0), left))
