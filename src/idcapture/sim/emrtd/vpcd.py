"""Serve a simulated card on the virtual PC/SC reader driver's (vpcd) socket.

vpcd, loaded by pcscd, listens on TCP (35963 for slot ``Virtual PCD 00 00`` by default).
A card is *inserted* when an emulator connects and *removed* when it closes the socket.
Messages are a 2-byte big-endian length and that many bytes: one control byte from vpcd
(``00`` power off, ``01`` power on, ``02`` reset, ``04`` get ATR, answered with the
ATR), or a command APDU, answered with the response APDU.

The server reconnects every ``retry`` seconds, so it survives a pcscd restart, and sets
``TCP_NODELAY`` and re-arms ``TCP_QUICKACK`` before each read (otherwise every APDU
stalls ~40 ms on delayed ACKs).
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from .card import ATR, EmrtdCard

__all__ = ["DEFAULT_PORT", "VpcdCardServer"]

DEFAULT_PORT = 35963
log = logging.getLogger("idcapture.sim.emrtd")


class _Closed(Exception):
    pass


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        quickack = getattr(socket, "TCP_QUICKACK", None)
        if quickack is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
            except OSError:
                pass
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise _Closed()
        buf += chunk
    return bytes(buf)


class VpcdCardServer:
    """Put ``card`` into the vpcd slot listening on ``host:port``.

    :meth:`start` runs it in a thread; :meth:`serve_forever` in the caller's thread.
    :meth:`remove` pulls the card (closes the socket and stays away) and :meth:`insert`
    puts it back. The card's ``remove_after`` fault pulls it by itself.
    """

    def __init__(self, card: EmrtdCard, host: str = "localhost", port: int = DEFAULT_PORT,
                 retry: float = 0.2) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.retry = retry
        self._stop = threading.Event()
        self._inserted = threading.Event()
        self._inserted.set()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.connections = 0

    # ---------------------------------------------------------------- control

    def start(self) -> VpcdCardServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True,
                                        name=f"vpcd-card-{self.port}")
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._inserted.set()
        self._close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def remove(self) -> None:
        """Pull the card out of the reader until :meth:`insert`."""
        self._inserted.clear()
        self._close()

    def insert(self) -> None:
        """Put the card back (clears the ``remove_after`` fault)."""
        self.card.faults.remove_after = None
        self.card.apdu_count = 0
        self._inserted.set()

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        self.connected.clear()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    # ---------------------------------------------------------------- loop

    def serve_forever(self) -> None:
        while not self._stop.is_set():
            self._inserted.wait()
            if self._stop.is_set():
                break
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                self._stop.wait(self.retry)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self.connections += 1
            self.card.reset()
            self.connected.set()
            log.debug("card inserted on port %d", self.port)
            try:
                self._serve(sock)
            except (_Closed, OSError):
                pass
            finally:
                self._close()
            if not self._stop.is_set():
                self._stop.wait(self.retry)

    def _serve(self, sock: socket.socket) -> None:
        card = self.card
        while not self._stop.is_set():
            n = int.from_bytes(_recv_exact(sock, 2), "big")
            msg = _recv_exact(sock, n) if n else b""
            if len(msg) == 1:
                if msg[0] in (0x00, 0x02):
                    card.reset()
                elif msg[0] == 0x04:
                    sock.sendall(len(ATR).to_bytes(2, "big") + ATR)
                continue
            if not msg:
                continue
            limit = card.faults.remove_after
            if limit is not None and card.apdu_count >= limit:
                log.debug("card pulled after %d APDUs", card.apdu_count)
                self.remove()
                return
            if card.faults.delay_s:
                time.sleep(card.faults.delay_s)
            resp = card.apdu(msg)
            sock.sendall(len(resp).to_bytes(2, "big") + resp)
