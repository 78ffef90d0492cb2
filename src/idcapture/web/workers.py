"""Device worker threads that survive any exception.

A :class:`Worker` runs one device loop (the reader's, the sensor's, the camera's or the
portrait analysis) in a daemon thread. If the loop raises anything at all, the worker
logs it masked (:func:`~idcapture.privacy.describe_error`: the class name only for an
exception from another library, since its text may quote the data it failed on, and
where it was raised), reports the fault through ``on_fault`` (the runtime marks the
device ``faulted`` with that reason, shown on the Devices page and in the status API)
and waits. :meth:`Worker.revive` (the operator's Reconnect) runs the loop again from
the start; stopping the station ends a faulted worker too.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from ..privacy import describe_error

__all__ = ["Worker", "fault_reason"]

log = logging.getLogger("idcapture.web.workers")


def fault_reason(exc: BaseException) -> str:
    """What the operator sees: the masked description and where it was raised."""
    tb = exc.__traceback__
    where = ""
    while tb is not None:
        frame = tb.tb_frame.f_code
        where = f"{os.path.basename(frame.co_filename)}:{tb.tb_lineno} in {frame.co_name}"
        tb = tb.tb_next
    return f"{describe_error(exc)}{f' at {where}' if where else ''}"


class Worker:
    """One device loop in a thread that survives its exceptions (module docstring).

    ``loop`` runs until ``stop`` is set and then returns; ``on_fault(reason)`` is called
    when it raised, ``on_revive()`` before it runs again.
    """

    def __init__(self, name: str, loop: Callable[[], None], stop: threading.Event, *,
                 on_fault: Callable[[str], None],
                 on_revive: Callable[[], None] | None = None) -> None:
        self.name = name
        self._loop = loop
        self._stop = stop
        self._on_fault = on_fault
        self._on_revive = on_revive
        self._revived = threading.Event()
        self.fault = ""
        self.faults = 0
        self._thread = threading.Thread(target=self._run, name=f"idcapture-web-{name}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def faulted(self) -> bool:
        return bool(self.fault)

    def revive(self) -> bool:
        """Run a faulted loop again; ``False`` (nothing done) if it is not faulted."""
        if not self.fault:
            return False
        self._revived.set()
        return True

    def _run(self) -> None:
        revived = False
        while not self._stop.is_set():
            try:
                if revived and self._on_revive is not None:
                    self._on_revive()
                self._loop()
                return
            except Exception as exc:
                self.faults += 1
                self.fault = fault_reason(exc)
                log.error("%s worker stopped: %s (Reconnect restarts it)", self.name,
                          self.fault)
                try:
                    self._on_fault(self.fault)
                except Exception as report:
                    log.error("%s fault could not be reported: %s", self.name,
                              describe_error(report))
            while not self._revived.wait(0.2):
                if self._stop.is_set():
                    return
            self._revived.clear()
            self.fault = ""
            revived = True
            log.info("%s worker restarted", self.name)
