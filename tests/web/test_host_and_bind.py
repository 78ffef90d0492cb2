"""DNS rebinding and careless binding: only the loopback names (and names the server is
published under) are answered; a non-loopback bind needs --allow-remote and TLS, and
never carries the simulator controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from idcapture.cli import main
from idcapture.web.security import host_allowed, is_loopback


def test_host_allowed() -> None:
    for host in ("127.0.0.1", "127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:80",
                 "[::1]"):
        assert host_allowed(host), host
    for host in ("", "evil.example", "evil.example:8765", "127.0.0.1.evil.example",
                 "localhost.evil.example", "[::2]:80", "10.0.0.5:8765", "::1"):
        assert not host_allowed(host), host
    assert host_allowed("station.school.example:443", {"station.school.example"})


def test_rebound_host_is_refused_with_headers(app_client: tuple) -> None:
    client, _token = app_client
    for path in ("/login", "/api/capture/state", "/nothing-here"):
        r = client.get(path, headers={"Host": "evil.example:8765"})
        assert r.status_code == 400 and r.json() == {"error": "未知的主机名（Host）"}
        assert "content-security-policy" in r.headers
    assert client.get("/login").status_code == 200  # the configured name
    r = client.post("/login", headers={"Host": "evil.example", "Origin": "http://evil.example"},
                    data={"token": "x"})
    assert r.status_code == 400


def test_rebound_websocket_is_closed(app_client: tuple) -> None:
    from starlette.websockets import WebSocketDisconnect

    client, _token = app_client
    with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect(
            "/ws/preview", headers={"Host": "evil.example"}) as ws:
        ws.receive_bytes()
    assert exc.value.code == 4400


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.5.5.5")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback(
        "192.168.1.10") and not is_loopback("station.local")


@pytest.mark.parametrize(("extra", "needle"), [
    ([], "--allow-remote"),
    (["--allow-remote"], "--tls-cert"),
    (["--allow-remote", "--sim"], "loopback only"),
    (["--allow-remote", "--tls-cert", "missing.pem", "--tls-key", "missing.key"],
     "not found"),
])
def test_non_loopback_bind_is_refused(store_dir: Path, capsys: pytest.CaptureFixture[str],
                                      extra: list[str], needle: str) -> None:
    for host in ("0.0.0.0", "192.168.1.10"):
        assert main(["station", "serve", "--store", str(store_dir), "--host", host,
                     *extra]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err, err
