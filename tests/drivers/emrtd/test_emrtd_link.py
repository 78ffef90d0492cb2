"""The simulator's paced ISO/IEC 14443 link: the model's arithmetic, and a read that
takes at least the modelled time (order, not a tight bound)."""

from __future__ import annotations

import time

import pytest

from idcapture.drivers.emrtd.passive_auth import PaOutcome, TrustStore
from idcapture.drivers.emrtd.session import AccessKey, EmrtdSession
from idcapture.errors import ConfigError
from idcapture.sim.emrtd.card import EmrtdCard
from idcapture.sim.emrtd.config import card_from_config
from idcapture.sim.emrtd.link import Link

MRZ = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
KEY = AccessKey.from_fields("L898902C3", "740812", "120415")
FC = 13.56e6


def test_the_model_counts_bits_frames_and_chaining() -> None:
    link = Link(106, chip_s=0.002)
    etu = 128 / FC
    # 245 bytes of response in one I-block: PCB + 245 + CRC, 9 bits a byte, 2 framing bits
    one_way = (248 * 9 + 2) * etu + 1172 / FC
    assert link.transfer_time(245) == pytest.approx(one_way)
    # 600 bytes with 256-byte frames: 253 + 253 + 94, two chained blocks each acknowledged
    full, ack = (256 * 9 + 2) * etu + 1172 / FC, (3 * 9 + 2) * etu + 1172 / FC
    assert link.transfer_time(600) == pytest.approx(2 * (full + ack)
                                                    + (97 * 9 + 2) * etu + 1172 / FC)
    assert link.exchange_time(20, 245) == pytest.approx(
        link.transfer_time(20) + 0.002 + one_way)
    times = [Link(r).exchange_time(20, 245) for r in (106, 212, 424, 848)]
    assert times == sorted(times, reverse=True) and times[0] > 1.8 * times[1]


@pytest.mark.parametrize("bad", [{"bit_rate": 100}, {"chip_ms": -1}, {"speed": 106},
                                 {"bit_rate": "fast"}, [106]])
def test_a_bad_link_in_a_card_file_is_refused(bad: object) -> None:
    with pytest.raises(ConfigError, match="link"):
        card_from_config({"mrz": MRZ, "face": {"width": 60, "height": 80}, "link": bad})


@pytest.fixture(scope="module")
def card() -> EmrtdCard:
    return card_from_config({"mrz": MRZ, "face": {"width": 480, "height": 640,
                                                  "target_bytes": 20000},
                             "link": {"bit_rate": 106, "chip_ms": 1}})


def test_a_read_at_106_takes_at_least_the_modelled_link_time(card: EmrtdCard) -> None:
    assert card.link == Link(106, 0.001)
    sizes: list[tuple[int, int]] = []

    def transmit(apdu: bytes) -> bytes:
        resp = card.apdu(apdu)
        sizes.append((len(apdu), len(resp)))
        return resp

    card.link_seconds = 0.0
    t = time.perf_counter()
    reading = EmrtdSession(transmit, KEY, TrustStore([card.pki.csca_cert])).read()
    wall = time.perf_counter() - t
    assert reading.passive_auth.outcome is PaOutcome.VALID
    assert len(reading.groups[2]) > 19_000
    modelled = sum(card.link.exchange_time(c, r) for c, r in sizes)  # type: ignore[union-attr]
    assert card.link_seconds == pytest.approx(modelled)
    assert modelled > 1.5  # 20 KB at 106 kbit/s alone
    assert wall >= modelled
    card.link = None  # unpaced again: the same read no longer waits for the link
    card.link_seconds = 0.0
    EmrtdSession(card.apdu, KEY, TrustStore([card.pki.csca_cert])).read()
    assert card.link_seconds == 0.0

