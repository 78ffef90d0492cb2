"""Driving the compiled ZKFinger simulator (``native/sim/zkfp.c`` -> ``libzkfp.so``).

The simulator implements the SDK's ABI and exports ``ZKSim_*`` control functions that a
real SDK does not have. :class:`ZkSimulator` loads the same library file as the driver
(so both see one state), and feeds it an event script through a
:class:`~idcapture.sim.finger.sources.FingerFeed`: every scripted poll becomes one queued
answer of ``ZKFPM_AcquireFingerprint``. :func:`write_feed_file` writes the same polls to
a file for the ``IDCAPTURE_ZKSIM_FEED`` route (another process, or the CLI).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

from ...errors import ConfigError, DriverUnavailable
from ...transports.native import NativeLibrarySpec, load_library

__all__ = ["LIFTED", "NO_FINGER", "SIM_CDEF", "UNPLUG", "ZkSimulator", "write_feed_file"]

SIM_CDEF = """
int ZKSim_Reset(void);
int ZKSim_SetDeviceCount(int count);
int ZKSim_Push(int status, int width, int height, const unsigned char *image);
int ZKSim_SetDefault(int status, int width, int height, const unsigned char *image);
int ZKSim_Pending(void);
int ZKSim_Acquisitions(void);
void ZKSim_SensorSize(int *width, int *height, int *dpi);
int ZKSim_LoadFeed(const char *path);
"""

NO_FINGER = -8
LIFTED = -18
UNPLUG = 1000

_SIM_SPEC = NativeLibrarySpec(driver="zkfinger-sim", cdef=SIM_CDEF,
                              linux_names=("libzkfp.so",), windows_names=("libzkfp.dll",),
                              env_var="IDCAPTURE_ZKFP_LIB")


def _polls(feed: Any) -> list[tuple[int, bytes]]:
    from ..finger.sources import PollKind

    out: list[tuple[int, bytes]] = []
    while feed.remaining:
        poll = feed.poll()
        if poll.kind is PollKind.FINGER:
            out.append((0, poll.image.tobytes()))
        elif poll.kind is PollKind.LIFTED:
            out.append((LIFTED, b""))
        elif poll.kind is PollKind.UNPLUGGED:
            out.append((UNPLUG, b""))
        else:
            out.append((NO_FINGER, b""))
    return out


class ZkSimulator:
    """Control of the loaded C simulator. ``path``: the simulator library file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.lib = load_library(_SIM_SPEC, path)
        try:
            self.lib.lib.ZKSim_Pending  # noqa: B018 - probe for the control API
        except AttributeError:
            raise DriverUnavailable("zkfinger-sim", f"{self.lib.path} is not the ZKFinger "
                                    "simulator (no ZKSim_* functions)") from None
        w, h, d = (self.lib.ffi.new("int *") for _ in range(3))
        self.lib.lib.ZKSim_SensorSize(w, h, d)
        self.width, self.height, self.dpi = int(w[0]), int(h[0]), int(d[0])

    def reset(self) -> None:
        """Empty the queue, one device attached, no finger."""
        self.lib.lib.ZKSim_Reset()

    def set_device_count(self, count: int) -> None:
        self._rc(self.lib.lib.ZKSim_SetDeviceCount(count), "device count")

    def feed(self, feed: Any) -> int:
        """Queue every scripted poll of ``feed`` and make its ``then`` finger the default."""
        n = 0
        for status, image in _polls(feed):
            self._push(status, image)
            n += 1
        if feed.then is not None:
            img = feed.then.impression(0)
            from ..finger.sources import fit_to_sensor

            img = fit_to_sensor(img, self.width, self.height, 500, self.dpi)
            self._rc(self.lib.lib.ZKSim_SetDefault(0, self.width, self.height, img.tobytes()),
                     "default finger")
        return n

    def new_feed(self, events: Any = (), then: Any = None) -> Any:
        """A :class:`FingerFeed` sized for this sensor."""
        from ..finger.sources import FingerFeed

        return FingerFeed(events, then, width=self.width, height=self.height,
                          sensor_ppi=self.dpi)

    def _push(self, status: int, image: bytes) -> None:
        ffi = self.lib.ffi
        buf = ffi.from_buffer(image) if image else ffi.NULL
        self._rc(self.lib.lib.ZKSim_Push(status, self.width, self.height, buf), "queued poll")

    @property
    def pending(self) -> int:
        return int(self.lib.lib.ZKSim_Pending())

    @property
    def acquisitions(self) -> int:
        return int(self.lib.lib.ZKSim_Acquisitions())

    @staticmethod
    def _rc(rc: int, what: str) -> None:
        if rc != 0:
            raise ConfigError(f"ZKFinger simulator refused the {what} ({rc})")


def write_feed_file(path: str | os.PathLike[str], feed: Any) -> int:
    """Write ``feed``'s scripted polls for ``IDCAPTURE_ZKSIM_FEED``; returns their number.

    The feed must be sized for the simulator's 300 x 400 sensor.
    """
    polls = _polls(feed)
    with Path(path).open("wb") as f:
        f.write(b"ZKSIMFD1")
        for status, image in polls:
            w, h = (feed.width, feed.height) if status == 0 else (0, 0)
            f.write(struct.pack("<iii", status, w, h))
            f.write(image)
    return len(polls)
