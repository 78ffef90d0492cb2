"""The pytest plugin shipped with idcapture (entry point ``pytest11``).

Fixtures:

``idcapture_registry``
    a freshly built driver registry that loads entry-point plugins (so a vendor's
    installed driver package is seen), whatever ``IDCAPTURE_NO_ENTRY_POINTS`` says.
``idcapture_open``
    a function ``open(address, **options)`` that opens a device through that registry
    and closes it when the test ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from ..devices.base import Device
from ..plugins import DriverRegistry, get_registry, reset_registry


@pytest.fixture
def idcapture_registry() -> Iterator[DriverRegistry]:
    saved = os.environ.pop("IDCAPTURE_NO_ENTRY_POINTS", None)
    reset_registry()
    try:
        yield get_registry()
    finally:
        if saved is not None:
            os.environ["IDCAPTURE_NO_ENTRY_POINTS"] = saved
        reset_registry()


@pytest.fixture
def idcapture_open(idcapture_registry: DriverRegistry) -> Iterator[Callable[..., Device]]:
    opened: list[Device] = []

    def _open(address: str, **options: object) -> Device:
        dev = idcapture_registry.open(address, None, None, **options)
        opened.append(dev)
        return dev

    yield _open
    for dev in opened:
        dev.close()
