"""Fuzzing with a fixed budget: the roster reader (cells, CSV and .xlsx bytes), the image
loader, the export-package verifier and the web JSON body reader take generated and
mutated input and give a result or a typed error, nothing else."""

from __future__ import annotations

import asyncio
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from idcapture.errors import IdCaptureError
from idcapture.formats.images import load_image
from idcapture.formats.record_json import dumps, loads
from idcapture.formats.roster import ROSTER_FIELDS, field_text, read_roster, write_roster
from idcapture.record import CaptureRecord, Subject
from idcapture.station.export import verify_package

#: examples per fuzz test: 60 in the suite; benchmarks/fuzz_hostile_inputs.py runs more
FUZZ = settings(max_examples=int(os.environ.get("IDCAPTURE_FUZZ_EXAMPLES", "60")),
                deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

cell_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                        st.text(max_size=300),
                        st.text(alphabet=st.characters(codec="utf-8"), max_size=50))


@FUZZ
@given(st.sampled_from(ROSTER_FIELDS), cell_values)
def test_any_cell_is_text_or_a_named_refusal(fld: str, value: object) -> None:
    text, problem = field_text(fld, value)
    assert isinstance(text, str)
    if problem is not None:
        assert text == "" and isinstance(problem, str)
        if isinstance(value, str) and len(value) > 3:
            assert value not in problem


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    b = bytearray(data)
    for pos, val in edits:
        if b:
            b[pos % len(b)] = val
    return bytes(b[:max(0, len(b) - cut)])


edits = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8)


def _sample_roster(tmp: Path, suffix: str) -> bytes:
    rows = [{"school_code": "4401060001", "school_name": "示范中学", "class_name": "高一(1)班",
             "name": "张三", "sex": "男", "ethnicity": "汉族",
             "id_number": "440106200801010015", "student_no": "G440106200801010015"}]
    return write_roster(tmp / f"seed{suffix}", rows).read_bytes()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_mutated_rosters_read_or_refuse(tmp_path: Path, suffix: str) -> None:
    seed = _sample_roster(tmp_path, suffix)

    @FUZZ
    @given(edits, st.integers(0, 64))
    def run(e: list[tuple[int, int]], cut: int) -> None:
        path = tmp_path / f"fuzz{suffix}"
        path.write_bytes(_mutate(seed, e, cut))
        try:
            for row in read_roster(path).rows:
                assert all(isinstance(v, str) for v in row.values.values())
        except IdCaptureError:
            pass

    run()


def _seed_images() -> list[bytes]:
    img = np.random.default_rng(3).integers(0, 255, (24, 32), np.uint8)
    out = []
    for fmt in ("PNG", "JPEG", "BMP", "TIFF"):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, fmt)
        out.append(buf.getvalue())
    return out


SEED_IMAGES = _seed_images()


@FUZZ
@given(st.sampled_from(range(len(SEED_IMAGES))), edits, st.integers(0, 200),
       st.sampled_from([None, "L", "RGB"]))
def test_mutated_images_decode_or_refuse(which: int, e: list[tuple[int, int]], cut: int,
                                         mode: str | None) -> None:
    try:
        arr = load_image(_mutate(SEED_IMAGES[which], e, cut), mode)  # type: ignore[arg-type]
    except IdCaptureError:
        return
    assert arr.dtype == np.uint8 and arr.ndim in (2, 3)


def test_mutated_packages_verify_or_report(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("export.xlsx", b"x" * 100)
        zf.writestr("manifest.json", '{"files": {"export.xlsx": {"sha256": "0", "size": 100}}}')
    seed = buf.getvalue()

    @FUZZ
    @given(edits, st.integers(0, 64))
    def run(e: list[tuple[int, int]], cut: int) -> None:
        path = tmp_path / "p.zip"
        path.write_bytes(_mutate(seed, e, cut))
        report = verify_package(path)
        assert not report.ok and report.problems

    run()


@FUZZ
@given(st.one_of(st.binary(max_size=200),
                 st.recursive(st.one_of(st.none(), st.integers(), st.text(max_size=5)),
                              lambda c: st.lists(c) | st.dictionaries(st.text(max_size=3), c),
                              max_leaves=30).map(lambda v: repr(v).encode())))
def test_json_body_reader_gives_an_object_or_bad_request(body: bytes) -> None:
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from starlette.requests import Request

    from idcapture.web.security import BadRequest, read_json_object

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/",
             "headers": [(b"content-type", b"application/json")]}
    try:
        out = asyncio.run(read_json_object(Request(scope, receive)))
    except BadRequest as exc:
        assert exc.status in (400, 413)
        return
    assert isinstance(out, dict)


def _seed_record() -> bytes:
    rec = CaptureRecord(subject=Subject("r1", "2544010600010001", "4401060001", "1"))
    rec.add_blob(b"\xff\xd8\xff" + bytes(20), "image/jpeg", 48, 64)
    return dumps(rec, embed=True).encode("utf-8")


SEED_RECORD = _seed_record()
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                     st.text(max_size=8)),
                           lambda c: st.lists(c, max_size=4)
                           | st.dictionaries(st.text(max_size=8), c, max_size=4),
                           max_leaves=40)


@FUZZ
@given(st.one_of(st.tuples(edits, st.integers(0, 64)).map(
                     lambda ec: _mutate(SEED_RECORD, ec[0], ec[1])),
                 json_values.map(lambda v: json.dumps(v).encode()),
                 st.builds(lambda d, k, v: json.dumps({**json.loads(SEED_RECORD), k: v}).encode(),
                           st.none(), st.sampled_from(sorted(json.loads(SEED_RECORD))),
                           json_values)))
def test_record_json_loads_or_names_the_field(text: bytes) -> None:
    try:
        rec = loads(text)
    except IdCaptureError:
        return
    assert isinstance(rec, CaptureRecord)
