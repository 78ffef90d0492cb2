"""Finger sources and event scripts shared by every fingerprint simulator.

The AS608 serial simulator, the ZKFinger C simulator and the in-process
``sim:fingerprint`` are fed the same way:

* a **finger source** gives 8-bit greyscale prints at 500 ppi: an image file
  (``file:prints/101_1.tif`` or just the path; PNG, TIFF, BMP...) or a synthetic print
  (``synthetic:seed=5,style=dry``; styles ``good``, ``dry``, ``wet``, ``partial``,
  ``rotated``, ``smudged``; ``impression=N`` gives another impression of the same finger);
* an **event script** is a list of events, as JSON or YAML-free JSON text/file::

      [{"no_finger": 3},
       {"present": "synthetic:seed=5,style=dry"},
       {"present": "synthetic:seed=5", "polls": 2},
       {"lift_mid_capture": true},
       {"same_finger": true},
       {"unplug": true}]

  ``no_finger: N`` - the next N polls find the sensor empty; ``present: SOURCE`` - the
  next poll (``polls``: that many) finds that finger; ``lift_mid_capture`` - a finger is
  seen but lifted before the image is taken; ``same_finger`` - the finger presented last
  is presented again (a new impression of it); ``unplug`` - the device goes away.
  After the last event the sensor shows ``then`` (default: empty).

:class:`FingerFeed` expands a script into polls; each simulator asks :meth:`FingerFeed.poll`
once per capture attempt (GenImg on the AS608, AcquireFingerprint on ZKFinger,
``_try_capture`` in-process) and answers as its device would.
"""

from __future__ import annotations

import collections
import enum
import functools
import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ...errors import ConfigError

__all__ = [
    "STYLES",
    "FileSource",
    "FingerEvent",
    "FingerFeed",
    "FingerSource",
    "Poll",
    "PollKind",
    "SyntheticSource",
    "fit_to_sensor",
    "load_script",
    "parse_script",
    "parse_source",
]

Image = npt.NDArray[np.uint8]
STYLES = ("good", "dry", "wet", "partial", "rotated", "smudged")
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".pgm", ".jpg", ".jpeg")


class FingerSource:
    """Gives prints of one finger. ``impression(n)`` is the n-th placement of it."""

    spec: str = ""

    def impression(self, n: int = 0) -> Image:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


@dataclass(repr=False)
class FileSource(FingerSource):
    """An 8-bit greyscale image file (colour files are converted to grey)."""

    path: Path
    spec: str = ""
    _cache: Image | None = field(default=None, init=False)

    def impression(self, n: int = 0) -> Image:
        if self._cache is None:
            from ...formats.images import ImageError, load_image

            try:
                img = load_image(self.path, "L")
            except ImageError as exc:
                raise ConfigError(f"finger image file {self.path.name!r} cannot be read "
                                  f"({exc.reason})", exc.code) from None
            self._cache = np.ascontiguousarray(img, dtype=np.uint8)
        return np.array(self._cache, dtype=np.uint8)


@functools.lru_cache(maxsize=32)
def _master(seed: int) -> Any:
    from ...synth.fingerprints import generate_master

    return generate_master(seed)


@dataclass(repr=False)
class SyntheticSource(FingerSource):
    """A synthetic finger from :mod:`idcapture.synth.fingerprints`.

    ``seed`` picks the finger (its master print, cached), ``style`` the kind of
    impression; impression ``n`` of one source is a new touch of the same finger, and
    ``first`` shifts the numbering (``impression=N`` in a source spec), so two sources of
    one finger give different touches of it.
    """

    seed: int = 0
    style: str = "good"
    spec: str = ""
    first: int = 0

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ConfigError(f"unknown print style {self.style!r}; expected one of "
                              f"{', '.join(STYLES)}")
        if self.seed < 0:
            raise ConfigError(f"synthetic finger seed must be non-negative, got {self.seed}")
        if not 0 <= self.first < 1000:
            raise ConfigError(f"synthetic impression must be 0-999, got {self.first}")

    def impression(self, n: int = 0) -> Image:
        from ...synth.fingerprints import make_impression

        imp = make_impression(_master(self.seed), seed=self.seed * 1000 + self.first + n,
                              style=self.style)
        return np.ascontiguousarray(imp.image, dtype=np.uint8)


def fit_to_sensor(image: Image, width: int, height: int, source_ppi: int = 500,
                  sensor_ppi: int = 500) -> Image:
    """Scale ``image`` to the sensor's resolution, then centre-crop or pad to its size.

    Padding uses the image's own background (its brightest 5 %).
    """
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ConfigError("a finger image must be 2-D 8-bit greyscale")
    img = image
    if source_ppi != sensor_ppi:
        f = sensor_ppi / source_ppi
        size = (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f)))
        img = np.asarray(cv2.resize(img, size, interpolation=cv2.INTER_AREA if f < 1
                                    else cv2.INTER_LINEAR), dtype=np.uint8)
    from ...devices.finger_algorithm import fit_window

    return fit_window(img, (height, width))


def parse_source(spec: str | os.PathLike[str], base: Path | None = None) -> FingerSource:
    """``synthetic:seed=N,style=S``, ``file:PATH`` or a path to an image file.

    Relative paths are taken from ``base`` (the script's folder) when given.
    """
    text = os.fspath(spec).strip()
    if text.startswith("synthetic"):
        _, _, rest = text.partition(":")
        opts: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in rest.split(","))):
            key, eq, value = part.partition("=")
            if not eq:
                raise ConfigError(f"synthetic finger option {part!r} must be key=value")
            opts[key.strip()] = value.strip()
        unknown = set(opts) - {"seed", "style", "impression"}
        if unknown:
            raise ConfigError(f"unknown synthetic finger option(s): {', '.join(sorted(unknown))}"
                              "; expected seed, style, impression")
        ints: dict[str, int] = {}
        for key in ("seed", "impression"):
            try:
                ints[key] = int(opts.get(key, "0"))
            except ValueError:
                raise ConfigError(f"synthetic finger {key} must be an integer, got "
                                  f"{opts[key]!r}") from None
        return SyntheticSource(ints["seed"], opts.get("style", "good"), text,
                               ints["impression"])
    path_text = text[5:] if text.startswith("file:") else text
    path = Path(path_text).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ConfigError(f"finger source {text!r} is neither synthetic:... nor an image file "
                          f"({', '.join(IMAGE_SUFFIXES)})")
    return FileSource(path, spec=text)


# ----------------------------------------------------------------------------- scripts


class PollKind(str, enum.Enum):
    """What the sensor sees on one capture attempt."""

    NO_FINGER = "no_finger"
    FINGER = "finger"
    LIFTED = "lifted"
    UNPLUGGED = "unplugged"


@dataclass(frozen=True)
class Poll:
    """One capture attempt's view: a kind, and the print for ``FINGER``."""

    kind: PollKind
    image: Image | None = None
    source: str = ""


@dataclass(frozen=True)
class FingerEvent:
    """One parsed script event (see the module docstring)."""

    kind: str
    count: int = 1
    source: FingerSource | None = None


_EVENT_KEYS = ("no_finger", "present", "lift_mid_capture", "same_finger", "unplug")


def parse_script(events: Sequence[Mapping[str, Any]] | Mapping[str, Any],
                 base: Path | None = None) -> tuple[list[FingerEvent], FingerSource | None]:
    """Parse a script: a list of events, or ``{"events": [...], "then": SOURCE}``.

    Returns the events and the finger left on the sensor afterwards (``None``: empty).
    """
    then: FingerSource | None = None
    if isinstance(events, Mapping):
        extra = set(events) - {"events", "then"}
        if extra:
            raise ConfigError(f"finger script has unknown key(s) {', '.join(sorted(extra))}; "
                              "expected events, then")
        if events.get("then"):
            then = parse_source(str(events["then"]), base)
        events = events.get("events", [])
    if not isinstance(events, Sequence) or isinstance(events, (str, bytes)):
        raise ConfigError("a finger script must be a list of events")
    out: list[FingerEvent] = []
    for i, ev in enumerate(events):
        if not isinstance(ev, Mapping):
            raise ConfigError(f"finger script event {i} must be an object like "
                              '{"no_finger": 3}')
        keys = [k for k in ev if k in _EVENT_KEYS]
        extra = set(ev) - set(_EVENT_KEYS) - {"polls"}
        if len(keys) != 1 or extra:
            raise ConfigError(f"finger script event {i} must have exactly one of "
                              f"{', '.join(_EVENT_KEYS)} (and optionally polls)")
        kind = keys[0]
        polls = ev.get("polls", 1)
        if not isinstance(polls, int) or isinstance(polls, bool) or polls < 1:
            raise ConfigError(f"finger script event {i}: polls must be a positive integer")
        value = ev[kind]
        if kind == "no_finger":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"finger script event {i}: no_finger takes a poll count")
            out.append(FingerEvent(kind, value))
        elif kind == "present":
            out.append(FingerEvent(kind, polls, parse_source(str(value), base)))
        elif value is not True:
            raise ConfigError(f"finger script event {i}: {kind} takes true")
        else:
            out.append(FingerEvent(kind, polls if kind == "same_finger" else 1))
    return out, then


def load_script(path: str | os.PathLike[str]) -> tuple[list[FingerEvent], FingerSource | None]:
    """Read a JSON script file (relative image paths are taken from its folder)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"finger script {p.name!r} cannot be read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"finger script {p.name!r} is not valid JSON (line {exc.lineno})"
                          ) from None
    return parse_script(data, p.parent)


class FingerFeed:
    """Thread-safe queue of polls built from a script; see the module docstring."""

    def __init__(self, events: Iterable[FingerEvent] = (), then: FingerSource | None = None,
                 width: int | None = None, height: int | None = None,
                 sensor_ppi: int = 500) -> None:
        self.width, self.height, self.sensor_ppi = width, height, sensor_ppi
        self.then = then
        self._lock = threading.Lock()
        self._pending: collections.deque[tuple[str, FingerSource | None]] = collections.deque()
        self._impressions: dict[int, int] = collections.defaultdict(int)
        self._last: FingerSource | None = None
        #: prints rendered ahead, in the order of the pending polls that show a finger
        self._ready: collections.deque[tuple[FingerSource, Image]] = collections.deque()
        self._then_next: Image | None = None
        self._then_refill: threading.Thread | None = None
        self._prerendered = False
        self.extend(events)

    @classmethod
    def from_spec(cls, script: str | os.PathLike[str] | None = None,
                  source: str | None = None, **sensor: Any) -> FingerFeed:
        """A feed from a script file and/or a source that stays on the sensor afterwards."""
        events: list[FingerEvent] = []
        then = None
        if script:
            events, then = load_script(script)
        if source:
            then = parse_source(source)
        return cls(events, then, **sensor)

    def extend(self, events: Iterable[FingerEvent]) -> None:
        """Append events to the script (polls already made are not replayed)."""
        with self._lock:
            for ev in events:
                if ev.kind == "no_finger":
                    self._pending.extend([("no_finger", None)] * ev.count)
                elif ev.kind == "present":
                    self._pending.extend([("present", ev.source)] * ev.count)
                elif ev.kind == "same_finger":
                    self._pending.extend([("same_finger", None)] * ev.count)
                elif ev.kind == "lift_mid_capture":
                    self._pending.append(("lift", None))
                elif ev.kind == "unplug":
                    self._pending.append(("unplug", None))

    @property
    def remaining(self) -> int:
        """Scripted polls not made yet."""
        with self._lock:
            return len(self._pending)

    def _image(self, source: FingerSource) -> Image:
        n = self._impressions[id(source)]
        self._impressions[id(source)] = n + 1
        img = source.impression(n)
        if self.width and self.height:
            img = fit_to_sensor(img, self.width, self.height, 500, self.sensor_ppi)
        return img

    def render_ahead(self) -> int:
        """Render now every print the pending script will show, and the next ``then`` print.

        A synthetic print takes a fraction of a second to render (seconds on a loaded
        machine); a simulator calls this before it starts answering, so a capture command
        is answered in the time the device itself would take. Later ``then`` prints are
        rendered in the background as each one is used. Returns the prints rendered.
        """
        with self._lock:
            before = len(self._ready)
            last, shown = self._last, 0
            for kind, source in self._pending:
                if kind not in ("present", "same_finger"):
                    continue
                if kind == "same_finger":
                    source = last
                if source is None:
                    break  # poll() reports the script error when it gets there
                if shown >= len(self._ready):
                    self._ready.append((source, self._image(source)))
                last, shown = source, shown + 1
            rendered = len(self._ready) - before
            self._prerendered = True
            if self.then is not None and self._then_next is None:
                self._then_next = self._image(self.then)
                rendered += 1
            return rendered

    def _take_then(self, then: FingerSource) -> Image:
        # called under the lock: the pre-rendered next print (waiting for the background
        # render when one is running), then a new one is started
        refill = self._then_refill
        if self._then_next is None and refill is not None:
            self._lock.release()
            try:
                refill.join()
            finally:
                self._lock.acquire()
        img = self._then_next if self._then_next is not None else self._image(then)
        self._then_next = None
        self._then_refill = threading.Thread(target=self._refill_then, args=(then,),
                                             name="finger-render", daemon=True)
        self._then_refill.start()
        return img

    def _refill_then(self, then: FingerSource) -> None:
        with self._lock:
            if self._then_next is None and self.then is then:
                self._then_next = self._image(then)

    def poll(self) -> Poll:
        """What the sensor sees on this capture attempt (consumes one scripted poll)."""
        with self._lock:
            kind, source = self._pending.popleft() if self._pending else ("then", self.then)
            if kind == "no_finger" or (kind == "then" and source is None):
                return Poll(PollKind.NO_FINGER)
            if kind == "lift":
                return Poll(PollKind.LIFTED)
            if kind == "unplug":
                return Poll(PollKind.UNPLUGGED)
            if kind == "same_finger":
                source = self._last
                if source is None:
                    raise ConfigError("finger script: same_finger before any finger was "
                                      "presented")
            assert source is not None
            if kind == "then":
                img = self._take_then(source) if self._prerendered else self._image(source)
            elif self._ready:
                source, img = self._ready.popleft()
            else:
                img = self._image(source)
            self._last = source
            return Poll(PollKind.FINGER, img, source.spec)

