"""The pieces of the public API fit together: a camera's frames feed auto-capture, the
station's documented names import from ``idcapture.station``, the safe defaults agree,
a record validates in memory."""

from __future__ import annotations

import asyncio
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

import idcapture


def test_autocapture_feeds_camera_frames() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture

    cap = AutoCapture("exam-480x640", timeout_s=60)
    with idcapture.open_camera("sim:camera?fps=0") as camera:
        for frame in camera.frames(count=80):
            step = cap.feed(frame)          # a Frame, as the camera gives it
            assert step.instruction.text
            if cap.done:
                break
    result = cap.finish()
    assert result.accepted, result.failing
    assert result.frame is not None and result.frame.shape == (480, 640, 3)


def test_autocapture_takes_the_frame_timestamp() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture

    cap = AutoCapture("exam-480x640", timeout_s=5)
    with idcapture.open_camera("sim:camera?face=false&photo=none&fps=0") as camera:
        first = camera.read_frame()
        cap.feed(first)
        later = idcapture.Frame(first.image, first.timestamp + 6.0, 1)
        cap.feed(later)  # 6 s later by the frame's own clock: past the 5 s timeout
    assert cap.done and cap.result is not None and cap.result.timed_out


def test_autocapture_afeed_leaves_the_loop_free() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture, LiveStep

    async def main() -> tuple[list[LiveStep], int]:
        cap = AutoCapture("exam-480x640", timeout_s=60)
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        with idcapture.open_camera("sim:camera?fps=0") as camera:
            steps = [await cap.afeed(frame) for frame in camera.frames(count=4)]
        stop = True
        await task
        return steps, ticks

    steps, ticks = asyncio.run(main())
    assert len(steps) == 4
    assert ticks >= 4  # the loop ran while frames were analysed in a worker thread


def test_autocapture_refuses_what_is_not_a_frame() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture, FaceInputError

    with pytest.raises(FaceInputError, match="numpy array"):
        AutoCapture().feed("frame.jpg")  # type: ignore[arg-type]
    with pytest.raises(FaceInputError, match="uint8"):
        AutoCapture().feed(np.zeros((48, 48, 3), np.float32))


DOCS = Path(__file__).resolve().parents[1] / "docs"
#: dotted names as docs write them: ``idcapture.x.y`` in prose, ``from idcapture.x import a, b``
DOTTED = re.compile(r"\bidcapture(?:\.[A-Za-z_]\w*)+")
FROM_IMPORT = re.compile(r"^\s*from (idcapture(?:\.\w+)*) import (\([^)]*\)|[^\n]*)", re.M)


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _doc_names() -> list[tuple[str, str]]:
    found = []
    for md in sorted(DOCS.rglob("*.md")):
        text = md.read_text(encoding="utf-8")
        rel = str(md.relative_to(DOCS))
        for m in DOTTED.finditer(text):
            name = m.group(0).rstrip(".")
            if text[m.end():m.end() + 1] not in ("/", "-"):  # a path or a format name
                found.append((rel, name))
        for m in FROM_IMPORT.finditer(text):
            names = m.group(2).split("#")[0].strip("()")
            found += [(rel, f"{m.group(1)}.{n.split()[0]}") for n in names.split(",")
                      if n.strip()]
    return sorted(set(found))


def test_every_name_the_docs_use_imports() -> None:
    names = _doc_names()
    assert len(names) > 50
    missing = [f"{doc}: {name}" for doc, name in names if not _resolves(name)]
    assert not missing, "\n".join(missing)


def test_station_public_surface() -> None:
    import idcapture.station as station

    for name in station.__all__:
        assert getattr(station, name) is not None, name
    from idcapture.station import check_station, export_package, verify_package

    assert check_station.__module__ == "idcapture.station.checking"
    assert export_package.__module__ == verify_package.__module__ == "idcapture.station.export"


def test_policy_and_cli_share_the_safe_default() -> None:
    from idcapture.cli import build_parser
    from idcapture.station import Policy

    pol = Policy()
    assert not pol.keep_low_quality and not pol.manual_portrait and not pol.accept_mismatch
    args = build_parser().parse_args(["station", "capture", "--store", "s"])
    assert args.keep_low_quality is pol.keep_low_quality
    assert args.manual_portrait is pol.manual_portrait
    args = build_parser().parse_args(["station", "capture", "--store", "s",
                                      "--keep-low-quality", "--manual-portrait"])
    assert args.keep_low_quality and args.manual_portrait


def test_validate_checks_a_record_in_memory() -> None:
    import dataclasses

    from idcapture import record as R
    from idcapture.errors import RecordError
    from idcapture.formats.finger_capture import add_finger_capture

    rec = R.CaptureRecord(station=R.StationInfo("station-01", "operator-7"))
    grey = np.full((300, 300), 200, np.uint8)
    capture = add_finger_capture(rec, grey, ppi=500, position=R.FingerPosition.RIGHT_THUMB)
    idcapture.validate(rec)  # a good record passes, nothing written anywhere
    rec.fingers[0] = dataclasses.replace(capture, resolution_ppi=-5)
    with pytest.raises(RecordError) as err:
        idcapture.validate(rec)
    assert "resolution_ppi" in str(err.value)
    rec.fingers[0] = capture
    rec.blobs[capture.image.sha256] = b"not the image"
    with pytest.raises(RecordError, match="SHA-256"):
        idcapture.validate(rec)
    del rec.blobs[capture.image.sha256]
    with pytest.raises(RecordError, match="not held"):
        idcapture.validate(rec)
