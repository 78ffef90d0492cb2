"""Login: the token is checked before any password hash, hashes run off the event loop
and cost the same for unknown operator names, and failed logins are rate-limited."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_helpers import ORIGIN

from idcapture.station import Store
from idcapture.web import security
from idcapture.web.security import LOGIN_FAILURES, LoginThrottle, operator_entry

HEADERS = {"Origin": ORIGIN}


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every password verification the web security module makes: (the Argon2 cost
    parameters of the hash verified against, on an event loop)."""
    from argon2 import PasswordHasher

    calls: list[tuple[str, bool]] = []
    real = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str) -> bool:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        calls.append((hash.split("$")[3], on_loop))
        return bool(real(self, hash, password))

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return calls


@pytest.fixture
def op_client(store_dir: Path) -> Iterator[tuple[Any, str]]:
    from starlette.testclient import TestClient

    from idcapture.web import WebConfig, create_app

    with Store.open(store_dir) as s:
        s.set_setting("operators", {"wang": operator_entry("s3cret")})
    app = create_app(WebConfig(store=store_dir, addresses={}, hosts=("testserver",)))
    with TestClient(app, base_url="http://testserver") as client:
        yield client, app.state.auth.token


def _try(client: Any, token: str, operator: str, password: str) -> Any:
    pre = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    return client.post("/login", data={"csrf": pre, "token": token, "operator": operator,
                                       "password": password}, headers=HEADERS,
                       follow_redirects=False)


def test_wrong_token_costs_no_hash(op_client: tuple, hashes: list[tuple[str, bool]]) -> None:
    client, _token = op_client
    security._DUMMY.clear()
    for name in ("wang", "nobody"):
        assert _try(client, "wrong-token", name, "s3cret").status_code == 403
    assert hashes == []


def test_unknown_and_known_names_cost_the_same_hash_off_the_loop(
        op_client: tuple, hashes: list[tuple[str, bool]]) -> None:
    client, token = op_client
    assert _try(client, token, "nobody", "x").status_code == 403
    assert _try(client, token, "wang", "x").status_code == 403
    assert _try(client, token, "wang", "s3cret").status_code == 303
    # three verifications at one cost: the unknown name's against the dummy entry too
    assert [cost for cost, _ in hashes] == ["m=65536,t=3,p=4"] * 3
    assert not any(loop for _, loop in hashes)


def test_failed_logins_are_rate_limited(op_client: tuple) -> None:
    client, token = op_client
    for _ in range(LOGIN_FAILURES):
        assert _try(client, "wrong", "wang", "x").status_code == 403
    r = _try(client, token, "wang", "s3cret")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "content-security-policy" in r.headers


def test_throttle_window() -> None:
    now = [0.0]
    t = LoginThrottle(limit=2, window_s=10.0, clock=lambda: now[0])
    t.failed("a")
    assert t.wait_s("a") == 0
    t.failed("a")
    assert t.wait_s("a") == pytest.approx(10.0) and t.wait_s("b") == 0
    now[0] = 10.5
    assert t.wait_s("a") == 0
    t.failed("a")
    t.succeeded("a")
    assert t.wait_s("a") == 0
