"""The simulated eMRTD chip: answers APDUs in-process, with scriptable faults.

It reuses the reader's own codecs (:mod:`idcapture.drivers.emrtd`) from the chip side:
:class:`~idcapture.drivers.emrtd.bac.BacChip` and the card half of
:class:`~idcapture.drivers.emrtd.sm.SecureMessaging`.

Faults (:class:`Faults`, settable while the card is served):

``access_mrz``
    BAC keys come from this MRZ information instead of DG1's, so the right MRZ fails.
``bad_mac_after``
    the protected response after this many protected exchanges carries a wrong MAC.
``sm_error_after``
    the protected command after this many protected exchanges is answered with a plain
    6988 (as a chip does when it rejects SM), and the session keys are dropped.
``remove_after``
    after this many APDUs in total the card is pulled (the server closes the socket).
``delay_s``
    every APDU is answered this much later (a slow card).
``tamper_dg``
    these data groups have one bit changed (three quarters in) after the SOD was signed.
``pace_only``
    the chip offers EF.CardAccess and refuses BAC, like a PACE-only ID card.
``no_application``
    the LDS1 application is missing (not an eMRTD).
``response_chunk``
    plain responses longer than this are chained with ``61xx`` / GET RESPONSE (T=0 style).

Pacing is not a fault: with a :class:`~idcapture.sim.emrtd.link.Link` (``link=``, or a
card file's ``link``) every APDU is answered no sooner than the modelled time of its
exchange on an ISO/IEC 14443 link; ``link_seconds`` adds those times up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...drivers.emrtd.apdu import CommandApdu, ResponseApdu
from ...drivers.emrtd.bac import BacChip, BacKeys
from ...drivers.emrtd.errors import SecureMessagingError
from ...drivers.emrtd.lds import DG_FID, EF_COM_FID, EF_SOD_FID, encode_ef_com
from ...drivers.emrtd.mrz import parse_mrz
from ...drivers.emrtd.sm import SecureMessaging
from ...errors import ProtocolError
from .link import Link
from .pki import SimPki, build_sod

__all__ = ["AID_LDS1", "ATR", "EmrtdCard", "Faults"]

AID_LDS1 = bytes.fromhex("A0000002471001")
#: the ATR the simulator reports (historical bytes "eMRTDsim")
ATR = bytes.fromhex("3B 88 80 01 65 4D 52 54 44 73 69 6D 14")
EF_CARD_ACCESS_FID = 0x011C
#: a minimal EF.CardAccess announcing PACE (id-PACE-ECDH-GM-AES-CBC-CMAC-128, param 13)
CARD_ACCESS = bytes.fromhex("3114300C060A04007F0007020204020202010202010D")


@dataclass
class Faults:
    """What the card does wrong. See the module docstring."""

    access_mrz: str | None = None
    bad_mac_after: int | None = None
    sm_error_after: int | None = None
    remove_after: int | None = None
    delay_s: float = 0.0
    tamper_dg: list[int] = field(default_factory=list)
    pace_only: bool = False
    no_application: bool = False
    response_chunk: int | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Faults:
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)  # type: ignore[arg-type]


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


class EmrtdCard:
    """One simulated chip. ``apdu(bytes) -> bytes`` is thread-safe."""

    def __init__(self, mrz: str, groups: Mapping[int, bytes], pki: SimPki | None = None,
                 faults: Faults | None = None, link: Link | None = None) -> None:
        self.mrz = parse_mrz(mrz)
        self.link = link
        self.link_seconds = 0.0
        self.pki = pki or SimPki.generate()
        self.faults = faults or Faults()
        self.groups = dict(groups)
        self.ef_com = encode_ef_com(sorted(self.groups))
        self.sod = build_sod(self.groups, self.pki.ds_cert, self.pki.ds_key)
        self.apdu_count = 0
        self.sm_exchanges = 0
        self._lock = threading.Lock()
        self.reset()

    # ---------------------------------------------------------------- state

    def reset(self) -> None:
        """Power cycle: nothing selected, no session."""
        self._app_selected = False
        self._selected: bytes | None = None
        self._bac = BacChip(self._keys())
        self._sm: SecureMessaging | None = None
        self._pending = b""

    def _keys(self) -> BacKeys:
        info = self.faults.access_mrz or self.mrz.mrz_information()
        return BacKeys.from_mrz_information(info)

    def files(self) -> dict[int, bytes]:
        """The LDS1 files by FID, with ``tamper_dg`` applied."""
        out = {EF_COM_FID: self.ef_com, EF_SOD_FID: self.sod}
        for n, content in self.groups.items():
            if n in self.faults.tamper_dg:
                mid = len(content) * 3 // 4
                content = content[:mid] + bytes([content[mid] ^ 0x01]) + content[mid + 1:]
            out[DG_FID[n]] = content
        return out

    @property
    def should_remove(self) -> bool:
        """Whether the ``remove_after`` fault says the card is now pulled."""
        n = self.faults.remove_after
        return n is not None and self.apdu_count >= n

    # ---------------------------------------------------------------- APDUs

    def apdu(self, raw: bytes) -> bytes:
        """Answer one command APDU (no sooner than its exchange takes on ``link``)."""
        start = time.perf_counter()
        out = self._answer(raw)
        link = self.link
        if link is not None:
            due = link.exchange_time(len(raw), len(out))
            with self._lock:
                self.link_seconds += due
            while (left := start + due - time.perf_counter()) > 0:
                time.sleep(left)
        return out

    def _answer(self, raw: bytes) -> bytes:
        with self._lock:
            self.apdu_count += 1
            try:
                cmd = CommandApdu.decode(raw)
            except ProtocolError:
                return _sw(0x6700)
            if cmd.cla == 0x00 and cmd.ins == 0xC0:
                return self._get_response(cmd)
            self._pending = b""
            if cmd.cla & 0x0C == 0x0C:
                out = self._protected(cmd).encode()
            else:
                if self._sm is not None:
                    self._sm = None  # a plain command ends the session
                out = self._plain(cmd).encode()
            return self._chain(out)

    def _chain(self, out: bytes) -> bytes:
        chunk = self.faults.response_chunk
        if not chunk or len(out) - 2 <= chunk:
            return out
        data, sw = out[:-2], out[-2:]
        self._pending = data[chunk:] + sw
        left = len(data) - chunk
        return data[:chunk] + bytes([0x61, min(left, 256) & 0xFF])

    def _get_response(self, cmd: CommandApdu) -> bytes:
        if not self._pending:
            return _sw(0x6985)
        n = cmd.ne or 256
        data, sw = self._pending[:-2], self._pending[-2:]
        if len(data) <= n:
            self._pending = b""
            return data + sw
        self._pending = data[n:] + sw
        left = len(data) - n
        return data[:n] + bytes([0x61, min(left, 256) & 0xFF])

    def _plain(self, cmd: CommandApdu) -> ResponseApdu:
        f = self.faults
        if cmd.ins == 0xA4 and cmd.p1 == 0x04:
            if cmd.data == AID_LDS1 and not f.no_application:
                self._app_selected = True
                self._selected = None
                return ResponseApdu(b"", 0x9000)
            return ResponseApdu(b"", 0x6A82)
        if cmd.ins == 0xB0 and cmd.p1 & 0x80 and not self._app_selected:
            if (cmd.p1 & 0x1F) == 0x1C and f.pace_only:
                return self._read(CARD_ACCESS, cmd.p2, cmd.ne or 256)
            return ResponseApdu(b"", 0x6A82)
        if cmd.ins == 0x84:
            if not self._app_selected:
                return ResponseApdu(b"", 0x6985)
            if f.pace_only:
                return ResponseApdu(b"", 0x6D00)
            return ResponseApdu(self._bac.challenge(), 0x9000)
        if cmd.ins == 0x82:
            if f.pace_only:
                return ResponseApdu(b"", 0x6D00)
            result = self._bac.authenticate(cmd.data)
            if result is None:
                return ResponseApdu(b"", 0x6300)
            answer, self._sm = result
            self.sm_exchanges = 0
            return ResponseApdu(answer, 0x9000)
        if cmd.ins in (0xA4, 0xB0, 0xB1):
            return ResponseApdu(b"", 0x6982)
        return ResponseApdu(b"", 0x6D00)

    def _protected(self, cmd: CommandApdu) -> ResponseApdu:
        sm = self._sm
        if sm is None:
            return ResponseApdu(b"", 0x6987)
        f = self.faults
        n = self.sm_exchanges
        self.sm_exchanges += 1
        if f.sm_error_after is not None and n >= f.sm_error_after:
            self._sm = None
            return ResponseApdu(b"", 0x6988)
        try:
            inner = sm.unprotect_command(cmd)
        except SecureMessagingError as exc:
            self._sm = None
            return ResponseApdu(b"", exc.sw or 0x6988)
        resp = sm.protect_response(self._inner(inner))
        if f.bad_mac_after is not None and n >= f.bad_mac_after:
            body = bytearray(resp.data)
            body[-1] ^= 0xFF  # last byte of DO8E
            resp = ResponseApdu(bytes(body), resp.sw)
        return resp

    def _inner(self, cmd: CommandApdu) -> ResponseApdu:
        files = self.files()
        if cmd.ins == 0xA4 and cmd.p1 == 0x02:
            fid = int.from_bytes(cmd.data, "big") if len(cmd.data) == 2 else -1
            if fid not in files:
                return ResponseApdu(b"", 0x6A82)
            self._selected = files[fid]
            return ResponseApdu(b"", 0x9000)
        if cmd.ins == 0xB0:
            if cmd.p1 & 0x80:
                fid = 0x0100 | (cmd.p1 & 0x1F)
                if fid not in files:
                    return ResponseApdu(b"", 0x6A82)
                self._selected = files[fid]
                offset = cmd.p2
            else:
                offset = (cmd.p1 << 8) | cmd.p2
            if self._selected is None:
                return ResponseApdu(b"", 0x6986)
            return self._read(self._selected, offset, cmd.ne or 256)
        return ResponseApdu(b"", 0x6D00)

    @staticmethod
    def _read(content: bytes, offset: int, ne: int) -> ResponseApdu:
        if offset > len(content):
            return ResponseApdu(b"", 0x6B00)
        data = content[offset:offset + ne]
        return ResponseApdu(data, 0x9000 if len(data) == ne else 0x6282)
