"""The web live loop with a liveness challenge over ``sim:camera``: the overlay prompts
the challenge, a printed photo is handed over refused with its FAILED check, a person
who turns when prompted with a PASSED one."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from setup_required import need_module

need_module("dlib", "the face extra (dlib-bin) is not installed")

import idcapture  # noqa: E402 - after the extra check
from idcapture.record import Check, CheckOutcome  # noqa: E402
from idcapture.web.live import LivePreview  # noqa: E402


def _run(address: str, seconds: float = 60.0) -> tuple[Check | None, set[str], dict[str, str]]:
    got: list[Check | None] = []
    done = threading.Event()
    reasons: set[str] = set()
    texts: dict[str, str] = {}

    def on_result(frame: np.ndarray, check: Check | None) -> None:
        assert frame.ndim == 3
        got.append(check)
        done.set()

    with idcapture.open_camera(address) as cam:
        live = LivePreview(lambda: cam, liveness="turn", on_result=on_result,
                           auto_timeout_s=30.0)
        live.start()
        live.set_analysing(True)
        try:
            end = time.monotonic() + seconds
            while not done.is_set() and time.monotonic() < end:
                g = live.guidance
                if g.reason:
                    reasons.add(g.reason)
                    if g.reason == "liveness":
                        texts = dict(g.text)
                time.sleep(0.01)
        finally:
            live.stop()
    assert got, f"no result within {seconds} s (guidance seen: {sorted(reasons)})"
    return got[0], reasons, texts


def test_printed_photo_is_refused_with_a_failed_check() -> None:
    check, reasons, texts = _run("sim:camera?fps=15&photo=demo&scene=printed-photo")
    assert check is not None and check.outcome is CheckOutcome.FAILED, check
    assert "liveness" in reasons
    assert "转" in texts["zh"] and "turn" in texts["en"]


@pytest.mark.slow
def test_person_turning_when_prompted_is_captured(tmp_path: Path) -> None:
    script = tmp_path / "live.json"
    script.write_text(json.dumps([{"scene": "good", "frames": 10},
                                  {"scene": "turn-head", "frames": 42},
                                  {"scene": "good", "frames": 30}]))
    check, _, _ = _run(f"sim:camera?fps=15&photo=demo&script={script}")
    assert check is not None and check.outcome is CheckOutcome.PASSED, check


def test_station_refuses_a_printed_photo_at_the_portrait_step(
        tmp_path: Path, students: list[dict[str, str]]) -> None:
    """The whole station: face_liveness in the station configuration, the camera showing a
    printed photo; the session stays at the portrait with the liveness prompt and the
    record carries the FAILED check."""
    import dataclasses

    from starlette.testclient import TestClient
    from web_helpers import ORIGIN, login, make_store

    from idcapture.station import Store
    from idcapture.station.registration import station_config
    from idcapture.web import WebConfig, create_app

    store_dir = make_store(tmp_path, students)
    with Store.open(store_dir) as st:
        st.set_setting("config", dataclasses.replace(station_config(st),
                                                     face_liveness="turn").to_json())
    devices = {"reader": "sim:id-reader?card=none&poll=0.01",
               "camera": "sim:camera?fps=15&photo=demo&scene=printed-photo",
               "sensor": "sim:fingerprint?finger=none&poll=0.02"}
    app = create_app(WebConfig(store=store_dir, addresses=devices, sim_control=True,
                               hosts=("testserver",)))
    with TestClient(app, base_url="http://testserver") as client:
        csrf = login(client, app.state.auth.token)
        headers = {"Origin": ORIGIN, "X-CSRF-Token": csrf}
        assert client.post("/api/capture/start", headers=headers).status_code == 200
        assert client.post("/api/sim/next-card", json={}, headers=headers).status_code == 200
        end = time.monotonic() + 60
        while True:
            snap = client.get("/api/capture/state").json()
            sess = snap["session"]
            if sess and sess["code"] == "liveness-failed":
                break
            assert time.monotonic() < end, sess
            time.sleep(0.1)
        assert sess["state"] == "portrait" and snap["portrait"] is None
        checks = {c["name"]: c["outcome"] for c in snap["checks"]}
        assert checks["liveness"] == "failed"
