"""An action the station refuses (409) is explained in the page's language."""

from __future__ import annotations

from typing import Any

from web_helpers import ORIGIN, login


def _save(client: Any, csrf: str) -> Any:
    return client.post("/api/capture/save", content="{}", headers={
        "Origin": ORIGIN, "X-CSRF-Token": csrf, "Content-Type": "application/json"})


def test_a_refused_action_is_explained_in_the_page_language(app_client: tuple) -> None:
    client, token = app_client
    csrf = login(client, token)
    client.cookies.set("idc_lang", "zh")
    r = _save(client, csrf)
    assert r.status_code == 409, r.text
    assert r.json() == {"error": "没有进行中的采集：请先开始采集", "code": "no-session"}
    client.cookies.set("idc_lang", "en")
    r = _save(client, csrf)
    assert r.json()["error"] == "no capture session: start one first"
