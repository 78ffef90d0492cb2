"""Shared fixtures for the idcapture test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
NATIVE_BUILD = ROOT / "build" / "native"

# Tests never pick up plugins installed in the environment by accident; the plugin
# tests turn entry points on explicitly.
os.environ.setdefault("IDCAPTURE_NO_ENTRY_POINTS", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real images in ../shared/data (present in CI; absent in a user's clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout (it holds licensed test "
                    "images that are not redistributed with the project)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def native_build() -> Path:
    """The folder of C simulators compiled by ./run.sh (make -C native)."""
    if not NATIVE_BUILD.is_dir():
        pytest.skip("native simulators are not built; ./run.sh test builds them")
    return NATIVE_BUILD
