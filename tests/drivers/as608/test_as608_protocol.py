"""The AS60x sans-IO codec: worked examples, round trips, and fuzzed byte streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcapture.drivers.as608 import protocol as p
from idcapture.errors import DeviceFault, IdCaptureError, ProtocolError, RetryReason


def test_worked_examples_from_the_spec() -> None:
    assert p.command(p.Instruction.GEN_IMG).encode() == bytes.fromhex("EF01FFFFFFFF010003010005")
    assert p.ack(0).encode() == bytes.fromhex("EF01FFFFFFFF0700030000 0A".replace(" ", ""))


def test_command_parameter_layouts() -> None:
    pk = p.command(p.Instruction.SEARCH, 1, 0x0102, 0x0304, address=0x12345678)
    assert pk.content == bytes([0x04, 0x01, 0x01, 0x02, 0x03, 0x04])
    assert pk.encode()[2:6] == bytes.fromhex("12345678")
    with pytest.raises(ValueError):
        p.command(p.Instruction.GEN_IMG, 1)
    with pytest.raises(ValueError):
        p.command(p.Instruction.SET_SYS_PARA, 4)


def test_decoder_splits_a_stream_fed_byte_by_byte() -> None:
    stream = b"".join(pk.encode() for pk in
                      [p.ack(2), *p.data_packets(bytes(range(200)), 64), p.ack(0, b"\x01\x02")])
    dec = p.PacketDecoder(p.DEFAULT_ADDRESS)
    got = [pk for b in stream for pk in dec.feed(bytes([b]))]
    assert [pk.pid for pk in got] == [7, 2, 2, 2, 8, 7]
    assert p.join_data(got[1:5]) == bytes(range(200))
    assert dec.pending == 0


def test_checksum_error_names_its_position() -> None:
    raw = bytearray(p.ack(0).encode())
    raw[-1] ^= 1
    with pytest.raises(ProtocolError) as err:
        p.PacketDecoder().feed(bytes(raw))
    assert err.value.position == len(raw) - 2 and err.value.code == "checksum"


def test_every_confirmation_code_is_typed() -> None:
    for code in p.ConfirmationCode:
        conf = p.confirmation(code)
        assert conf.kind in p.OutcomeKind
        if conf.kind is p.OutcomeKind.RETRY:
            assert conf.retry_outcome().reason in RetryReason
        elif conf.kind is p.OutcomeKind.ERROR:
            assert isinstance(conf.error("x"), IdCaptureError)
    assert p.confirmation(2).retry_outcome().reason is RetryReason.NO_FINGER
    assert p.confirmation(3).retry_outcome().reason is RetryReason.FINGER_LIFTED
    assert p.confirmation(8).kind is p.OutcomeKind.NEGATIVE
    assert isinstance(p.confirmation(0x01).error(), ProtocolError)
    unknown = p.confirmation(0x77)
    assert unknown.kind is p.OutcomeKind.ERROR and isinstance(unknown.error(), DeviceFault)


def test_system_parameters_round_trip() -> None:
    sp = p.SystemParameters(1, 9, 162, 5, 0xCAFEBABE, 3, 12)
    again = p.SystemParameters.parse(sp.encode())
    assert again == sp and again.packet_size == 256 and again.baud == 115200
    assert p.packet_size_code(64) == 1 and p.baud_multiplier(57600) == 6


def test_image_nibbles_unpack_high_nibble_first() -> None:
    data = bytes([0x0F, 0xF0]) + bytes(p.IMAGE_WIDTH * p.IMAGE_HEIGHT // 2 - 2)
    img = p.unpack_image(data)
    assert img.shape == (288, 256) and list(img[0, :4]) == [0, 255, 255, 0]
    rng = np.random.default_rng(1)
    levels = (rng.integers(0, 16, (288, 256)) * 17).astype(np.uint8)
    assert np.array_equal(p.unpack_image(p.pack_image(levels)), levels)
    with pytest.raises(ProtocolError):
        p.unpack_image(data[:-1])


def _valid_stream(draw: st.DrawFn) -> bytes:
    n = draw(st.integers(0, 4))
    return b"".join(p.Packet(draw(st.sampled_from(list(p.PacketId))),
                             draw(st.binary(min_size=1, max_size=40))).encode() for _ in range(n))


@st.composite
def mutated_streams(draw: st.DrawFn) -> bytes:
    raw = bytearray(_valid_stream(draw))
    for _ in range(draw(st.integers(0, 3))):
        if raw:
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] = draw(st.integers(0, 255))
    return bytes(raw) + draw(st.binary(max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), mutated_streams()),
       st.lists(st.integers(1, 50), max_size=6))
def test_any_stream_gives_packets_or_protocol_error(data: bytes, cuts: list[int]) -> None:
    dec = p.PacketDecoder()
    pos = 0
    for size in [*cuts, len(data)]:
        chunk, pos = data[pos:pos + size], pos + size
        try:
            for pk in dec.feed(chunk):
                assert isinstance(pk, p.Packet) and pk.pid in set(p.PacketId)
                assert p.PacketDecoder().feed(pk.encode()) == [pk]
        except ProtocolError as exc:
            assert exc.position is not None and exc.position >= 0
            dec.resync()
