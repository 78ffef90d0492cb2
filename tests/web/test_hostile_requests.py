"""Hostile requests get a 4xx naming what was wrong, never a 500 with a traceback;
an exception escaping a route is a bare 500 that still carries the security headers
and quotes nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from web_helpers import ORIGIN, login

from idcapture.web.security import MAX_BODY, MAX_JSON_BODY

NESTED = "[" * 20_000 + "]" * 20_000  # within the size cap, far past the parser depth


def _post(client: Any, csrf: str, path: str, body: str | bytes) -> Any:
    return client.post(path, content=body, headers={
        "Origin": ORIGIN, "X-CSRF-Token": csrf, "Content-Type": "application/json"})


def _secured(r: Any) -> None:
    assert "content-security-policy" in r.headers and r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("body", ['{"seed": "abc"}', '{"seed": 1e400}', "[1]",
                                  '{"seed": true}', '{"seed": -1}', '{"seed": 1.5}',
                                  "{not json", NESTED])
def test_sim_finger_bad_input_is_400(app_client: tuple, body: str) -> None:
    client, token = app_client
    csrf = login(client, token)
    r = _post(client, csrf, "/api/sim/finger", body)
    assert r.status_code == 400, r.text
    assert "error" in r.json()
    _secured(r)


@pytest.mark.parametrize("path", ["/api/capture/decide", "/lang", "/api/check/reopen",
                                  "/api/devices/reconnect", "/api/sim/unplug"])
def test_deeply_nested_body_is_400_on_every_json_route(app_client: tuple, path: str) -> None:
    client, token = app_client
    csrf = login(client, token)
    r = _post(client, csrf, path, NESTED)
    assert r.status_code == 400, (path, r.status_code, r.text[:200])
    _secured(r)


def test_oversized_bodies_are_413(app_client: tuple) -> None:
    client, token = app_client
    csrf = login(client, token)
    r = _post(client, csrf, "/lang", '{"lang": "' + "x" * MAX_JSON_BODY + '"}')
    assert r.status_code == 413
    _secured(r)
    r = client.post("/login", content=b"token=" + b"x" * MAX_BODY, headers={
        "Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    _secured(r)


def test_an_escaping_exception_is_a_bare_500_with_headers(
        app_client: tuple, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from idcapture.web import app as app_module

    client, token = app_client
    login(client, token)

    def boom(_store: object) -> Any:
        raise ValueError("北京示范中学 110101200001011234 cannot be used")

    monkeypatch.setattr(app_module, "check_rows", boom)
    with caplog.at_level(logging.ERROR, logger="idcapture.web"):
        r = client.get("/check")
    assert r.status_code == 500
    assert r.json() == {"error": "内部错误"}  # the page language, Chinese by default
    _secured(r)
    assert "北京" not in caplog.text and "110101" not in caplog.text
    assert "ValueError" in caplog.text


def test_action_errors_from_other_libraries_are_not_echoed(app_client: tuple) -> None:
    client, token = app_client
    csrf = login(client, token)
    _post(client, csrf, "/api/capture/start", "{}")
    r = _post(client, csrf, "/api/capture/redo", '{"step": "张三丰110101200001011234"}')
    assert r.status_code == 409
    assert "张三" not in r.text and "110101" not in r.text
