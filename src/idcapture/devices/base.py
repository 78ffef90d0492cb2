"""The base of every device: lifecycle, locking, timeouts, logging and state.

A driver subclasses one of the three family bases (:class:`~idcapture.devices.IdReader`,
:class:`~idcapture.devices.Camera`, :class:`~idcapture.devices.FingerprintSensor`) and
implements the primitives whose names start with ``_`` (``_open``, ``_close`` and the
family's own). The public methods here own the rest:

* **Locking.** Every device has one re-entrant lock. Every public call takes it, so a
  device can be shared between threads; calls are serialised, never interleaved. A call
  that cannot get the lock within its timeout raises :class:`DeviceTimeout` naming the
  lock.
* **Lifecycle.** ``open()`` is called by :func:`idcapture.open`; ``close()`` is
  idempotent; a device is a context manager; a call on a closed device raises
  :class:`DeviceClosed`.
* **State.** :attr:`Device.state` is ``closed``, ``open``, ``removed`` (the device went
  away; the next call tries to reconnect) or ``error``.
* **Deadlines.** A public call makes one :class:`~idcapture.devices.polling.Deadline`
  from its timeout and passes the time left on it to every primitive (and bounds the
  wait for the lock with it); :meth:`Device._poll` is the one poll loop of all
  families. See :mod:`idcapture.devices.polling` for what a primitive does with it.
* **Async.** Every blocking call has an ``a``-prefixed coroutine twin that runs it in a
  worker thread (:func:`asyncio.to_thread`), so an asyncio frontend never blocks its
  loop; ``async with device`` opens and closes it the same way, and
  :func:`idcapture.aopen` and friends open one by address.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import logging
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, TypeVar

from ..address import Address
from ..errors import DeviceClosed, DeviceRemoved, DeviceTimeout, IdCaptureError
from ..i18n import N_
from .options import COMMON_OPTIONS, Option, check_options
from .polling import Deadline, poll

__all__ = ["Device", "DeviceInfo", "DeviceKind", "DeviceState"]

_R = TypeVar("_R")


class DeviceKind(str, enum.Enum):
    """The three device families."""

    ID_READER = "id_reader"
    CAMERA = "camera"
    FINGERPRINT_SENSOR = "fingerprint_sensor"
    #: a vendor's fingerprint algorithm library opened like a device (ID-card FP_ ABI)
    FINGER_ALGORITHM = "finger_algorithm"

    @classmethod
    def parse(cls, value: str) -> DeviceKind:
        key = value.strip().lower().replace("-", "_")
        aliases = {"id_reader": cls.ID_READER, "reader": cls.ID_READER,
                   "camera": cls.CAMERA, "fingerprint_sensor": cls.FINGERPRINT_SENSOR,
                   "fingerprint": cls.FINGERPRINT_SENSOR, "finger": cls.FINGERPRINT_SENSOR,
                   "finger_algorithm": cls.FINGER_ALGORITHM, "algorithm": cls.FINGER_ALGORITHM}
        try:
            return aliases[key]
        except KeyError:
            raise ValueError(f"unknown device kind {value!r}") from None


class DeviceState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    REMOVED = "removed"
    ERROR = "error"


@dataclass(frozen=True)
class DeviceInfo:
    """What discovery and an open device tell about a device.

    ``address`` opens it with :func:`idcapture.open`.
    """

    driver: str
    kind: DeviceKind
    address: str
    description: str = ""
    vendor: str = ""
    model: str = ""
    serial: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"driver": self.driver, "kind": self.kind.value, "address": self.address,
                "description": self.description, "vendor": self.vendor, "model": self.model,
                "serial": self.serial, "extra": dict(self.extra)}


class Device:
    """Base of every device. See the module docstring for what it owns."""

    kind: ClassVar[DeviceKind]
    #: the registry name of the driver, set when it is registered
    driver_name: ClassVar[str] = ""
    #: timeout of a call when the caller gives none (seconds)
    default_timeout: ClassVar[float] = 5.0
    #: seconds between two attempts of a poll (address option ``poll`` overrides it)
    poll_interval: ClassVar[float] = 0.05
    #: the primitives that take the seconds left of the caller's deadline
    timed_primitives: ClassVar[tuple[str, ...]] = ()
    #: the address options this class adds (:mod:`idcapture.devices.options`); ``None``
    #: on every class of a driver means it declares nothing and its address is not checked
    address_options: ClassVar[tuple[Option, ...] | None] = None

    @classmethod
    def declared_options(cls) -> tuple[Option, ...] | None:
        """Every option the driver accepts (its own, its bases', the common ones), or
        ``None`` when the driver declares none."""
        found: dict[str, Option] = {}
        declared = False
        for klass in reversed(cls.__mro__):
            own = klass.__dict__.get("address_options")
            if own is not None:
                declared = True
                found.update((o.name, o) for o in own)
        if not declared:
            return None
        return tuple({**{o.name: o for o in COMMON_OPTIONS}, **found}.values())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.timed_primitives:
            fn = cls.__dict__.get(name)
            if callable(fn) and not _takes_timeout(fn):
                setattr(cls, name, _ignoring_timeout(fn))
                warnings.warn(f"{cls.__qualname__}.{name}() takes no timeout; primitives "
                              f"now receive the seconds left of the caller's deadline "
                              f"({name}(self, timeout)). Until it is updated the driver "
                              "runs with the timeout ignored.", DeprecationWarning,
                              stacklevel=2)

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        if isinstance(address, str):
            from ..address import parse_address

            address = parse_address(address if ":" in address else
                                    f"{self.driver_name or 'device'}:{address}")
        declared = self.declared_options()
        if declared is not None:
            check_options(address.driver, declared, address.options)
        self.address: Address = address
        self.timeout: float = timeout if timeout is not None else address.float_option(
            "timeout", self.default_timeout)
        self._lock = threading.RLock()
        self._state = DeviceState.CLOSED
        self._ever_opened = False
        self._closed_for_good = False
        self.log = logging.getLogger(f"idcapture.device.{address.driver}")

    # ---------------------------------------------------------------- primitives

    def _open(self) -> None:
        """Connect to the device. Raise DeviceNotFound / DriverUnavailable on failure."""

    def _close(self) -> None:
        """Release the device. Called once, with the lock held; must not raise."""

    def _info(self) -> DeviceInfo:
        return DeviceInfo(self.driver_name or self.address.driver, self.kind, str(self.address))

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        """Devices of this driver attached now. Drivers that can enumerate override it."""
        return []

    @classmethod
    def check_available(cls) -> None:
        """Raise :class:`DriverUnavailable` if the driver cannot work on this machine.

        Called by the registry for ``idcapture drivers``; native drivers look for their
        library here.
        """

    # ---------------------------------------------------------------- lifecycle

    @property
    def state(self) -> DeviceState:
        return self._state

    @property
    def info(self) -> DeviceInfo:
        return self._info()

    def open(self) -> Device:
        """Open the device (idempotent while open). Returns ``self``."""
        with self._acquire("open", self.timeout):
            if self._closed_for_good:
                raise DeviceClosed(f"{self.address.driver} device was closed; open a new one")
            if self._state is DeviceState.OPEN:
                return self
            self._open()
            self._state = DeviceState.OPEN
            self._ever_opened = True
            self.log.debug("opened %s", self.address)
        return self

    def close(self) -> None:
        """Close the device. Safe to call more than once, and from any thread."""
        with self._lock:
            if self._closed_for_good:
                return
            self._closed_for_good = True
            if self._ever_opened:
                try:
                    self._close()
                except Exception:  # pragma: no cover - primitives must not raise
                    self.log.exception("error while closing %s", self.address.driver)
            self._state = DeviceState.CLOSED
            self.log.debug("closed %s", self.address.driver)

    @property
    def closed(self) -> bool:
        return self._closed_for_good

    def __enter__(self: _D) -> _D:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    async def __aenter__(self: _D) -> _D:
        await self.aopen()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    def __del__(self) -> None:
        try:
            if not self._closed_for_good and self._ever_opened:
                self.close()
        except Exception:
            pass

    def reconnect(self) -> None:
        """Close the connection and open it again (after the device came back)."""
        with self._acquire("reconnect", self.timeout):
            self._check_usable()
            try:
                self._close()
            except Exception:  # pragma: no cover
                pass
            self._state = DeviceState.CLOSED
            self._open()
            self._state = DeviceState.OPEN
            self.log.info("reconnected %s", self.address.driver)

    # ---------------------------------------------------------------- helpers for subclasses

    def _check_usable(self) -> None:
        if self._closed_for_good:
            raise DeviceClosed(f"{self.address.driver} device is closed")

    @contextmanager
    def _acquire(self, what: str, timeout: float | None) -> Iterator[None]:
        t = self.timeout if timeout is None else timeout
        if not self._lock.acquire(timeout=max(t, 0.0)):
            raise DeviceTimeout(N_("timed out after {seconds} s waiting for the device lock "
                                   "(another thread is using the {driver} device for a call) "
                                   "before {what}").format(seconds=f"{t:.1f}",
                                                           driver=self.address.driver,
                                                           what=what),
                                awaited="device lock", timeout=t)
        try:
            yield
        finally:
            self._lock.release()

    def _call(self, what: str, fn: Callable[[], _R], timeout: float | None = None) -> _R:
        """Run ``fn`` under the lock on an open device, tracking removal.

        If the device was removed earlier, one reconnect is tried first.
        """
        with self._acquire(what, timeout):
            self._check_usable()
            if self._state is DeviceState.CLOSED:
                raise DeviceClosed(f"{self.address.driver} device is not open; call open() "
                                   "or use idcapture.open()")
            if self._state is DeviceState.REMOVED:
                try:
                    self._close()
                except Exception:  # pragma: no cover
                    pass
                try:
                    self._open()
                except IdCaptureError as exc:
                    raise DeviceRemoved(f"{self.address.driver} device is still gone "
                                        f"({exc.code}); reconnect it and try again") from exc
                self._state = DeviceState.OPEN
                self.log.info("device %s is back", self.address.driver)
            try:
                return fn()
            except DeviceRemoved:
                self._state = DeviceState.REMOVED
                self.log.warning("device %s was removed during %s", self.address.driver, what)
                raise

    def _poll(self, what: str, attempt: Callable[[float], _R | None], deadline: Deadline,
              expired: Callable[[], BaseException]) -> _R:
        """The poll loop of every family: ``attempt(seconds_left)`` under the lock until it
        returns something other than ``None``, :attr:`poll_interval` (address option
        ``poll``) apart; ``expired()`` is raised when the deadline passes first. The wait
        for the lock is bounded by the deadline too."""
        interval = self.address.float_option("poll", self.poll_interval)
        return poll(lambda left: self._call(what, lambda: attempt(left), left),
                    deadline, interval, expired)

    async def _async(self, fn: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def aopen(self) -> Device:
        """Coroutine twin of :meth:`open`."""
        return await self._async(self.open)

    async def aclose(self) -> None:
        """Coroutine twin of :meth:`close`."""
        await self._async(self.close)

    async def areconnect(self) -> None:
        """Coroutine twin of :meth:`reconnect`."""
        await self._async(self.reconnect)

    def options(self) -> Mapping[str, str]:
        return dict(self.address.options)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.address.driver} state={self._state.value}>"


_D = TypeVar("_D", bound=Device)


def _takes_timeout(fn: Callable[..., Any]) -> bool:
    """Whether a primitive accepts an argument besides ``self``."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in params)


def _ignoring_timeout(fn: Callable[[Any], _R]) -> Callable[[Any, float], _R]:
    """A primitive written before deadlines were passed down, accepting (and ignoring) one."""

    @functools.wraps(fn)
    def primitive(self: Any, timeout: float) -> _R:
        return fn(self)

    return primitive
