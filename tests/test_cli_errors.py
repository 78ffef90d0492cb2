"""Hostile and careless command lines end in one line on standard error, never a
traceback: deeply nested JSON, a bad template, no terminal for the passphrase, a bad
step or port, and output into a closed pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from idcapture.cli import main
from idcapture.station import StationConfig, Store
from idcapture.station.export import export_package

NESTED = "[" * 100_000 + "]" * 100_000


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("idcapture: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("command", [["record", "validate"], ["record", "show"]])
def test_deeply_nested_record_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   command: list[str]) -> None:
    path = tmp_path / "record.json"
    path.write_text(NESTED)
    assert main([*command, str(path)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and (out + err).count("\n") == 1, (out, err)
    assert "nested too deeply" in out + err


def test_deeply_nested_record_is_a_record_error() -> None:
    from idcapture.errors import RecordError
    from idcapture.formats.record_json import loads

    with pytest.raises(RecordError) as exc:
        loads(NESTED)
    assert "nested too deeply" in str(exc.value)


def test_bad_template_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("{not json")
    b.write_text(NESTED)
    assert main(["finger", "compare", str(a), str(b)]) == 1
    assert "not valid JSON" in _one_line(capsys)
    assert main(["finger", "compare", str(b), str(b)]) == 1
    _one_line(capsys)


def _cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    return subprocess.run([sys.executable, "-m", "idcapture", *args], capture_output=True,
                          text=True, timeout=120, env=env, **kw)  # type: ignore[call-overload]


@pytest.mark.skipif(os.name != "posix", reason="a session without a terminal is POSIX")
def test_no_terminal_for_the_passphrase(tmp_path: Path) -> None:
    with Store.create(tmp_path / "s", {"config": StationConfig("t", 2025).to_json()}) as st:
        export_package(st, tmp_path / "p.zip.enc", passphrase="secret")
    for args in (["station", "verify-export", str(tmp_path / "p.zip.enc"), "--encrypt"],
                 ["station", "export", str(tmp_path / "q.zip"), "--store",
                  str(tmp_path / "s"), "--encrypt"]):
        proc = _cli(*args, stdin=subprocess.DEVNULL, start_new_session=True)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.count("\n") == 1 and "--passphrase-env" in proc.stderr, proc.stderr


def test_bad_step_and_port_are_usage_errors(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["station", "capture", "--store", str(tmp_path), "--correct",
                  "110101200001011234", "--step", "bogus"],
                 ["station", "serve", "--store", str(tmp_path), "--port", "99999"],
                 ["station", "serve", "--store", str(tmp_path), "--port", "http"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and ("invalid choice" in err or "port" in err), err


CLOSED_PIPE = textwrap.dedent("""
    import os, sys
    r, w = os.pipe()
    os.close(r)
    os.dup2(w, 1)
    from idcapture.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``idcapture station check | head``: the reader has gone."""
    with Store.create(tmp_path / "s", {"config": StationConfig("t", 2025).to_json()}):
        pass
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    for args in (["station", "check", "--store", str(tmp_path / "s")], ["drivers"]):
        proc = subprocess.run([sys.executable, "-c", CLOSED_PIPE, *args], capture_output=True,
                              text=True, timeout=120, env=env)
        assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
        assert proc.returncode in (0, 1)


def test_unexpected_errors_are_described_by_class_only(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from idcapture.cli import core

    def boom(_args: object) -> int:
        raise KeyError("张三丰 110101200001011234")

    monkeypatch.setattr(core, "cmd_drivers", boom)
    monkeypatch.delenv("IDCAPTURE_TRACEBACK", raising=False)
    assert main(["drivers"]) == 1
    err = _one_line(capsys)
    assert "KeyError" in err and "张三丰" not in err and "110101" not in err
    json.dumps(err)
