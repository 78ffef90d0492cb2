"""The driver registry and everything a plugin author imports.

A plugin is a module (usually shipped in its own package) with a function marked
:data:`hookimpl`::

    from idcapture.plugins import DriverRegistry, hookimpl

    @hookimpl
    def idcapture_register_drivers(registry: DriverRegistry) -> None:
        registry.add("id_reader", "acme", "acme_idcapture.reader:AcmeReader",
                     description="ACME desk reader over USB")

and declares it under the entry-point group ``idcapture`` in its ``pyproject.toml``::

    [project.entry-points.idcapture]
    acme = "acme_idcapture.plugin"

The registry stores dotted paths and imports a driver's module only when the driver is
opened or checked, so a missing vendor library costs nothing until then, and then
raises one :class:`~idcapture.errors.DriverUnavailable` naming what is missing.

Environment variables (read when the registry is built):

``IDCAPTURE_BLOCK_PLUGINS``
    comma-separated entry-point names not to load (``*`` blocks every external plugin).
``IDCAPTURE_ALLOW_PLUGINS``
    comma-separated entry-point names; when set, only these external plugins load.
``IDCAPTURE_NO_ENTRY_POINTS``
    ``1`` loads no entry points at all (the test suite sets it).

The built-in drivers (:data:`BUILTIN_DRIVERS`) are always registered.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from .address import Address, parse_address
from .devices.base import Device, DeviceInfo, DeviceKind
from .errors import AddressError, ConfigError, DriverUnavailable
from .i18n import N_

__all__ = [
    "BUILTIN_DRIVERS",
    "ENTRY_POINT_GROUP",
    "PROJECT",
    "DriverEntry",
    "DriverRegistry",
    "HookSpecs",
    "PluginStatus",
    "get_registry",
    "hookimpl",
    "hookspec",
    "reset_registry",
]

PROJECT = "idcapture"
ENTRY_POINT_GROUP = "idcapture"

hookspec = pluggy.HookspecMarker(PROJECT)
#: the marker plugin functions carry
hookimpl = pluggy.HookimplMarker(PROJECT)

log = logging.getLogger("idcapture.plugins")


class HookSpecs:
    """The hooks a plugin may implement."""

    @hookspec
    def idcapture_register_drivers(self, registry: DriverRegistry) -> None:
        """Add driver classes to ``registry`` with :meth:`DriverRegistry.add`.

        When it fires: once, when the registry is first built (on the first
        :func:`idcapture.open`, ``idcapture drivers`` or :func:`get_registry` call).
        Import nothing heavy here: register dotted paths, which are imported on use.
        """


@dataclass
class DriverEntry:
    """One registered driver."""

    kind: DeviceKind
    name: str
    target: str
    plugin: str
    description: str = ""
    _cls: type[Device] | None = field(default=None, repr=False)
    _error: DriverUnavailable | None = field(default=None, repr=False)

    def load(self) -> type[Device]:
        """Import the driver class; :class:`DriverUnavailable` if that fails."""
        if self._cls is not None:
            return self._cls
        if self._error is not None:
            raise self._error
        module_name, _, attr = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
            obj: Any = module
            for part in attr.split(".") if attr else []:
                obj = getattr(obj, part)
        except ImportError as exc:
            missing = getattr(exc, "name", None) or str(exc)
            self._error = DriverUnavailable(
                self.name, f"cannot import {module_name!r} (missing module {missing!r})",
                "import-failed")
            raise self._error from exc
        except OSError as exc:
            self._error = DriverUnavailable(
                self.name, f"cannot load a library needed by {module_name!r}: {exc}",
                "library-missing")
            raise self._error from exc
        except AttributeError:
            self._error = DriverUnavailable(
                self.name, f"{module_name!r} has no attribute {attr!r}", "bad-target")
            raise self._error from None
        except Exception as exc:
            self._error = DriverUnavailable(
                self.name, f"importing {module_name!r} failed: "
                f"{exc.__class__.__name__}: {exc}", "import-failed")
            raise self._error from exc
        if not (isinstance(obj, type) and issubclass(obj, Device)):
            self._error = DriverUnavailable(self.name, f"{self.target!r} is not a Device class",
                                            "bad-target")
            raise self._error
        if obj.kind is not self.kind:
            self._error = DriverUnavailable(
                self.name, f"{self.target!r} is a {obj.kind.value}, registered as "
                f"{self.kind.value}", "bad-target")
            raise self._error
        obj.driver_name = self.name
        self._cls = obj
        return obj

    def availability(self) -> tuple[bool, str]:
        """(available, reason): imports the driver and asks it to check its needs."""
        try:
            cls = self.load()
            cls.check_available()
        except DriverUnavailable as exc:
            return False, exc.reason
        return True, ""

    def options(self) -> list[dict[str, Any]] | None:
        """The driver's declared address options (``None``: it declares none, or its
        module does not import)."""
        try:
            declared = self.load().declared_options()
        except DriverUnavailable:
            return None
        return None if declared is None else [o.as_dict() for o in declared]

    def as_dict(self) -> dict[str, Any]:
        ok, reason = self.availability()
        return {"name": self.name, "kind": self.kind.value, "target": self.target,
                "plugin": self.plugin, "description": self.description, "available": ok,
                "reason": reason, "options": self.options()}


@dataclass
class PluginStatus:
    """An external plugin (entry point) and whether it loaded."""

    name: str
    value: str
    loaded: bool
    reason: str = ""
    distribution: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "loaded": self.loaded,
                "reason": self.reason, "distribution": self.distribution}


#: The drivers shipped with idcapture, as data: (kind, name, "module:Class", description).
#: They are registered by dotted path under the plugin name ``builtin`` and imported only
#: when used; a driver whose module or library cannot load is listed as unavailable with
#: its reason.
BUILTIN_DRIVERS: tuple[tuple[str, str, str, str], ...] = (
    ("id_reader", "sim", "idcapture.sim.sam.driver:SimIdReader",
     "in-process ID-card reader simulator"),
    ("id_reader", "sam-serial", "idcapture.drivers.sam.serial_driver:SamSerialReader",
     "SAM_V ID-card reader on a serial port"),
    ("id_reader", "sam-usb", "idcapture.drivers.sam.usb_driver:SamUsbReader",
     "SAM_V ID-card reader on native USB (pyusb)"),
    ("id_reader", "sdtapi", "idcapture.drivers.cvr.sdtapi:SdtApiReader",
     "ID-card reader through the vendor sdtapi library (cffi)"),
    ("id_reader", "termb", "idcapture.drivers.cvr.termb:TermbReader",
     "ID-card reader through the China Vision termb/CVR library (cffi)"),
    ("id_reader", "pcsc", "idcapture.drivers.emrtd.driver:PcscEmrtdReader",
     "ICAO eMRTD (passport) in a PC/SC reader, BAC + passive authentication (pyscard)"),
    ("camera", "sim", "idcapture.sim.camera.driver:SimCamera",
     "in-process camera simulator"),
    ("camera", "opencv", "idcapture.drivers.opencv.camera:OpenCvCamera",
     "cameras, video files and streams through OpenCV VideoCapture"),
    ("fingerprint_sensor", "sim", "idcapture.sim.finger.driver:SimFingerprintSensor",
     "in-process fingerprint sensor simulator"),
    ("fingerprint_sensor", "as608", "idcapture.drivers.as608.driver:As608Sensor",
     "AS60x serial fingerprint module (AS608, ZFM-20, R30x, R503)"),
    ("fingerprint_sensor", "zkfinger", "idcapture.drivers.zkfinger.driver:ZkFingerSensor",
     "ZKTeco USB fingerprint reader through the ZKFinger SDK (libzkfp)"),
    ("fingerprint_sensor", "livescan", "idcapture.drivers.livescan.driver:LiveScanSensor",
     "ID-card fingerprint scanner through the ID_FprCap (LIVESCAN) library"),
    ("finger_algorithm", "idfpr", "idcapture.drivers.idfpr.driver:IdFprAlgorithm",
     "ID-card fingerprint algorithm through the ID_Fpr (FP_) library, GA/T 1012 templates"),
)


class _BuiltinDrivers:
    """The plugin that registers :data:`BUILTIN_DRIVERS` (always loaded, first)."""

    @hookimpl
    def idcapture_register_drivers(self, registry: DriverRegistry) -> None:
        for kind, name, target, description in BUILTIN_DRIVERS:
            registry.add(kind, name, target, description)


_KIND_OF_TARGET = {"id-reader": DeviceKind.ID_READER, "camera": DeviceKind.CAMERA,
                   "fingerprint": DeviceKind.FINGERPRINT_SENSOR}
#: each device family as a sentence names it
_A_KIND = {DeviceKind.ID_READER: N_("an ID-card reader"), DeviceKind.CAMERA: N_("a camera"),
           DeviceKind.FINGERPRINT_SENSOR: N_("a fingerprint sensor"),
           DeviceKind.FINGER_ALGORITHM: N_("a fingerprint algorithm")}


class DriverRegistry:
    """Drivers by kind and name. Plugins receive one in ``idcapture_register_drivers``."""

    def __init__(self) -> None:
        self._entries: dict[tuple[DeviceKind, str], DriverEntry] = {}
        self.plugins: list[PluginStatus] = []
        self._current_plugin = "builtin"

    def add(self, kind: DeviceKind | str, name: str, target: str | type[Device],
            description: str = "", replace: bool = False) -> DriverEntry:
        """Register a driver class (or the dotted path ``"module:Class"`` of one).

        ``kind`` is ``id_reader``, ``camera`` or ``fingerprint_sensor``. The same name may
        be used once per kind (the ``sim`` driver exists for all three).
        """
        k = kind if isinstance(kind, DeviceKind) else DeviceKind.parse(kind)
        name = name.strip().lower()
        try:
            parse_address(f"{name}:")
        except AddressError:
            raise ConfigError(f"driver name {name!r} is not usable in an address") from None
        if (k, name) in self._entries and not replace:
            other = self._entries[(k, name)]
            raise ConfigError(f"{k.value} driver {name!r} is already registered by plugin "
                              f"{other.plugin!r}")
        if isinstance(target, type):
            path = f"{target.__module__}:{target.__qualname__}"
            entry = DriverEntry(k, name, path, self._current_plugin, description, _cls=target)
            target.driver_name = name
        else:
            if ":" not in target:
                raise ConfigError(f"driver target {target!r} must be 'module:Class'")
            entry = DriverEntry(k, name, target, self._current_plugin, description)
        self._entries[(k, name)] = entry
        return entry

    def entries(self, kind: DeviceKind | str | None = None) -> list[DriverEntry]:
        k = None if kind is None else (kind if isinstance(kind, DeviceKind)
                                       else DeviceKind.parse(kind))
        return sorted((e for e in self._entries.values() if k is None or e.kind is k),
                      key=lambda e: (e.kind.value, e.name))

    def find(self, name: str, kind: DeviceKind | None = None, target: str = "") -> DriverEntry:
        """The driver called ``name``; ``kind`` or the target decides between families."""
        name = name.lower()
        head = target.split("/")[0].split("?")[0].lower()
        named_kind = _KIND_OF_TARGET.get(head)
        if (kind is not None and named_kind is not None and named_kind is not kind
                and (named_kind, name) in self._entries):
            valid = ", ".join(f"{name}:{t}" for t, k in _KIND_OF_TARGET.items()
                              if k is kind and (k, name) in self._entries) or "none"
            raise AddressError(N_("address {address} names {named}, but {wanted} is wanted "
                                  "here (valid: {valid})").format(
                                      address=repr(f"{name}:{target}"),
                                      named=_A_KIND[named_kind], wanted=_A_KIND[kind],
                                      valid=valid))
        matches = [e for e in self._entries.values()
                   if e.name == name and (kind is None or e.kind is kind)]
        if not matches:
            failed = [p for p in self.plugins if not p.loaded]
            if failed:
                problems = "; ".join(f"plugin {p.name!r}: {p.reason}" for p in failed)
                raise DriverUnavailable(name, f"no driver of that name is registered, and "
                                        f"{len(failed)} plugin(s) failed to load ({problems})",
                                        "plugin-failed")
            known = ", ".join(sorted({e.name for e in self.entries(kind)})) or "none"
            what = f"{kind.value} driver" if kind else "driver"
            raise AddressError(f"no {what} called {name!r} is registered (known: {known})")
        if len(matches) > 1:
            by_target = [e for e in matches if _KIND_OF_TARGET.get(head) is e.kind]
            if len(by_target) == 1:
                return by_target[0]
            kinds = ", ".join(sorted(e.kind.value for e in matches))
            raise AddressError(f"driver {name!r} exists for several device kinds ({kinds}); "
                               f"say which, e.g. '{name}:camera', or use open_camera()")
        return matches[0]

    def open(self, address: str | Address, kind: DeviceKind | None = None,
             timeout: float | None = None, **options: object) -> Device:
        """Open the device at ``address`` (see :func:`idcapture.open`)."""
        addr = address if isinstance(address, Address) else parse_address(address, options)
        if isinstance(address, Address) and options:
            addr = Address(addr.driver, addr.target, {**addr.options,
                                                     **{k: str(v) for k, v in options.items()}})
        entry = self.find(addr.driver, kind, addr.target)
        cls = entry.load()
        try:
            cls.check_available()
        except DriverUnavailable:
            # a library or USB backend named in the address is loaded by _open
            if not {"lib", "backend"} & addr.options.keys():
                raise
        device = cls(addr, timeout=timeout)
        try:
            device.open()
        except BaseException:
            device.close()
            raise
        return device

    def discover(self, kind: DeviceKind | None = None, timeout: float = 5.0
                 ) -> tuple[list[DeviceInfo], list[tuple[str, str]]]:
        """Ask every available driver for its devices, in parallel, within ``timeout``.

        Returns the devices found and (driver, problem) pairs for drivers that failed or
        did not answer in time.
        """
        import concurrent.futures as cf
        import time

        results: list[DeviceInfo] = []
        problems: list[tuple[str, str]] = []
        entries = [e for e in self.entries(kind) if e.availability()[0]]
        pool = cf.ThreadPoolExecutor(max_workers=max(len(entries), 1),
                                     thread_name_prefix="idcapture-discover")
        start = time.monotonic()
        futures = {pool.submit(e.load().discover, timeout): e for e in entries}
        try:
            for fut in cf.as_completed(futures, timeout=timeout):
                e = futures[fut]
                try:
                    results.extend(fut.result())
                except Exception as exc:
                    problems.append((f"{e.kind.value}:{e.name}",
                                     f"{exc.__class__.__name__}: {exc}"))
        except cf.TimeoutError:
            for fut, e in futures.items():
                if not fut.done():
                    problems.append((f"{e.kind.value}:{e.name}",
                                     f"no answer within {timeout:.1f} s"))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        log.debug("discovery took %.3f s", time.monotonic() - start)
        return sorted(results, key=lambda d: (d.kind.value, d.driver, d.address)), problems


def _split_env(name: str) -> set[str] | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


def _load_entry_points(pm: pluggy.PluginManager, registry: DriverRegistry) -> None:
    if os.environ.get("IDCAPTURE_NO_ENTRY_POINTS", "").strip() in ("1", "true", "yes"):
        return
    blocked = _split_env("IDCAPTURE_BLOCK_PLUGINS") or set()
    allowed = _split_env("IDCAPTURE_ALLOW_PLUGINS")
    eps: Iterable[importlib.metadata.EntryPoint] = importlib.metadata.entry_points(
        group=ENTRY_POINT_GROUP)
    for ep in sorted(eps, key=lambda e: e.name):
        dist = getattr(getattr(ep, "dist", None), "name", "") or ""
        if "*" in blocked or ep.name in blocked or (allowed is not None
                                                    and ep.name not in allowed):
            log.info("plugin %s blocked by environment", ep.name)
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            module = ep.load()
        except Exception as exc:
            reason = f"cannot import {ep.value!r}: {exc.__class__.__name__}: {exc}"
            _failed(registry, PluginStatus(ep.name, ep.value, False, reason, dist))
            continue
        try:
            pm.register(module, name=ep.name)
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if pm.has_plugin(ep.name):
                pm.unregister(name=ep.name)
            _failed(registry, PluginStatus(ep.name, ep.value, False,
                                           _validation_reason(module, exc), dist))
            continue
        except Exception as exc:
            reason = f"registering {ep.value!r} failed: {exc.__class__.__name__}: {exc}"
            _failed(registry, PluginStatus(ep.name, ep.value, False, reason, dist))
            continue
        registry.plugins.append(PluginStatus(ep.name, ep.value, True, "", dist))


def _failed(registry: DriverRegistry, status: PluginStatus) -> None:
    """Record a plugin that did not load (``idcapture drivers`` shows it, once)."""
    log.info("plugin %s did not load: %s", status.name, status.reason)
    registry.plugins.append(status)


def _validation_reason(module: object, exc: pluggy.PluginValidationError) -> str:
    """Why pluggy refused a plugin, naming the misspelt hook and the real ones."""
    known = sorted(n for n in dir(HookSpecs) if n.startswith(f"{PROJECT}_"))
    unknown = sorted(n for n in dir(module) if n.startswith(f"{PROJECT}_")
                     and n not in known and callable(getattr(module, n)))
    if unknown:
        return (f"unknown hook {', '.join(map(repr, unknown))}; the hooks a plugin may "
                f"implement are {', '.join(map(repr, known))}")
    return f"invalid plugin: {exc}"


_registry: DriverRegistry | None = None
_registry_lock = threading.Lock()


def get_registry(reload: bool = False) -> DriverRegistry:
    """The process-wide registry, built on first use (see the module docstring)."""
    global _registry
    with _registry_lock:
        if _registry is not None and not reload:
            return _registry
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(HookSpecs)
        pm.register(_BuiltinDrivers(), name="builtin")
        registry = DriverRegistry()
        _load_entry_points(pm, registry)
        for impl in pm.hook.idcapture_register_drivers.get_hookimpls():
            registry._current_plugin = impl.plugin_name
            try:
                impl.function(registry=registry)
            except Exception as exc:
                reason = f"registering drivers failed: {exc.__class__.__name__}: {exc}"
                log.info("plugin %s: %s", impl.plugin_name, reason)
                for p in registry.plugins:
                    if p.name == impl.plugin_name:
                        p.loaded, p.reason = False, reason
                if impl.plugin_name == "builtin":
                    raise
        registry._current_plugin = "builtin"
        _registry = registry
        return registry


def reset_registry() -> None:
    """Forget the registry so the next use rebuilds it (after changing the env vars)."""
    global _registry
    with _registry_lock:
        _registry = None
