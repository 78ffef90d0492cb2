"""PNG/JPEG/BMP/JPEG 2000 helpers and the WSQ codec wrapper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from idcapture.errors import RecordError
from idcapture.formats import images
from idcapture.formats.images import CodecUnavailable, decode_image, image_info
from idcapture.formats.wsq import decode_wsq, encode_wsq, wsq_available, wsq_info
from setup_required import need_file

needs_wsq = pytest.mark.skipif(not wsq_available(), reason="the 'wsq' extra is not installed")


def _ramp(h: int = 48, w: int = 64, rgb: bool = False) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    grey = ((x * 3 + y * 5) % 256).astype(np.uint8)
    if not rgb:
        return grey
    return np.stack([grey, 255 - grey, (grey // 2)], axis=2).astype(np.uint8)


def _fvc(shared_data: Path) -> np.ndarray:
    path = need_file(shared_data / "fingerprints" / "FVC2002_DB1_B" / "101_1.tif",
                     "FVC2002 DB1_B images are not in the shared data folder")
    return decode_image(path.read_bytes(), "L")


@pytest.mark.parametrize("rgb", [False, True])
def test_png_and_bmp_are_lossless(rgb: bool) -> None:
    img = _ramp(rgb=rgb)
    for data, fmt in ((images.encode_png(img, ppi=500), "PNG"), (images.encode_bmp(img), "BMP")):
        info = image_info(data)
        assert (info.format, info.width, info.height) == (fmt, 64, 48)
        assert info.mode == ("RGB" if rgb else "L")
        np.testing.assert_array_equal(decode_image(data), img)


def test_png_records_resolution() -> None:
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(images.encode_png(_ramp(), ppi=500))) as im:
        assert round(im.info["dpi"][0]) == 500


def test_jpeg_is_close_and_converts_modes() -> None:
    img = _ramp(rgb=True)
    data = images.encode_jpeg(img, quality=95)
    assert image_info(data).media_type == "image/jpeg"
    back = decode_image(data, "RGB")
    assert back.shape == img.shape
    assert np.abs(back.astype(int) - img).mean() < 8
    assert decode_image(data, "L").shape == img.shape[:2]
    with pytest.raises(RecordError):
        images.encode_jpeg(img, quality=0)


@pytest.mark.skipif(not images.jp2_available(), reason="Pillow built without OpenJPEG")
def test_jp2_lossless_and_lossy() -> None:
    img = _ramp()
    data = images.encode_jp2(img)
    assert image_info(data).media_type == "image/jp2"
    np.testing.assert_array_equal(decode_image(data), img)
    lossy = images.encode_jp2(img, lossless=False, rate=20)
    assert len(lossy) < len(data)


@pytest.mark.parametrize("bad", [
    np.zeros((4, 4), np.float32), np.zeros((4, 4, 4), np.uint8), np.zeros((0, 4), np.uint8),
    [[1, 2]],
])
def test_bad_arrays_are_named(bad: object) -> None:
    with pytest.raises(RecordError) as exc:
        images.encode_png(bad)  # type: ignore[arg-type]
    assert exc.value.path == "image"


def test_garbage_does_not_decode() -> None:
    for junk in (b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, b"hello"):
        with pytest.raises(RecordError):
            decode_image(junk)
        with pytest.raises(RecordError):
            image_info(junk)


# --------------------------------------------------------------------------- WSQ


@needs_wsq
@pytest.mark.shared_data
def test_wsq_round_trip_on_a_real_fingerprint(shared_data: Path) -> None:
    img = _fvc(shared_data)
    data = encode_wsq(img, ppi=500)
    assert data[:2] == b"\xff\xa0"
    info = wsq_info(data)
    assert (info.height, info.width, info.ppi) == (*img.shape, 500)
    back = decode_wsq(data)
    assert back.shape == img.shape and back.dtype == np.uint8
    rmse = float(np.sqrt(((back.astype(np.float64) - img) ** 2).mean()))
    bits_per_pixel = len(data) * 8 / img.size
    # NBIS at its 0.75 bit/pixel target: a few grey levels of error on a 500 ppi print
    assert 0.5 < rmse < 15.0, rmse
    assert 0.2 < bits_per_pixel < 1.5, bits_per_pixel
    # far better than flattening the image to its mean
    assert rmse < 0.5 * float(img.std())
    assert decode_image(data).shape == img.shape  # the generic decoder dispatches to WSQ


@needs_wsq
def test_wsq_records_requested_resolution() -> None:
    img = np.asarray(np.random.default_rng(1).integers(0, 255, (64, 80)), np.uint8)
    data = encode_wsq(img, ppi=1000)
    assert wsq_info(data).ppi == 1000
    assert decode_wsq(data).shape == (64, 80)


@needs_wsq
def test_wsq_rejects_what_it_cannot_do() -> None:
    img = _ramp()
    with pytest.raises(CodecUnavailable):
        encode_wsq(img, bitrate=2.25)
    with pytest.raises(RecordError):
        encode_wsq(_ramp(rgb=True))
    with pytest.raises(RecordError):
        encode_wsq(np.zeros((4, 4), np.uint8))
    data = encode_wsq(img)
    for bad in (b"", b"\xff\xa0", data[:30], b"\xff\xa0\xff\xee\x00\x04ab", b"\x00" + data[1:]):
        with pytest.raises(RecordError):
            decode_wsq(bad)


def test_missing_wsq_package_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "wsq":
            raise ImportError("no wsq")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(CodecUnavailable) as exc:
        encode_wsq(_ramp())
    assert "idcapture[wsq]" in str(exc.value)


@needs_wsq
def test_isolated_wsq_decoding_survives_corrupt_data() -> None:
    import random

    img = np.asarray(np.random.default_rng(1).integers(0, 255, (64, 80)), np.uint8)
    data = encode_wsq(img)
    np.testing.assert_array_equal(decode_wsq(data, isolate=True), decode_wsq(data))
    rng = random.Random(0)
    outcomes: dict[str, int] = {"array": 0, "rejected": 0, "crashed": 0}
    for _ in range(40):  # with seed 0 the 25th corruption crashes the NBIS decoder
        bad = bytearray(data)
        for _ in range(3):  # corrupt the entropy-coded part, past the tables
            bad[rng.randrange(len(data) // 2, len(data))] ^= rng.randrange(1, 256)
        try:
            out = decode_wsq(bytes(bad), isolate=True)
        except RecordError as exc:
            outcomes["crashed" if "crashed" in str(exc) else "rejected"] += 1
            if outcomes["crashed"]:
                break
            continue
        # (the pixels themselves are not compared: on corrupt data the NBIS decoder
        # reads memory it never wrote, so two decodes of these bytes can differ)
        info = wsq_info(bytes(bad))  # a corrupted frame header may declare another size
        assert out.shape == (info.height, info.width) and out.dtype == np.uint8
        outcomes["array"] += 1
    # a segfault in the decoder became a RecordError and this process lives on; the
    # other two outcomes were reached on the way
    assert outcomes["crashed"] == 1 and outcomes["array"] and outcomes["rejected"], outcomes
    with pytest.raises(RecordError, match="did not finish"):
        decode_wsq(data, isolate=True, timeout=0.001)
