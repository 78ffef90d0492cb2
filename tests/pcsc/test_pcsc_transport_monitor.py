"""The PC/SC transport's error mapping and the monitor surviving a pcscd restart.

These tests stop and start the session's pcscd; they run after the read tests (file
order) and leave the daemon running with its normal configuration.
"""

from __future__ import annotations

from typing import Any

import pytest
from pcsc_stack import MRZ, PORT, READER0, READER_PREFIX, wait_until

import idcapture
from idcapture.drivers.emrtd.driver import PcscEmrtdReader
from idcapture.errors import DeviceBusy, DeviceFault, DeviceNotFound, DeviceRemoved, DeviceTimeout
from idcapture.transports.pcsc import (
    EventKind,
    PcscConnection,
    PcscMonitor,
    Protocol,
    list_readers,
    map_error,
    resolve_reader,
)

pytestmark = pytest.mark.pcsc
_DRIVER = PcscEmrtdReader  # imported before any thread starts (compiled in the main thread)


def test_both_pyscard_exception_families_are_mapped() -> None:
    from smartcard.Exceptions import CardConnectionException, NoCardException
    from smartcard.pcsc.PCSCExceptions import EstablishContextException

    removed = map_error(CardConnectionException("x", hresult=0x80100069), "transmit")
    assert isinstance(removed, DeviceRemoved) and removed.code == "card-removed"
    assert "0x80100069" in str(removed)
    service = map_error(EstablishContextException(0x8010001D), "listing")
    assert isinstance(service, DeviceRemoved) and service.code == "pcsc-service"
    assert isinstance(map_error(NoCardException("x", -1), "connect"), DeviceRemoved)
    assert isinstance(map_error(CardConnectionException("x", hresult=0x8010000A), "t"),
                      DeviceTimeout)
    assert isinstance(map_error(CardConnectionException("x", hresult=0x8010000B), "t"),
                      DeviceBusy)
    other = map_error(CardConnectionException("x", hresult=0x80100010), "t")
    assert isinstance(other, DeviceFault) and other.code == "pcsc-error"


def test_reader_resolution_and_protocols(pcscd: Any) -> None:
    names = list_readers()
    assert names[:2] == [READER0, f"{READER_PREFIX} 00 01"]
    assert resolve_reader("1", names) == names[1]
    assert resolve_reader(READER0, names) == READER0
    with pytest.raises(DeviceNotFound):
        resolve_reader("7", names)
    with pytest.raises(DeviceNotFound):
        resolve_reader("idcapture", names)  # ambiguous prefix
    assert Protocol.parse("T=1") is Protocol.T1


def test_connect_with_chosen_protocol_and_exchange(serve_card: Any) -> None:
    serve_card()
    conn = PcscConnection(READER0, Protocol.T1)
    try:
        atr = conn.connect()
        assert atr == bytes.fromhex("3B888001654D52544473696D14")
        assert conn.transmit(bytes.fromhex("00A4040C07A0000002471001")) == b"\x90\x00"
        challenge = conn.transmit(bytes.fromhex("0084000008"))
        assert len(challenge) == 10 and challenge[-2:] == b"\x90\x00"
    finally:
        conn.disconnect()


def test_monitor_reports_pcscd_restart_and_recovers(pcscd: Any, serve_card: Any) -> None:
    events: list[Any] = []
    with PcscMonitor(callback=events.append, poll=0.2, retry=0.1) as monitor:
        monitor.wait_for(EventKind.READER_ADDED, 3, READER0)
        server = serve_card()
        monitor.wait_for(EventKind.CARD_INSERTED, 3, READER0)
        conn = PcscConnection(READER0)
        conn.connect()
        pcscd.stop()
        lost = monitor.wait_for(EventKind.MONITOR_LOST, 3)
        assert "service" in lost.reason.lower()
        # while the service is down: typed errors from both pyscard families
        with pytest.raises(DeviceRemoved) as err:
            list_readers()
        assert err.value.code == "pcsc-service"
        with pytest.raises(DeviceRemoved):
            conn.transmit(bytes.fromhex("0084000008"))
        conn.disconnect()
        with pytest.raises(DeviceNotFound):
            idcapture.open_id_reader("pcsc:0", mrz=MRZ)
        pcscd.start()
        monitor.wait_for(EventKind.MONITOR_RESTORED, 5)
        # the simulator reconnects by itself; the card is seen and read again
        wait_until(lambda: server.connected.is_set(), 5, "the simulator to reconnect")
        with idcapture.open_id_reader("pcsc:0", timeout=5, mrz=MRZ) as reader:
            assert reader.read(5).id_number == "L898902C3"
        server.remove()
        monitor.wait_for(EventKind.CARD_REMOVED, 3, READER0)
    kinds = [e.kind for e in events]
    assert kinds.index(EventKind.MONITOR_LOST) < kinds.index(EventKind.MONITOR_RESTORED)


def test_monitor_reports_readers_that_disappear(pcscd: Any) -> None:
    with PcscMonitor(poll=0.2, retry=0.1) as monitor:
        pcscd.configure((PORT, PORT + 2))
        pcscd.restart()
        added = monitor.wait_for(EventKind.READER_ADDED, 5, f"{READER_PREFIX} B 00 00")
        assert added.reader.endswith("B 00 00")
        pcscd.configure((PORT,))
        pcscd.restart()
        gone = monitor.wait_for(EventKind.READER_REMOVED, 5, f"{READER_PREFIX} B 00 00")
        assert gone.reader.endswith("B 00 00")
    assert list_readers()[:1] == [READER0]
