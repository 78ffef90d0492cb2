"""The library's one image loader refuses oversized, bomb and broken images before
decoding (typed ImageError, no traceback, little memory) and reads 16-bit greyscale
fingerprints at their real brightness."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from idcapture.cli import main
from idcapture.formats.images import MAX_IMAGE_PIXELS, ImageError, decode_image, load_image
from idcapture.synth.fingerprints import generate_master, make_impression


def _png_claiming(width: int, height: int) -> bytes:
    """A 1x1 PNG whose IHDR is rewritten to claim ``width`` x ``height``."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8  # after the signature: length (4), b"IHDR", then width and height
    body = b"IHDR" + struct.pack(">II", width, height) + bytes(data[ihdr + 16:ihdr + 21])
    data[ihdr + 4:ihdr + 21] = body
    data[ihdr + 21:ihdr + 25] = struct.pack(">I", zlib.crc32(body))
    return bytes(data)


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose SOF0 segment is rewritten to claim ``width`` x ``height``."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 130, 140)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _guarded(data: bytes) -> ImageError:
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ImageError) as err:
        decode_image(data)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 20 << 20, (seconds, peak)
    return err.value


def test_huge_canvas_is_refused_from_the_header() -> None:
    for data in (_jpeg_claiming(20000, 20000), _png_claiming(60000, 60000)):
        err = _guarded(data)
        assert err.code == "image-too-large"
        assert "pixels" in str(err)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    side = 7000  # 49 megapixels of zeros: a 48 KB file
    raw = b"".join(b"\x00" + bytes(side) for _ in range(side))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))
    del raw
    assert len(bomb) < 100_000 and side * side > MAX_IMAGE_PIXELS
    assert _guarded(bomb).code == "image-too-large"


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n", b"GIF89a" + bytes(20),
                                  b"\xff\xd8\xff\xe0" + bytes(30), b"not an image at all"])
def test_bad_headers_are_a_typed_error(data: bytes) -> None:
    assert _guarded(data).code == "image-unreadable"


def test_truncated_body_is_a_typed_error() -> None:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64), np.uint8)).save(
        buf, "PNG")
    assert _guarded(buf.getvalue()[:300]).code == "image-unreadable"


def _finger8() -> np.ndarray:
    return np.ascontiguousarray(make_impression(generate_master(424242), seed=0).image,
                                dtype=np.uint8)


def _png16(img8: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img8.astype(np.uint16) * 257).save(buf, "PNG")
    assert Image.open(io.BytesIO(buf.getvalue())).mode.startswith("I")
    return buf.getvalue()


def test_sixteen_bit_grey_is_scaled_over_its_full_range() -> None:
    img8 = _finger8()
    data = _png16(img8)
    np.testing.assert_array_equal(load_image(data, "L"), img8)
    np.testing.assert_array_equal(decode_image(data), img8)          # stays grey
    assert load_image(data, "RGB").shape == (*img8.shape, 3)


def test_finger_cli_reads_a_sixteen_bit_print_like_its_eight_bit_twin(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img8 = _finger8()
    p8, p16 = tmp_path / "f8.png", tmp_path / "f16.png"
    Image.fromarray(img8).save(p8)
    p16.write_bytes(_png16(img8))
    outs = []
    for p in (p8, p16):
        code = main(["finger", "quality", str(p), "--json"])
        outs.append((code, capsys.readouterr().out))
    assert outs[0] == outs[1]
    for p in (p8, p16):
        assert main(["finger", "extract", str(p), "-o", str(p.with_suffix(".json"))]) == 0
    assert p8.with_suffix(".json").read_bytes() == p16.with_suffix(".json").read_bytes()


def test_cli_refuses_a_huge_image_with_one_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(_jpeg_claiming(20000, 20000))
    assert main(["finger", "quality", str(big)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pixels" in err and "Traceback" not in err
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path / "missing.png")
    assert exc.value.code == "no-file"
