"""ICAO Doc 9303 part 11, appendix D: the worked example of BAC and secure messaging.

Every value below is from the worked example; the code must reproduce it byte for byte.
"""

from __future__ import annotations

import pytest

from idcapture.drivers.emrtd.apdu import CommandApdu, ResponseApdu
from idcapture.drivers.emrtd.bac import BacChip, BacKeys, BacTerminal, session_from_seed
from idcapture.drivers.emrtd.crypto import ENC, MAC, adjust_parity, kdf, retail_mac
from idcapture.drivers.emrtd.errors import SecureMessagingError
from idcapture.drivers.emrtd.mrz import bac_key_seed, mrz_information
from idcapture.drivers.emrtd.sm import SecureMessaging

H = bytes.fromhex

MRZ_INFO = "L898902C<369080619406236"
K_SEED = H("239AB9CB282DAF66231DC5A4DF6BFBAE")
K_ENC = H("AB94FDECF2674FDFB9B391F85D7F76F2")
K_MAC = H("7962D9ECE03D1ACD4C76089DCE131543")
RND_ICC = H("4608F91988702212")
RND_IFD = H("781723860C06C226")
K_IFD = H("0B795240CB7049B01C19B33E32804F0B")
K_ICC = H("0B4F80323EB3191CB04970CB4052790B")
E_IFD = H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
M_IFD = H("5F1448EEA8AD90A7")
RESP_ICC = H("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F"
             "2F2D235D074D7449")
KS_ENC = H("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = H("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC = 0x887022120C06C226


def test_mrz_information_from_typed_fields() -> None:
    assert mrz_information("L898902C", "690806", "940623") == MRZ_INFO


def test_current_specimen_mrz_information() -> None:
    assert mrz_information("L898902C3", "740812", "120415") == "L898902C3674081221204159"


def test_key_seed_and_document_keys() -> None:
    assert bac_key_seed(MRZ_INFO) == K_SEED
    assert kdf(K_SEED, ENC) == K_ENC
    assert kdf(K_SEED, MAC) == K_MAC
    keys = BacKeys.from_mrz_information(MRZ_INFO)
    assert (keys.k_enc, keys.k_mac) == (K_ENC, K_MAC)


def test_parity_adjustment_changes_only_low_bits() -> None:
    raw = bytes(range(256))
    adjusted = adjust_parity(raw)
    assert all(bin(b).count("1") % 2 == 1 for b in adjusted)
    assert all((a ^ b) in (0, 1) for a, b in zip(raw, adjusted))


def test_mutual_authenticate_command_matches_example() -> None:
    terminal = BacTerminal(BacKeys(K_ENC, K_MAC), rnd_ifd=RND_IFD, k_ifd=K_IFD)
    cmd = terminal.mutual_authenticate(RND_ICC)
    assert cmd.data == E_IFD + M_IFD
    assert retail_mac(K_MAC, E_IFD) == M_IFD
    assert cmd.encode() == H("0082000028") + E_IFD + M_IFD + H("28")


def test_chip_answer_and_session_keys_match_example() -> None:
    chip = BacChip(BacKeys(K_ENC, K_MAC))
    chip.challenge(RND_ICC)
    result = chip.authenticate(E_IFD + M_IFD, k_icc=K_ICC)
    assert result is not None
    answer, chip_session = result
    assert answer == RESP_ICC
    terminal = BacTerminal(BacKeys(K_ENC, K_MAC), rnd_ifd=RND_IFD, k_ifd=K_IFD)
    terminal.mutual_authenticate(RND_ICC)
    sm = terminal.complete(RESP_ICC)
    assert (sm.ks_enc, sm.ks_mac, sm.ssc) == (KS_ENC, KS_MAC, SSC)
    assert (chip_session.ks_enc, chip_session.ks_mac, chip_session.ssc) == (KS_ENC, KS_MAC,
                                                                           SSC)


def test_session_from_seed() -> None:
    sm = session_from_seed(K_IFD, K_ICC, RND_ICC, RND_IFD)
    assert sm.ks_enc == KS_ENC and sm.ks_mac == KS_MAC and sm.ssc == SSC


def test_protected_select_of_ef_com() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    protected = sm.protect(CommandApdu(0x00, 0xA4, 0x02, 0x0C, H("011E")))
    assert protected.encode() == H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    assert sm.ssc == SSC + 1
    # the chip's answer from the worked example verifies and yields 9000
    resp = sm.unprotect(ResponseApdu.decode(H("990290008E08FA855A5D4C50A8ED9000")))
    assert resp == ResponseApdu(b"", 0x9000)
    assert sm.ssc == SSC + 2


def test_protected_read_binary_sequence() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC + 2)
    cmd = sm.protect(CommandApdu(0x00, 0xB0, 0x00, 0x00, b"", 4))
    assert cmd.encode() == H("0CB000000D9701048E08ED6705417E96BA5500")
    resp = sm.unprotect(ResponseApdu.decode(
        H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")))
    assert resp.data == H("60145F01") and resp.ok
    cmd = sm.protect(CommandApdu(0x00, 0xB0, 0x00, 0x04, b"", 0x12))
    assert cmd.encode() == H("0CB000040D9701128E082EA28A70F3C7B53500")
    resp = sm.unprotect(ResponseApdu.decode(
        H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D74"
          "9000")))
    assert resp.data == H("04303130365F36063034303030305C026175")


def test_tampered_response_mac_is_rejected() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC + 2)
    sm.protect(CommandApdu(0x00, 0xB0, 0x00, 0x00, b"", 4))
    raw = bytearray(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    raw[4] ^= 0x01  # one bit of the cryptogram
    with pytest.raises(SecureMessagingError) as err:
        sm.unprotect(ResponseApdu.decode(bytes(raw)))
    assert err.value.code == "bad-mac"


def test_plain_6988_is_the_sm_error_outcome() -> None:
    sm = SecureMessaging(KS_ENC, KS_MAC, SSC)
    sm.protect(CommandApdu(0x00, 0xA4, 0x02, 0x0C, H("011E")))
    with pytest.raises(SecureMessagingError) as err:
        sm.unprotect(ResponseApdu(b"", 0x6988))
    assert err.value.code == "sm-error" and err.value.sw == 0x6988


def test_card_side_mirrors_terminal_side() -> None:
    terminal = SecureMessaging(KS_ENC, KS_MAC, SSC)
    card = SecureMessaging(KS_ENC, KS_MAC, SSC)
    for cmd in (CommandApdu(0x00, 0xA4, 0x02, 0x0C, H("0101")),
                CommandApdu(0x00, 0xB0, 0x01, 0x02, b"", 223),
                CommandApdu(0x00, 0xB0, 0x00, 0x00, b"", 1000)):
        plain = card.unprotect_command(CommandApdu.decode(terminal.protect(cmd).encode()))
        assert (plain.ins, plain.p1, plain.p2, plain.data, plain.ne) == (
            cmd.ins, cmd.p1, cmd.p2, cmd.data, cmd.ne)
        payload = bytes(range(200))
        resp = terminal.unprotect(ResponseApdu.decode(
            card.protect_response(ResponseApdu(payload, 0x9000)).encode()))
        assert resp == ResponseApdu(payload, 0x9000)
    assert terminal.ssc == card.ssc == SSC + 6
