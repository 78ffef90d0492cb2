"""Fixtures for the province tests: one small synthetic province, made once per run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from idcapture.province.synthetic import SyntheticProvince, synth_province


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> SyntheticProvince:
    """40 students at 4 stations with one planted duplicate of each kind."""
    return synth_province(tmp_path_factory.mktemp("province"), students=40, duplicates=3,
                          stations=4, seed=3)


@pytest.fixture
def packages(province: SyntheticProvince, tmp_path: Path) -> list[Path]:
    """A private copy of the province's packages (tests may alter them)."""
    out = []
    for p in province.packages:
        out.append(Path(shutil.copy(p, tmp_path / p.name)))
    return out
