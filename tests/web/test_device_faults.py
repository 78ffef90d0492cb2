"""Every device worker of the web station survives any exception: the device is shown
``faulted`` with a masked reason (status API, Devices page data), and Reconnect restarts
the worker. One test per worker: reader, sensor, camera, portrait analysis."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web_helpers import ORIGIN, login, make_store

from idcapture.synth.students import sample_students
from idcapture.web import WebConfig, create_app
from idcapture.web.runtime import StationRuntime

SIM = {"reader": "sim:id-reader?card=none&poll=0.01", "camera": "sim:camera?fps=30",
       "sensor": "sim:fingerprint?finger=none&poll=0.02"}

#: a roster name longer than the 15 characters of the card's name slot
LONG_NAME = "欧阳" + "明" * 15


def _until(what: Callable[[], Any], timeout: float = 20.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[tuple[Any, StationRuntime, dict[str, str]]]:
    from starlette.testclient import TestClient

    rows = sample_students(3, seed=11)
    rows[0]["name"] = rows[1]["name"] = LONG_NAME
    folder = make_store(tmp_path, rows)
    from idcapture.station import Store

    store = Store.open(folder, writer=True)
    runtime = StationRuntime(store, dict(SIM))
    app = create_app(WebConfig(store=folder, addresses=dict(SIM), sim_control=True,
                               hosts=("testserver",)), runtime=runtime)
    with TestClient(app, base_url="http://testserver") as client:
        csrf = login(client, app.state.auth.token)
        yield client, runtime, {"Origin": ORIGIN, "X-CSRF-Token": csrf}
    store.close()


def _device(client: Any, role: str) -> dict[str, Any]:
    return dict(client.get("/api/capture/state").json()["devices"][role])


def _faulted(client: Any, role: str) -> dict[str, Any]:
    dev = dict(_until(lambda: (d := _device(client, role))["state"] == "faulted" and d))
    # the Devices page's data says the same
    assert client.get("/api/devices").json()["station"][role] == dev
    return dev


def _reconnect(client: Any, headers: dict[str, str], role: str) -> None:
    r = client.post("/api/devices/reconnect", json={"role": role}, headers=headers)
    assert r.status_code == 200, r.text


def test_reader_worker_survives_a_card_it_cannot_read(station: Any) -> None:
    client, runtime, headers = station
    assert client.post("/api/capture/start", headers=headers).status_code == 200
    # the exact case: a roster name over 15 characters, then the simulator's next card
    r = client.post("/api/sim/next-card", json={}, headers=headers)
    assert r.status_code == 200, r.text
    dev = _faulted(client, "reader")
    assert "ValueError" in dev["problem"] and "Reconnect" in dev["problem"]
    assert LONG_NAME not in dev["problem"] and "明明" not in dev["problem"]
    # the card cannot be read: take it off, Reconnect, and the next card is read
    assert client.post("/api/sim/card", json={"remove": True}, headers=headers).json()["ok"]
    _reconnect(client, headers, "reader")
    assert _device(client, "reader")["state"] == "open"
    doc = _short_student(runtime)
    assert client.post("/api/sim/card", json={"document": doc}, headers=headers).json()["ok"]
    _until(lambda: client.get("/api/capture/state").json()["session"]["state"] != "card")
    assert runtime._workers["reader"].faults == 1 and runtime._workers["reader"].is_alive()


def test_sensor_worker_survives_an_exception(station: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client, runtime, headers = station
    sensor = runtime.device("sensor")
    calls = {"n": 0}
    real = sensor.try_capture

    def flaky(*a: Any, **k: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("a value a driver quoted")
        return real(*a, **k)

    monkeypatch.setattr(sensor, "try_capture", flaky)
    # the sensor works at thumb steps: a card read puts the session there
    client.post("/api/capture/start", headers=headers)
    with_short = _short_student(runtime)
    client.post("/api/sim/card", json={"document": with_short}, headers=headers)
    dev = _faulted(client, "sensor")
    assert dev["problem"].startswith("KeyError (details withheld")
    assert "a value a driver quoted" not in dev["problem"]
    _reconnect(client, headers, "sensor")
    _until(lambda: calls["n"] > 3)  # polling again
    assert _device(client, "sensor")["state"] == "open"


def test_camera_worker_survives_an_exception(station: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client, runtime, headers = station
    camera = runtime.device("camera")
    real = camera.read_frame
    broken = {"on": True}

    def flaky(*a: Any, **k: Any) -> Any:
        if broken["on"]:
            raise ZeroDivisionError("frame")
        return real(*a, **k)

    monkeypatch.setattr(camera, "read_frame", flaky)
    dev = _faulted(client, "camera")
    assert "ZeroDivisionError" in dev["problem"] and dev["problem"].startswith("camera: ")
    broken["on"] = False
    before = runtime.preview.frames_read
    _reconnect(client, headers, "camera")
    _until(lambda: runtime.preview.frames_read > before + 3)
    assert _device(client, "camera")["state"] == "open"


def test_portrait_analysis_worker_survives_an_exception(station: Any,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    client, runtime, headers = station
    from idcapture.biometrics.face import AutoCapture

    real = AutoCapture.feed
    broken = {"on": True}

    def flaky(self: AutoCapture, *a: Any, **k: Any) -> Any:
        if broken["on"]:
            raise IndexError("landmark")
        return real(self, *a, **k)

    monkeypatch.setattr(AutoCapture, "feed", flaky)
    runtime.preview.set_analysing(True)
    dev = _faulted(client, "camera")
    assert dev["problem"].startswith("analysis: IndexError")
    # the camera thread keeps reading, and does not paint the fault over
    before = runtime.preview.frames_read
    _until(lambda: runtime.preview.frames_read > before + 3)
    assert _device(client, "camera")["state"] == "faulted"
    broken["on"] = False
    analyses = runtime.preview.analyses
    _reconnect(client, headers, "camera")
    _until(lambda: runtime.preview.analyses > analyses)
    assert _device(client, "camera")["state"] == "open"


def _short_student(runtime: StationRuntime) -> dict[str, str]:
    st = next(s for s in runtime.store.students().values() if s["name"] != LONG_NAME)
    return {k: st[k] for k in ("id_number", "name", "sex", "birth_date", "ethnicity")}
