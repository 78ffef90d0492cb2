"""Fixtures of the PC/SC tests: ``pcscd`` (session), ``pki`` and ``serve_card``.

See :mod:`pcsc_stack` for how the daemon is started and stopped.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pcsc_stack import MRZ, PCSCD, PORT, READER0, VPCD_LIB, Pcscd, wait_until

from setup_required import missing


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pcsc: needs pcscd with the vpcd virtual reader")


def _unavailable(reason: str) -> None:
    missing(f"PC/SC test stack unavailable: {reason}")


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    """pcscd with vpcd readers ``idcapture Test PCD 00 00/00 01`` (ports 40000/40001)."""
    if not Path(PCSCD).exists():
        _unavailable("pcscd is not installed (apt-get install pcscd)")
    if not VPCD_LIB.exists():
        _unavailable("the vpcd driver is not installed (apt-get install vsmartcard-vpcd)")
    try:
        import smartcard  # noqa: F401
    except ImportError:
        _unavailable("pyscard is not installed (pip install 'idcapture[pcsc]')")
    if os.geteuid() != 0:
        _unavailable("pcscd must be started as root (its socket is /run/pcscd/pcscd.comm)")
    # pcscd is one per machine: test sessions running side by side (several checkouts on
    # one machine) take turns for the whole session instead of restarting each other's
    # daemon.
    lock = open(os.path.join(tempfile.gettempdir(), "idcapture-pcscd-tests.lock"), "w")  # noqa: SIM115 - held for the session
    deadline = time.monotonic() + 900
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                lock.close()
                _unavailable("another test session held the PC/SC test stack for 15 minutes")
            time.sleep(0.5)
    daemon = Pcscd(tmp_path_factory.mktemp("pcscd"))
    try:
        daemon.start()
    except (RuntimeError, OSError) as exc:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        _unavailable(str(exc))
    try:
        yield daemon
    finally:
        try:
            if daemon.ports != (PORT,):
                daemon.configure((PORT,))
            daemon.stop()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()


@pytest.fixture(scope="session")
def pki() -> object:
    from idcapture.sim.emrtd.pki import SimPki

    return SimPki.generate()


@pytest.fixture
def serve_card(pcscd: Pcscd, pki: object) -> Iterator[object]:
    """Factory: ``serve_card(**faults)`` inserts a simulated passport into slot 00 00."""
    from idcapture.sim.emrtd.card import EmrtdCard, Faults
    from idcapture.sim.emrtd.config import card_from_config
    from idcapture.sim.emrtd.vpcd import VpcdCardServer
    from idcapture.transports.pcsc import card_present

    servers: list[VpcdCardServer] = []
    template = card_from_config({"mrz": MRZ, "face": {"width": 240, "height": 320}})

    def factory(face: dict[str, object] | None = None, **faults: object) -> VpcdCardServer:
        groups = template.groups if face is None else card_from_config(
            {"mrz": MRZ, "face": face}).groups
        card = EmrtdCard(MRZ, groups, pki, Faults(**faults))  # type: ignore[arg-type]
        server = VpcdCardServer(card, port=PORT, retry=0.05).start()
        servers.append(server)
        wait_until(lambda: card_present(READER0), 5.0, "the simulated card in " + READER0)
        return server

    yield factory
    for server in servers:
        server.stop()
    if pcscd.running:
        try:
            wait_until(lambda: not card_present(READER0), 5.0, "the card to be removed")
        except Exception:
            pass
