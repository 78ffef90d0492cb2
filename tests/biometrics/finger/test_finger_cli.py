"""``idcapture finger quality|extract`` on synthetic images written to a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from finger_synth import good_print
from PIL import Image

from idcapture.cli import main


@pytest.fixture(scope="module")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("finger") / "print.png"
    Image.fromarray(good_print()).save(path)
    return path


def test_quality_json(image_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finger", "quality", str(image_file), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True and out["reasons"] == []
    assert 0 <= out["score"] <= 100
    assert "local_clarity" in out["measures"]


def test_quality_of_a_blank_image_exits_1_with_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "blank.png"
    Image.fromarray(np.full((300, 300), 230, np.uint8)).save(path)
    assert main(["finger", "quality", str(path)]) == 1
    assert "no-finger" in capsys.readouterr().out


def test_quality_with_a_profile_file(image_file: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    prof = tmp_path / "p.json"
    prof.write_text(json.dumps({"name": "site", "min_area_px": 10_000_000}))
    assert main(["finger", "quality", str(image_file), "--profile", str(prof)]) == 1
    out = capsys.readouterr().out
    assert "area-too-small" in out and "(site)" in out


@pytest.mark.parametrize("fmt", ["iso19794-2", "ansi378", "json"])
def test_extract_writes_a_template(fmt: str, image_file: Path, tmp_path: Path) -> None:
    out = tmp_path / f"t.{fmt}"
    assert main(["finger", "extract", str(image_file), "--format", fmt, "-o", str(out),
                 "--position", "left-thumb"]) == 0
    data = out.read_bytes()
    if fmt == "json":
        from idcapture.biometrics.finger import FingerTemplate

        t = FingerTemplate.from_json(json.loads(data))
        assert t.position.slug == "left-thumb"
        n = len(t.minutiae)
    else:
        from idcapture.formats import ansi378, iso19794_2

        rec = (iso19794_2 if fmt == "iso19794-2" else ansi378).read(data)
        n = len(rec.views[0].minutiae)
    assert n >= 10


def test_missing_file_is_a_clear_error(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finger", "quality", str(tmp_path / "none.png")]) == 1
    assert "not found" in capsys.readouterr().err


def test_dedup_of_an_empty_folder_is_a_clear_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("no prints here", encoding="utf-8")
    assert main(["finger", "dedup", str(tmp_path)]) == 1
    assert "no finger images, templates or station store" in capsys.readouterr().err


def test_dedup_of_a_synth_folder_groups_the_impressions_of_one_finger(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "synth"
    assert main(["finger", "synth", "--count", "2", "--impressions", "2", "-o", str(out),
                 "--quiet"]) == 0
    assert len(list(out.glob("*.json"))) == 4  # the ground truth sits beside the images
    capsys.readouterr()
    assert main(["finger", "dedup", str(out), "--json", "--jobs", "1"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["templates"] == 4  # the images only, not their ground-truth files
    groups = sorted(sorted(c["members"]) for c in report["clusters"])
    assert groups == [["f00000_00.png", "f00000_01.png"], ["f00001_00.png", "f00001_01.png"]]
