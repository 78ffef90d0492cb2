"""Fixtures for the station tests: a fresh store and made-up rosters.

(The scan of every test's log for unmasked personal data is in the top-level conftest.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idcapture.station import StationConfig, Store
from idcapture.synth.students import sample_students


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    cfg = StationConfig(station_id="t-1", year=2025, region="440106")
    s = Store.create(tmp_path / "store", {"config": cfg.to_json()})
    yield s
    s.close()


@pytest.fixture
def students() -> list[dict[str, str]]:
    return sample_students(12, seed=7)
