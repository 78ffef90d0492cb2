"""ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 minutiae records."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcapture.biometrics.finger.template import FingerTemplate, Minutia, MinutiaKind
from idcapture.errors import RecordError
from idcapture.formats import ansi378, iso19794_2
from idcapture.formats.minutiae import (
    AREA_CORE_DELTA,
    AREA_RIDGE_COUNT,
    CoreDeltaData,
    CorePoint,
    DeltaPoint,
    ExtendedDataArea,
    FingerView,
    FormatError,
    ImpressionType,
    MinutiaeRecord,
    MinutiaeStandard,
    MinutiaType,
    RecordMinutia,
    RidgeCountData,
    RidgeCountMethod,
    detect_standard,
    from_template,
    read_minutiae_record,
)
from idcapture.record import FingerPosition
from setup_required import need_file

ISO = MinutiaeStandard.ISO_19794_2_2005
ANSI = MinutiaeStandard.ANSI_378_2004


def _fingerjet(shared_data: Path) -> Path:
    return need_file(shared_data / "fingerprints" / "FingerJetFXOSE_samples",
                     "FingerJet FX OSE samples are not in the shared data folder")


def _read_pgm(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


# --------------------------------------------------------------------------- FingerJet


@pytest.mark.shared_data
def test_fingerjet_templates_field_by_field(shared_data: Path) -> None:
    folder = _fingerjet(shared_data)
    files = sorted((folder / "templates-iso").glob("*.ist"))
    assert len(files) == 9
    for f in files:
        data = f.read_bytes()
        # header fields read independently of the parser
        assert data[:4] == b"FMR\x00" and data[4:8] == b" 20\x00"
        assert int.from_bytes(data[8:12], "big") == len(data)
        rec = iso19794_2.read(data)
        assert detect_standard(data) is ISO
        img = _read_pgm(folder / "images-pgm" / (f.stem + ".pgm"))
        assert (rec.height, rec.width) == img.shape
        assert (rec.x_resolution, rec.y_resolution) == (197, 197)
        assert len(rec.views) == 1 == data[22]
        view = rec.views[0]
        n = len(view.minutiae)
        assert n == data[27]
        # 24-byte header, 4-byte view header, 6 bytes/minutia, 2-byte empty extended block
        assert len(data) == 24 + 4 + 6 * n + 2
        assert 37 <= n <= 68
        assert view.extended_data == ()
        assert view.impression_type is ImpressionType.LIVE_SCAN_PLAIN
        assert 0 <= view.quality <= 100
        for m in view.minutiae:
            assert 0 <= m.x < rec.width and 0 <= m.y < rec.height
            assert 0 <= m.angle <= 255 and 0 <= m.quality <= 100
        # writing what was read gives the file back byte for byte
        assert rec.to_bytes() == data


def _ridge_orientation(img: np.ndarray, x: int, y: int, r: int = 10) -> float | None:
    """Ridge direction (radians mod pi, counter-clockwise on screen) around (x, y)."""
    patch = img[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1].astype(np.float64)
    if patch.shape[0] < 2 * r or patch.shape[1] < 2 * r:
        return None
    gy, gx = np.gradient(patch)
    gxx, gyy, gxy = (gx * gx).sum(), (gy * gy).sum(), (gx * gy).sum()
    coherence = math.hypot(gxx - gyy, 2 * gxy) / max(gxx + gyy, 1e-9)
    if coherence < 0.3:
        return None
    grad_dir = 0.5 * math.atan2(2 * gxy, gxx - gyy)  # gradient direction, y down
    ridge = grad_dir + math.pi / 2  # ridges run across the gradient
    return (-ridge) % math.pi  # y down -> counter-clockwise on screen


@pytest.mark.shared_data
def test_fingerjet_angles_follow_the_ridges(shared_data: Path) -> None:
    """Angle unit (1.40625 deg), counter-clockwise sense and top-left origin, checked
    against ridge directions measured in the images themselves."""
    folder = _fingerjet(shared_data)
    diffs, wrong_sense = [], []
    for f in sorted((folder / "templates-iso").glob("*.ist")):
        rec = iso19794_2.read(f.read_bytes())
        img = _read_pgm(folder / "images-pgm" / (f.stem + ".pgm"))
        for m in rec.views[0].minutiae:
            ridge = _ridge_orientation(img, m.x, m.y)
            if ridge is None:
                continue
            ang = math.radians(m.angle_degrees(ISO)) % math.pi
            d = abs(ang - ridge) % math.pi
            diffs.append(min(d, math.pi - d))
            mirrored = abs((math.pi - ang) - ridge) % math.pi  # clockwise reading
            wrong_sense.append(min(mirrored, math.pi - mirrored))
    assert len(diffs) > 200
    median = math.degrees(float(np.median(diffs)))
    assert median < 20.0, median  # chance level would be 45 degrees
    assert median < math.degrees(float(np.median(wrong_sense))) - 10.0


_BS = 16


@pytest.mark.shared_data
def test_fingerjet_minutiae_lie_on_the_print(shared_data: Path) -> None:
    """Minutiae fall on the ridge area (top-left origin), more often than when mirrored."""
    folder = _fingerjet(shared_data)
    hits = mirrored = total = 0
    for f in sorted((folder / "templates-iso").glob("*.ist")):
        rec = iso19794_2.read(f.read_bytes())
        img = _read_pgm(folder / "images-pgm" / (f.stem + ".pgm")).astype(np.float64)
        h, w = img.shape
        blocks = img[:h - h % _BS, :w - w % _BS].reshape(h // _BS, _BS, w // _BS, _BS).std(
            axis=(1, 3))
        fg = blocks > 0.25 * np.percentile(blocks, 95)  # ridge contrast: the print's area

        def on_print(x: int, y: int, fg: np.ndarray = fg) -> bool:
            return bool(fg[min(y // _BS, fg.shape[0] - 1), min(x // _BS, fg.shape[1] - 1)])

        mins = rec.views[0].minutiae
        inside = sum(on_print(m.x, m.y) for m in mins)
        assert inside >= 0.95 * len(mins), f.stem
        hits += inside
        mirrored += sum(on_print(m.x, h - 1 - m.y) for m in mins)
        total += len(mins)
    assert hits > mirrored + 0.03 * total


@pytest.mark.shared_data
def test_fingerjet_to_templates_and_ansi_conversion(shared_data: Path) -> None:
    folder = _fingerjet(shared_data)
    data = (folder / "templates-iso" / "a001_03p.ist").read_bytes()
    rec = iso19794_2.read(data)
    (tpl,) = rec.to_templates()
    assert tpl.resolution_ppi == 500
    assert (tpl.width, tpl.height) == (rec.width, rec.height)
    assert len(tpl.minutiae) == len(rec.views[0].minutiae)
    # back to ISO: the same bytes
    again = from_template(tpl, ISO)
    assert again.to_bytes() == data
    # to ANSI: 2-degree units, CBEFF product id, 26-byte header
    ansi = from_template(tpl, ANSI, product_owner=0x0033, product_type=1)
    raw = ansi.to_bytes()
    assert int.from_bytes(raw[8:10], "big") == len(raw) == 26 + 4 + 6 * len(tpl) + 2
    assert raw[10:14] == bytes((0x00, 0x33, 0x00, 0x01))
    assert detect_standard(raw) is ANSI
    for iso_m, ansi_m in zip(rec.views[0].minutiae, ansi.views[0].minutiae):
        assert ansi_m.angle == round(iso_m.angle * 1.40625 / 2) % 180
        assert (ansi_m.x, ansi_m.y, ansi_m.type) == (iso_m.x, iso_m.y, iso_m.type)
    assert ansi378.read(raw) == ansi


# --------------------------------------------------------------------------- writer


def _sample(standard: MinutiaeStandard) -> MinutiaeRecord:
    rc = RidgeCountData(RidgeCountMethod.EIGHT_NEIGHBOUR, ((0, 1, 4), (1, 2, 7)))
    cd = CoreDeltaData((CorePoint(120, 200, 64),), (DeltaPoint(90, 300, (10, 100, 200)),))
    v1 = FingerView(FingerPosition.RIGHT_THUMB, 0, ImpressionType.LIVE_SCAN_PLAIN, 71, (
        RecordMinutia(MinutiaType.RIDGE_ENDING, 10, 20, 30, 40),
        RecordMinutia(MinutiaType.BIFURCATION, 255, 399, 179, 100),
        RecordMinutia(MinutiaType.OTHER, 0, 0, 0, 0)),
        (rc.to_area(), cd.to_area(), ExtendedDataArea(0x0101, b"vendor")))
    v2 = FingerView(FingerPosition.LEFT_THUMB, 1, ImpressionType.LIVE_SCAN_SWIPE, 0, ())
    return MinutiaeRecord(standard, 256, 400, 197, 197, (v1, v2), 0x123, 0x8,
                          *((0xABCD, 0x0102) if standard is ANSI else (0, 0)))


@pytest.mark.parametrize("standard", [ISO, ANSI])
def test_multi_view_record_layout_and_round_trip(standard: MinutiaeStandard) -> None:
    rec = _sample(standard)
    data = rec.to_bytes()
    header = 24 if standard is ISO else 26
    ext = (4 + 7) + (4 + 1 + 5 + 1 + 7) + (4 + 6)
    assert len(data) == header + (4 + 3 * 6 + 2 + ext) + (4 + 0 + 2)
    assert data[header - 2] == 2  # view count
    v = data[header:header + 4]
    assert v == bytes((1, 0x00, 71, 3))
    m0 = data[header + 4:header + 10]
    assert m0 == bytes((0x40, 10, 0, 20, 30, 40))  # type 01 in the top two bits
    back = read_minutiae_record(data)
    assert back == rec
    assert back.to_bytes() == data
    area = back.views[0].area(AREA_RIDGE_COUNT)
    assert area is not None and area.ridge_counts().counts == ((0, 1, 4), (1, 2, 7))
    cd = back.views[0].area(AREA_CORE_DELTA)
    assert cd is not None and cd.core_delta().deltas[0].angles == (10, 100, 200)
    assert back.views[1].view_number == 1
    assert back.views[1].impression_type is ImpressionType.LIVE_SCAN_SWIPE


def test_ansi_long_length_form() -> None:
    areas = tuple(ExtendedDataArea(0x0200 + i, bytes(60000)) for i in range(1))
    view = FingerView(FingerPosition.RIGHT_INDEX, 0, extended_data=areas)
    views = (view, FingerView(FingerPosition.RIGHT_INDEX, 1, extended_data=areas))
    rec = MinutiaeRecord(ANSI, 300, 400, views=views)
    data = rec.to_bytes()
    assert len(data) > 0xFFFF
    assert data[8:10] == b"\x00\x00" and int.from_bytes(data[10:14], "big") == len(data)
    assert read_minutiae_record(data) == rec
    assert ansi378.read(data).to_bytes() == data


@pytest.mark.parametrize(("change", "path"), [
    (lambda r: {"width": 0}, "width"),
    (lambda r: {"x_resolution": 70000}, "x_resolution"),
    (lambda r: {"capture_device_type": 4096}, "capture_device_type"),
    (lambda r: {"certification_flags": 16}, "certification_flags"),
])
def test_writer_rejects_out_of_range_header(change, path) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    rec = dataclasses.replace(_sample(ISO), **change(None))
    with pytest.raises(RecordError) as exc:
        rec.to_bytes()
    assert exc.value.path.endswith(path)


def test_writer_rejects_bad_minutiae() -> None:
    import dataclasses

    base = _sample(ANSI)
    bad_angle = RecordMinutia(MinutiaType.OTHER, 1, 1, 180, 0)  # ANSI stops at 179
    outside = RecordMinutia(MinutiaType.OTHER, 256, 1, 0, 0)
    bad_quality = RecordMinutia(MinutiaType.OTHER, 1, 1, 0, 101)
    for m, field in ((bad_angle, "angle"), (outside, "x"), (bad_quality, "quality")):
        view = dataclasses.replace(base.views[0], minutiae=(m,))
        with pytest.raises(RecordError) as exc:
            dataclasses.replace(base, views=(view,)).to_bytes()
        assert exc.value.path == f"ansi378.view[0].minutia[0].{field}"
    with pytest.raises(RecordError):
        dataclasses.replace(_sample(ISO), product_owner=1).to_bytes()
    with pytest.raises(RecordError):
        iso19794_2.write(base)


# --------------------------------------------------------------------------- reader


def _iso_bytes() -> bytes:
    return _sample(ISO).to_bytes()


@pytest.mark.parametrize(("mutate", "field", "offset"), [
    (lambda d: b"FMX\x00" + d[4:], "iso19794-2.format_identifier", 0),
    (lambda d: d[:4] + b" 21\x00" + d[8:], "iso19794-2.version", 4),
    (lambda d: d[:-1], "iso19794-2.length", 8),
    (lambda d: d[:22] + b"\x02\x01" + d[24:], "iso19794-2.reserved", 23),
    (lambda d: d[:24] + b"\x0b" + d[25:], "iso19794-2.view[0].position", 24),
    (lambda d: d[:25] + b"\x04" + d[26:], "iso19794-2.view[0].impression_type", 25),
    (lambda d: d[:26] + b"\x65" + d[27:], "iso19794-2.view[0].quality", 26),
    (lambda d: d[:28] + b"\xc0" + d[29:], "iso19794-2.view[0].minutia[0].type", 28),
    (lambda d: d[:30] + b"\x40" + d[31:], "iso19794-2.view[0].minutia[0].y", 30),
    (lambda d: d[:33] + b"\x65" + d[34:], "iso19794-2.view[0].minutia[0].quality", 33),
    (lambda d: d[:34] + b"\x41\x00" + d[36:], "iso19794-2.view[0].minutia[1].x", 34),
])
def test_reader_names_field_and_offset(mutate, field, offset) -> None:  # type: ignore[no-untyped-def]
    data = mutate(_iso_bytes())
    with pytest.raises(FormatError) as exc:
        iso19794_2.read(data)
    assert exc.value.field == field
    assert exc.value.offset == offset
    assert f"at byte {offset}" in str(exc.value)


def test_reader_reports_truncation_inside_a_view() -> None:
    data = _iso_bytes()[:-1]
    data = data[:8] + len(data).to_bytes(4, "big") + data[12:]  # length field agrees
    with pytest.raises(FormatError) as exc:
        iso19794_2.read(data)
    assert exc.value.field == "iso19794-2.view[1].extended_data.length"
    assert "truncated" in exc.value.reason


def test_reader_rejects_length_mismatch_and_trailing_bytes() -> None:
    data = _iso_bytes()
    with pytest.raises(FormatError) as exc:
        iso19794_2.read(data + b"\x00")
    assert exc.value.field == "iso19794-2.length" and exc.value.offset == 8
    with pytest.raises(FormatError):
        detect_standard(data + b"\x00")
    with pytest.raises(FormatError) as exc:
        ansi378.read(data)  # an ISO record read as ANSI
    assert exc.value.field == "ansi378.length"


def test_reader_rejects_extended_data_overrun() -> None:
    view = FingerView(FingerPosition.RIGHT_THUMB,
                      extended_data=(ExtendedDataArea(0x0001, b"\x00"),))
    data = bytearray(MinutiaeRecord(ISO, 10, 10, views=(view,)).to_bytes())
    ext_area_len = 24 + 4 + 2 + 2  # type id, then the area length
    data[ext_area_len:ext_area_len + 2] = (9).to_bytes(2, "big")
    with pytest.raises(FormatError) as exc:
        iso19794_2.read(bytes(data))
    assert exc.value.field == "iso19794-2.view[0].extended_data[0].length"
    assert exc.value.offset == ext_area_len


# --------------------------------------------------------------------------- templates


def test_template_conversion_units() -> None:
    mins = (Minutia(10.4, 20.6, math.radians(90.0), MinutiaKind.ENDING, 55),
            Minutia(-3.0, 999.0, math.radians(359.9), MinutiaKind.BIFURCATION, 0),
            Minutia(5.0, 5.0, math.pi, MinutiaKind.OTHER, 150))
    tpl = FingerTemplate(100, 200, 500, mins, 77, FingerPosition.LEFT_THUMB)
    rec = from_template([tpl, tpl], ISO)
    assert rec.x_resolution == 197 and rec.y_resolution == 197
    assert [v.view_number for v in rec.views] == [0, 1]
    m = rec.views[0].minutiae
    assert (m[0].x, m[0].y, m[0].angle, m[0].type) == (10, 21, 64, MinutiaType.RIDGE_ENDING)
    assert (m[1].x, m[1].y, m[1].angle) == (0, 199, 0)  # clipped; 359.9 deg wraps to 0
    assert (m[2].angle, m[2].quality) == (128, 100)
    ansi = from_template(tpl, ANSI)
    assert [x.angle for x in ansi.views[0].minutiae] == [45, 0, 90]
    back = rec.to_templates()
    assert back[0].position is FingerPosition.LEFT_THUMB and back[0].quality == 77
    assert back[0].minutiae[0].angle == pytest.approx(math.pi / 2)
    assert back[0].minutiae[0].kind is MinutiaKind.ENDING
    with pytest.raises(RecordError):
        from_template([tpl, FingerTemplate(101, 200, 500, ())], ISO)


# --------------------------------------------------------------------------- properties

_W, _H = 512, 600


@st.composite
def records(draw: st.DrawFn) -> MinutiaeRecord:
    std = draw(st.sampled_from([ISO, ANSI]))
    w = draw(st.integers(1, _W))
    h = draw(st.integers(1, _H))
    minutia = st.builds(RecordMinutia, st.sampled_from(list(MinutiaType)),
                        st.integers(0, w - 1), st.integers(0, h - 1),
                        st.integers(0, std.angle_units - 1), st.integers(0, 100))
    area = st.builds(ExtendedDataArea, st.integers(1, 0xFFFF), st.binary(max_size=20))
    view = st.builds(FingerView, st.sampled_from(list(FingerPosition)), st.integers(0, 15),
                     st.sampled_from(list(ImpressionType)), st.integers(0, 100),
                     st.lists(minutia, max_size=12).map(tuple),
                     st.lists(area, max_size=3).map(tuple))
    product = (draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF))) \
        if std is ANSI else (0, 0)
    return MinutiaeRecord(std, w, h, draw(st.integers(1, 0xFFFF)), draw(st.integers(1, 0xFFFF)),
                          tuple(draw(st.lists(view, max_size=4))), draw(st.integers(0, 4095)),
                          draw(st.integers(0, 15)), *product)


@settings(max_examples=150, deadline=None)
@given(records())
def test_generated_records_round_trip(rec: MinutiaeRecord) -> None:
    data = rec.to_bytes()
    back = read_minutiae_record(data, rec.standard)
    assert back == rec
    assert back.to_bytes() == data
    assert read_minutiae_record(data) == rec  # detection agrees


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), st.sampled_from([None, ISO, ANSI]))
def test_random_bytes_give_a_record_or_a_record_error(data: bytes, std) -> None:  # type: ignore[no-untyped-def]
    try:
        rec = read_minutiae_record(b"FMR\x00 20\x00" + data, std)
    except RecordError:
        return
    assert rec.to_bytes() == b"FMR\x00 20\x00" + data


@settings(max_examples=300, deadline=None)
@given(records(), st.data())
def test_mutated_records_give_a_record_or_a_record_error(rec: MinutiaeRecord,
                                                         data: st.DataObject) -> None:
    raw = bytearray(rec.to_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        i = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[i] ^= data.draw(st.integers(1, 255))
        elif op == "cut":
            del raw[i:i + data.draw(st.integers(1, 8))]
        else:
            raw[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        back = read_minutiae_record(bytes(raw))
    except RecordError:
        return
    assert back.to_bytes() == bytes(raw)
