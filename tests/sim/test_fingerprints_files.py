"""Synthetic fingerprints on disk: ground-truth JSON, the ``finger synth`` command, converter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from idcapture.errors import RecordError
from idcapture.synth.fingerprints import (
    Impression,
    generate_master,
    make_impression,
    read_truth,
    to_template_minutiae,
    write_impression,
)


@pytest.fixture(scope="module")
def impression() -> Impression:
    return make_impression(generate_master(12, size=(300, 240)), 2, "partial")


def test_truth_file_round_trips(impression: Impression, tmp_path: Path) -> None:
    png, js = write_impression(impression, tmp_path, "one")
    with Image.open(png) as im:
        assert im.mode == "L" and im.size == (240, 300)
        assert np.array_equal(np.asarray(im), impression.image)
        assert round(im.info["dpi"][0]) == 500
    truth = read_truth(js)
    assert (truth.width, truth.height, truth.ppi) == (240, 300, 500)
    assert len(truth.minutiae) == len(impression.minutiae)
    for a, b in zip(truth.minutiae, impression.minutiae):
        assert abs(a.x - b.x) < 1e-3 and abs(a.y - b.y) < 1e-3
        assert abs(a.angle - b.angle) < 1e-5 and a.kind is b.kind
    doc = truth.document
    assert doc["style"] == "partial" and doc["image"] == "one.png"
    assert doc["params"]["contact"] == pytest.approx(impression.params.contact, abs=1e-4)


def test_bad_truth_files_raise_record_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(RecordError):
        read_truth(bad)
    bad.write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    with pytest.raises(RecordError, match="format"):
        read_truth(bad)
    bad.write_text(json.dumps({"format": "idcapture-synthetic-finger-truth", "width": 4,
                               "height": 4, "ppi": 500,
                               "minutiae": [{"x": 1, "y": 2, "angle": 0, "kind": "loop"}]}),
                   encoding="utf-8")
    with pytest.raises(RecordError, match=r"minutiae\[0\]"):
        read_truth(bad)


def test_finger_synth_command_writes_images_and_truth(tmp_path: Path) -> None:
    from idcapture import cli

    out = tmp_path / "synth"
    rc = cli.main(["finger", "synth", "--count", "2", "--impressions", "2", "--style", "wet",
                   "--style", "rotated", "--size", "260x220", "--seed", "40", "-q",
                   "-o", str(out)])
    assert rc == 0
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["f00040_00.png", "f00040_01.png", "f00041_00.png", "f00041_01.png"]
    t0 = read_truth(out / "f00040_00.json")
    t1 = read_truth(out / "f00040_01.json")
    assert (t0.width, t0.height) == (220, 260)
    assert t0.document["style"] == "wet" and t1.document["style"] == "rotated"
    assert t0.document["master_seed"] == 40
    # the command is the library: same seeds, same bytes
    again = make_impression(generate_master(40, size=(260, 220)), 0, "wet")
    with Image.open(out / "f00040_00.png") as im:
        assert np.array_equal(np.asarray(im), again.image)


def test_converter_gives_extractor_minutiae(impression: Impression) -> None:
    from idcapture.biometrics.finger import template

    out = to_template_minutiae(impression.minutiae)
    assert len(out) == len(impression.minutiae)
    assert all(isinstance(m, template.Minutia) for m in out)
    assert [m.kind.value for m in out] == [m.kind.value for m in impression.minutiae]
    assert out[0].x == impression.minutiae[0].x and out[0].angle == impression.minutiae[0].angle
