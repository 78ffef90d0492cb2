"""Finding and loading vendor C libraries through cffi (ABI mode), on Linux and Windows.

A driver describes its SDK once with a :class:`NativeLibrarySpec`: the C declarations
(a header under ``native/include`` shipped as package data, or a string), the file
names on each OS, and the environment variable that overrides the path. Loading
searches, in order:

1. the explicit ``path`` passed by the caller (an address option such as
   ``?lib=/opt/vendor/libsdtapi.so``),
2. the environment variable (``IDCAPTURE_SDTAPI_LIB`` ...), a file or a folder,
3. the folders in ``IDCAPTURE_NATIVE_PATH`` (``os.pathsep``-separated),
4. the usual places: next to the executable and the working folder on Windows,
   the folders under ``/opt`` named after the driver or the library (``/opt/zkfinger``
   and its ``lib`` for ``libzkfp.so``'s driver ``zkfinger``), ``/usr/local/lib``,
   ``/usr/lib``, ``/usr/lib/<multiarch>`` on Linux,
   then the system loader's own search (``ctypes.util.find_library``).

A library that is not found raises :class:`DriverUnavailable` naming every file tried;
one that is found but fails to load names the file and the loader's message. On 32-bit
Windows the declarations are read with ``__stdcall`` as the default convention.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import platform
import struct
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DriverUnavailable

__all__ = ["NativeLibrary", "NativeLibrarySpec", "candidate_paths", "load_library"]


@dataclass(frozen=True)
class NativeLibrarySpec:
    """How to find and declare one vendor library."""

    #: the driver this library serves (used in error messages)
    driver: str
    #: C declarations for cffi
    cdef: str
    #: file names to look for on Linux (``libsdtapi.so``) and on Windows (``sdtapi.dll``)
    linux_names: tuple[str, ...]
    windows_names: tuple[str, ...]
    #: environment variable naming the library file (or its folder)
    env_var: str
    #: extra folders to search
    extra_dirs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def names(self) -> tuple[str, ...]:
        return self.windows_names if sys.platform == "win32" else self.linux_names


@dataclass
class NativeLibrary:
    """A loaded library: ``ffi`` for types and buffers, ``lib`` for the functions."""

    spec: NativeLibrarySpec
    path: str
    ffi: Any
    lib: Any
    #: calls into one library are serialised (vendor SDKs are rarely thread-safe)
    lock: threading.RLock = field(default_factory=threading.RLock)


def _system_dirs() -> list[str]:
    if sys.platform == "win32":
        dirs = [os.path.dirname(sys.executable), os.getcwd()]
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        dirs.append(os.path.join(system_root, "SysWOW64" if struct.calcsize("P") == 4
                                 and platform.machine().endswith("64") else "System32"))
        return dirs
    machine = platform.machine()
    multiarch = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu",
                 "armv7l": "arm-linux-gnueabihf", "i686": "i386-linux-gnu"}.get(machine, "")
    dirs = ["/usr/local/lib", "/usr/lib"]
    if multiarch:
        dirs += [f"/usr/local/lib/{multiarch}", f"/usr/lib/{multiarch}"]
    return dirs


def _stems(spec: NativeLibrarySpec) -> set[str]:
    """``zkfinger``, ``zkfp``...: the words a vendor folder of this library is named by."""
    stems = {spec.driver.lower()}
    for name in spec.linux_names + spec.windows_names:
        stem = name.lower().split(".")[0]
        stems.add(stem[3:] if stem.startswith("lib") else stem)
    return {s for s in stems if len(s) >= 3}


def _vendor_dirs(spec: NativeLibrarySpec, root: str = "/opt") -> list[str]:
    """Folders under ``/opt`` named after this library (``/opt/zkfinger``, its ``lib``)."""
    if sys.platform == "win32":
        return []
    stems = _stems(spec)
    out: list[str] = []
    for d in sorted(glob.glob(os.path.join(root, "*"))):
        if os.path.isdir(d) and any(s in os.path.basename(d).lower() for s in stems):
            out += [os.path.join(d, "lib"), d]
    return out


def candidate_paths(spec: NativeLibrarySpec, path: str | os.PathLike[str] | None = None
                    ) -> list[str]:
    """Every file path that :func:`load_library` would try, in order."""
    out: list[str] = []

    def add_location(loc: str) -> None:
        p = Path(loc).expanduser()
        if p.is_dir():
            out.extend(str(p / n) for n in spec.names)
        else:
            out.append(str(p))

    if path:
        add_location(os.fspath(path))
    env = os.environ.get(spec.env_var)
    if env:
        add_location(env)
    for d in os.environ.get("IDCAPTURE_NATIVE_PATH", "").split(os.pathsep):
        if d.strip():
            out.extend(str(Path(d) / n) for n in spec.names)
    for d in list(spec.extra_dirs) + _vendor_dirs(spec) + _system_dirs():
        out.extend(str(Path(d) / n) for n in spec.names)
    seen: set[str] = set()
    return [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


_cache: dict[tuple[str, str], NativeLibrary] = {}
_cache_lock = threading.Lock()


def load_library(spec: NativeLibrarySpec, path: str | os.PathLike[str] | None = None
                 ) -> NativeLibrary:
    """Find and load the library of ``spec`` (cached per file); see the module docstring."""
    try:
        import cffi
    except ImportError as exc:  # pragma: no cover - cffi is a dependency
        raise DriverUnavailable(spec.driver, "the cffi package is not installed") from exc
    tried = candidate_paths(spec, path)
    found = next((p for p in tried if os.path.isfile(p)), None)
    if found is None:
        for name in spec.names:
            stem = name[3:] if name.startswith("lib") else name
            stem = stem.split(".")[0]
            sys_path = ctypes.util.find_library(stem)
            if sys_path:
                found = sys_path
                break
    if found is None:
        shown = ", ".join(tried[:6]) + (f" and {len(tried) - 6} more" if len(tried) > 6 else "")
        raise DriverUnavailable(
            spec.driver, f"native library {' or '.join(spec.names)} not found (set "
            f"{spec.env_var} to its path; tried {shown})", "library-missing")
    key = (spec.driver, os.path.abspath(found) if os.path.exists(found) else found)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        ffi = cffi.FFI()
        cdef = spec.cdef
        if sys.platform == "win32" and struct.calcsize("P") == 4:
            cdef = cdef.replace("WINAPI", "__stdcall")
        else:
            cdef = cdef.replace("WINAPI", "")
        ffi.cdef(cdef)
        try:
            lib = ffi.dlopen(found)
        except OSError as exc:
            raise DriverUnavailable(spec.driver, f"native library {found} could not be "
                                    f"loaded: {exc}", "library-load-failed") from exc
        loaded = NativeLibrary(spec, found, ffi, lib)
        _cache[key] = loaded
        return loaded
