"""What the station refuses (409) and what an export leaves out are explained in the
page's language."""

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


def test_short_refusals_are_in_the_page_language(app_client: tuple) -> None:
    client, token = app_client
    csrf = login(client, token)
    headers = {"Origin": ORIGIN, "X-CSRF-Token": csrf, "Content-Type": "application/json"}
    client.cookies.set("idc_lang", "zh")
    assert client.post("/api/capture/fly", content="{}", headers=headers).json() == {
        "error": "未知的操作"}
    assert client.post("/api/capture/save", content="[1]", headers=headers).json() == {
        "error": "请求内容必须是 JSON 对象"}
    assert client.get("/api/blob/nothex").json() == {"error": "无效的数据编号"}
    no_csrf = {"Origin": ORIGIN, "Content-Type": "application/json"}
    assert client.post("/api/capture/save", content="{}", headers=no_csrf).json() == {
        "error": "CSRF 令牌缺失或错误"}
    client.cookies.set("idc_lang", "en")
    assert client.post("/api/capture/fly", content="{}", headers=headers).json() == {
        "error": "unknown action"}
    assert client.post("/api/capture/save", content="{}", headers=no_csrf).json() == {
        "error": "missing or wrong CSRF token"}


def test_the_export_page_gives_left_out_reasons_in_the_page_language() -> None:
    from idcapture.web.i18n import localize_export_status

    status = {"state": "done", "report": {"exported": 0, "left_out": [
        {"registration_number": "", "id_number": "110101********1234",
         "reasons": ["not on the roster or not registered"]}]}}
    zh = localize_export_status(status, "zh")
    assert zh["report"]["left_out"][0]["reasons"] == ["不在名单上或未报名"]
    assert status["report"]["left_out"][0]["reasons"] == ["not on the roster or not registered"]
    assert localize_export_status({"state": "idle"}, "zh") == {"state": "idle"}
