"""``sim:fingerprint``: an in-process fingerprint sensor.

By default synthetic fingers are on the sensor: a different finger for each position
asked for (:class:`~idcapture.record.FingerPosition`) and a fresh impression of it on
each capture, so quality gating, template extraction and duplicate checks have real
ridges to work on. Present a fixed image, queue retry outcomes, or take the finger off
from Python. Options: ``finger=none`` starts with nothing on the sensor; ``seed`` (default
1) picks another set of synthetic fingers; ``ppi`` (default 500);
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
from ...devices.fingerprint import FingerImage, FingerprintSensor
from ...devices.options import Option
from ...errors import AddressError, DeviceRemoved, RetryOutcome, RetryReason
from ...record import FingerPosition
from .sources import SyntheticSource

__all__ = ["SimFingerprintSensor"]


class SimFingerprintSensor(FingerprintSensor):
    """A sensor fed from Python: :meth:`present`, :meth:`lift`, :meth:`queue_outcome`."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("finger", "str", "synthetic", "what is on the sensor at first: synthetic "
               "fingers (a different one per position, a fresh impression per capture) "
               "or none", choices=("synthetic", "none")),
        Option("seed", "int", 1, "first synthetic finger of the default source"),
        Option("ppi", "int", 500, "resolution reported for the images"),
        Option("script", "str", None, "event script file (see idcapture.sim.finger.sources)"),
        Option("source", "str", None, "finger left on the sensor, e.g. synthetic:seed=3"),
    )

    poll_interval: ClassVar[float] = 0.01
    default_timeout: ClassVar[float] = 5.0

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self.resolution_ppi = self.address.int_option("ppi", 500)
        empty = (self.address.option("finger", "") or "").lower() == "none"
        self._finger: np.ndarray | None = None
        self._synthetic = not empty
        self._seed = self.address.int_option("seed", 1)
        if self._seed < 0:
            raise AddressError(f"option 'seed' of 'sim' must be non-negative, got {self._seed}")
        self._touches: collections.Counter[int] = collections.Counter()
        self._position = FingerPosition.UNKNOWN
        self._queue: collections.deque[RetryOutcome | np.ndarray] = collections.deque()
        self._qlock = threading.Lock()
        self._unplugged = False
        self._feed = None
        script, source = self.address.option("script"), self.address.option("source")
        if script or source:
            from .sources import FingerFeed

            self._feed = FingerFeed.from_spec(script, source)

    def present(self, image: np.ndarray | None = None) -> None:
        """Put a finger (8-bit greyscale image) on the sensor until :meth:`lift`; with no
        image, the default synthetic fingers again."""
        if image is not None and (image.dtype != np.uint8 or image.ndim != 2):
            raise ValueError("a finger image must be a 2-D uint8 array")
        with self._qlock:
            self._finger = image
            self._synthetic = image is None

    def lift(self) -> None:
        with self._qlock:
            self._finger = None
            self._synthetic = False

    def synthetic_seed(self, position: FingerPosition) -> int:
        """The synthetic finger (its :func:`~idcapture.synth.fingerprints.generate_master`
        seed) presented for ``position`` by default."""
        return self._seed * 11 + int(position)

    def try_capture(self, position: FingerPosition = FingerPosition.UNKNOWN
                    ) -> FingerImage | RetryOutcome:
        self._position = position
        return super().try_capture(position)

    def capture(self, position: FingerPosition = FingerPosition.UNKNOWN,
                timeout: float | None = None) -> FingerImage:
        self._position = position
        return super().capture(position, timeout)

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
            finger, synthetic = self._finger, self._synthetic
            if synthetic and self._feed is None:
                position = int(self._position)
                touch = self._touches[position]
                self._touches[position] += 1
        if self._feed is not None:
            return self._scripted()
        if synthetic:
            source = SyntheticSource(seed=self.synthetic_seed(FingerPosition(position)))
            return source.impression(touch % 1000)
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
