"""The HTTP protocol the station's server runs: uvicorn's h11 protocol, with idle
connections closed.

uvicorn times out a keep-alive connection only after a first response; a client that
connects and sends nothing would hold its connection (and a file descriptor) for ever.
:class:`IdleClosingH11Protocol` starts the same keep-alive timer as soon as the
connection is made, so a connection that sends nothing within
:data:`IDLE_TIMEOUT_S` seconds is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["IDLE_TIMEOUT_S", "IdleClosingH11Protocol"]

#: seconds a connection may stay silent, before its first request and between requests
IDLE_TIMEOUT_S = 5


class IdleClosingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the keep-alive timer running from the start."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                            self.timeout_keep_alive_handler)
