"""Fixtures: the sample cards, a SAM simulator on a real pty, and ``link``: the same
simulated SAM behind either real transport (a pty for sam-serial, the pyusb backend for
sam-usb), so the fault tests run unchanged on both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from idcapture.drivers.sam.document import document_blobs
from idcapture.record import DocumentKind, IdentityDocument, Sex
from idcapture.sim.sam.cards import SimCard, sample_cards
from idcapture.sim.sam.device import SamDevice
from idcapture.sim.sam.server import PtySamServer
from setup_required import need_module

SEX = {"1": Sex.MALE, "2": Sex.FEMALE}


@pytest.fixture(scope="session")
def cards() -> list[SimCard]:
    return sample_cards()


@pytest.fixture
def sam() -> Iterator[PtySamServer]:
    with PtySamServer(SamDevice()) as server:
        yield server


@dataclass
class Link:
    """A simulated SAM served on a real transport, and the address that opens it."""

    kind: str
    device: SamDevice
    address: str
    unplug: Callable[[], None]
    replug: Callable[[], None]

    def at(self, timeout_scale: float) -> str:
        """The address with every command timeout scaled by ``timeout_scale``."""
        return self.address.replace("timeout_scale=0.4", f"timeout_scale={timeout_scale}")


@pytest.fixture(params=["pty", "usb"])
def link(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Link]:
    """The SAM simulator on a pty (``sam-serial``) or as a pyusb backend (``sam-usb``)."""
    opts = "poll=0.02&timeout_scale=0.4"
    if request.param == "pty":
        path = tmp_path / "ttySAM0"
        with PtySamServer(SamDevice(), link=path) as server:
            yield Link("pty", server.device, f"sam-serial:{path}?{opts}", server.unplug,
                       server.replug)
        return
    need_module("usb.core", "pyusb is an optional dependency (idcapture[usb])")
    from idcapture.sim.sam.usb import SimBackend

    with SimBackend(SamDevice()) as sim:
        yield Link("usb", sim.sam, f"sam-usb:0400:C35A?backend=idcapture.sim.sam.usb&{opts}",
                   sim.unplug, sim.replug)


def _date(s: str) -> str | None:
    return f"{s[:4]}-{s[4:6]}-{s[6:]}" if s and s.isdigit() else None


def assert_document_matches(doc: IdentityDocument, card: SimCard, *,
                            fingerprint: bool = True, raw: bool = True,
                            appended: bool = True,
                            extras: tuple[str, ...] = ("pass_number", "issue_count",
                                                       "card_version", "renewal_count",
                                                       "previous_link")) -> None:
    """Every field of ``doc`` equals the card file's (and the raw blocks are identical)."""
    f = card.fields
    assert doc.kind is card.kind
    assert doc.id_number == f["id_number"]
    assert doc.name == f.get("name", "")
    assert doc.sex is SEX[f["sex"]]
    assert (doc.birth_date.isoformat() if doc.birth_date else None) == _date(f["birth_date"])
    assert (doc.valid_from.isoformat() if doc.valid_from else None) == _date(
        f.get("valid_from", ""))
    if f.get("valid_until") == "长期":
        assert doc.long_term and doc.valid_until is None
    else:
        assert doc.valid_until is not None
        assert doc.valid_until.isoformat() == _date(f["valid_until"])
    if card.kind is DocumentKind.RESIDENT_ID:
        assert doc.ethnicity_code == f["ethnicity"]
    if card.kind is not DocumentKind.FOREIGNER_PERMANENT_2017:
        assert doc.address == (f.get("address") or None)
    if card.kind in (DocumentKind.FOREIGNER_PERMANENT_2017,
                     DocumentKind.FOREIGNER_PERMANENT_2023):
        assert doc.name_en == f["name_en"]
        assert doc.nationality_code == f["nationality"]
    for key in extras:
        if key in f:
            assert doc.extra[key] == f[key]
    if raw:
        blobs = document_blobs(doc)
        assert blobs[doc.raw_blocks["text"].sha256] == card.text
        assert blobs[doc.raw_blocks["photo-wlt"].sha256] == card.photo
        if fingerprint and card.fingerprint:
            assert blobs[doc.raw_blocks["fingerprint"].sha256] == card.fingerprint
        if appended and card.appended_addresses:
            assert doc.appended_addresses == card.appended_addresses


@pytest.fixture
def match_card():  # type: ignore[no-untyped-def]
    """:func:`assert_document_matches`, for the test modules."""
    return assert_document_matches
