"""``sim:fingerprint``: an in-process fingerprint sensor.

By default a finger (a fixed synthetic ridge pattern) is always on the sensor. Present
other images, queue retry outcomes, or take the finger off from Python.
Options: ``finger=none`` starts with nothing on the sensor; ``ppi`` (default 500);
``script=FILE`` (an event script of :mod:`idcapture.sim.finger.sources`) and/or
``source=SPEC`` (the finger left on the sensor afterwards, e.g. ``synthetic:seed=3``) feed
it like the AS608 and ZKFinger simulators, with the same acceptance check as those drivers.
"""

from __future__ import annotations

import collections
import threading
from typing import ClassVar

import numpy as np

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.fingerprint import FingerprintSensor
from ...errors import DeviceRemoved, RetryOutcome, RetryReason
from ...synth.ridges import ridge_pattern

__all__ = ["SimFingerprintSensor"]


class SimFingerprintSensor(FingerprintSensor):
    """A sensor fed from Python: :meth:`present`, :meth:`lift`, :meth:`queue_outcome`."""

    poll_interval: ClassVar[float] = 0.01
    default_timeout: ClassVar[float] = 5.0

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self.resolution_ppi = self.address.int_option("ppi", 500)
        empty = (self.address.option("finger", "") or "").lower() == "none"
        self._finger: np.ndarray | None = None if empty else ridge_pattern()
        self._queue: collections.deque[RetryOutcome | np.ndarray] = collections.deque()
        self._qlock = threading.Lock()
        self._unplugged = False
        self._feed = None
        script, source = self.address.option("script"), self.address.option("source")
        if script or source:
            from .sources import FingerFeed

            self._feed = FingerFeed.from_spec(script, source)

    def present(self, image: np.ndarray) -> None:
        """Put a finger (8-bit greyscale image) on the sensor until :meth:`lift`."""
        if image.dtype != np.uint8 or image.ndim != 2:
            raise ValueError("a finger image must be a 2-D uint8 array")
        with self._qlock:
            self._finger = image

    def lift(self) -> None:
        with self._qlock:
            self._finger = None

    def queue_outcome(self, item: RetryOutcome | np.ndarray) -> None:
        """The next capture attempt returns ``item`` (before the finger on the sensor)."""
        with self._qlock:
            self._queue.append(item)

    def unplug(self, unplugged: bool = True) -> None:
        self._unplugged = unplugged

    def _open(self) -> None:
        if self._unplugged:
            raise DeviceRemoved("simulated sensor is unplugged")

    def _try_capture(self, timeout: float) -> np.ndarray | RetryOutcome:
        if self._unplugged:
            raise DeviceRemoved("simulated sensor was unplugged")
        with self._qlock:
            if self._queue:
                item = self._queue.popleft()
                if isinstance(item, np.ndarray):
                    copy: np.ndarray = item.copy()
                    return copy
                return item
            finger = self._finger
        if self._feed is not None:
            return self._scripted()
        if finger is None:
            return RetryOutcome(RetryReason.NO_FINGER, "no finger on the sensor")
        result: np.ndarray = finger.copy()
        return result

    def _scripted(self) -> np.ndarray | RetryOutcome:
        from ...drivers.finger_acceptance import assess
        from .sources import PollKind

        assert self._feed is not None
        poll = self._feed.poll()
        if poll.kind is PollKind.UNPLUGGED:
            self._unplugged = True
            raise DeviceRemoved("simulated sensor was unplugged")
        if poll.kind is PollKind.LIFTED:
            return RetryOutcome(RetryReason.FINGER_LIFTED, "the finger left the sensor "
                                "during the capture")
        if poll.image is None:
            return RetryOutcome(RetryReason.NO_FINGER, "no finger on the sensor")
        return assess(poll.image) or poll.image

    def _info(self) -> DeviceInfo:
        return DeviceInfo("sim", self.kind, "sim:fingerprint", "in-process fingerprint sensor",
                          vendor="idcapture", model="sim",
                          extra={"resolution_ppi": str(self.resolution_ppi)})

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        return [DeviceInfo("sim", cls.kind, "sim:fingerprint", "in-process fingerprint sensor",
                           vendor="idcapture", model="sim")]
