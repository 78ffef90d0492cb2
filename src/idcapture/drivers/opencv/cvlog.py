"""OpenCV's own log lines (``[ WARN:0@0.48] global cap_v4l.cpp:915 ...``) through logging.

OpenCV writes its messages straight to the process's standard error from C++; the
Python bindings offer no callback. :func:`opencv_log_routed` runs a block with file
descriptor 2 pointed at a temporary file, then hands each OpenCV line to the
``idcapture.opencv`` logger (OpenCV's warnings and errors at INFO, since the driver
reports the failure itself as a typed error; its info and debug lines at DEBUG) and
writes any other captured text back to standard error unchanged.

:func:`quiet_opencv` lowers OpenCV's own level to errors only, for the command line, so
that calls outside a routed block do not print warnings between the command's lines.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["LOGGER_NAME", "opencv_log_routed", "quiet_opencv", "route_lines"]

LOGGER_NAME = "idcapture.opencv"
log = logging.getLogger(LOGGER_NAME)

_LINE = re.compile(r"^\[\s*(?P<level>VERBOSE|DEBUG|INFO|WARN|ERROR|FATAL)[^\]]*\]\s*(?P<text>.*)$")
_LEVELS = {"VERBOSE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.DEBUG,
           "WARN": logging.INFO, "ERROR": logging.INFO, "FATAL": logging.ERROR}
_lock = threading.Lock()


def route_lines(text: str) -> str:
    """Log every OpenCV line of ``text``; return the other lines (to show as they were)."""
    rest: list[str] = []
    for line in text.splitlines(keepends=True):
        m = _LINE.match(line.rstrip("\r\n"))
        if m:
            log.log(_LEVELS[m["level"]], "%s", m["text"])
        else:
            rest.append(line)
    return "".join(rest)


def _cv2() -> Any:
    try:
        import cv2
    except ImportError:  # pragma: no cover - opencv is a dependency
        return None
    return cv2


@contextmanager
def opencv_log_routed() -> Iterator[None]:
    """Run the block with OpenCV's messages going to the ``idcapture.opencv`` logger.

    Process-wide (standard error is one file descriptor), so blocks are serialised; text
    that another thread writes to standard error meanwhile is written back afterwards.
    """
    with _lock:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no standard error to redirect
            yield
            return
        with tempfile.TemporaryFile() as sink:
            cv2 = _cv2()
            old_level = cv2.utils.logging.getLogLevel() if cv2 is not None else None
            if cv2 is not None and old_level < cv2.utils.logging.LOG_LEVEL_WARNING:
                cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_WARNING)
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                try:
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass
                os.dup2(saved, 2)
                os.close(saved)
                if cv2 is not None:
                    cv2.utils.logging.setLogLevel(old_level)
                sink.seek(0)
                rest = route_lines(sink.read().decode("utf-8", "replace"))
                if rest:
                    sys.stderr.write(rest)


def quiet_opencv(verbose: int = 0) -> None:
    """Let OpenCV print its own errors only (its info lines too with ``verbose`` >= 2).

    Before OpenCV is imported this sets ``OPENCV_LOG_LEVEL`` (unless the environment
    already does), so the command line does not import OpenCV just to quieten it.
    """
    name = "INFO" if verbose >= 2 else "ERROR"
    cv2 = sys.modules.get("cv2")
    if cv2 is None:
        os.environ.setdefault("OPENCV_LOG_LEVEL", name)
        return
    cv2.utils.logging.setLogLevel(getattr(cv2.utils.logging, f"LOG_LEVEL_{name}"))
