"""The SAM frame codec against the pre-computed frames of the spec."""

from __future__ import annotations

import pytest

from idcapture.drivers.sam import protocol as p
from idcapture.errors import DeviceFault, DeviceRemoved, ProtocolError

H = bytes.fromhex


@pytest.mark.parametrize(("req", "frame"), [
    (p.reset_sam(), "AAAAAA9669 0003 10FF EC"),
    (p.sam_status(), "AAAAAA9669 0003 11FF ED"),
    (p.sam_id(), "AAAAAA9669 0003 12FF EE"),
    (p.find_card(), "AAAAAA9669 0003 2001 22"),
    (p.select_card(), "AAAAAA9669 0003 2002 21"),
    (p.read_base(), "AAAAAA9669 0003 3001 32"),
    (p.read_appended_address(), "AAAAAA9669 0003 3003 30"),
    (p.read_management_info(), "AAAAAA9669 0003 3005 36"),
    (p.read_base_with_fingerprint(), "AAAAAA9669 0003 3010 23"),
    (p.set_baud_rate(115200), "AAAAAA9669 0003 6000 63"),
    (p.set_baud_rate(57600), "AAAAAA9669 0003 6001 62"),
    (p.set_baud_rate(38400), "AAAAAA9669 0003 6002 61"),
    (p.set_baud_rate(19200), "AAAAAA9669 0003 6003 60"),
    (p.set_baud_rate(9600), "AAAAAA9669 0003 6004 67"),
    (p.set_max_rf_bytes(0x58), "AAAAAA9669 0004 61FF58 C2"),
    (p.set_max_rf_bytes(0x50), "AAAAAA9669 0004 61FF50 CA"),
])
def test_requests_match_spec(req: p.Request, frame: str) -> None:
    assert req.encode() == H(frame)
    assert req.command is not None


@pytest.mark.parametrize(("sw3", "data", "frame"), [
    (0x90, b"", "AAAAAA9669 0004 000090 94"),
    (0x9F, bytes(4), "AAAAAA9669 0008 00009F 00000000 97"),
    (0x80, b"", "AAAAAA9669 0004 000080 84"),
    (0x90, bytes(8), "AAAAAA9669 000C 000090 0000000000000000 9C"),
    (0x81, b"", "AAAAAA9669 0004 000081 85"),
    (0x41, b"", "AAAAAA9669 0004 000041 45"),
    (0x91, b"", "AAAAAA9669 0004 000091 95"),
])
def test_responses_match_spec(sw3: int, data: bytes, frame: str) -> None:
    assert p.encode_response(sw3, data) == H(frame)
    [ev] = p.FrameDecoder().feed(H(frame))
    assert isinstance(ev, p.Frame)
    r = p.Response.from_frame(ev)
    assert (r.sw3, r.data) == (sw3, data)


def test_error_frame_checksums() -> None:
    for sw3 in (0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x47, 0x60, 0x66):
        assert p.encode_response(sw3)[-1] == 0x04 ^ sw3


def test_base_message_frame_layout() -> None:
    text, photo = bytes(range(256)), bytes(1024)
    frame = p.encode_response(0x90, p.build_base_message(text, photo))
    assert len(frame) == 1295 and frame[:14] == H("AAAAAA9669 0508 000090 0100 0400")
    assert frame[14:270] == text
    fp = bytes([0x43]) * 1024
    frame2 = p.encode_response(0x90, p.build_base_message(text, photo, fp))
    assert len(frame2) == 2321 and frame2[:16] == H("AAAAAA9669 090A 000090 0100 0400 0400")
    [ev] = p.FrameDecoder().feed(frame2)
    assert isinstance(ev, p.Frame)
    msg = p.parse_base_message(p.Response.from_frame(ev).data, with_fingerprint=True)
    assert (msg.text, msg.photo, msg.fingerprint) == (text, photo, fp)
    with pytest.raises(ProtocolError):
        p.parse_base_message(p.build_base_message(text, photo)[:-1], with_fingerprint=False)


def test_sam_id_example() -> None:
    data = H("05000100 67B83201 B3210D01 F68F0E88")
    assert p.format_sam_id(data) == "05.01-20101223-0017637811-2282655734"
    frame = p.encode_response(0x90, data)
    assert len(frame) == 27 and frame[-1] == 0x0D


def test_decoder_any_chunking_and_resync() -> None:
    frames = [p.encode_response(0x9F, bytes(4)), p.encode_response(0x90, bytes(300))]
    stream = b"\x00\xaa\x55" + frames[0] + b"\xaa\xaa\x96" + frames[1]
    for chunk in (1, 2, 3, 7, 64, len(stream)):
        d = p.FrameDecoder()
        events = []
        for i in range(0, len(stream), chunk):
            events += d.feed(stream[i:i + chunk])
        got = [e for e in events if isinstance(e, p.Frame)]
        assert [e.body for e in got] == [f[7:-1] for f in frames]
        skipped = sum(e.count for e in events if isinstance(e, p.Garbage))
        assert skipped == 6
        assert d.pending() == 0


def test_decoder_bad_checksum_and_length() -> None:
    bad = bytearray(p.encode_response(0x90, b"abc"))
    bad[-1] ^= 1
    good = p.encode_response(0x90)
    events = p.FrameDecoder().feed(bytes(bad) + good)
    assert isinstance(events[0], p.BadChecksum) and events[0].length == len(bad)
    assert isinstance(events[-1], p.Frame)
    events = p.FrameDecoder().feed(p.PREAMBLE + b"\x00\x01" + good)
    assert isinstance(events[0], p.BadLength)
    assert isinstance(events[-1], p.Frame) and events[-1].body == good[7:-1]


def test_decoder_awaiting_tracks_partial_frame() -> None:
    d = p.FrameDecoder()
    frame = p.encode_response(0x90, bytes(100))
    assert d.feed(frame[:20]) == []
    assert d.awaiting() == len(frame) - 20
    d.clear()
    assert d.pending() == 0 and d.awaiting() == 0


def test_every_status_is_typed() -> None:
    assert len(p.STATUS) == 18
    assert p.status_of(0x9F).ok and p.status_of(0x90).ok and not p.status_of(0x80).ok
    assert p.status_of(0x55).outcome is p.Outcome.UNKNOWN
    assert isinstance(p.status_error(0x41, "read"), DeviceRemoved)
    assert p.status_error(0x41, "read").code == "card-removed"
    assert isinstance(p.status_error(0x60, "status"), DeviceFault)
    assert isinstance(p.status_error(0x10, "find"), ProtocolError)
    assert "find card" in str(p.status_error(0x21, "find card"))


def test_invalid_constructor_arguments() -> None:
    with pytest.raises(ValueError):
        p.set_baud_rate(4800)
    with pytest.raises(ValueError):
        p.set_max_rf_bytes(10)
    assert p.Command.lookup(0x99, 0x00) is None
    assert p.Command.lookup(0x60, 0x07) is p.Command.SET_BAUD


def test_answer_fits_tells_late_answers_apart() -> None:
    C = p.Command
    assert p.answer_fits(C.FIND, 0x9F, bytes(4)) and p.answer_fits(C.FIND, 0x80, b"")
    assert not p.answer_fits(C.SELECT, 0x9F, bytes(4))  # a late find answer
    assert not p.answer_fits(C.SELECT, 0x80, b"")
    assert p.answer_fits(C.SELECT, 0x90, bytes(8)) and p.answer_fits(C.SELECT, 0x81, b"")
    assert not p.answer_fits(C.READ_BASE_FP, 0x90, bytes(8))  # a late select answer
    assert not p.answer_fits(C.READ_APPENDED, 0x90, b"")
    assert p.answer_fits(C.READ_APPENDED, 0x91, b"")
    assert not p.answer_fits(C.FIND, 0x90, b"")
    assert p.answer_fits(C.SAM_ID, 0x90, bytes(16)) and not p.answer_fits(C.SAM_ID, 0x90, b"")
    for generic in (0x10, 0x11, 0x21, 0x41, 0x60):  # generic failures fit every command
        assert all(p.answer_fits(c, generic, b"") for c in C)
    assert p.answer_fits(None, 0x9F, b"")
    base = p.build_base_message(bytes(256), bytes(1024))
    with_fp = p.build_base_message(bytes(256), bytes(1024), bytes(512))
    assert p.answer_fits(C.READ_BASE, 0x90, base) and p.answer_fits(C.READ_BASE_FP, 0x90, with_fp)
    assert not p.answer_fits(C.READ_BASE, 0x90, base[:-1])
