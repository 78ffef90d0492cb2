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


class _QuickHeaders(IdleClosingH11Protocol):
    header_timeout_s = 2.0


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


@pytest.fixture
def quick_headers() -> Iterator[int]:
    yield from _serve(_QuickHeaders)


def test_headers_trickling_in_are_cut_off(quick_headers: int) -> None:
    """A request line and headers sent a byte at a time, each byte well inside the idle
    timeout: the connection is closed when the header deadline passes."""
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200
    closed_after = None
    with socket.create_connection(("127.0.0.1", quick_headers), timeout=5) as c:
        t0 = time.monotonic()
        for i in range(len(request)):
            try:
                c.sendall(request[i:i + 1])
            except OSError:
                closed_after = i
                break
            c.settimeout(0.3)
            try:
                if c.recv(100) == b"":
                    closed_after = i
                    break
            except TimeoutError:
                pass
        assert closed_after is not None, "the trickling client was never cut off"
        assert time.monotonic() - t0 < 30
    # a request sent at once is still answered, and the next one on the same connection
    with socket.create_connection(("127.0.0.1", quick_headers), timeout=5) as c:
        for _ in range(2):
            c.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert c.recv(100).startswith(b"HTTP/1.1 204")
