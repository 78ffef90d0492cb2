"""The HTTP protocol the station's server runs: uvicorn's h11 protocol, with idle and
trickling connections closed.

uvicorn times out a keep-alive connection only after a first response; a client that
connects and sends nothing would hold its connection (and a file descriptor) for ever.
:class:`IdleClosingH11Protocol` starts the same keep-alive timer as soon as the
connection is made, so a connection that sends nothing within
:data:`IDLE_TIMEOUT_S` seconds is closed. A client that sends a request's headers a byte
at a time resets that timer with every byte; the protocol therefore also gives each
request :data:`HEADER_TIMEOUT_S` seconds, from the connection (or the previous response)
on, to complete its headers, and closes the connection when they are not complete by
then.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HEADER_TIMEOUT_S", "IDLE_TIMEOUT_S", "IdleClosingH11Protocol"]

#: seconds a connection may stay silent, before its first request and between requests
IDLE_TIMEOUT_S = 5
#: seconds a request's headers may take to arrive, counted from the connection or from
#: the previous response
HEADER_TIMEOUT_S = 10.0


class IdleClosingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the keep-alive timer running from the start."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                            self.timeout_keep_alive_handler)
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
        self._header_deadline = self.loop.call_later(self.header_timeout_s,
                                                     self._header_deadline_passed)

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        # the client is still sending the request line and headers (h11: IDLE)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None
        super().connection_lost(exc)
