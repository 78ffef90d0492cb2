"""The serial transport on a real pty: bytes both ways, and every failure typed."""

from __future__ import annotations

import os
import tty
from collections.abc import Callable, Iterator

import pytest

from idcapture.errors import DeviceNotFound, DeviceRemoved
from idcapture.transports.serial import SerialTransport, normalise_port

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pty")


@pytest.fixture
def line() -> Iterator[tuple[int, SerialTransport]]:
    """The master end of a pty, and the transport open on its slave end."""
    master, slave = os.openpty()
    tty.setraw(slave)
    transport = SerialTransport(os.ttyname(slave), 9600)
    os.close(slave)
    yield master, transport
    transport.close()
    try:
        os.close(master)
    except OSError:
        pass  # the test unplugged it


def test_bytes_both_ways_and_the_rate(line: tuple[int, SerialTransport]) -> None:
    master, t = line
    os.write(master, b"\x01\x02abc")
    assert t.read(16, 1.0) == b"\x01\x02abc"
    t.write(b"xyz")
    assert os.read(master, 16) == b"xyz"
    t.set_baud(57600)
    assert t.baud == 57600
    assert t.read(16, 0.05) == b""  # nothing waiting: empty after the timeout
    os.write(master, b"stale")
    t.drain(quiet=0.05, limit=1.0)
    assert t.read(16, 0.05) == b""


OPERATIONS: dict[str, Callable[[SerialTransport], object]] = {
    "read": lambda t: t.read(8, 0.2),
    "write": lambda t: t.write(b"x" * 64),
    "set_baud": lambda t: t.set_baud(19200),
    "discard_input": lambda t: t.discard_input(),
    "drain": lambda t: t.drain(),
}


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_every_operation_on_an_unplugged_adapter_is_device_removed(
        line: tuple[int, SerialTransport], op: str) -> None:
    master, t = line
    os.close(master)  # the adapter is pulled: the slave side now fails with EIO
    with pytest.raises(DeviceRemoved) as exc:
        OPERATIONS[op](t)
    assert t.port in str(exc.value)
    t.close()  # closing a dead port never raises
    t.close()


def test_a_port_closed_under_a_reader_is_device_removed(
        line: tuple[int, SerialTransport]) -> None:
    _, t = line
    t._ser.close()  # pyserial's own object, closed by another thread
    with pytest.raises(DeviceRemoved, match=r"closed|failed"):
        t.read(8, 0.1)
    with pytest.raises(DeviceRemoved):
        t.write(b"x")


def test_a_missing_port_is_device_not_found(tmp_path: object) -> None:
    with pytest.raises(DeviceNotFound, match="cannot be opened"):
        SerialTransport("/dev/nonexistent-tty-for-test")
    with pytest.raises(DeviceNotFound):
        SerialTransport("/dev/null", baud=-5)  # not a tty, and no such rate


def test_bare_numbers_name_the_platform_port() -> None:
    assert normalise_port("/dev/ttyUSB0") == "/dev/ttyUSB0"
    assert normalise_port("3") in ("/dev/ttyS2", "COM3")
    assert normalise_port("0") in ("/dev/ttyS0", "COM0")
