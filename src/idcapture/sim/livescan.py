"""Driving the compiled ID_FprCap simulator (``native/sim/ID_FprCap.c`` -> ``libID_FprCap.so``).

The simulator implements the ``LIVESCAN_*`` ABI and exports ``LSSim_*`` control
functions that a scanner's library does not have. :class:`LiveScanSimulator` loads the
same library file as the driver (so both see one state) and feeds it an event script
through a :class:`~idcapture.sim.finger.sources.FingerFeed`: every scripted poll becomes
one queued frame of ``LIVESCAN_GetFPRawData``. A scanner has no "finger lifted" signal:
a finger leaving the glass mid-frame is a frame with only its top third of the print.
:func:`write_feed_file` writes the same frames for the ``IDCAPTURE_LSSIM_FEED`` route
(another process, or the CLI).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DriverUnavailable
from ..transports.native import NativeLibrarySpec, load_library

__all__ = ["EMPTY", "FINGER", "HEIGHT", "SIM_CDEF", "UNPLUG", "WIDTH", "LiveScanSimulator",
           "write_feed_file"]

SIM_CDEF = """
int LSSim_Reset(void);
int LSSim_Push(int status, const unsigned char *image);
int LSSim_SetDefault(int status, const unsigned char *image);
int LSSim_Pending(void);
int LSSim_FramesServed(void);
int LSSim_IsInitialised(void);
int LSSim_IsCapturing(void);
int LSSim_Plug(void);
int LSSim_SetInitResult(int rc);
int LSSim_SetUninitCode(int rc);
int LSSim_SetFrameDelay(int ms);
int LSSim_InjectNext(const char *name, int rc);
int LSSim_LoadFeed(const char *path);
"""

FINGER, EMPTY, UNPLUG = 1, 0, 1000
WIDTH, HEIGHT = 256, 360

_SIM_SPEC = NativeLibrarySpec(driver="livescan-sim", cdef=SIM_CDEF,
                              linux_names=("libID_FprCap.so",),
                              windows_names=("ID_FprCap.dll",),
                              env_var="IDCAPTURE_LIVESCAN_LIB")


def _lifted(image: np.ndarray) -> np.ndarray:
    out: np.ndarray = image.copy()
    out[image.shape[0] // 3:] = 0xFA
    return out


def _frames(feed: Any) -> list[tuple[int, bytes]]:
    from .finger.sources import PollKind

    out: list[tuple[int, bytes]] = []
    last: np.ndarray | None = None
    while feed.remaining:
        poll = feed.poll()
        if poll.kind is PollKind.FINGER:
            last = poll.image
            out.append((FINGER, poll.image.tobytes()))
        elif poll.kind is PollKind.LIFTED:
            if last is None:
                from .finger.sources import SyntheticSource, fit_to_sensor

                last = fit_to_sensor(SyntheticSource(0).impression(0), WIDTH, HEIGHT)
            out.append((FINGER, _lifted(last).tobytes()))
        elif poll.kind is PollKind.UNPLUGGED:
            out.append((UNPLUG, b""))
        else:
            out.append((EMPTY, b""))
    return out


class LiveScanSimulator:
    """Control of the loaded C simulator. ``path``: the simulator library file."""

    width, height, dpi = WIDTH, HEIGHT, 500

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.lib = load_library(_SIM_SPEC, path)
        try:
            self.lib.lib.LSSim_Pending  # noqa: B018 - probe for the control API
        except AttributeError:
            raise DriverUnavailable("livescan-sim", f"{self.lib.path} is not the ID_FprCap "
                                    "simulator (no LSSim_* functions)") from None

    def reset(self) -> None:
        """Empty queue, empty glass, plugged in, not initialised, levels 128."""
        self.lib.lib.LSSim_Reset()

    def new_feed(self, events: Any = (), then: Any = None) -> Any:
        """A :class:`FingerFeed` sized for this scanner."""
        from .finger.sources import FingerFeed

        return FingerFeed(events, then, width=WIDTH, height=HEIGHT, sensor_ppi=500)

    def feed(self, feed: Any) -> int:
        """Queue every scripted poll of ``feed``; its ``then`` finger becomes the default."""
        frames = _frames(feed)
        for status, image in frames:
            self._push(status, image)
        if feed.then is not None:
            from .finger.sources import fit_to_sensor

            img = fit_to_sensor(feed.then.impression(0), WIDTH, HEIGHT)
            self._rc(self.lib.lib.LSSim_SetDefault(FINGER, self.lib.ffi.from_buffer(
                img.tobytes())), "default finger")
        return len(frames)

    def script(self, events: Any) -> int:
        """Queue a script (a list of events, or ``{"events": [...], "then": SOURCE}``)."""
        from .finger.sources import parse_script

        evs, then = parse_script(events)
        return self.feed(self.new_feed(evs, then))

    def push_code(self, rc: int) -> None:
        """Queue one frame call that returns ``rc`` (a LIVESCAN return code)."""
        self._push(rc, b"")

    def push_image(self, image: np.ndarray) -> None:
        """Queue one frame showing ``image`` (256 x 360 uint8)."""
        if image.shape != (HEIGHT, WIDTH) or image.dtype != np.uint8:
            raise ConfigError("a LIVESCAN frame is a 360 x 256 uint8 image")
        self._push(FINGER, image.tobytes())

    def plug(self) -> None:
        """Plug the scanner back in after an unplug event."""
        self.lib.lib.LSSim_Plug()

    def set_init_result(self, rc: int) -> None:
        """What LIVESCAN_Init returns from now on (1, or -7 no licence, -4 no device...)."""
        self.lib.lib.LSSim_SetInitResult(rc)

    def set_uninit_code(self, rc: int) -> None:
        """What calls before LIVESCAN_Init return (-5 by default)."""
        self.lib.lib.LSSim_SetUninitCode(rc)

    def set_frame_delay(self, ms: int) -> None:
        """How long each frame takes (a scanner gives one every 100-200 ms)."""
        self._rc(self.lib.lib.LSSim_SetFrameDelay(ms), "frame delay")

    def inject_next(self, function: str, rc: int) -> None:
        """Make the next call of ``function`` (e.g. ``LIVESCAN_BeginCapture``) return ``rc``."""
        self._rc(self.lib.lib.LSSim_InjectNext(function.encode("ascii"), rc), "injection")

    def _push(self, status: int, image: bytes) -> None:
        ffi = self.lib.ffi
        buf = ffi.from_buffer(image) if image else ffi.NULL
        self._rc(self.lib.lib.LSSim_Push(status, buf), "queued frame")

    @property
    def pending(self) -> int:
        return int(self.lib.lib.LSSim_Pending())

    @property
    def frames_served(self) -> int:
        return int(self.lib.lib.LSSim_FramesServed())

    @property
    def initialised(self) -> bool:
        return bool(self.lib.lib.LSSim_IsInitialised())

    @property
    def capturing(self) -> bool:
        return bool(self.lib.lib.LSSim_IsCapturing())

    @staticmethod
    def _rc(rc: int, what: str) -> None:
        if rc != 1:
            raise ConfigError(f"ID_FprCap simulator refused the {what} ({rc})")


def write_feed_file(path: str | os.PathLike[str], feed: Any) -> int:
    """Write ``feed``'s frames for ``IDCAPTURE_LSSIM_FEED``; returns their number."""
    frames = _frames(feed)
    with Path(path).open("wb") as f:
        f.write(b"LSSIMFD1")
        for status, image in frames:
            f.write(struct.pack("<i", status))
            f.write(image)
    return len(frames)
