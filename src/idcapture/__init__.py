"""idcapture: hardware abstraction for identity-capture stations.

Open any device from one address string::

    import idcapture

    with idcapture.open_id_reader("sam-serial:/dev/ttyUSB0") as reader:
        document = reader.wait_for_card(timeout=30)

``sim:id-reader``, ``sim:camera`` and ``sim:fingerprint`` open in-process simulators,
so the same code runs without hardware. With no address, the typed helpers read
``IDCAPTURE_ID_READER``, ``IDCAPTURE_CAMERA`` and ``IDCAPTURE_FINGERPRINT_SENSOR``.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import cast

from .address import Address, parse_address
from .devices import (
    Camera,
    Device,
    DeviceInfo,
    DeviceKind,
    FingerImage,
    FingerprintSensor,
    Frame,
    IdReader,
)
from .errors import (
    AddressError,
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    DriverUnavailable,
    IdCaptureError,
    ProtocolError,
    RecordError,
    RetryNeeded,
    RetryOutcome,
    RetryReason,
)
from .record import CaptureRecord, IdentityDocument

__version__ = "0.1.0"

__all__ = [
    "Address",
    "AddressError",
    "Camera",
    "CaptureRecord",
    "Device",
    "DeviceInfo",
    "DeviceKind",
    "DeviceNotFound",
    "DeviceRemoved",
    "DeviceTimeout",
    "DriverUnavailable",
    "FingerImage",
    "FingerprintSensor",
    "Frame",
    "IdCaptureError",
    "IdReader",
    "IdentityDocument",
    "ProtocolError",
    "RecordError",
    "RetryNeeded",
    "RetryOutcome",
    "RetryReason",
    "__version__",
    "aopen",
    "aopen_camera",
    "aopen_fingerprint_sensor",
    "aopen_id_reader",
    "discover",
    "open",
    "open_camera",
    "open_fingerprint_sensor",
    "open_id_reader",
    "parse_address",
    "validate",
]

_ENV = {
    DeviceKind.ID_READER: "IDCAPTURE_ID_READER",
    DeviceKind.CAMERA: "IDCAPTURE_CAMERA",
    DeviceKind.FINGERPRINT_SENSOR: "IDCAPTURE_FINGERPRINT_SENSOR",
}


def _address_for(kind: DeviceKind, address: str | Address | None) -> str | Address:
    if address is not None:
        return address
    env = os.environ.get(_ENV[kind])
    if not env:
        raise AddressError(f"no {kind.value} address given and {_ENV[kind]} is not set")
    return env


def open(
    address: str | Address, *, timeout: float | None = None, **options: object
) -> Device:
    """Open the device at ``address`` (``driver:target?option=value``).

    Keyword ``options`` are added to those in the string. Raises
    :class:`AddressError` for an unknown driver, :class:`DriverUnavailable` when the
    driver cannot load here, :class:`DeviceNotFound` when nothing answers.
    """
    from .plugins import get_registry

    return get_registry().open(address, None, timeout, **options)


def open_id_reader(address: str | Address | None = None, *, timeout: float | None = None,
                   **options: object) -> IdReader:
    """Open an ID reader (``address`` defaults to ``$IDCAPTURE_ID_READER``)."""
    from .plugins import get_registry

    dev = get_registry().open(_address_for(DeviceKind.ID_READER, address),
                              DeviceKind.ID_READER, timeout, **options)
    return cast(IdReader, dev)


def open_camera(address: str | Address | None = None, *, timeout: float | None = None,
                **options: object) -> Camera:
    """Open a camera (``address`` defaults to ``$IDCAPTURE_CAMERA``)."""
    from .plugins import get_registry

    dev = get_registry().open(_address_for(DeviceKind.CAMERA, address), DeviceKind.CAMERA,
                              timeout, **options)
    return cast(Camera, dev)


def open_fingerprint_sensor(address: str | Address | None = None, *,
                            timeout: float | None = None,
                            **options: object) -> FingerprintSensor:
    """Open a fingerprint sensor (``address`` defaults to ``$IDCAPTURE_FINGERPRINT_SENSOR``)."""
    from .plugins import get_registry

    dev = get_registry().open(_address_for(DeviceKind.FINGERPRINT_SENSOR, address),
                              DeviceKind.FINGERPRINT_SENSOR, timeout, **options)
    return cast(FingerprintSensor, dev)


async def aopen(address: str | Address, *, timeout: float | None = None,
                **options: object) -> Device:
    """Coroutine twin of :func:`open` (the device is opened in a worker thread)."""
    return await asyncio.to_thread(functools.partial(open, address, timeout=timeout,
                                                     **options))


async def aopen_id_reader(address: str | Address | None = None, *,
                          timeout: float | None = None, **options: object) -> IdReader:
    """Coroutine twin of :func:`open_id_reader`: ``async with await aopen_id_reader(...)``."""
    return await asyncio.to_thread(functools.partial(open_id_reader, address, timeout=timeout,
                                                     **options))


async def aopen_camera(address: str | Address | None = None, *, timeout: float | None = None,
                       **options: object) -> Camera:
    """Coroutine twin of :func:`open_camera`."""
    return await asyncio.to_thread(functools.partial(open_camera, address, timeout=timeout,
                                                     **options))


async def aopen_fingerprint_sensor(address: str | Address | None = None, *,
                                   timeout: float | None = None,
                                   **options: object) -> FingerprintSensor:
    """Coroutine twin of :func:`open_fingerprint_sensor`."""
    return await asyncio.to_thread(functools.partial(open_fingerprint_sensor, address,
                                                     timeout=timeout, **options))


def validate(record: CaptureRecord) -> None:
    """Check ``record`` in memory as saving and loading it would (schema, fields, every
    referenced blob held with its SHA-256); :class:`RecordError` names the bad field.
    See :func:`idcapture.formats.record_json.validate`."""
    from .formats.record_json import validate as _validate

    _validate(record)


def discover(kind: DeviceKind | None = None, timeout: float = 5.0) -> list[DeviceInfo]:
    """Every device that every available driver can see now, within ``timeout`` overall."""
    from .plugins import get_registry

    found, _problems = get_registry().discover(kind, timeout)
    return found
