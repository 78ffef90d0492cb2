"""``--json``: failures as JSON too, and every command's output documented."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from idcapture.cli import build_parser, main

DOC = Path(__file__).resolve().parents[1] / "docs" / "integrators" / "command-line.md"


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out, err = capsys.readouterr()
    assert err == ""
    doc = json.loads(out)
    assert isinstance(doc, dict)
    return doc


def test_a_typed_error_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finger", "dedup", str(tmp_path / "none"), "--json"]) == 1
    assert _json_out(capsys) == {"error": {"type": "ConfigError", "code": "no-folder",
                                           "message": f"not a folder: {tmp_path / 'none'}"}}


def test_a_failure_a_command_reports_itself_is_json(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((240, 320, 3), 128, np.uint8)).save(blank)
    assert main(["face", "portrait", str(blank), "-o", str(tmp_path / "p.jpg"), "--json"]) == 1
    error = _json_out(capsys)["error"]
    assert error == {"type": "RetryNeeded", "code": "no-face",
                     "message": "no face found in the image"}


def test_a_usage_error_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["station", "check", "--json", "--no-such-option"])
    assert stop.value.code == 2
    error = _json_out(capsys)["error"]
    assert isinstance(error, dict) and error["type"] == "usage"
    assert "--no-such-option" in str(error["message"])


def test_without_json_an_error_stays_one_line_on_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finger", "dedup", str(tmp_path / "none")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"idcapture: error: not a folder: {tmp_path / 'none'}\n"


def test_station_export_json_gives_the_path(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "st"
    assert main(["station", "init", "--store", str(store), "--region", "440106",
                 "--year", "2025"]) == 0
    capsys.readouterr()
    out = tmp_path / "out.zip"
    assert main(["station", "export", str(out), "--store", str(store), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(out.resolve()) and Path(report["path"]).is_file()
    assert report["package"] == "out.zip"


def _json_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
                   ) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _json_commands(sub, (*prefix, name))
    if any("--json" in a.option_strings for a in parser._actions):
        yield " ".join(prefix)


def test_every_json_command_has_its_output_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z -]+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    commands = set(_json_commands(build_parser()))
    assert len(commands) >= 20
    assert commands <= documented, sorted(commands - documented)
