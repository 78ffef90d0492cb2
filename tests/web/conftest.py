"""Fixtures for the web frontend tests: a registered sample store and a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from setup_required import need_module

need_module("starlette", "the web extra is not installed")

from web_helpers import make_store  # noqa: E402 - after the extra check

from idcapture.synth.students import sample_students  # noqa: E402

SIM = {"reader": "sim:id-reader?card=none&poll=0.01", "camera": "sim:camera?fps=30",
       "sensor": "sim:fingerprint?finger=none&poll=0.02"}


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

    app = create_app(WebConfig(store=store_dir, addresses=dict(SIM), sim_control=True,
                               hosts=("testserver",)))
    with TestClient(app, base_url="http://testserver") as client:
        yield client, app.state.auth.token
