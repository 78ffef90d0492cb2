"""A connection that sends nothing is closed after the idle timeout (uvicorn alone keeps
it open until a first request has been answered)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")

from uvicorn.protocols.http.h11_impl import H11Protocol  # noqa: E402

from idcapture.web.server import IdleClosingH11Protocol  # noqa: E402


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _serve(protocol: type) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(_app, http=protocol, timeout_keep_alive=1, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


def _silent_for(port: int, wait_s: float) -> bytes | None:
    """Connect, send nothing; what the server sends within ``wait_s`` (``b""``: closed,
    ``None``: still open)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as c:
        try:
            return c.recv(100)
        except TimeoutError:
            return None


@pytest.fixture
def idle_closing() -> Iterator[int]:
    yield from _serve(IdleClosingH11Protocol)


@pytest.fixture
def plain() -> Iterator[int]:
    yield from _serve(H11Protocol)


def test_silent_connection_is_closed(idle_closing: int) -> None:
    t0 = time.monotonic()
    assert _silent_for(idle_closing, 6.0) == b""
    assert time.monotonic() - t0 < 4.0
    with socket.create_connection(("127.0.0.1", idle_closing), timeout=5) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert c.recv(100).startswith(b"HTTP/1.1 204")


def test_plain_uvicorn_keeps_it_open(plain: int) -> None:
    """The baseline the protocol fixes (if uvicorn changes this, the subclass can go)."""
    assert _silent_for(plain, 2.5) is None
