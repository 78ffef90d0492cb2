"""Push-style device events over the drivers' own polling.

``reader.events()`` and ``sensor.events()`` return an :class:`EventStream`, iterable
both ways::

    for event in reader.events(duration=60):          # a thread of its own
        print(event.kind)                              # card-placed, card-removed...

    async for event in reader.events():               # asyncio: polls in a worker thread
        ...

Each poll is one call of the driver's presence primitive (``_detect_card`` for a
reader; one ``_try_capture`` attempt for a sensor), under the device lock like any
other call, :attr:`EventStream.interval` seconds apart. When the device goes away the
stream says ``device-removed`` once and keeps polling (each poll tries to reconnect);
``device-back`` follows when it answers again, so a monitor never dies silently after
an unplug. The stream ends after ``duration`` seconds (``None``: when the caller stops
iterating); closing the device ends it too.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

from ..errors import DeviceClosed, DeviceRemoved

__all__ = ["DeviceEvent", "DeviceEventKind", "EventStream"]


class DeviceEventKind(str, enum.Enum):
    """What changed."""

    CARD_PLACED = "card-placed"
    CARD_REMOVED = "card-removed"
    FINGER_ON = "finger-on"
    FINGER_OFF = "finger-off"
    DEVICE_REMOVED = "device-removed"
    DEVICE_BACK = "device-back"


@dataclass(frozen=True)
class DeviceEvent:
    """One change seen by a poll: ``timestamp`` is :func:`time.monotonic` seconds;
    ``device`` the driver name; ``detail`` a short explanation (never personal data)."""

    kind: DeviceEventKind
    device: str
    timestamp: float
    detail: str = ""


class EventStream:
    """The events of one device: iterate it with ``for`` or ``async for``.

    ``present()`` is one poll: ``True``/``False`` for the thing watched (card, finger),
    raising :class:`~idcapture.errors.DeviceRemoved` while the device is gone.
    """

    def __init__(self, device: str, present: Callable[[], bool], on: DeviceEventKind,
                 off: DeviceEventKind, interval: float, duration: float | None,
                 closed: Callable[[], bool], quiet_off: Callable[[], bool] | None = None
                 ) -> None:
        self.device = device
        self.interval = max(float(interval), 0.0)
        self.duration = duration
        self._present = present
        self._on, self._off = on, off
        self._closed = closed
        self._quiet_off = quiet_off
        self._was: bool | None = None
        self._gone = False

    def _event(self, kind: DeviceEventKind, detail: str = "") -> DeviceEvent:
        return DeviceEvent(kind, self.device, time.monotonic(), detail)

    def poll(self) -> list[DeviceEvent]:
        """One poll: the events it shows (empty when nothing changed). The first poll
        reports what is already there (a card on the reader gives ``card-placed``)."""
        quiet = self._quiet_off() if self._quiet_off is not None else False
        try:
            now = self._present()
        except DeviceClosed:
            return []  # closed while polling: the iteration ends at its next check
        except DeviceRemoved as exc:
            if self._gone:
                return []
            self._gone = True
            return [self._event(DeviceEventKind.DEVICE_REMOVED, exc.code or "")]
        out = []
        if self._gone:
            self._gone = False
            out.append(self._event(DeviceEventKind.DEVICE_BACK))
        if now and self._was is not True:
            out.append(self._event(self._on))
        elif not now and self._was is True and not quiet:
            out.append(self._event(self._off))
        self._was = now
        return out

    def _running(self, end: float | None) -> bool:
        return not self._closed() and (end is None or time.monotonic() < end)

    def __iter__(self) -> Iterator[DeviceEvent]:
        end = None if self.duration is None else time.monotonic() + self.duration
        while self._running(end):
            yield from self.poll()
            time.sleep(self.interval if end is None
                       else min(self.interval, max(end - time.monotonic(), 0.0)))

    async def _aiter(self) -> AsyncIterator[DeviceEvent]:
        end = None if self.duration is None else time.monotonic() + self.duration
        while self._running(end):
            for event in await asyncio.to_thread(self.poll):
                yield event
            await asyncio.sleep(self.interval if end is None
                                else min(self.interval, max(end - time.monotonic(), 0.0)))

    def __aiter__(self) -> AsyncIterator[DeviceEvent]:
        return self._aiter()
