"""Property tests: any byte stream in, events out; never an exception, never lost frames."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcapture.drivers.sam import protocol as p
from idcapture.drivers.sam.cardtext import parse_text_block
from idcapture.drivers.sam.document import document_from_blocks
from idcapture.errors import ProtocolError


def _decode_all(stream: bytes, chunks: list[int]) -> list[p.Event]:
    d = p.FrameDecoder()
    out: list[p.Event] = []
    i = 0
    for c in chunks:
        out += d.feed(stream[i:i + c])
        i += c
    out += d.feed(stream[i:])
    return out


@given(st.binary(max_size=600), st.lists(st.integers(1, 50), max_size=20))
def test_random_streams_never_raise(stream: bytes, chunks: list[int]) -> None:
    events = _decode_all(stream, chunks)
    for ev in events:
        if isinstance(ev, p.Frame):
            assert p.checksum(len(ev.body).to_bytes(2, "big")) is not None
            try:
                p.Response.from_frame(ev)
            except ProtocolError:
                pass


@given(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=40)), max_size=5),
       st.binary(max_size=8), st.lists(st.integers(1, 30), max_size=30))
def test_valid_frames_survive_chunking(frames: list[tuple[int, bytes]], noise: bytes,
                                       chunks: list[int]) -> None:
    encoded = [p.encode_response(sw3, data) for sw3, data in frames]
    # noise without a preamble byte cannot start a false frame
    clean_noise = bytes(b for b in noise if b != 0xAA)
    stream = clean_noise + b"".join(encoded)
    got = [e.body for e in _decode_all(stream, chunks) if isinstance(e, p.Frame)]
    assert got == [f[7:-1] for f in encoded]


@given(st.binary(min_size=256, max_size=256))
def test_any_text_block_parses_or_types_an_error(block: bytes) -> None:
    kind, fields = parse_text_block(block)
    doc = document_from_blocks(block)
    assert doc.kind is kind and isinstance(fields, dict)


@pytest.mark.slow
def test_hundred_thousand_mutated_streams() -> None:
    """100,000 random and mutated streams through the decoder: no crash, no runaway buffer."""
    rng = random.Random(20240601)
    seeds = [p.encode_response(0x90, p.build_base_message(bytes(256), bytes(1024))),
             p.encode_response(0x9F, bytes(4)), p.encode_response(0x80),
             p.read_base().encode(), p.encode_response(0x90, bytes(16))]
    frames_seen = 0
    for i in range(100_000):
        mode = i % 4
        if mode == 0:
            stream = rng.randbytes(rng.randint(0, 64))
        else:
            base = bytearray(b"".join(rng.choice(seeds) for _ in range(rng.randint(1, 3))))
            for _ in range(rng.randint(1, 4)):
                op = rng.randint(0, 3)
                pos = rng.randrange(len(base)) if base else 0
                if op == 0 and base:
                    base[pos] = rng.randrange(256)
                elif op == 1:
                    base[pos:pos] = rng.randbytes(rng.randint(1, 6))
                elif op == 2 and base:
                    del base[pos:pos + rng.randint(1, 12)]
                else:
                    base[pos:pos] = p.PREAMBLE
            stream = bytes(base)
        d = p.FrameDecoder()
        pos = 0
        while pos < len(stream):
            step = rng.randint(1, 300)
            for ev in d.feed(stream[pos:pos + step]):
                if isinstance(ev, p.Frame):
                    frames_seen += 1
                    try:
                        r = p.Response.from_frame(ev)
                        if r.sw3 == 0x90 and len(r.data) >= 4:
                            p.parse_base_message(r.data, with_fingerprint=False)
                    except ProtocolError:
                        pass
            pos += step
        assert d.pending() <= len(stream)
    assert frames_seen > 10_000
