"""The fingerprint-sensor family."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import DeviceTimeout, RetryNeeded, RetryOutcome, RetryReason
from ..i18n import N_
from ..record import FingerPosition, utcnow
from .base import Device, DeviceKind
from .events import DeviceEventKind, EventStream
from .polling import Deadline

__all__ = ["FingerImage", "FingerprintSensor"]


@dataclass(frozen=True)
class FingerImage:
    """A captured finger: an 8-bit greyscale image (dark ridges on a light background)."""

    image: np.ndarray
    resolution_ppi: int
    position: FingerPosition
    captured_at: _dt.datetime
    duration_s: float
    device: str = ""
    attempts: int = 1

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class FingerprintSensor(Device):
    """Base of every fingerprint sensor.

    Drivers implement ``_try_capture(timeout) -> np.ndarray | RetryOutcome``: one
    attempt within ``timeout`` (the seconds left of the caller's deadline), returning the
    image, or a retry outcome (``NO_FINGER`` when nothing is on the sensor,
    ``FINGER_LIFTED``, ``TOO_LIGHT``...). Broken devices raise typed errors. They also
    set :attr:`resolution_ppi`.
    """

    kind: ClassVar[DeviceKind] = DeviceKind.FINGERPRINT_SENSOR
    default_timeout: ClassVar[float] = 15.0
    poll_interval: ClassVar[float] = 0.05
    timed_primitives: ClassVar[tuple[str, ...]] = ("_try_capture",)
    resolution_ppi: int = 500

    def _try_capture(self, timeout: float) -> np.ndarray | RetryOutcome:
        raise NotImplementedError

    def try_capture(self, position: FingerPosition = FingerPosition.UNKNOWN
                    ) -> FingerImage | RetryOutcome:
        """One capture attempt (within the device's timeout): the image, or the reason
        to try again."""
        start = time.monotonic()
        result = self._call("finger capture", lambda: self._try_capture(self.timeout))
        if isinstance(result, RetryOutcome):
            return result
        return self._finish(result, position, start, 1)

    def capture(self, position: FingerPosition = FingerPosition.UNKNOWN,
                timeout: float | None = None) -> FingerImage:
        """Wait up to ``timeout`` for a finger and capture it.

        "No finger" outcomes are waited out; any other retry outcome raises
        :class:`RetryNeeded` carrying it, so the operator can be told what to do.
        """
        t = self.timeout if timeout is None else timeout
        start = time.monotonic()
        attempts = 0

        def attempt(left: float) -> np.ndarray | None:
            nonlocal attempts
            attempts += 1
            result = self._try_capture(left)
            if not isinstance(result, RetryOutcome):
                return result
            if result.reason is not RetryReason.NO_FINGER:
                raise RetryNeeded(result)
            return None

        def expired() -> DeviceTimeout:
            return DeviceTimeout(N_("timed out after {seconds} s waiting for a finger on the "
                                    "{driver} sensor").format(seconds=f"{t:.1f}",
                                                              driver=self.address.driver),
                                 awaited="finger placement", timeout=t)

        image = self._poll("finger capture", attempt, Deadline(t), expired)
        return self._finish(image, position, start, attempts)

    def _finish(self, image: np.ndarray, position: FingerPosition, start: float,
                attempts: int) -> FingerImage:
        if image.dtype != np.uint8 or image.ndim != 2:
            raise TypeError("driver returned a finger image that is not 2-D uint8")
        return FingerImage(image, int(self.resolution_ppi), position, utcnow(),
                           time.monotonic() - start, str(self.address.driver), attempts)

    def events(self, interval: float | None = None, duration: float | None = None
               ) -> EventStream:
        """Finger on / off and device removed / back, polled every ``interval`` seconds
        (default :attr:`poll_interval`) for ``duration`` seconds (``None``: until the
        caller stops); ``for`` or ``async for``. Each poll is one capture attempt (the
        driver's own polling): an image or a retry outcome other than "no finger" means
        a finger is on the sensor. See :mod:`idcapture.devices.events`."""

        def finger_on() -> bool:
            result = self._call("finger events", lambda: self._try_capture(0.0))
            return not (isinstance(result, RetryOutcome)
                        and result.reason is RetryReason.NO_FINGER)

        step = self.address.float_option("poll", self.poll_interval)
        return EventStream(str(self.address.driver), finger_on, DeviceEventKind.FINGER_ON,
                           DeviceEventKind.FINGER_OFF, step if interval is None else interval,
                           duration, lambda: self.closed)

    async def atry_capture(self, position: FingerPosition = FingerPosition.UNKNOWN
                           ) -> FingerImage | RetryOutcome:
        """Coroutine twin of :meth:`try_capture`."""
        return await self._async(self.try_capture, position)

    async def acapture(self, position: FingerPosition = FingerPosition.UNKNOWN,
                       timeout: float | None = None) -> FingerImage:
        """Coroutine twin of :meth:`capture`."""
        return await self._async(self.capture, position, timeout)
