"""One progress facility for the long commands.

On a terminal, a bar (tqdm) on standard error; otherwise (a pipe, a CI log) a plain line
at most every :data:`INTERVAL_S` seconds and one at the end, never a carriage return;
nothing at all with ``--json`` or ``--quiet``. A command makes one :class:`Progress`
per phase and passes its :meth:`~Progress.update` (``done, total``) to the library's
``progress=`` callbacks.
"""

from __future__ import annotations

import argparse
import sys
import time
from types import TracebackType
from typing import Any, TextIO

__all__ = ["INTERVAL_S", "Progress", "progress_for"]

#: seconds between two plain progress lines when standard error is not a terminal
INTERVAL_S = 5.0


class Progress:
    """Progress of one phase (``label``) of a command."""

    def __init__(self, label: str, total: int | None = None, *, enabled: bool = True,
                 stream: TextIO | None = None, interval_s: float = INTERVAL_S) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.interval_s = interval_s
        self._bar: Any = None
        self._last = time.monotonic()
        self._closed = False
        self._printed = -1
        if enabled and _is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, file=self.stream, unit="",
                             dynamic_ncols=True, leave=True)

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` finished (absolute counts, as the library reports)."""
        if total is not None:
            self.total = total
        self.done = done
        if not self.enabled or self._closed:
            return
        if self._bar is not None:
            if total is not None and self._bar.total != total:
                self._bar.total = total
            self._bar.n = done
            self._bar.refresh()
            return
        now = time.monotonic()
        finished = self.total is not None and done >= self.total
        if finished or now - self._last >= self.interval_s:
            self._line()
            self._last = now

    def advance(self, step: int = 1) -> None:
        """``step`` more finished."""
        self.update(self.done + step)

    def _line(self) -> None:
        if self._printed == self.done:
            return
        self._printed = self.done
        if self.total:
            text = f"{self.label}: {self.done}/{self.total} ({100 * self.done // self.total}%)"
        else:
            text = f"{self.label}: {self.done}"
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """End the phase (a final plain line when some work was done)."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and self.done:
            self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress_for(args: argparse.Namespace, label: str, total: int | None = None) -> Progress:
    """The progress of a command's phase: off with ``--json`` or ``--quiet``."""
    quiet = bool(getattr(args, "json", False) or getattr(args, "quiet", False))
    return Progress(label, total, enabled=not quiet)
