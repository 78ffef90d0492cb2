"""The camera family."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..address import Address
from ..errors import DeviceTimeout
from ..i18n import N_
from .base import Device, DeviceKind
from .polling import Deadline

__all__ = ["Camera", "Frame"]


@dataclass(frozen=True)
class Frame:
    """One camera frame: a BGR ``uint8`` array of shape (height, width, 3).

    ``timestamp`` is :func:`time.monotonic` seconds when the frame was taken;
    ``index`` counts frames since the camera was opened.
    """

    image: np.ndarray
    timestamp: float
    index: int

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class Camera(Device):
    """Base of every camera.

    Drivers implement ``_read_frame(timeout) -> np.ndarray | None`` (``None``: no frame
    within ``timeout``, the seconds left of the caller's deadline; the base polls again
    while time is left; raise :class:`~idcapture.errors.DeviceRemoved` when the camera is
    gone) and may override :meth:`resolution` and :meth:`frame_rate`.
    """

    kind: ClassVar[DeviceKind] = DeviceKind.CAMERA
    default_timeout: ClassVar[float] = 5.0
    poll_interval: ClassVar[float] = 0.002
    timed_primitives: ClassVar[tuple[str, ...]] = ("_read_frame",)

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._frame_index = 0

    def _read_frame(self, timeout: float) -> np.ndarray | None:
        raise NotImplementedError

    @property
    def resolution(self) -> tuple[int, int]:
        """(width, height) of the frames delivered."""
        return (0, 0)

    @property
    def frame_rate(self) -> float:
        """Nominal frames per second (0 when unknown)."""
        return 0.0

    def read_frame(self, timeout: float | None = None) -> Frame:
        """The next frame; :class:`DeviceTimeout` if none arrives within ``timeout``."""
        t = self.timeout if timeout is None else timeout

        def attempt(left: float) -> Frame | None:
            image = self._read_frame(left)
            if image is None:
                return None
            frame = Frame(image, time.monotonic(), self._frame_index)
            self._frame_index += 1
            return frame

        def expired() -> DeviceTimeout:
            return DeviceTimeout(N_("timed out after {seconds} s waiting for a frame from the "
                                    "{driver} camera").format(seconds=f"{t:.1f}",
                                                              driver=self.address.driver),
                                 awaited="camera frame", timeout=t)

        return self._poll("frame read", attempt, Deadline(t), expired)

    def frames(self, count: int | None = None, timeout: float | None = None) -> Iterator[Frame]:
        """Yield frames (``count`` of them, or until the caller stops)."""
        n = 0
        while count is None or n < count:
            yield self.read_frame(timeout)
            n += 1

    async def aread_frame(self, timeout: float | None = None) -> Frame:
        """Coroutine twin of :meth:`read_frame`."""
        return await self._async(self.read_frame, timeout)

    async def aframes(self, count: int | None = None, timeout: float | None = None
                      ) -> AsyncIterator[Frame]:
        """Async twin of :meth:`frames`: ``async for frame in camera.aframes(): ...``,
        each frame read in a worker thread."""
        n = 0
        while count is None or n < count:
            yield await self.aread_frame(timeout)
            n += 1
