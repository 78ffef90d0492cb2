"""Fixtures for the web frontend tests: a registered sample store and a logged-in client."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed")

from idcapture.formats.roster import write_roster
from idcapture.station import StationConfig, Store, import_roster, register_students
from idcapture.station.samples import sample_students

SIM = {"reader": "sim:id-reader?card=none&poll=0.01", "camera": "sim:camera?fps=30",
       "sensor": "sim:fingerprint?finger=none&poll=0.02"}


def make_store(folder: Path, rows: list[dict[str, str]]) -> Path:
    """A store in ``folder`` with ``rows`` imported and registered."""
    cfg = StationConfig(station_id="web-t-1", year=_dt.date.today().year, region="440106")
    with Store.create(folder / "store", {"config": cfg.to_json()}) as store:
        import_roster(store, write_roster(folder / "roster.xlsx", rows))
        register_students(store)
    return folder / "store"


@pytest.fixture
def students() -> list[dict[str, str]]:
    return sample_students(6, seed=11)


@pytest.fixture
def store_dir(tmp_path: Path, students: list[dict[str, str]]) -> Path:
    return make_store(tmp_path, students)


@pytest.fixture
def app_client(store_dir: Path) -> Iterator[tuple[object, str]]:
    from starlette.testclient import TestClient

    from idcapture.web import WebConfig, create_app

    app = create_app(WebConfig(store=store_dir, addresses=dict(SIM), sim_control=True))
    with TestClient(app, base_url="http://testserver") as client:
        yield client, app.state.auth.token
