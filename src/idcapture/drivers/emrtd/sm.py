"""Secure messaging with 3DES and the retail MAC (Doc 9303 part 11, section 9.8).

One :class:`SecureMessaging` object holds the session keys and the send sequence counter
(SSC). The terminal uses :meth:`~SecureMessaging.protect` and
:meth:`~SecureMessaging.unprotect`; the card simulator uses the mirror pair
:meth:`~SecureMessaging.unprotect_command` and :meth:`~SecureMessaging.protect_response`.
The SSC is incremented once before each MAC, so it advances by two per exchange. Every
response MAC is verified before anything in the response is used.
"""

from __future__ import annotations

import hmac

from .apdu import CommandApdu, ResponseApdu
from .crypto import des3_decrypt, des3_encrypt, pad, retail_mac, unpad
from .errors import SecureMessagingError
from .tlv import encode_tlv, iter_tlv

__all__ = ["SW_SM_INCORRECT", "SW_SM_MISSING", "SecureMessaging"]

SW_SM_MISSING = 0x6987
SW_SM_INCORRECT = 0x6988


def _do87(ciphertext: bytes) -> bytes:
    return encode_tlv(0x87, b"\x01" + ciphertext)


class SecureMessaging:
    """Session keys (16 bytes each) and the send sequence counter (8-byte unsigned)."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: int) -> None:
        if len(ks_enc) != 16 or len(ks_mac) != 16:
            raise ValueError("secure-messaging keys must be 16 bytes")
        self.ks_enc = ks_enc
        self.ks_mac = ks_mac
        self.ssc = ssc & 0xFFFFFFFFFFFFFFFF

    def _next_ssc(self) -> bytes:
        self.ssc = (self.ssc + 1) & 0xFFFFFFFFFFFFFFFF
        return self.ssc.to_bytes(8, "big")

    def _mac(self, body: bytes) -> bytes:
        return retail_mac(self.ks_mac, self._next_ssc() + body)

    # ---------------------------------------------------------------- terminal side

    def protect(self, cmd: CommandApdu) -> CommandApdu:
        """The protected form of ``cmd`` (CLA with ``0C``, DO87/85, DO97, DO8E)."""
        cla = (cmd.cla & 0xF0) | 0x0C
        header = bytes([cla, cmd.ins, cmd.p1, cmd.p2])
        do_data = b""
        if cmd.data:
            if cmd.ins & 1:
                do_data = encode_tlv(0x85, des3_encrypt(self.ks_enc, pad(cmd.data)))
            else:
                do_data = _do87(des3_encrypt(self.ks_enc, pad(cmd.data)))
        do97 = b""
        if cmd.ne is not None:
            if cmd.ne > 256:
                do97 = encode_tlv(0x97, (cmd.ne & 0xFFFF).to_bytes(2, "big"))
            else:
                do97 = encode_tlv(0x97, bytes([cmd.ne & 0xFF]))
        cc = self._mac(pad(header) + do_data + do97)
        body = do_data + do97 + encode_tlv(0x8E, cc)
        extended = cmd.is_extended or len(body) > 255
        return CommandApdu(cla, cmd.ins, cmd.p1, cmd.p2, body,
                           65536 if extended else 256, extended)

    def unprotect(self, resp: ResponseApdu) -> ResponseApdu:
        """Verify and decrypt a protected response; the result's SW is the one in DO99.

        Raises :class:`SecureMessagingError`: ``sm-error`` for a plain 6987/6988 (the chip
        dropped the session), ``bad-mac`` for a MAC that does not verify, ``sm-format``
        for a response without its MAC.
        """
        if not resp.data:
            if resp.sw in (SW_SM_MISSING, SW_SM_INCORRECT):
                raise SecureMessagingError(
                    f"the chip rejected the secure-messaging command ({resp.sw:04X}) and "
                    "ended the session", resp.sw, "sm-error")
            if resp.sw == 0x9000:
                raise SecureMessagingError("protected response has no MAC (DO8E)", resp.sw,
                                           "sm-format")
            # an unprotected error status: the command failed before SM was applied
            self._next_ssc()
            return resp
        try:
            objects = list(iter_tlv(resp.data))
        except Exception as exc:
            raise SecureMessagingError(f"protected response is not BER-TLV: {exc}",
                                       resp.sw, "sm-format") from None
        mac_input = b""
        cc: bytes | None = None
        encrypted: bytes | None = None
        status: bytes | None = None
        for tag, value in objects:
            if tag == 0x8E:
                cc = value
                break
            mac_input += encode_tlv(tag, value)
            if tag == 0x87:
                encrypted = value
            elif tag == 0x85:
                encrypted = b"\x01" + value
            elif tag == 0x99:
                status = value
        if cc is None:
            raise SecureMessagingError("protected response has no MAC (DO8E)", resp.sw,
                                       "sm-format")
        expected = self._mac(mac_input)
        if not hmac.compare_digest(expected, cc):
            raise SecureMessagingError("the response MAC does not verify (bad MAC)", resp.sw,
                                       "bad-mac")
        if status is None or len(status) != 2:
            raise SecureMessagingError("protected response has no status object (DO99)",
                                       resp.sw, "sm-format")
        data = b""
        if encrypted is not None:
            if not encrypted or encrypted[0] != 0x01 or (len(encrypted) - 1) % 8:
                raise SecureMessagingError("DO87 is not a padded 3DES cryptogram", resp.sw,
                                           "sm-format")
            try:
                data = unpad(des3_decrypt(self.ks_enc, encrypted[1:]))
            except ValueError:
                raise SecureMessagingError("DO87 padding is wrong after decryption", resp.sw,
                                           "sm-format") from None
        return ResponseApdu(data, int.from_bytes(status, "big"))

    # ---------------------------------------------------------------- card side

    def unprotect_command(self, cmd: CommandApdu) -> CommandApdu:
        """Verify and decrypt a protected command (card side).

        Raises :class:`SecureMessagingError` with ``sw`` 6987 (objects missing) or 6988
        (objects incorrect, bad MAC): the card answers that status without SM.
        """
        if cmd.cla & 0x0C != 0x0C:
            raise SecureMessagingError("command is not protected", SW_SM_MISSING, "sm-error")
        try:
            objects = list(iter_tlv(cmd.data))
        except Exception:
            raise SecureMessagingError("command data is not BER-TLV", SW_SM_INCORRECT,
                                       "sm-error") from None
        mac_input = b""
        cc: bytes | None = None
        data = b""
        ne: int | None = None
        for tag, value in objects:
            if tag == 0x8E:
                cc = value
                break
            mac_input += encode_tlv(tag, value)
            if tag in (0x87, 0x85):
                body = value[1:] if tag == 0x87 else value
                try:
                    data = unpad(des3_decrypt(self.ks_enc, body))
                except ValueError:
                    raise SecureMessagingError("bad cryptogram", SW_SM_INCORRECT,
                                               "sm-error") from None
            elif tag == 0x97:
                ne = int.from_bytes(value, "big") or (256 if len(value) == 1 else 65536)
        if cc is None:
            raise SecureMessagingError("command has no MAC", SW_SM_MISSING, "sm-error")
        header = bytes([cmd.cla, cmd.ins, cmd.p1, cmd.p2])
        expected = self._mac(pad(header) + mac_input)
        if not hmac.compare_digest(expected, cc):
            raise SecureMessagingError("command MAC does not verify", SW_SM_INCORRECT,
                                       "sm-error")
        return CommandApdu(cmd.cla & 0xF3, cmd.ins, cmd.p1, cmd.p2, data, ne)

    def protect_response(self, resp: ResponseApdu) -> ResponseApdu:
        """The protected form of a response (card side): DO87, DO99, DO8E, then 9000."""
        body = b""
        if resp.data:
            body += _do87(des3_encrypt(self.ks_enc, pad(resp.data)))
        body += encode_tlv(0x99, resp.sw.to_bytes(2, "big"))
        body += encode_tlv(0x8E, self._mac(body))
        return ResponseApdu(body, 0x9000)
