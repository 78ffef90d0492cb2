"""Every mapped error of the sdtapi and termb drivers, provoked in the compiled C simulators.

The simulators read ``IDCAPTURE_SIM_FAULT`` on every call (native/sim/simcard.h):
``NAME=RC`` makes the exported function NAME return RC, ``NAME=len:N`` makes it report a
first block of N bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idcapture.drivers.cvr.sdtapi import SdtApiReader
from idcapture.drivers.cvr.termb import TermbReader
from idcapture.errors import (
    DeviceFault,
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    IdCaptureError,
    ProtocolError,
)
from idcapture.sim.sam.cards import SimCard, write_card_image
from setup_required import need_file

pytestmark = [pytest.mark.native, pytest.mark.timeout(60)]


@pytest.fixture
def card_file(native_build: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("IDCAPTURE_SIM_CARD", str(tmp_path / "card.bin"))
    monkeypatch.delenv("IDCAPTURE_SIM_FAULT", raising=False)
    return tmp_path / "card.bin"


@pytest.fixture
def sdtapi(native_build: Path, card_file: Path) -> Iterator[SdtApiReader]:
    lib = need_file(native_build / "libsdtapi.so", "libsdtapi.so is not built (make -C native)")
    with SdtApiReader(f"sdtapi:1001?lib={lib}&poll=0.01") as reader:
        yield reader


@pytest.fixture
def termb(native_build: Path, card_file: Path) -> Iterator[TermbReader]:
    lib = need_file(native_build / "libtermb.so", "libtermb.so is not built (make -C native)")
    with TermbReader(f"termb:1001?lib={lib}&poll=0.01") as reader:
        yield reader


def _fp_card(cards: list[SimCard]) -> SimCard:
    return next(c for c in cards if c.fingerprint and c.appended_addresses)


# (fault, error type, error code, text the message names)
SDTAPI_FAULTS = [
    ("SDT_StartFindIDCard=0x01", DeviceRemoved, "removed", "0x01"),
    ("SDT_StartFindIDCard=0x02", DeviceTimeout, "timeout", "0x02"),
    ("SDT_StartFindIDCard=0x03", ProtocolError, "transfer", "0x03"),
    ("SDT_SelectIDCard=0x02", DeviceTimeout, "timeout", "SDT_SelectIDCard"),
    ("SDT_ReadBaseFPMsg=0x01", DeviceRemoved, "removed", "SDT_ReadBaseFPMsg"),
    ("SDT_ReadBaseFPMsg=0x02", DeviceTimeout, "timeout", "SDT_ReadBaseFPMsg"),
    ("SDT_ReadBaseFPMsg=0x03", ProtocolError, "transfer", "SDT_ReadBaseFPMsg"),
    ("SDT_ReadBaseFPMsg=0x41", DeviceRemoved, "card-removed", "0x41"),
    ("SDT_ReadBaseFPMsg=0x60", DeviceFault, "sam-fault", "0x60"),
    ("SDT_ReadBaseFPMsg=len:200", ProtocolError, "length", "text 200"),
    ("SDT_ReadNewAppMsg=0x02", DeviceTimeout, "timeout", "SDT_ReadNewAppMsg"),
    ("SDT_ReadNewAppMsg=0x03", ProtocolError, "transfer", "SDT_ReadNewAppMsg"),
    ("SDT_ReadNewAppMsg=0x41", DeviceRemoved, "card-removed", "SDT_ReadNewAppMsg"),
]


def test_sdtapi_photo_of_the_wrong_length_is_a_protocol_error(sdtapi: SdtApiReader,
                                                               card_file: Path,
                                                               cards: list[SimCard],
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    # a reader without the fingerprint command falls back to the base read, whose text
    # length is wrong too
    monkeypatch.setenv("IDCAPTURE_SIM_FAULT", "SDT_ReadBaseFPMsg=0x23,SDT_ReadBaseMsg=len:255")
    write_card_image(cards[0], card_file)
    with pytest.raises(ProtocolError) as exc:
        sdtapi.wait_for_card(2)
    assert exc.value.code == "length" and "text 255" in str(exc.value)


def test_sdtapi_without_fingerprint_command_reads_the_base_message(sdtapi: SdtApiReader,
                                                                   card_file: Path,
                                                                   cards: list[SimCard],
                                                                   monkeypatch:
                                                                   pytest.MonkeyPatch) -> None:
    card = _fp_card(cards)
    monkeypatch.setenv("IDCAPTURE_SIM_FAULT", "SDT_ReadBaseFPMsg=0x23")
    write_card_image(card, card_file)
    doc = sdtapi.wait_for_card(2)
    assert doc.id_number == card.fields["id_number"] and "fingerprint" not in doc.raw_blocks
    assert list(doc.appended_addresses or []) == card.appended_addresses


def test_sdtapi_open_with_a_failing_sam_names_the_function(native_build: Path,
                                                           card_file: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    lib = need_file(native_build / "libsdtapi.so", "libsdtapi.so is not built (make -C native)")
    monkeypatch.setenv("IDCAPTURE_SIM_FAULT", "SDT_GetSAMStatus=0x02")
    with pytest.raises(DeviceTimeout) as exc:
        SdtApiReader(f"sdtapi:1001?lib={lib}").open()
    assert exc.value.awaited == "SDT_GetSAMStatus"
    monkeypatch.setenv("IDCAPTURE_SIM_FAULT", "SDT_GetSAMStatus=0x60")
    with pytest.raises(DeviceFault) as fault:
        SdtApiReader(f"sdtapi:1001?lib={lib}").open()
    assert fault.value.code == "sam-fault"
    monkeypatch.delenv("IDCAPTURE_SIM_FAULT")
    with pytest.raises(DeviceNotFound, match="77"):
        SdtApiReader(f"sdtapi:77?lib={lib}").open()
    SdtApiReader(f"sdtapi:1001?lib={lib}").open().close()  # the port was given back


TERMB_FAULTS = [
    ("CVR_Authenticate=0", DeviceRemoved, "removed", "CVR_Authenticate returned 0"),
    ("CVR_Authenticate=7", DeviceRemoved, "removed", "CVR_Authenticate returned 7"),
    ("CVR_Read_FPContent=0", DeviceRemoved, "card-removed", "CVR read failed (0)"),
    ("CVR_Read_FPContent=99", ProtocolError, "protocol", "exception (99)"),
    ("GetNewAppMsg=len:40", ProtocolError, "field", "35-character slot"),
]


FAULTS = [("sdtapi", *f) for f in SDTAPI_FAULTS] + [("termb", *f) for f in TERMB_FAULTS]


@pytest.mark.parametrize(("reader", "fault", "error", "code", "names"), FAULTS,
                         ids=[f[1] for f in FAULTS])
def test_reader_errors_are_typed(request: pytest.FixtureRequest, card_file: Path,
                                 cards: list[SimCard], monkeypatch: pytest.MonkeyPatch,
                                 reader: str, fault: str, error: type[IdCaptureError],
                                 code: str, names: str) -> None:
    """The fault gives its typed error; cleared, the same reader reads the card again."""
    dev = request.getfixturevalue(reader)
    card = _fp_card(cards)
    monkeypatch.setenv("IDCAPTURE_SIM_FAULT", fault)
    write_card_image(card, card_file)
    with pytest.raises(error) as exc:
        dev.wait_for_card(2)
    assert exc.value.code == code and names in str(exc.value)
    assert card.fields["id_number"] not in str(exc.value)
    monkeypatch.delenv("IDCAPTURE_SIM_FAULT")
    card_file.unlink()
    dev.card_present()  # the card is taken off ...
    write_card_image(card, card_file)  # ... and placed again
    assert dev.wait_for_card(2).id_number == card.fields["id_number"]
