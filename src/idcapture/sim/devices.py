"""The in-process simulators, typed: open one and get its control methods.

:func:`idcapture.open_id_reader` and its siblings return the family base class, which
knows nothing of a simulator's controls. These helpers open the same devices through the
same registry (so an address is checked as usual) and return the simulator classes, so
a tester's script type-checks under ``mypy --strict``::

    from idcapture.sim.devices import open_sim_id_reader, sample_document

    with open_sim_id_reader(card="none") as reader:
        reader.place_card(sample_document())
        doc = reader.wait_for_card(timeout=5)

They need no pseudo-terminal, socket or native library, so they run on Windows as on
Linux.
"""

from __future__ import annotations

from typing import TypeVar

from .. import open_camera, open_fingerprint_sensor, open_id_reader, parse_address
from ..devices.base import Device
from ..errors import AddressError
from .camera.driver import SimCamera
from .finger.driver import SimFingerprintSensor
from .sam.driver import SimIdReader, sample_document

__all__ = ["SimCamera", "SimFingerprintSensor", "SimIdReader", "open_sim_camera",
           "open_sim_fingerprint_sensor", "open_sim_id_reader", "sample_document"]

_S = TypeVar("_S", bound=Device)


def _sim_address(address: str) -> str:
    if parse_address(address).driver != "sim":
        raise AddressError(f"address '{address}' is not an in-process simulator (use a "
                           "'sim:' address)")
    return address


def _simulator(device: Device, cls: type[_S]) -> _S:
    if isinstance(device, cls):
        return device
    device.close()  # a plugin registered another 'sim' driver
    raise AddressError(f"address '{device.address}' opens a {type(device).__name__}, not the "
                       f"in-process simulator {cls.__name__}")


def open_sim_id_reader(address: str = "sim:id-reader", *, timeout: float | None = None,
                       **options: object) -> SimIdReader:
    """Open ``sim:id-reader`` (options as in the address: ``card="none"``...): a reader
    with :meth:`~SimIdReader.place_card`, ``remove_card``, ``add_fault``, ``unplug``."""
    device = open_id_reader(_sim_address(address), timeout=timeout, **options)
    return _simulator(device, SimIdReader)


def open_sim_camera(address: str = "sim:camera", *, timeout: float | None = None,
                    **options: object) -> SimCamera:
    """Open ``sim:camera``: a camera with ``set_scene``, ``play``, ``unplug``."""
    device = open_camera(_sim_address(address), timeout=timeout, **options)
    return _simulator(device, SimCamera)


def open_sim_fingerprint_sensor(address: str = "sim:fingerprint", *,
                                timeout: float | None = None,
                                **options: object) -> SimFingerprintSensor:
    """Open ``sim:fingerprint``: a sensor with ``present``, ``lift``, ``queue_outcome``,
    ``unplug``."""
    device = open_fingerprint_sensor(_sim_address(address), timeout=timeout, **options)
    return _simulator(device, SimFingerprintSensor)
