"""ISO/IEC 19794-4:2005 finger image records."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcapture.errors import RecordError
from idcapture.formats import images, iso19794_4
from idcapture.formats._binary import FormatError
from idcapture.formats.iso19794_4 import (
    Compression,
    FingerImage,
    FingerImageRecord,
    ScaleUnits,
    finger_image_record,
)
from idcapture.formats.wsq import wsq_available
from setup_required import need_file


def _print_like(h: int = 96, w: int = 80, seed: int = 0) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    ridges = 128 + 100 * np.sin((x * 0.6 + y * 0.35) + rng.uniform(0, 6))  # ~9 px period
    return np.clip(ridges + rng.normal(0, 5, (h, w)), 0, 255).astype(np.uint8)


def _codecs() -> list[Compression]:
    out = [Compression.UNCOMPRESSED, Compression.PNG, Compression.JPEG]
    if images.jp2_available():
        out.append(Compression.JPEG2000)
    if wsq_available():
        out.append(Compression.WSQ)
    return out


@pytest.mark.parametrize("comp", _codecs())
def test_two_thumbs_two_views_round_trip(comp: Compression) -> None:
    a, b, c = _print_like(seed=1), _print_like(64, 112, seed=2), _print_like(seed=3)
    rec = finger_image_record([(a, 1), (b, 6), (c, 1)], compression=comp,
                              quality=[80, 254, 61])
    data = rec.to_bytes()
    # 32-byte header and 14-byte image headers, lengths checked independently
    assert data[:8] == b"FIR\x0001" + b"0\x00"
    assert int.from_bytes(data[8:14], "big") == len(data)
    assert data[18] == 3 and data[19] == 1  # three images, pixels per inch
    assert int.from_bytes(data[20:22], "big") == 500 and data[28] == 8 and data[29] == comp
    first = int.from_bytes(data[32:36], "big")
    assert data[36:41] == bytes((1, 2, 1, 80, 0))  # right thumb, 2 views, view 1, q 80
    assert (int.from_bytes(data[41:43], "big"), int.from_bytes(data[43:45], "big")) == (80, 96)
    assert first == 14 + len(rec.images[0].data)
    back = iso19794_4.read(data)
    assert back == rec
    assert back.to_bytes() == data
    assert [(i.position, i.view_number, i.view_count) for i in back.images] == \
        [(1, 1, 2), (6, 1, 1), (1, 2, 2)]
    for img, arr in zip(range(3), (a, b, c)):
        out = back.pixels(img)
        assert out.shape == arr.shape
        err = np.abs(out.astype(int) - arr).mean()
        if comp in (Compression.UNCOMPRESSED, Compression.PNG, Compression.JPEG2000):
            assert err == 0
        else:
            assert err < 25


@pytest.mark.shared_data
@pytest.mark.skipif(not wsq_available(), reason="the 'wsq' extra is not installed")
def test_wsq_record_of_a_real_print(shared_data: Path) -> None:
    path = need_file(shared_data / "fingerprints" / "FVC2002_DB1_B" / "101_1.tif",
                     "FVC2002 DB1_B images are not in the shared data folder")
    arr = images.decode_image(path.read_bytes(), "L")
    rec = finger_image_record([(arr, 2)], compression=Compression.WSQ)
    data = rec.to_bytes()
    assert len(data) < arr.size // 4  # compressed well below raw size
    back = iso19794_4.read(data)
    assert back.to_bytes() == data
    rmse = float(np.sqrt(((back.pixels().astype(float) - arr) ** 2).mean()))
    assert rmse < 15


def test_writer_validation_names_fields() -> None:
    rec = finger_image_record([(_print_like(), 1)], compression=Compression.UNCOMPRESSED)
    img = rec.images[0]
    cases = [
        (dataclasses.replace(rec, images=(dataclasses.replace(img, position=17),)),
         "iso19794-4.image[0].position"),
        (dataclasses.replace(rec, images=(dataclasses.replace(img, view_number=2),)),
         "iso19794-4.image[0].view_number"),
        (dataclasses.replace(rec, images=(dataclasses.replace(img, quality=120),)),
         "iso19794-4.image[0].quality"),
        (dataclasses.replace(rec, images=(dataclasses.replace(img, data=img.data[:-1]),)),
         "iso19794-4.image[0].data"),
        (dataclasses.replace(rec, compression=Compression.PNG), "iso19794-4.image[0].data"),
        (dataclasses.replace(rec, pixel_depth=0), "iso19794-4.pixel_depth"),
        (dataclasses.replace(rec, scan_resolution=(0, 500)), "iso19794-4.scan_resolution"),
    ]
    for bad, path in cases:
        with pytest.raises(RecordError) as exc:
            bad.to_bytes()
        assert exc.value.path == path


@pytest.mark.parametrize(("offset", "value", "field"), [
    (0, 0x46 ^ 1, "iso19794-4.format_identifier"),
    (19, 3, "iso19794-4.scale_units"),
    (28, 0, "iso19794-4.pixel_depth"),
    (29, 6, "iso19794-4.compression"),
    (31, 1, "iso19794-4.reserved"),
    (36, 16, "iso19794-4.image[0].position"),
    (37, 0, "iso19794-4.image[0].view_count"),
    (38, 2, "iso19794-4.image[0].view_number"),
    (39, 101, "iso19794-4.image[0].quality"),
    (40, 9, "iso19794-4.image[0].impression_type"),
    (45, 1, "iso19794-4.image[0].reserved"),
    (46, 0, "iso19794-4.image[0].data"),
])
def test_reader_names_field_and_offset(offset: int, value: int, field: str) -> None:
    data = bytearray(finger_image_record([(_print_like(), 1)]).to_bytes())
    data[offset] = value
    with pytest.raises(FormatError) as exc:
        iso19794_4.read(bytes(data))
    assert exc.value.field == field
    assert exc.value.offset == (30 if offset == 31 else offset)  # reserved is a 2-byte field


def test_reader_rejects_lengths() -> None:
    data = finger_image_record([(_print_like(), 1)]).to_bytes()
    with pytest.raises(FormatError) as exc:
        iso19794_4.read(data[:-1])
    assert exc.value.field == "iso19794-4.length"
    cut = data[:-1]
    cut = cut[:8] + len(cut).to_bytes(6, "big") + cut[14:]
    with pytest.raises(FormatError) as exc:
        iso19794_4.read(cut)
    assert exc.value.field == "iso19794-4.image[0].length" and exc.value.offset == 32


@st.composite
def image_records(draw: st.DrawFn) -> FingerImageRecord:
    depth = draw(st.sampled_from([8, 12]))
    comp = Compression.UNCOMPRESSED
    imgs = []
    for _ in range(draw(st.integers(0, 3))):
        w, h = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        count = draw(st.integers(1, 4))
        imgs.append(FingerImage(
            draw(st.sampled_from(sorted(iso19794_4.FINGER_IMAGE_POSITIONS))),
            draw(st.binary(min_size=w * h * (1 if depth == 8 else 2),
                           max_size=w * h * (1 if depth == 8 else 2))),
            w, h, draw(st.integers(1, count)), count,
            draw(st.sampled_from([0, 55, 100, 254, 255])),
            draw(st.sampled_from(sorted(iso19794_4.IMPRESSION_TYPES)))))
    res = (draw(st.integers(1, 0xFFFF)), draw(st.integers(1, 0xFFFF)))
    return FingerImageRecord(tuple(imgs), comp, res, res,
                             draw(st.sampled_from(list(ScaleUnits))), depth,
                             draw(st.integers(0, 0xFFFF)), draw(st.sampled_from([10, 20, 31])))


@settings(max_examples=100, deadline=None)
@given(image_records())
def test_generated_records_round_trip(rec: FingerImageRecord) -> None:
    data = rec.to_bytes()
    back = iso19794_4.read(data)
    assert back == rec and back.to_bytes() == data
    for i, img in enumerate(back.images):
        assert back.pixels(i).shape == (img.height, img.width)


@settings(max_examples=300, deadline=None)
@given(image_records(), st.data())
def test_mutated_bytes_give_a_record_or_a_record_error(rec: FingerImageRecord,
                                                       data: st.DataObject) -> None:
    raw = bytearray(rec.to_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(raw) - 1))
        if data.draw(st.booleans()):
            raw[i] ^= data.draw(st.integers(1, 255))
        else:
            del raw[i:i + data.draw(st.integers(1, 6))]
    try:
        back = iso19794_4.read(bytes(raw))
    except RecordError:
        return
    assert back.to_bytes() == bytes(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_give_a_record_or_a_record_error(tail: bytes) -> None:
    try:
        iso19794_4.read(b"FIR\x00010\x00" + tail)
    except RecordError:
        pass
