"""``pcsc:READER``: an ICAO eMRTD (passport, travel ID card) reader over PC/SC.

The target is a reader index (``pcsc:0``) or a reader name or unique name prefix
(``pcsc:ACS ACR122U``). Options:

``mrz``                the MRZ (TD1/TD2/TD3) as one string, for BAC
``doc``/``birth``/``expiry``  or the document number and the dates (YYMMDD)
``trust``              trust store: CSCA certificate files or folders, ``,``-separated
``groups``             data groups to read (default ``1,2``)
``protocol``           ``T1`` (default ``any``) or ``T0``
``chunk``              READ BINARY size (default 223; larger needs extended length)

The access key can also be set with :meth:`PcscEmrtdReader.set_access_key`. After a read,
:attr:`PcscEmrtdReader.last_reading` holds everything read (files, face, passive
authentication) and :meth:`PcscEmrtdReader.read_record` returns a
:class:`~idcapture.record.CaptureRecord` with the identity document, its blobs and the
``passive-authentication`` check. PACE is not implemented: a PACE-only document ends in
:class:`~.errors.UnsupportedDocument` with code ``pace-only``.
"""

from __future__ import annotations

from typing import ClassVar

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.id_reader import IdReader
from ...devices.options import Option
from ...devices.polling import Deadline
from ...errors import ConfigError, DeviceNotFound, DeviceRemoved, DriverUnavailable
from ...record import CaptureRecord, IdentityDocument
from .passive_auth import TrustStore
from .session import AccessKey, EmrtdReading, EmrtdSession

__all__ = ["PcscEmrtdReader"]


class PcscEmrtdReader(IdReader):
    """An eMRTD in a PC/SC reader, read with BAC + secure messaging. Thread-safe."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("mrz", "str", None, "the MRZ lines (the BAC key), instead of doc/birth/expiry"),
        Option("doc", "str", None, "document number (BAC key, with birth and expiry)"),
        Option("birth", "str", None, "date of birth YYMMDD (BAC key)"),
        Option("expiry", "str", None, "date of expiry YYMMDD (BAC key)"),
        Option("trust", "str", None, "CSCA certificate files, comma-separated"),
        Option("groups", "str", "1,2", "data groups to read, comma-separated"),
        Option("chunk", "int", 0xDF, "bytes per READ BINARY"),
        Option("protocol", "str", "any", "PC/SC protocol", choices=("any", "t0", "t1")),
    )

    default_timeout: ClassVar[float] = 10.0
    poll_interval: ClassVar[float] = 0.1

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        opts = self.address
        self._key: AccessKey | None = None
        mrz = opts.option("mrz")
        doc, birth, expiry = opts.option("doc"), opts.option("birth"), opts.option("expiry")
        if mrz:
            self._key = AccessKey.from_mrz(mrz)
        elif doc or birth or expiry:
            if not (doc and birth and expiry):
                raise ConfigError("pcsc: give all three of doc, birth and expiry (or mrz)")
            self._key = AccessKey.from_fields(doc, birth, expiry)
        trust = opts.option("trust")
        self.trust: TrustStore | None = (TrustStore.load(*[p for p in trust.split(",") if p])
                                         if trust else None)
        try:
            self.groups = [int(g) for g in (opts.option("groups") or "1,2").split(",") if g]
        except ValueError:
            raise ConfigError("pcsc: option 'groups' must be numbers like 1,2,11") from None
        self.chunk = opts.int_option("chunk", 0xDF)
        self._protocol_name = opts.option("protocol", "any") or "any"
        self._reader_name = ""
        self._conn: object | None = None
        self.last_reading: EmrtdReading | None = None
        self.last_apdu_count = 0

    # ---------------------------------------------------------------- configuration

    def set_access_key(self, key: AccessKey | None) -> None:
        """The BAC password for the next reads (from the MRZ or typed fields)."""
        with self._lock:
            self._key = key

    @classmethod
    def check_available(cls) -> None:
        try:
            import smartcard.scard  # noqa: F401
        except ImportError:
            raise DriverUnavailable(
                "pcsc", "pyscard is not installed (pip install 'idcapture[pcsc]'; on Linux "
                "it builds from source with swig and libpcsclite-dev)",
                "library-missing") from None
        try:
            import asn1crypto  # noqa: F401
        except ImportError:
            raise DriverUnavailable("pcsc", "asn1crypto is not installed",
                                    "library-missing") from None

    # ---------------------------------------------------------------- primitives

    def _open(self) -> None:
        from ...transports.pcsc import Protocol, list_readers, resolve_reader

        self.check_available()
        try:
            protocol = Protocol.parse(self._protocol_name)
        except ValueError as exc:
            raise ConfigError(f"pcsc: {exc}") from None
        try:
            names = list_readers()
        except DeviceRemoved as exc:
            raise DeviceNotFound(f"PC/SC is not available: {exc}", exc.code) from None
        self._reader_name = resolve_reader(self.address.target or "0", names)
        self._protocol = protocol

    def _close(self) -> None:
        self._disconnect()

    def _disconnect(self) -> None:
        from ...transports.pcsc import PcscConnection

        conn, self._conn = self._conn, None
        if isinstance(conn, PcscConnection):
            conn.disconnect()

    @property
    def reader_name(self) -> str:
        return self._reader_name

    def _detect_card(self, timeout: float) -> bool:
        from ...transports.pcsc import card_present

        return card_present(self._reader_name)

    def _read_document(self, timeout: float) -> IdentityDocument:
        # A read takes seconds (BAC, then EF.SOD and DG2 in many APDUs), so it is bounded
        # by the reader's own timeout (address option), not by the time left of the call:
        # a frontend waiting for a card in short windows would otherwise abort every read
        # it starts. No APDU starts after that budget.
        reading = self._read_emrtd(self.timeout)
        doc, blobs = reading.identity(self.driver_name or "pcsc")
        doc.blobs.update(blobs)
        return doc

    def _read_emrtd(self, timeout: float) -> EmrtdReading:
        from ...transports.pcsc import PcscConnection

        if self._key is None:
            raise ConfigError("no access key: give the MRZ (mrz=...) or the document number, "
                              "birth and expiry dates before reading an eMRTD")
        left = Deadline(timeout).left
        self._disconnect()
        conn = PcscConnection(self._reader_name, self._protocol)
        self._conn = conn
        try:
            conn.connect(settle=max(min(left(), 1.0), 0.0))
            session = EmrtdSession(conn.transmit, self._key, self.trust, self.groups,
                                   self.chunk, left)
            reading = session.read()
            self.last_apdu_count = session.apdus
        finally:
            self._disconnect()
        self.last_reading = reading
        return reading

    # ---------------------------------------------------------------- records

    def read_record(self, timeout: float | None = None) -> CaptureRecord:
        """Wait for a document, read it, and return a draft CaptureRecord."""
        self.read(timeout)
        assert self.last_reading is not None
        return self.last_reading.to_record(self.driver_name or "pcsc")

    def _info(self) -> DeviceInfo:
        return DeviceInfo(self.driver_name or "pcsc", self.kind, str(self.address),
                          f"eMRTD reader {self._reader_name}".strip(), model=self._reader_name)

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        from ...transports.pcsc import list_readers

        try:
            cls.check_available()
            names = list_readers()
        except (DriverUnavailable, DeviceRemoved):
            return []
        return [DeviceInfo(cls.driver_name or "pcsc", cls.kind, f"pcsc:{i}",
                           f"PC/SC reader {name}", model=name) for i, name in enumerate(names)]
