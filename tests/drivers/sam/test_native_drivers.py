"""sdtapi and the WLT decoder through the compiled C simulators (build/native)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idcapture.drivers.cvr import cdefs
from idcapture.drivers.cvr.sdtapi import SDTAPI_SPEC, SdtApiReader
from idcapture.drivers.cvr.wlt import WLT_SPEC, find_decoder
from idcapture.drivers.sam.document import document_blobs
from idcapture.errors import DeviceNotFound, DeviceTimeout, DriverUnavailable
from idcapture.record import DocumentKind, PhotoStatus
from idcapture.sim.sam.cards import SimCard, write_card_image
from idcapture.transports.native import load_library
from setup_required import need_file

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.native, pytest.mark.timeout(30)]


def _decls(text: str) -> list[str]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return [re.sub(r"\s+", " ", d).strip() for d in text.split(";") if d.strip()]


@pytest.mark.parametrize(("name", "header"), [("sdtapi", "sdtapi.h"), ("termb", "termb.h"),
                                              ("wlt", "wltdecoder.h")])
def test_headers_agree_with_runtime_cdefs(name: str, header: str) -> None:
    on_disk = (ROOT / "native" / "include" / header).read_text(encoding="utf-8")
    assert _decls(on_disk) == _decls(cdefs.declarations(name))


def test_missing_library_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DriverUnavailable, match=r"libsdtapi\.so"):
        SdtApiReader(f"sdtapi:1001?lib={tmp_path / 'nothing' / 'libsdtapi.so'}").open()


@pytest.fixture
def sdt(native_build: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    need_file(native_build / "libsdtapi.so", "libsdtapi.so is not built (make -C native)")
    card_file = tmp_path / "card.bin"
    monkeypatch.setenv("IDCAPTURE_SIM_CARD", str(card_file))
    return card_file


def test_sdtapi_reads_every_sample_card(match_card, sdt: Path, native_build: Path,
                                        cards: list[SimCard]) -> None:
    addr = f"sdtapi:1001?lib={native_build / 'libsdtapi.so'}&poll=0.01"
    with SdtApiReader(addr) as reader:
        assert reader.sam_id == "05.01-20101223-0017637811-2282655734"
        for card in cards:
            write_card_image(card, sdt)
            doc = reader.wait_for_card(3)
            match_card(doc, card)
            sdt.unlink()
            assert not reader.card_present()


def test_sdtapi_once_per_placement_and_bad_port(sdt: Path, native_build: Path,
                                                cards: list[SimCard]) -> None:
    lib = native_build / "libsdtapi.so"
    with pytest.raises(DeviceNotFound):
        SdtApiReader(f"sdtapi:77?lib={lib}").open()
    with SdtApiReader(f"sdtapi:3?lib={lib}&poll=0.01") as reader:
        write_card_image(cards[0], sdt)
        reader.wait_for_card(2)
        with pytest.raises(DeviceTimeout):
            reader.wait_for_card(0.3)


def test_wlt_decoder_makes_a_bmp(match_card, sdt: Path, native_build: Path,
                                 cards: list[SimCard]) -> None:
    wlt = need_file(native_build / "libwlt.so", "libwlt.so is not built (make -C native)")
    dec = find_decoder(str(wlt))
    assert dec is not None
    bmp = dec(cards[0].photo)
    assert bmp is not None and len(bmp) == 38862 and bmp[:2] == b"BM"
    assert int.from_bytes(bmp[18:22], "little") == 102
    assert int.from_bytes(bmp[22:26], "little") == 126
    assert dec(b"short") is None
    addr = f"sdtapi:1001?lib={native_build / 'libsdtapi.so'}&decoder={wlt}&poll=0.01"
    with SdtApiReader(addr) as reader:
        write_card_image(cards[0], sdt)
        doc = reader.wait_for_card(2)
        assert doc.photo_status is PhotoStatus.DECODED and doc.photo is not None
        assert doc.photo.media_type == "image/bmp" and doc.photo.size_bytes == 38862
        match_card(doc, cards[0])


def test_specs_load_from_the_build(native_build: Path) -> None:
    for spec, name in ((SDTAPI_SPEC, "libsdtapi.so"), (WLT_SPEC, "libwlt.so")):
        lib = need_file(native_build / name, f"{name} is not built (make -C native)")
        assert load_library(spec, lib).path.endswith(name)


def test_termb_reads_every_sample_card(match_card, sdt: Path, native_build: Path,
                                       cards: list[SimCard]) -> None:
    from idcapture.drivers.cvr.termb import TermbReader

    lib = need_file(native_build / "libtermb.so", "libtermb.so is not built (make -C native)")
    with TermbReader(f"termb:1001?lib={lib}&poll=0.01") as reader:
        for card in cards:
            write_card_image(card, sdt)
            doc = reader.wait_for_card(3)
            # the CVR API hands out decoded fields and no WLT bytes: compare the fields,
            # the fingerprint block, and the rebuilt text block with the card's
            # (the API has no getter for card version, renewal count or previous link)
            match_card(doc, card, raw=False, extras=("pass_number", "issue_count"))
            if card.kind in (DocumentKind.RESIDENT_ID, DocumentKind.HMT_RESIDENCE_PERMIT):
                assert document_blobs(doc)[doc.raw_blocks["text"].sha256] == card.text
            if card.fingerprint:
                assert document_blobs(doc)[doc.raw_blocks["fingerprint"].sha256] \
                    == card.fingerprint
            assert list(doc.appended_addresses or []) == card.appended_addresses
            sdt.unlink()
            assert not reader.card_present()
