"""The server refuses requests without the token, without CSRF, or from another origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_helpers import login

from idcapture.station import Store
from idcapture.web.security import operator_entry, verify_operator

ORIGIN = {"Origin": "http://testserver"}


def test_no_token_no_access(app_client: tuple) -> None:
    client, _token = app_client
    assert client.get("/api/capture/state").status_code == 401
    r = client.get("/today", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.post("/api/capture/start", headers=ORIGIN).status_code == 401
    assert client.get("/api/capture/state",
                      headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_wrong_token_login_is_refused(app_client: tuple) -> None:
    client, _token = app_client
    page = client.get("/login")
    import re

    pre = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"csrf": pre, "token": "nope"}, headers=ORIGIN)
    assert r.status_code == 403
    assert client.get("/api/capture/state").status_code == 401


def test_login_from_another_origin_is_refused(app_client: tuple) -> None:
    client, token = app_client
    import re

    pre = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"csrf": pre, "token": token},
                    headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/login", data={"csrf": "forged", "token": token}, headers=ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 403


def test_state_changes_need_csrf_and_same_origin(app_client: tuple) -> None:
    client, token = app_client
    csrf = login(client, token)
    assert client.get("/api/capture/state").status_code == 200
    # no CSRF token
    assert client.post("/api/capture/start", headers=ORIGIN).status_code == 403
    # right CSRF token but another origin
    r = client.post("/api/capture/start", headers={"Origin": "http://evil.example",
                                                   "X-CSRF-Token": csrf})
    assert r.status_code == 403
    # no origin at all (and no referer)
    assert client.post("/api/capture/start", headers={"X-CSRF-Token": csrf}).status_code == 403
    r = client.post("/api/capture/start", headers={**ORIGIN, "X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["session"]["state"] == "card"


def test_bearer_requests_from_another_origin_are_refused(app_client: tuple) -> None:
    client, token = app_client
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/capture/start", headers={**auth, "Origin": "http://evil.example"})
    assert r.status_code == 403
    assert client.post("/api/capture/start", headers=auth).status_code == 200


def test_security_headers(app_client: tuple) -> None:
    client, token = app_client
    login(client, token)
    r = client.get("/capture")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text  # no inline code for the policy to allow


def test_websocket_needs_login_and_same_origin(app_client: tuple) -> None:
    from starlette.websockets import WebSocketDisconnect

    client, token = app_client
    with pytest.raises(WebSocketDisconnect), \
            client.websocket_connect("/ws/preview", headers=ORIGIN) as ws:
        ws.receive_bytes()
    login(client, token)
    with pytest.raises(WebSocketDisconnect), \
            client.websocket_connect("/ws/preview", headers={"Origin": "http://evil"}) as ws:
        ws.receive_bytes()
    from idcapture.web.live import unpack_frame

    with client.websocket_connect("/ws/preview", headers=ORIGIN) as ws:
        meta, jpeg = unpack_frame(ws.receive_bytes())
    assert jpeg[:2] == b"\xff\xd8" and meta["w"] == 640 and meta["h"] == 480


def test_operator_login_when_the_store_defines_operators(store_dir: Path) -> None:
    from starlette.testclient import TestClient

    from idcapture.web import WebConfig, create_app

    with Store.open(store_dir) as s:
        s.set_setting("operators", {"wang": operator_entry("s3cret", time_cost=1, memory_kib=8192)})
    app = create_app(WebConfig(store=store_dir, addresses={}, hosts=("testserver",)))
    token = app.state.auth.token
    import re

    with TestClient(app, base_url="http://testserver") as client:
        page = client.get("/login")
        assert 'name="operator"' in page.text
        pre = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = client.post("/login", data={"csrf": pre, "token": token, "operator": "wang",
                                        "password": "wrong"}, headers=ORIGIN)
        assert r.status_code == 403
        pre = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
        r = client.post("/login", data={"csrf": pre, "token": token, "operator": "wang",
                                        "password": "s3cret"}, headers=ORIGIN,
                        follow_redirects=False)
        assert r.status_code == 303
        assert "wang" in client.get("/today").text


def test_operator_entry_round_trip() -> None:
    import hashlib

    from idcapture.web.security import needs_new_entry

    e = operator_entry("pw")
    assert e["argon2"].startswith("$argon2id$") and not needs_new_entry(e)
    assert verify_operator(e, "pw") and not verify_operator(e, "pw2")
    assert not verify_operator({"argon2": "$argon2id$broken"}, "pw")
    assert not verify_operator({"salt": "zz"}, "pw")
    # an entry of an earlier release (PBKDF2) still verifies, and asks to be replaced
    salt = bytes(16)
    old = {"salt": salt.hex(), "iterations": 1000,
           "hash": hashlib.pbkdf2_hmac("sha256", b"pw", salt, 1000).hex()}
    assert verify_operator(old, "pw") and not verify_operator(old, "pw2")
    assert needs_new_entry(old)
