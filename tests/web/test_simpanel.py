"""The simulator panel's endpoint: the next student's card, a stranger's card, the toggle."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from web_helpers import ORIGIN, login

from idcapture.privacy import mask_id_number, mask_name
from idcapture.station import Store
from idcapture.web.simcontrol import next_student, stranger


def _headers(csrf: str) -> dict[str, str]:
    return {"Origin": ORIGIN, "X-CSRF-Token": csrf}


def _wait_state(client: Any, *states: str, timeout: float = 20.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while True:
        snap: dict[str, Any] = client.get("/api/capture/state").json()
        if snap["session"] and snap["session"]["state"] in states:
            return snap
        assert time.monotonic() < end, snap["session"]
        time.sleep(0.05)


def test_panel_shows_only_with_sim_control(app_client: tuple, store_dir: Path) -> None:
    client, token = app_client
    login(client, token)
    page = client.get("/capture").text
    assert 'id="sim-panel"' in page and 'id="sim-next-card"' in page
    assert "<style" not in page and "<script>" not in page

    from starlette.testclient import TestClient

    from idcapture.web import WebConfig, create_app

    app = create_app(WebConfig(store=store_dir, addresses={}, hosts=("testserver",)))
    with TestClient(app, base_url="http://testserver") as other:
        login(other, app.state.auth.token)
        assert 'id="sim-panel"' not in other.get("/capture").text
        # and the endpoint does not exist there
        assert other.post("/api/sim/next-card", json={}).status_code in (403, 404)


def test_next_card_places_the_next_uncaptured_student(app_client: tuple,
                                                      store_dir: Path) -> None:
    client, token = app_client
    csrf = login(client, token)
    # without the CSRF token it is refused like any other POST
    assert client.post("/api/sim/next-card", json={}, headers={"Origin": ORIGIN}).status_code == 403
    with Store.open(store_dir) as s:
        want = next_student(s)
    assert want is not None
    r = client.post("/api/capture/start", headers=_headers(csrf))
    assert r.status_code == 200
    r = client.post("/api/sim/next-card", json={}, headers=_headers(csrf))
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["name"] == mask_name(want["name"]) and want["name"] not in r.text
    assert reply["id_number"] == mask_id_number(want["id_number"])
    assert want["id_number"] not in r.text
    snap = _wait_state(client, "portrait", "decision", "right-thumb")
    assert snap["session"]["state"] != "decision"  # card agrees with the roster
    assert snap["card"]["name"] == snap["roster"]["name"] == want["name"]
    assert snap["card"]["birth_date"] == want["birth_date"]
    assert snap["card_photo"], "the card carries the demo-face chip photo"
    photo = client.get(f"/api/blob/{snap['card_photo']}")
    assert photo.status_code == 200 and photo.content[:2] == b"BM"


def test_next_card_off_roster_is_refused(app_client: tuple) -> None:
    client, token = app_client
    csrf = login(client, token)
    client.post("/api/capture/start", headers=_headers(csrf))
    r = client.post("/api/sim/next-card", json={"on_roster": False}, headers=_headers(csrf))
    assert r.status_code == 200, r.text
    snap = _wait_state(client, "refused")
    assert snap["session"]["code"] == "not-on-roster", snap["session"]
    assert snap["card"] is None  # a refused card leaves nothing captured


def test_stranger_is_never_on_the_roster(store_dir: Path) -> None:
    with Store.open(store_dir) as s:
        on_roster = set(s.students())
        for _ in range(20):
            assert stranger(s)["id_number"] not in on_roster


def test_next_student_follows_the_today_page(store_dir: Path) -> None:
    from idcapture.web.pages import today_rows

    with Store.open(store_dir) as s:
        rows, _counts = today_rows(s)
        first = next_student(s)
    todo = [r for r in rows if r["status"] == "to-capture"]
    assert first is not None and todo
    assert (first["name"], mask_id_number(first["id_number"])) == (todo[0]["name"],
                                                                   todo[0]["id_number"])


def test_sensor_toggle_flips_and_reports(app_client: tuple) -> None:
    client, token = app_client
    csrf = login(client, token)
    body = {"role": "sensor", "toggle": True}
    r1 = client.post("/api/sim/unplug", json=body, headers=_headers(csrf)).json()
    r2 = client.post("/api/sim/unplug", json=body, headers=_headers(csrf)).json()
    assert r1["unplugged"] is True and r2["unplugged"] is False


def test_face_vs_card_runs_on_the_station_serve_sim_devices(store_dir: Path) -> None:
    """With the devices of ``station serve --sim`` the card photo decodes and is compared
    with the portrait: the shipped face on the simulated camera matches the card."""
    from starlette.testclient import TestClient

    from idcapture.cli.web_cmd import SIM_ADDRESSES
    from idcapture.web import WebConfig, create_app

    app = create_app(WebConfig(store=store_dir, addresses=dict(SIM_ADDRESSES),
                               sim_control=True, hosts=("testserver",)))
    with TestClient(app, base_url="http://testserver") as client:
        csrf = login(client, app.state.auth.token)
        assert client.post("/api/capture/start", headers=_headers(csrf)).status_code == 200
        assert client.post("/api/sim/next-card", json={},
                           headers=_headers(csrf)).status_code == 200
        snap = _wait_state(client, "right-thumb", timeout=60.0)  # the portrait auto-captured
        checks = {c["name"]: c for c in snap["checks"]}
        assert checks["face-vs-card"]["outcome"] == "passed", checks["face-vs-card"]
        photo = client.get(f"/api/blob/{snap['card_photo']}").content
        from idcapture.formats.images import load_image

        assert load_image(photo, "RGB").shape[:2] == (126, 102)  # decodes, to show and compare
        # a card placed by document (the browser tests' way) carries it when asked
        client.post("/api/capture/cancel", json={}, headers=_headers(csrf))
        client.post("/api/capture/start", headers=_headers(csrf))
        with Store.open(store_dir) as s:
            row = next_student(s)
        assert row is not None
        r = client.post("/api/sim/card", json={"document": {**row, "photo": "demo"}},
                        headers=_headers(csrf))
        assert r.status_code == 200, r.text
        snap = _wait_state(client, "portrait", "right-thumb", timeout=30.0)
        assert snap["card_photo"]
