"""ISO/IEC 19794-5:2005 face image records."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcapture.errors import RecordError
from idcapture.formats import images, iso19794_5
from idcapture.formats._binary import FormatError
from idcapture.formats.iso19794_5 import (
    LEFT_EYE_CENTRE,
    ColourSpace,
    EyeColour,
    FaceImage,
    FaceImageType,
    FaceRecord,
    FeaturePoint,
    Gender,
    HairColour,
    ImageDataType,
    SourceType,
    face_record_from_jpeg,
    pose_code,
    pose_degrees,
)
from setup_required import need_file


def _jpeg(h: int = 40, w: int = 30, grey: bool = False) -> bytes:
    rng = np.random.default_rng(h * w)
    shape = (h, w) if grey else (h, w, 3)
    return images.encode_jpeg(rng.integers(0, 255, shape, dtype=np.uint8), quality=80)


def test_portrait_record_layout() -> None:
    jpeg = _jpeg()
    rec = face_record_from_jpeg(jpeg, eyes=((20.4, 15.6), (9.0, 15.0)))
    data = rec.to_bytes()
    assert data[:8] == b"FAC\x00010\x00"
    assert int.from_bytes(data[8:12], "big") == len(data) == 14 + 20 + 2 * 8 + 12 + len(jpeg)
    assert int.from_bytes(data[12:14], "big") == 1
    assert int.from_bytes(data[14:18], "big") == 20 + 16 + 12 + len(jpeg)  # block length
    assert int.from_bytes(data[18:20], "big") == 2  # two feature points
    assert data[34:42] == bytes((1, 0xC1, 0, 20, 0, 16, 0, 0))  # 12.1 at (20, 16)
    assert data[42:50] == bytes((1, 0xC2, 0, 9, 0, 15, 0, 0))
    assert data[50:62] == bytes((1, 0, 0, 30, 0, 40, 1, 2, 0, 0, 0, 0))
    assert data[62:] == jpeg
    back = iso19794_5.read(data)
    assert back == rec and back.to_bytes() == data
    assert back.images[0].eyes == ((20, 16), (9, 15))
    assert face_record_from_jpeg(_jpeg(grey=True)).images[0].colour_space is ColourSpace.GREY8


@pytest.mark.shared_data
def test_real_portrait(shared_data: Path) -> None:
    path = need_file(shared_data / "faces" / "frl-london-subset" / "lisa" / "lisa1.jpg",
                     "the portrait sample is not in the shared data folder")
    jpeg = path.read_bytes()
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(jpeg)) as im:
        size = im.size
    rec = face_record_from_jpeg(jpeg, eyes=((size[0] * 0.6, size[1] * 0.45),
                                            (size[0] * 0.4, size[1] * 0.45)))
    data = rec.to_bytes()
    back = iso19794_5.read(data)
    img = back.images[0]
    assert (img.width, img.height) == size
    assert img.data == jpeg and img.face_image_type is FaceImageType.FULL_FRONTAL
    assert back.to_bytes() == data
    assert images.decode_image(img.data).shape == (size[1], size[0], 3)


def test_pose_codes() -> None:
    assert pose_code(None) == 0 and pose_code(0) == 91
    assert pose_code(-180) == 1 and pose_code(180) == 181 and pose_code(10) == 96
    assert pose_degrees(96) == 10.0 and pose_degrees(0) is None
    with pytest.raises(RecordError):
        pose_code(200)
    with pytest.raises(RecordError):
        pose_degrees(182)


def test_writer_validation() -> None:
    base = face_record_from_jpeg(_jpeg(), eyes=((1, 1), (2, 2))).images[0]
    cases = [
        (dataclasses.replace(base, gender=3), "iso19794-5.image[0].gender"),
        (dataclasses.replace(base, expression=9), "iso19794-5.image[0].expression"),
        (dataclasses.replace(base, pose=(0, 182, 0)), "iso19794-5.image[0].pose"),
        (dataclasses.replace(base, feature_points=(FeaturePoint(12, 1, 30, 0),)),
         "iso19794-5.image[0].feature_point[0].x"),
        (dataclasses.replace(base, image_data_type=ImageDataType.JPEG2000),
         "iso19794-5.image[0].data"),
        (dataclasses.replace(base, feature_mask=1 << 24), "iso19794-5.image[0].feature_mask"),
    ]
    for img, path in cases:
        with pytest.raises(RecordError) as exc:
            FaceRecord((img,)).to_bytes()
        assert exc.value.path == path


@pytest.mark.parametrize(("offset", "value", "field"), [
    (3, 1, "iso19794-5.format_identifier"),
    (20, 3, "iso19794-5.image[0].gender"),
    (21, 8, "iso19794-5.image[0].eye_colour"),
    (22, 9, "iso19794-5.image[0].hair_colour"),
    (27, 8, "iso19794-5.image[0].expression"),
    (28, 182, "iso19794-5.image[0].yaw"),
    (34, 2, "iso19794-5.image[0].feature_point[0].type"),
    (41, 1, "iso19794-5.image[0].feature_point[0].reserved"),
    (50, 3, "iso19794-5.image[0].face_image_type"),
    (51, 2, "iso19794-5.image[0].image_data_type"),
    (56, 5, "iso19794-5.image[0].colour_space"),
    (57, 8, "iso19794-5.image[0].source_type"),
    (62, 0, "iso19794-5.image[0].data"),
])
def test_reader_names_field_and_offset(offset: int, value: int, field: str) -> None:
    data = bytearray(face_record_from_jpeg(_jpeg(), eyes=((1, 1), (2, 2))).to_bytes())
    data[offset] = value
    with pytest.raises(FormatError) as exc:
        iso19794_5.read(bytes(data))
    assert exc.value.field == field
    # multi-byte fields report where they start
    assert exc.value.offset == {3: 0, 27: 26, 41: 40}.get(offset, offset)


def test_reader_rejects_point_outside_image_and_bad_lengths() -> None:
    data = bytearray(face_record_from_jpeg(_jpeg(), eyes=((1, 1), (2, 2))).to_bytes())
    data[36:38] = (30).to_bytes(2, "big")  # x = width
    with pytest.raises(FormatError) as exc:
        iso19794_5.read(bytes(data))
    assert exc.value.field == "iso19794-5.image[0].feature_point[0].x"
    good = face_record_from_jpeg(_jpeg()).to_bytes()
    with pytest.raises(FormatError):
        iso19794_5.read(good + b"\x00")
    bad = bytearray(good)
    bad[14:18] = (10).to_bytes(4, "big")
    with pytest.raises(FormatError) as exc:
        iso19794_5.read(bytes(bad))
    assert exc.value.field == "iso19794-5.image[0].length"


_JPEGS = [_jpeg(8, 8), _jpeg(16, 12, grey=True)]


@st.composite
def face_records(draw: st.DrawFn) -> FaceRecord:
    imgs = []
    for _ in range(draw(st.integers(0, 3))):
        w, h = draw(st.integers(1, 2000)), draw(st.integers(1, 2000))
        point = st.builds(FeaturePoint, st.integers(0, 15), st.integers(0, 15),
                          st.integers(0, w - 1), st.integers(0, h - 1))
        code = st.integers(0, 181)
        imgs.append(FaceImage(
            draw(st.sampled_from(_JPEGS)), w, h, draw(st.sampled_from(list(FaceImageType))),
            ImageDataType.JPEG, draw(st.sampled_from(list(ColourSpace))),
            draw(st.sampled_from(list(SourceType))), draw(st.integers(0, 0xFFFF)),
            draw(st.integers(0, 0xFFFF)), draw(st.sampled_from(list(Gender))),
            draw(st.sampled_from(list(EyeColour))), draw(st.sampled_from(list(HairColour))),
            draw(st.integers(0, 0xFFFFFF)),
            draw(st.one_of(st.integers(0, 7), st.integers(0x8000, 0xFFFF))),
            (draw(code), draw(code), draw(code)), (draw(code), draw(code), draw(code)),
            tuple(draw(st.lists(point, max_size=4)))))
    return FaceRecord(tuple(imgs))


@settings(max_examples=100, deadline=None)
@given(face_records())
def test_generated_records_round_trip(rec: FaceRecord) -> None:
    data = rec.to_bytes()
    back = iso19794_5.read(data)
    assert back == rec and back.to_bytes() == data
    for img in back.images:
        p = img.point(LEFT_EYE_CENTRE)
        assert p is None or p.x < img.width


@settings(max_examples=300, deadline=None)
@given(face_records(), st.data())
def test_mutated_bytes_give_a_record_or_a_record_error(rec: FaceRecord,
                                                       data: st.DataObject) -> None:
    raw = bytearray(rec.to_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(raw) - 1))
        if data.draw(st.booleans()):
            raw[i] ^= data.draw(st.integers(1, 255))
        else:
            del raw[i:i + data.draw(st.integers(1, 6))]
    try:
        back = iso19794_5.read(bytes(raw))
    except RecordError:
        return
    assert back.to_bytes() == bytes(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_give_a_record_or_a_record_error(tail: bytes) -> None:
    try:
        iso19794_5.read(b"FAC\x00010\x00" + tail)
    except RecordError:
        pass
