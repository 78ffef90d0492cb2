"""Browser sessions end: on logout, and when they outlive the session lifetime."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_helpers import login

from idcapture.web.security import SESSION_COOKIE, Authenticator

ORIGIN = "http://testserver"
DEVICES = {"reader": "sim:id-reader?card=none&poll=0.01", "camera": "sim:camera?fps=30",
           "sensor": "sim:fingerprint?finger=none&poll=0.02"}


@pytest.fixture
def client_auth(store_dir: Path) -> Iterator[tuple[Any, Authenticator]]:
    from starlette.testclient import TestClient

    from idcapture.web import WebConfig, create_app

    auth = Authenticator(session_ttl_s=3600)
    app = create_app(WebConfig(store=store_dir, addresses=dict(DEVICES), hosts=("testserver",)),
                     auth=auth)
    with TestClient(app, base_url=ORIGIN) as client:
        yield client, auth


def test_logout_ends_the_session_for_good(client_auth: tuple[Any, Authenticator]) -> None:
    client, auth = client_auth
    csrf = login(client, auth.token)
    sid = client.cookies.get(SESSION_COOKIE)
    assert sid and client.get("/api/capture/state").status_code == 200
    # logging out is a state change: without the CSRF token it is refused
    assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 403
    assert client.get("/api/capture/state").status_code == 200
    r = client.post("/logout", headers={"Origin": ORIGIN, "X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert client.get("/api/capture/state").status_code == 401
    client.cookies.set(SESSION_COOKIE, sid)  # a copy of the old cookie is worth nothing
    assert client.get("/api/capture/state").status_code == 401
    assert auth.session(sid) is None


def test_a_session_older_than_its_lifetime_is_refused(
        client_auth: tuple[Any, Authenticator]) -> None:
    client, auth = client_auth
    login(client, auth.token)
    sid = client.cookies.get(SESSION_COOKIE)
    session = auth.session(sid)
    assert session is not None and client.get("/api/capture/state").status_code == 200
    session.created = time.time() - auth.session_ttl_s + 60  # a minute of life left
    assert client.get("/api/capture/state").status_code == 200
    session.created = time.time() - auth.session_ttl_s - 1  # past its lifetime
    assert client.get("/api/capture/state").status_code == 401
    r = client.get("/today", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert auth.session(sid) is None  # and it is forgotten, not kept alive
    login(client, auth.token)  # logging in again gives a new session
    assert client.cookies.get(SESSION_COOKIE) != sid
    assert client.get("/api/capture/state").status_code == 200
