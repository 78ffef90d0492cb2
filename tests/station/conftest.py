"""Fixtures for the station tests: a fresh store and made-up rosters."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from idcapture.privacy import mask_id_number
from idcapture.station import StationConfig, Store
from idcapture.station.samples import sample_students


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    cfg = StationConfig(station_id="t-1", year=2025, region="440106")
    s = Store.create(tmp_path / "store", {"config": cfg.to_json()})
    yield s
    s.close()


@pytest.fixture
def students() -> list[dict[str, str]]:
    return sample_students(12, seed=7)


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(caplog: pytest.LogCaptureFixture,
                              students: list[dict[str, str]]) -> Iterator[None]:
    """Every station test: no ID number (any 18-character number, and the sample
    students' numbers and names) appears unmasked in a log line."""
    caplog.set_level(logging.DEBUG, logger="idcapture")
    yield
    text = "\n".join(r.getMessage() for r in caplog.records)
    unmasked = re.findall(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])", text)
    assert not unmasked, f"{len(unmasked)} unmasked ID numbers in the log"
    for s in students:
        assert s["id_number"] not in text, f"unmasked ID number {mask_id_number(s['id_number'])}"
        assert s["name"] not in text or len(s["name"]) < 2
